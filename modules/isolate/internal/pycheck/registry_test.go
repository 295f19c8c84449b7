package pycheck

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules/isolate"
	"gomgr/registry"
)

// TestRegistryIsolated runs the registry over isolated Python modules, the
// broken ones of modules/testdata/broken among them, while events flow:
// the healthy module keeps getting them, every broken one ends up reported
// with a clear reason, and the registry's process survives it all.
func TestRegistryIsolated(t *testing.T) {
	src := newSource(t, isolate.Config{MemoryLimitBytes: 512 << 20})
	state := registry.NewMemState()
	state.Set("osd_map", map[string]any{"epoch": int64(1), "osds": []any{}})
	l := logrus.New()
	l.SetOutput(io.Discard)
	reg, err := registry.New(registry.Config{
		Sources: []registry.Source{src},
		State:   state,
		Store:   registry.NewMemStore(),
		MgrID:   "x",
		Logger:  logrus.NewEntry(l),
		// Long enough for recursion and allocation to end on their own.
		NotifyDeadline: 5 * time.Second,
		StopDeadline:   2 * time.Second,
		PollInterval:   20 * time.Millisecond,
		// Held failed at the first crash, to see each crash's own reason
		// (TestCrashRestarts covers restarts).
		Restart: registry.RestartPolicy{Limit: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer ccancel()
		if err := reg.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	broken := map[string]string{ // module -> what its Error must say
		"spin_notify": "deadline",
		"recursion":   "stack overflow (infinite recursion?)",
		"allocation":  "memory limit exceeded",
		"raise_serve": "KeyError: 'no_such_key'",
	}
	enabled := []string{"healthy"}
	for n := range broken {
		enabled = append(enabled, n)
	}
	if err := reg.SetEnabled(ctx, enabled); err != nil {
		t.Fatal(err)
	}

	status := func() map[string]registry.Status {
		out := map[string]registry.Status{}
		for _, s := range reg.Modules() {
			out[s.Name] = s
		}
		return out
	}
	settled := func(st map[string]registry.Status) bool {
		for n := range broken {
			if s := st[n]; s.State != registry.StateFailed && s.State != registry.StateStopped {
				return false
			}
		}
		return st["healthy"].Delivered > 0
	}
	epoch := int64(1)
	var st map[string]registry.Status
	for {
		epoch++
		state.Set("osd_map", map[string]any{"epoch": epoch, "osds": []any{}})
		reg.NotifyAll("osd_map", "")
		st = status()
		if settled(st) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("broken modules not all reported in time: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for n, want := range broken {
		if s := st[n]; !strings.Contains(s.Error, want) {
			t.Errorf("%s: state %s, error %q, want it to contain %q", n, s.State, s.Error, want)
		} else {
			t.Logf("%s: %s: %s", n, s.State, firstLine(s.Error))
		}
	}
	for n, want := range map[string]registry.ModuleState{
		"syntax_error": registry.StateUnloadable,
		"import_error": registry.StateUnloadable,
		"cannot_run":   registry.StateDisabled,
	} {
		if s := st[n]; s.State != want && !(n == "cannot_run" && s.State == registry.StateCannotRun) {
			t.Errorf("%s: state %s (%q), want %s", n, s.State, s.Error, want)
		}
	}

	// The healthy module still runs, and sees the latest epoch. Delivered
	// may move for an epoch already in flight, and commands do not wait
	// for notifies (as in Ceph), so poll the module's own view.
	epoch++
	state.Set("osd_map", map[string]any{"epoch": epoch, "osds": []any{}})
	reg.NotifyAll("osd_map", "")
	for {
		res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "seen"}})
		if err == nil && strings.HasSuffix(res.Stdout, " "+itoa(epoch)) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("healthy module never saw epoch %d: last seen = %+v, %v", epoch, res, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := status()["healthy"]; s.State != registry.StateRunning || s.Errors != 0 {
		t.Errorf("healthy: %+v", s)
	}
	hc := reg.HealthChecks()
	if _, ok := hc["MGR_MODULE_ERROR"]; !ok {
		t.Errorf("health checks: %+v", hc)
	}
	t.Logf("healthy module: %d events delivered; health checks: %v", status()["healthy"].Delivered, keys(hc))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func keys(m map[string]registry.HealthCheck) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
