package pycheck

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/testutil"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

const calleeSrc = `from mgr_module import MgrModule


class Module(MgrModule):
    def add(self, a, plus=0):
        return {"sum": a + plus, "args": (a, plus)}

    def boom(self, a, plus=0):
        raise ValueError("boom")
`

// TestRemoteIsolated: two gpython modules, each in its own process, call
// each other's methods with self.remote(), as Ceph's modules do. The
// caller is modules/cpython's gpyremote, which calls CPython modules there.
func TestRemoteIsolated(t *testing.T) {
	caller, err := os.ReadFile(filepath.Join("..", "..", "..", "cpython", "testdata", "modules", "gpyremote", "module.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{"callee": calleeSrc, "gpyremote": string(caller)} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "module.py"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := logrus.New()
	l.SetOutput(io.Discard)
	src := isolate.NewSource(pySource([]string{dir}), isolate.Config{Logger: l,
		Env: []string{envDirs + "=" + dir, "GORACE=atexit_sleep_ms=0"}})
	reg, err := registry.New(registry.Config{Sources: []registry.Source{src}, State: registry.NewMemState(),
		Store: registry.NewMemStore(), MgrID: "x", Logger: logrus.NewEntry(l)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t.Cleanup(func() {
		if err := reg.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetEnabled(ctx, []string{"callee", "gpyremote"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "both running", func() bool {
		n := 0
		for _, s := range reg.Modules() {
			if s.State == registry.StateRunning {
				n++
			}
		}
		return n == 2
	})
	for _, tc := range []struct{ module, method, out, err string }{
		{"callee", "add", `{"args": [20, 2], "sum": 22}`, ""},
		{"callee", "nope", "NameError", "Method not found: nope"},
		{"callee", "boom", "RuntimeError", "Remote method threw exception: Traceback (most recent call last):"},
		{"absent", "add", "ImportError", "Module not found"},
	} {
		res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "gpyremote call", "module": tc.module, "method": tc.method}})
		if err != nil || res.Stdout != tc.out || !strings.HasPrefix(res.Stderr, tc.err) {
			t.Errorf("%s.%s: %+v, %v", tc.module, tc.method, res, err)
		}
	}
}
