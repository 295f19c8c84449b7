package cephconf

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxSize is Ceph's MAX_CONFIG_FILE_SZ.
const maxSize = 1 << 30

// Conf is a parsed ceph.conf. It does not change after Parse or Load
// (except Cluster, which the caller may set first) and is then safe for
// concurrent use.
type Conf struct {
	// Path is the file Load read, "" after Parse.
	Path string
	// Cluster is $cluster: for Load, the start of the file's name up to
	// ".conf" ("ceph" for /etc/ceph/ceph.conf, and when the name has no
	// ".conf"), as Ceph derives it when no --cluster is given; "ceph" after
	// Parse.
	Cluster string

	sections map[string]map[string]entry
	warnings []string
}

// entry is a key's value in one section, and where it was set.
type entry struct {
	value string
	line  int
}

// Parse reads a ceph.conf as Ceph 16.2 does (see parse.go for the rules).
// An error is a *SyntaxError (errors.Is ErrSyntax), or a read error.
func Parse(r io.Reader) (*Conf, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("cephconf: read: %w", err)
	}
	if len(buf) > maxSize {
		return nil, fmt.Errorf("cephconf: larger than Ceph's maximum of %d bytes", maxSize)
	}
	secs, err := parse(buf)
	if err != nil {
		return nil, err
	}
	c := &Conf{Cluster: "ceph", sections: map[string]map[string]entry{}}
	for _, s := range secs {
		m := c.sections[s.name]
		if m == nil {
			m = map[string]entry{}
			c.sections[s.name] = m
		}
		for _, l := range s.lines {
			if l.key == "" {
				continue // a key of white space only: Ceph reads no option from it
			}
			m[l.key] = entry{value: l.value, line: l.line}
			if strings.Contains(l.key, "-") {
				c.warnings = append(c.warnings, fmt.Sprintf(
					"line %d: [%s] %s: Ceph reads ceph.conf keys literally, so no option is named with a dash (use %s)",
					l.line, s.name, l.key, strings.ReplaceAll(l.key, "-", "_")))
			}
		}
	}
	return c, nil
}

// Load reads the ceph.conf at path; errors name the file.
func Load(path string) (*Conf, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cephconf: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		if se, ok := errors.AsType[*SyntaxError](err); ok {
			se.File = path
			return nil, se
		}
		return nil, fmt.Errorf("cephconf: %s: %w", path, err)
	}
	c.Path = path
	c.Cluster = clusterFromPath(path)
	for i, w := range c.warnings {
		c.warnings[i] = path + ":" + strings.TrimPrefix(w, "line ")
	}
	return c, nil
}

// clusterFromPath is how md_config_t::parse_config_files names the cluster
// after its conf file: the base name up to ".conf", or "ceph".
func clusterFromPath(path string) string {
	base := path[strings.LastIndexByte(path, '/')+1:]
	if i := strings.Index(base, ".conf"); i >= 0 {
		return base[:i]
	}
	return "ceph"
}

// Sections returns the section names, sorted.
func (c *Conf) Sections() []string {
	return slices.Sorted(maps.Keys(c.sections))
}

// Section returns a copy of a section's keys and values as written (keys
// normalised, values neither searched elsewhere nor expanded).
func (c *Conf) Section(name string) map[string]string {
	m := map[string]string{}
	for k, e := range c.sections[name] {
		m[k] = e.value
	}
	return m
}

// Warnings are things Ceph accepts silently but that are likely mistakes:
// a key with a dash, which no Ceph option matches.
func (c *Conf) Warnings() []string { return slices.Clone(c.warnings) }

// Get returns the value of key for the entity name ("mgr.x", "client.admin",
// "osd.0": TYPE.ID) as a Ceph daemon or client of that name reads it from
// the file: from section [name], else [TYPE], else [global], with its
// metavariables expanded. key is an option name, in which spaces and
// dashes count as underscores ("mon host", "mon-host" and "mon_host" are
// all mon_host); keys in the file count only spaces so, as in Ceph.
//
// Expansion is Ceph's (md_config_t::_expand_meta): $cluster, $type, $name,
// $id (and $num), $host (the file's host option, else the short host
// name), $pid (this process), $home, ${var} for $var, and $OPTION for the
// value of another key, expanded in turn ($data_dir is $TYPE_data).
// Unlike Ceph, which knows every option's default, an OPTION that the file
// does not set stays as written, except mon_data, mgr_data, osd_data,
// mds_data (/var/lib/ceph/TYPE/$cluster-$id) and run_dir (/var/run/ceph).
func (c *Conf) Get(name, key string) (string, bool) {
	v, _, ok := c.lookup(name, key)
	return v, ok
}

// lookup is Get that also says where the value was set.
func (c *Conf) lookup(name, key string) (value string, line int, ok bool) {
	key = optionName(key)
	e, ok := c.raw(name, key)
	if !ok {
		return "", 0, false
	}
	x := c.newExpander(name)
	return x.expand(e.value, key, nil), e.line, true
}

// raw finds key in the sections of name, without expansion.
func (c *Conf) raw(name, key string) (entry, bool) {
	for _, s := range searchSections(name) {
		if e, ok := c.sections[s][key]; ok {
			return e, true
		}
	}
	return entry{}, false
}

