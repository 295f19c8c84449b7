package main

import (
	"maps"
	"slices"
	"strings"

	"gomgr/mon"
	"gomgr/registry"
)

// monSignatures are the mon's command signatures, which the CLI matches a
// command line against before it asks the active mgr.
func monSignatures() []string {
	cmds := mon.Commands()
	sigs := make([]string, len(cmds))
	for i, c := range cmds {
		sigs[i] = c.Cmd
	}
	return sigs
}

// monGroups are the leading words, two or more, that mon commands share
// ("mgr module", "osd pool"), sorted.
func monGroups() []string {
	seen := map[string]bool{}
	for _, c := range mon.Commands() {
		words := strings.Fields(registry.CommandPrefix(c.Cmd))
		for n := 2; n < len(words); n++ {
			seen[strings.Join(words[:n], " ")] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// signatureUsage writes a signature's arguments as the CLI takes them
// (registry.ParseArgs): NAME, [NAME] when optional, NAME... for the rest
// of the line, a choice's words, --NAME for a flag.
func signatureUsage(sig string) string {
	_, params := registry.ParseSignature(sig)
	words := make([]string, 0, len(params))
	for _, p := range params {
		w := strings.ToUpper(p.Name)
		switch {
		case p.Type == "CephBool":
			w = "--" + p.Name
		case p.Type == "CephChoices" && len(p.Strings) > 0:
			w = strings.Join(p.Strings, "|")
		}
		if p.N {
			w += "..."
		}
		if !p.Required {
			w = "[" + w + "]"
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}
