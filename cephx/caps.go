package cephx

import (
	"fmt"
	"strings"
)

// Caps are an entity's capabilities for one service, the part of Ceph's
// MonCap / MgrCap grammar gomgr enforces: grants separated by commas or
// semicolons, each `allow *`, `allow all`, `allow` with some of r, w, x,
// `allow command "PREFIX"` (that command, whatever its perm), or `allow
// profile NAME` (mgr: everything a mgr does; the other daemon profiles
// read only: they send no commands but reads). Anything else refuses the whole string, as Ceph refuses caps it
// cannot parse.
type Caps struct {
	all      bool
	r, w, x  bool
	commands []string
}

// ParseCaps reads caps as `ceph auth get` shows them ("allow *").
func ParseCaps(s string) (Caps, error) {
	var c Caps
	for _, grant := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		f := strings.Fields(grant)
		if len(f) == 0 {
			continue
		}
		if f[0] != "allow" {
			return Caps{}, fmt.Errorf("%w: caps %q: grant %q does not begin with allow", ErrMalformed, s, grant)
		}
		switch {
		case len(f) == 2 && (f[1] == "*" || f[1] == "all"):
			c.all = true
		case len(f) == 2 && strings.Trim(f[1], "rwx") == "":
			c.r = c.r || strings.Contains(f[1], "r")
			c.w = c.w || strings.Contains(f[1], "w")
			c.x = c.x || strings.Contains(f[1], "x")
		case len(f) >= 3 && f[1] == "command":
			c.commands = append(c.commands, strings.Trim(strings.Join(f[2:], " "), `"'`))
		case len(f) == 3 && f[1] == "profile" && f[2] == "mgr":
			// A mgr writes config-keys and options, and runs mon commands
			// for its modules.
			c.r, c.w, c.x = true, true, true
		case len(f) == 3 && f[1] == "profile":
			c.r = true
		default:
			return Caps{}, fmt.Errorf("%w: caps %q: grant %q is not one gomgr understands", ErrMalformed, s, grant)
		}
	}
	return c, nil
}

// Allows reports whether the caps let their holder run the command with
// prefix whose signature asks for perm ("r", "rw", "x"...).
func (c Caps) Allows(prefix, perm string) bool {
	if perm == "" {
		perm = "r"
	}
	if c.all {
		return true
	}
	for _, cmd := range c.commands {
		if cmd == prefix {
			return true
		}
	}
	return (!strings.Contains(perm, "r") || c.r) && (!strings.Contains(perm, "w") || c.w) &&
		(!strings.Contains(perm, "x") || c.x)
}