// searchSections is md_config_t::get_my_sections: [name], [TYPE], [global].
func searchSections(name string) []string {
	typ, _, _ := strings.Cut(name, ".")
	secs := []string{name}
	if typ != name {
		secs = append(secs, typ)
	}
	if name != "global" {
		secs = append(secs, "global")
	}
	return secs
}

// optionName normalises a key asked for: trimmed, inner white space and
// dashes as '_' (on Ceph's command line, --mon-host is --mon_host).
func optionName(key string) string {
	return strings.ReplaceAll(normalizeKey(key), "-", "_")
}

// expander expands metavariables for one entity name.
type expander struct {
	c              *Conf
	name, typ, id  string
	hostMemo       *string
	defaultOptions map[string]string
}

func (c *Conf) newExpander(name string) *expander {
	typ, id, _ := strings.Cut(name, ".")
	x := &expander{c: c, name: name, typ: typ, id: id, defaultOptions: map[string]string{
		"run_dir": "/var/run/ceph",
	}}
	for _, t := range []string{"mon", "osd", "mds", "mgr"} {
		x.defaultOptions[t+"_data"] = "/var/lib/ceph/" + t + "/$cluster-$id"
	}
	return x
}

// host is $host: the host option, else the host name up to its first dot.
func (x *expander) host() string {
	if x.hostMemo == nil {
		h := ""
		if e, ok := x.c.raw(x.name, "host"); ok && e.value != "" {
			h = e.value
		} else if hn, err := os.Hostname(); err == nil {
			h, _, _ = strings.Cut(hn, ".")
		}
		x.hostMemo = &h
	}
	return *x.hostMemo
}

// isVarChar: Ceph's metavariable names are [a-z_]+.
func isVarChar(c byte) bool { return c >= 'a' && c <= 'z' || c == '_' }

// firstNotVar is string::find_first_not_of(valid_chars, from), -1 for npos.
func firstNotVar(s string, from int) int {
	for i := from; i < len(s); i++ {
		if !isVarChar(s[i]) {
			return i
		}
	}
	return -1
}

// expand is md_config_t::_expand_meta, quirks included: the value of the
// option opt ("" for none), with stack the options being expanded
// (a reference back to one of them ends the expansion with "$OPTION").
func (x *expander) expand(in, opt string, stack []string) string {
	pos := strings.IndexByte(in, '$')
	if pos < 0 {
		return in
	}
	if opt != "" {
		stack = append(stack, opt)
	}
	var out strings.Builder
	last := 0 // -1 stands for npos
	for pos >= 0 {
		if pos > last {
			out.WriteString(in[last:pos])
		}
		var v string
		end := -1
		if pos+1 < len(in) && in[pos+1] == '{' {
			end = firstNotVar(in, pos+2)
			if end >= 0 && in[end] == '}' {
				v = in[pos+2 : end]
				end++
			}
		} else {
			end = firstNotVar(in, pos+1)
			if end >= 0 {
				v = in[pos+1 : end]
			} else {
				v = in[pos+1:]
			}
		}
		last = end
		if v == "" {
			out.WriteByte('$')
		} else {
			switch v {
			case "type":
				out.WriteString(x.typ)
			case "cluster":
				out.WriteString(x.c.Cluster)
			case "name":
				out.WriteString(x.name)
			case "host":
				out.WriteString(x.host())
			case "num", "id":
				out.WriteString(x.id)
			case "pid":
				out.WriteString(strconv.Itoa(os.Getpid()))
			case "home":
				out.Reset() // sic: Ceph replaces what came before
				out.WriteString(os.Getenv("HOME"))
			default:
				ref := v
				if ref == "data_dir" {
					ref = x.typ + "_data"
				}
				val, ok := x.option(ref)
				switch {
				case !ok:
					if end >= 0 {
						out.WriteString(in[pos:end])
					} else {
						out.WriteString(in[pos:])
					}
				case slices.Contains(stack, ref):
					return "$" + ref // a loop: Ceph gives up on the whole value
				default:
					out.WriteString(x.expand(val, ref, stack))
				}
			}
		}
		if last < 0 {
			break
		}
		pos = strings.IndexByte(in[last:], '$')
		if pos >= 0 {
			pos += last
		}
	}
	if last >= 0 {
		out.WriteString(in[last:])
	}
	return out.String()
}

// option is the unexpanded value of another option, for $OPTION.
func (x *expander) option(name string) (string, bool) {
	if e, ok := x.c.raw(x.name, name); ok {
		return e.value, true
	}
	v, ok := x.defaultOptions[name]
	return v, ok
}

