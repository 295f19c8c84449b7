package main

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gomgr/mon"
	"gomgr/registry"
)

// TestHelpListsMonCommands: `gomgr help` lists every mon command with its
// arguments and its help, each runs as a cluster command, and a group of
// them ("mgr module") is a cluster command, not the daemon of its first
// word.
func TestHelpListsMonCommands(t *testing.T) {
	// Nothing listens on port 1: help lists no module commands, at once.
	t.Setenv("GOMGR_MON", "127.0.0.1:1")
	var b bytes.Buffer
	usage(&b)
	help := b.String()
	cmds := mon.Commands()
	if len(cmds) == 0 {
		t.Fatal("mon.Commands is empty")
	}
	for _, d := range cmds {
		prefix := registry.CommandPrefix(d.Cmd)
		line := "  " + strings.TrimSpace(prefix+" "+signatureUsage(d.Cmd)) + " [-f json] [--mon HOST:PORT]"
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + ` +` + regexp.QuoteMeta(d.Desc) + `$`).MatchString(help) {
			t.Errorf("help has no line for %q (want %q ... %q):\n%s", prefix, line, d.Desc, help)
		}
		c, rest := lookup(append(strings.Fields(prefix), "x"))
		if c == nil || c.path != prefix || len(rest) != 1 {
			t.Errorf("%q does not run as the cluster command %q: %+v", prefix, prefix, c)
		}
	}
	for _, g := range monGroups() {
		if c, _ := lookup(strings.Fields(g)); c == nil || c.path != g {
			t.Errorf("group %q runs %+v", g, c)
		}
	}
	if !slices.Contains(monGroups(), "mgr module") {
		t.Errorf("monGroups = %q, want mgr module among them", monGroups())
	}
}

func TestSignatureUsage(t *testing.T) {
	for _, tc := range []struct{ sig, want string }{
		{"status", ""},
		{"health name=detail,type=CephChoices,strings=detail,req=false", "[detail]"},
		{"osd pool create name=pool,type=CephString name=pg_num,type=CephInt,req=false", "POOL [PG_NUM]"},
		{"osd down name=ids,type=CephString,n=N", "IDS..."},
		{"mgr module enable name=module,type=CephString name=force,type=CephChoices,strings=--force,req=false", "MODULE [--force]"},
		{"config set name=name,type=CephString name=force,type=CephBool,req=false", "NAME [--force]"},
		{"auth get-or-create name=entity,type=CephString name=caps,type=CephString,n=N,req=false", "ENTITY [CAPS...]"},
		{"x name=fmt,type=CephChoices,strings=plain|json", "plain|json"},
	} {
		if got := signatureUsage(tc.sig); got != tc.want {
			t.Errorf("signatureUsage(%q) = %q, want %q", tc.sig, got, tc.want)
		}
	}
}
