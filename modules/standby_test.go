package modules_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules"
	"gomgr/registry"
)

const standbySrc = `
from mgr_module import MgrModule, MgrStandbyModule
import threading

class Module(MgrModule):
    def __init__(self):
        self.event = threading.Event()

    def serve(self):
        self.log.info("active serve on %s", self.get_mgr_id())
        self.event.wait(60)

    def shutdown(self):
        self.event.set()

class StandbyModule(MgrStandbyModule):
    def __init__(self):
        self.event = threading.Event()

    def serve(self):
        self.log.info("standby serve on %s, active at %s, port %s", self.get_mgr_id(), self.get_active_uri(),
                      self.get_localized_module_option("port", 7000))
        self.event.wait(60)

    def shutdown(self):
        self.log.info("standby shutdown")
        self.event.set()
`

type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) Levels() []logrus.Level { return logrus.AllLevels }
func (l *lines) Fire(e *logrus.Entry) error {
	l.mu.Lock()
	l.all = append(l.all, e.Message)
	l.mu.Unlock()
	return nil
}
func (l *lines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.all {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// TestStandbyModule: module.py's StandbyModule (Ceph's MgrStandbyModule)
// runs serve() while the registry is in the standby role, with the
// standby API (mgr id, options, the active's URI); at activation it is
// shut down and the module's class runs instead.
func TestStandbyModule(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sb", "module.py"), []byte(standbySrc), 0o644); err != nil {
		t.Fatal(err)
	}
	l := logrus.New()
	l.SetOutput(os.Stderr)
	if !testing.Verbose() {
		l.SetOutput(io.Discard)
	}
	hook := &lines{}
	l.AddHook(hook)
	state := registry.NewMemState()
	state.Set("mgr_map", map[string]any{"services": map[string]any{"sb": "http://10.0.0.1:7000/"}})
	reg, err := registry.New(registry.Config{Sources: []registry.Source{modules.NewSource(modules.Config{Dirs: []string{dir}})},
		State: state, Store: registry.NewMemStore(), MgrID: "y", Logger: logrus.NewEntry(l)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer reg.Close(ctx)
	if err := reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	mods := reg.Modules()
	if len(mods) != 1 || !mods[0].StandbyOK {
		t.Fatalf("StandbyModule not declared: %+v", mods)
	}
	if err := reg.SetStandby(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := reg.Enable(ctx, "sb"); err != nil {
		t.Fatal(err)
	}
	poll := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s; log: %v", what, hook.all)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	poll("the standby serve()", func() bool { return hook.has("standby serve on y, active at http://10.0.0.1:7000/, port 7000") })
	if hook.has("active serve") {
		t.Fatal("the module's class ran on the standby")
	}
	if err := reg.SetStandby(ctx, false); err != nil {
		t.Fatal(err)
	}
	poll("the active serve()", func() bool { return hook.has("active serve on y") })
	if !hook.has("standby shutdown") {
		t.Fatal("the standby instance was not shut down")
	}
}
