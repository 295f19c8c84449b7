package modules

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"gomgr/registry"
)

// TestConcurrentModules: several modules, each on its own goroutine, run
// at once (under -race this checks that gpython shares no mutable state
// between contexts on the paths modules use).
func TestConcurrentModules(t *testing.T) {
	const n, events = 4, 50
	src := `
from mgr_module import MgrModule
import json
import threading
class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    def __init__(self):
        self.n = 0
        self.run = True
        self.event = threading.Event()
    def serve(self):
        while self.run:
            self.event.wait(0.005)
    def shutdown(self):
        self.run = False
        self.event.set()
    def notify(self, notify_type, notify_id):
        m = self.get("osd_map")
        s = json.dumps({"e": m["epoch"], "l": [1, 2.5]}, indent=1)
        d = json.loads(s)
        d.update({"x": "{:>4}".format(d["e"])})
        self.n += 1
        self.log.debug("%s", s)
    def handle_command(self, inbuf, cmd):
        return 0, str(self.n), ""
`
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		m, h := startSrc(t, fmt.Sprintf("c%d", i), src)
		h.set("osd_map", 1, map[string]any{"epoch": int64(i)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := 0; e < events; e++ {
				if err := m.Notify(ctxT(t, 10*time.Second), []registry.Event{{Kind: "osd_map"}}); err != nil {
					errs <- err
					return
				}
			}
			res, err := m.Command(ctxT(t, 10*time.Second), registry.Command{})
			if err != nil || res.Stdout != fmt.Sprint(events) {
				errs <- fmt.Errorf("count %+v %v", res, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConcurrentOpen: modules load (compile, import) in parallel.
func TestConcurrentOpen(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 4; i++ {
		writeModule(t, dir, fmt.Sprintf("o%d", i), "import json\nX = json.dumps([{}.get('a'), 'x'.format()])\n"+moduleFooter)
	}
	s := NewSource(Config{Dirs: []string{dir}})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := s.Open(ctxT(t, 10*time.Second), fmt.Sprintf("o%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			if err := m.Stop(ctxT(t, 5*time.Second)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
