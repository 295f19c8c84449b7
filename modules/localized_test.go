package modules_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gomgr/modules"
	"gomgr/registry"
)

const localizedSrc = `
from mgr_module import MgrModule, Option
import json

class Module(MgrModule):
    MODULE_OPTIONS = [Option("port", type="int", default=8080, min=1, max=65535)]
    COMMANDS = [{"cmd": "loc", "desc": "", "perm": "rw"}]

    def handle_command(self, inbuf, cmd):
        out = [self.get_localized_module_option("port")]
        self.set_module_option("port", 9000)
        out.append(self.get_localized_module_option("port"))
        self.set_localized_module_option("port", 9100)
        out.append(self.get_localized_module_option("port"))
        out.append(self.get_module_option("port"))
        out.append(self.get_localized_store("k", "none"))
        self.set_store("k", "all")
        out.append(self.get_localized_store("k"))
        self.set_localized_store("k", "mine")
        out.append(self.get_localized_store("k"))
        out.append(self.get_store("k"))
        return 0, json.dumps(out), ""
`

// TestLocalizedOptionsAndStore: Ceph's localized calls, through the real
// registry: a value for this mgr only wins over the value for every mgr,
// which wins over the default, under mgr/<module>/<mgr_id>/<key>.
func TestLocalizedOptionsAndStore(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "loc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "loc", "module.py"), []byte(localizedSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	store := registry.NewMemStore()
	reg, err := registry.New(registry.Config{Sources: []registry.Source{modules.NewSource(modules.Config{Dirs: []string{dir}})},
		Store: store, MgrID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer reg.Close(ctx)
	if err := reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reg.Enable(ctx, "loc"); err != nil {
		t.Fatal(err)
	}
	res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "loc"}})
	if err != nil || res.Retval != 0 {
		t.Fatalf("loc: %+v %v", res, err)
	}
	if want := `[8080, 9000, 9100, 9000, "none", "all", "mine", "all"]`; res.Stdout != want {
		t.Fatalf("got %s\nwant %s", res.Stdout, want)
	}
	for k, want := range map[string]string{"mgr/loc/port": "9000", "mgr/loc/x/port": "9100", "mgr/loc/k": "all", "mgr/loc/x/k": "mine"} {
		if v, ok, _ := store.Get(ctx, k); !ok || v != want {
			t.Errorf("%s = %q %v, want %q", k, v, ok, want)
		}
	}
}
