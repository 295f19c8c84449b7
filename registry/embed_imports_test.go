package registry_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// embedGoList runs `go list` with a template that prints one package per line:
// its import path, then the space-separated field asked for.
func embedGoList(t *testing.T, field string, pkgs ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-f", "{{.ImportPath}} {{join ." + field + " \" \"}}"}, pkgs...)
	var stderr bytes.Buffer
	cmd := exec.Command("go", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	res := make(map[string][]string)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			res[f[0]] = f[1:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if _, ok := res[p]; !ok {
			t.Fatalf("go list did not report %s:\n%s", p, out)
		}
	}
	return res
}

// embedUnder reports whether pkg is root or inside it.
func embedUnder(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

// TestEmbedImportGraph checks issue #7's import rules on the whole
// dependency graph (TestImports checks registry's own files only): the
// embedding API (registry, modules, modules/isolate, plugins) depends on
// nothing Ceph-flavoured, and the embedding example uses nothing but that
// API: no internal package, none of host, mon, msgr, messages, sim.
func TestEmbedImportGraph(t *testing.T) {
	forbidden := []string{"gomgr/host", "gomgr/mon", "gomgr/msgr", "gomgr/messages", "gomgr/sim", "gomgr/cmd", "gomgr/e2e"}
	api := []string{"gomgr/registry", "gomgr/modules", "gomgr/modules/isolate", "gomgr/plugins"}
	apps := []string{"gomgr/examples/embed", "gomgr/examples/embed/minimal", "gomgr/examples/embed/plugin"}

	deps := embedGoList(t, "Deps", append(api, apps...)...)
	for _, p := range append(api, apps...) {
		for _, d := range deps[p] {
			for _, f := range forbidden {
				if embedUnder(d, f) {
					t.Errorf("%s depends on %s", p, d)
				}
			}
		}
	}
	// registry is the base: nothing of gomgr at all below it.
	for _, d := range deps["gomgr/registry"] {
		if embedUnder(d, "gomgr") {
			t.Errorf("gomgr/registry depends on %s", d)
		}
	}

	// The example imports only the public API of gomgr, and no internal
	// package of anyone.
	imports := embedGoList(t, "Imports", apps...)
	for _, p := range apps {
		for _, imp := range imports[p] {
			if slices.Contains(strings.Split(imp, "/"), "internal") {
				t.Errorf("%s imports internal package %s", p, imp)
			}
			if embedUnder(imp, "gomgr") && !slices.Contains(api, imp) {
				t.Errorf("%s imports %s, which is not part of the embedding API %v", p, imp, api)
			}
		}
	}
	// The check is not vacuous: the example does use all four packages.
	for _, a := range api {
		if !slices.Contains(imports["gomgr/examples/embed"], a) {
			t.Errorf("gomgr/examples/embed no longer imports %s: update this test", a)
		}
	}

	// And it builds with only that.
	out, err := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "embed"), "gomgr/examples/embed").CombinedOutput()
	if err != nil {
		t.Fatalf("go build gomgr/examples/embed: %v\n%s", err, out)
	}
}