// where is "FILE:LINE" (or "line LINE") for an error about a value.
func (c *Conf) where(line int) string {
	if c.Path == "" {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s:%d", c.Path, line)
}

// FSID returns the fsid for name, in its canonical form (lower case, with
// dashes). It wraps ErrNotSet if no section sets it, ErrInvalid if it is
// not a UUID (where Ceph would warn and use the zero UUID).
func (c *Conf) FSID(name string) (string, error) {
	v, line, ok := c.lookup(name, "fsid")
	if !ok {
		return "", fmt.Errorf("%w: fsid for %s", ErrNotSet, name)
	}
	u, ok := parseUUID(v)
	if !ok {
		return "", fmt.Errorf("%w: %s: fsid %q is not a UUID", ErrInvalid, c.where(line), v)
	}
	return u, nil
}

// parseUUID accepts what boost's uuid string_generator does: 32 hex
// digits, with dashes after the 4th, 6th, 8th and 10th bytes or none, in
// braces or not.
func parseUUID(s string) (string, bool) {
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") {
			return "", false
		}
		s = s[1 : len(s)-1]
	}
	dashes := len(s) == 36
	if dashes {
		for _, i := range []int{8, 13, 18, 23} {
			if s[i] != '-' {
				return "", false
			}
		}
		s = strings.ReplaceAll(s, "-", "")
	}
	if len(s) != 32 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return "", false
		}
	}
	s = strings.ToLower(s)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], true
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// strList is Ceph's get_str_list with its default delimiters ";,= \t".
func strList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(";,= \t", r) })
}

// daemonType: the entity types whose keyring defaults to their data
// directory.
func daemonType(typ string) bool {
	return typ == "mon" || typ == "osd" || typ == "mds" || typ == "mgr"
}

// KeyringPaths returns the keyring files name would try, in order: the
// keyring option, or Ceph's default ($TYPE_data/keyring for a mon, osd,
// mds or mgr; /etc/ceph/$cluster.$name.keyring, /etc/ceph/$cluster.keyring,
// /etc/ceph/keyring, /etc/ceph/keyring.bin for a client), expanded.
func (c *Conf) KeyringPaths(name string) []string {
	v, ok := c.Get(name, "keyring")
	if !ok {
		typ, _, _ := strings.Cut(name, ".")
		x := c.newExpander(name)
		if daemonType(typ) {
			v = x.expand("$data_dir/keyring", "keyring", nil)
		} else {
			v = x.expand("/etc/ceph/$cluster.$name.keyring,/etc/ceph/$cluster.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin,", "keyring", nil)
		}
	}
	return strList(v)
}

// Keyring returns the first of KeyringPaths that exists, as Ceph picks it
// (ceph_resolve_file_search), or an error wrapping ErrNoKeyring. With auth
// none there is no need for one.
func (c *Conf) Keyring(name string) (string, error) {
	paths := c.KeyringPaths(name)
	for _, p := range paths {
		if f, err := os.Open(p); err == nil {
			f.Close()
			return filepath.Clean(p), nil
		}
	}
	return "", fmt.Errorf("%w for %s: tried %q", ErrNoKeyring, name, paths)
}

// Auth is which authentication protocols ("cephx", "none") are required,
// in order of preference: between daemons (Cluster), by daemons of their
// clients (Service), and by clients of the daemons (Client).
type Auth struct {
	Cluster, Service, Client []string
}

// Auth returns name's auth settings as AuthRegistry reads them: all three
// from auth_supported if it is set, else auth_cluster_required,
// auth_service_required and auth_client_required, which default to
// "cephx", "cephx" and "cephx, none".
func (c *Conf) Auth(name string) Auth {
	if v, ok := c.Get(name, "auth_supported"); ok && v != "" {
		l := strList(v)
		return Auth{Cluster: l, Service: slices.Clone(l), Client: slices.Clone(l)}
	}
	get := func(key, def string) []string {
		v, ok := c.Get(name, key)
		if !ok {
			v = def
		}
		return strList(v)
	}
	return Auth{
		Cluster: get("auth_cluster_required", "cephx"),
		Service: get("auth_service_required", "cephx"),
		Client:  get("auth_client_required", "cephx, none"),
	}
}

// MonAddrs returns the msgr v1 addresses of the mons, for name: those of
// mon_host (see the function MonAddrs), else, as Ceph falls back to them,
// the "mon addr" of every [mon.ID] section (searched in [mon.ID], [mon],
// [global]; an untyped address there is v1, on port 6789 if it has none).
// Errors name the line of the value.
func (c *Conf) MonAddrs(name string) ([]string, error) {
	if v, line, ok := c.lookup(name, "mon_host"); ok && v != "" {
		addrs, err := MonAddrs(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.where(line), err)
		}
		return addrs, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range c.Sections() {
		id, ok := strings.CutPrefix(s, "mon.")
		if !ok || id == "" {
			continue
		}
		v, line, ok := c.lookup(s, "mon_addr")
		if !ok {
			continue
		}
		// Like Ceph, ignore what follows the address.
		a, _, ok, err := parseAddr(v, addrLegacy)
		if err != nil || !ok {
			return nil, fmt.Errorf("%w: %s: [%s] mon addr %q", ErrInvalid, c.where(line), s, v)
		}
		if a, ok = v1OfAmbiguous(a); ok && !seen[a.hostPort()] {
			seen[a.hostPort()] = true
			out = append(out, a.hostPort())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no mon_host, and no [mon.ID] with a v1 mon addr", ErrNoV1Addr)
	}
	return out, nil
}
