package mon

import (
	"slices"
	"strings"
	"testing"

	"gomgr/registry"
)

// TestCommandTable: every command the mon dispatches is one entry of
// monCommands, with a signature, a help, a perm and one handler; every
// prefix (and alias) is taken once, is dispatched, and Commands lists
// each entry as the table says.
func TestCommandTable(t *testing.T) {
	perms := []string{"r", "rw", "rx", "rwx"}
	prefixes := map[string]bool{}
	for _, c := range monCommands {
		prefix := registry.CommandPrefix(c.sig)
		if prefix == "" || strings.TrimSpace(c.help) == "" || !slices.Contains(perms, c.perm) {
			t.Errorf("%q: want a prefix, a help and a perm in %v, got help %q perm %q", c.sig, perms, c.help, c.perm)
		}
		if (c.run == nil) == (c.keys == nil) {
			t.Errorf("%q: want exactly one handler (run or keys)", prefix)
		}
		if p, _ := registry.ParseSignature(c.sig); p != prefix {
			t.Errorf("%q: the signature's prefix is %q", c.sig, p)
		}
		if c.mgrKey != "" && (!strings.Contains(c.sig, " name="+c.mgrKey+",") || c.perm == "r") {
			t.Errorf("%q: mgrKey %q is no argument of a change", c.sig, c.mgrKey)
		}
		for _, p := range append([]string{prefix}, c.aliases...) {
			if prefixes[p] {
				t.Errorf("prefix %q taken twice", p)
			}
			prefixes[p] = true
			if commandByPrefix[p] == nil || commandPerm(p) != c.perm {
				t.Errorf("%q: not in commandByPrefix with perm %q", p, c.perm)
			}
		}
	}
	if len(commandByPrefix) != len(prefixes) {
		t.Errorf("commandByPrefix has %d prefixes, the table %d", len(commandByPrefix), len(prefixes))
	}

	descs := Commands()
	if len(descs) != len(monCommands) {
		t.Fatalf("Commands lists %d, the table has %d", len(descs), len(monCommands))
	}
	for i, d := range descs {
		c := monCommands[i]
		if d.Cmd != c.sig || d.Desc != c.help || d.Perm != c.perm {
			t.Errorf("Commands()[%d] = %+v, want %q %q %q", i, d, c.sig, c.help, c.perm)
		}
	}

	// Each prefix reaches its handler: the core's answer is never
	// "unrecognized", and the daemon takes the key server's.
	m := busyMon(t)
	d := &Daemon{}
	for p := range prefixes {
		c := commandByPrefix[p]
		if c.keys != nil {
			if r, ok := d.authCommand(cmdArgs{"prefix": p}, ""); !ok || !strings.Contains(r.Status, "need cephx") {
				t.Errorf("%q: the daemon did not take it: %+v %v", p, r, ok)
			}
			if r, _, err := m.HandleCommand(scenarioStart, map[string]any{"prefix": p}, nil); err != nil || !strings.Contains(r.Status, "unrecognized command") {
				t.Errorf("%q: the core, which has no keys, answered %+v %v", p, r, err)
			}
			continue
		}
		if _, ok := d.authCommand(cmdArgs{"prefix": p}, ""); ok {
			t.Errorf("%q: taken by the daemon's key server", p)
		}
		r, _, err := m.HandleCommand(scenarioStart, map[string]any{"prefix": p, "format": "json"}, nil)
		if err != nil || strings.Contains(r.Status, "unrecognized command") {
			t.Errorf("%q: %+v %v", p, r, err)
		}
	}
}

// TestCommandPerm: the mon caps each command needs (reads "r", changes
// "rw", showing keys "rx", making them "rwx"), aliases as their command,
// and anything unknown "rw".
func TestCommandPerm(t *testing.T) {
	want := map[string][]string{
		"r": {"status", "s", "health", "health detail", "osd dump", "osd tree", "osd pool ls", "osd metadata",
			"mon dump", "fs dump", "service dump", "mgr dump", "mgr stat", "mgr services", "mgr metadata",
			"mgr module ls", "log last", "mon_status", "config get", "config dump", "config-key get",
			"config-key exists", "config-key ls", "config-key list", "config-key dump"},
		"rw": {"osd pool create", "osd down", "osd out", "osd in", "osd set", "osd unset", "mgr fail",
			"mgr module enable", "mgr module disable", "log", "config set", "config rm", "config-key set",
			"config-key put", "config-key rm", "config-key del", "osd frobnicate", "auth rm", ""},
		"rx":  {"auth get", "auth ls"},
		"rwx": {"auth get-or-create"},
	}
	for perm, prefixes := range want {
		for _, p := range prefixes {
			if got := commandPerm(p); got != perm {
				t.Errorf("commandPerm(%q) = %q, want %q", p, got, perm)
			}
		}
	}
}

// TestArgOfPrefix: the caps check reads the prefix as the dispatch does,
// so a prefix sent as a one-element list is checked as the command it
// runs, not as "" (which "allow rw" caps let through to auth commands).
func TestArgOfPrefix(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"auth get-or-create", "auth get-or-create"},
		{[]any{"auth get-or-create"}, "auth get-or-create"},
		{[]any{"a", "b"}, ""},
		{7, ""},
		{nil, ""},
	} {
		args := map[string]any{"prefix": tc.v}
		if got := argOf(args, "prefix"); got != tc.want {
			t.Errorf("argOf(%v) = %q, want %q", tc.v, got, tc.want)
		}
		dispatched, _, _ := cmdArgs(args).str("prefix")
		if dispatched != tc.want {
			t.Errorf("dispatch reads %v as %q, the caps check as %q", tc.v, dispatched, tc.want)
		}
	}
}
