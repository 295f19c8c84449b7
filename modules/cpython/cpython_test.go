package cpython_test

import (
	"context"
	"testing"
	"time"

	"gomgr/modules/cpython"
)

const cephTree = "/usr/share/ceph/mgr"

func TestOpenCephModules(t *testing.T) {
	src := cpython.NewSource(cpython.Config{Dir: cephTree})
	names, err := src.Scan()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("modules: %v", names)
	for _, name := range []string{"status", "iostat", "crash", "selftest", "prometheus"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		m, err := src.Open(ctx, name)
		cancel()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		in := m.Info()
		t.Logf("%s: %v cmds=%d opts=%d canrun=%v %q", name, time.Since(start), len(in.Commands), len(in.Options), in.CanRun, in.CanRunError)
		if err := m.Stop(context.Background()); err != nil {
			t.Errorf("%s stop: %v", name, err)
		}
	}
}
