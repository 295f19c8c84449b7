package host_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/mon"
	"gomgr/registry"
	"gomgr/sim"
)

// recorder is a Go module that records what it is told: the registry
// double the host is tested with.
type recorder struct {
	mu     sync.Mutex
	events []registry.Event
	host   registry.Host
}

func (r *recorder) Info() registry.Info {
	return registry.Info{Name: "recorder", Kind: "go", CanRun: true,
		NotifyTypes: []string{"osd_map", "mon_map", "mgr_map", "health", "pg_summary"}}
}
func (r *recorder) Start(_ context.Context, h registry.Host) error {
	r.mu.Lock()
	r.host = h
	r.mu.Unlock()
	return nil
}
func (r *recorder) Notify(_ context.Context, evs []registry.Event) error {
	r.mu.Lock()
	r.events = append(r.events, evs...)
	r.mu.Unlock()
	return nil
}
func (r *recorder) Command(context.Context, registry.Command) (registry.CommandResult, error) {
	return registry.CommandResult{Stdout: "ok"}, nil
}
func (r *recorder) Stop(context.Context) error { return nil }
func (r *recorder) Failed() error              { return nil }

func (r *recorder) osdEpochs() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint64
	for _, e := range r.events {
		if e.Kind == "osd_map" {
			n, _ := strconv.ParseUint(e.ID, 10, 64)
			out = append(out, n)
		}
	}
	return out
}

type recSource struct{ rec *recorder }

func (s recSource) Kind() string                                          { return "go" }
func (s recSource) Scan() ([]string, error)                               { return []string{"recorder"}, nil }
func (s recSource) Open(context.Context, string) (registry.Module, error) { return s.rec, nil }

func TestActiveMgrCachesMapsAndFailsOver(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	cfg := mon.DefaultConfig()
	cfg.Mgr.InitialModules = []string{"recorder"}
	md := startMon(t, cfg, logrus.NewEntry(log))
	ctx := context.Background()

	recs := map[string]*recorder{}
	mgrs := map[string]*host.Standby{}
	for _, name := range []string{"x", "y"} {
		rec := &recorder{}
		recs[name] = rec
		mgrs[name] = startMgr(t, host.Config{Name: name, MonAddrs: []string{md.Addr()}, Sources: []registry.Source{recSource{rec}},
			StatsPeriod: time.Second, Logger: logrus.NewEntry(log)})
	}
	cl, err := sim.StartCluster(ctx, sim.ClusterConfig{MonAddr: md.Addr(), OSDs: 10, Seed: 1,
		ReportPeriod: time.Second, Logger: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)

	var act, stby string
	testutil.Eventually(t, 10*time.Second, "an active mgr", func() bool {
		for n, s := range mgrs {
			if s.IsActive() {
				act = n
			}
		}
		return act != ""
	})
	stby = map[string]string{"x": "y", "y": "x"}[act]
	a := mgrs[act]
	testutil.Eventually(t, 15*time.Second, "10 OSDs up in the active's osd_map", func() bool {
		v, err := a.State().Get("osd_map")
		if err != nil {
			return false
		}
		up := 0
		for _, o := range v.Data.(map[string]any)["osds"].([]any) {
			if o.(map[string]any)["up"] == int64(1) {
				up++
			}
		}
		return up == 10
	})
	testutil.Eventually(t, 15*time.Second, "counters from every OSD", func() bool {
		for i := range 10 {
			if len(a.State().Counter("osd", strconv.Itoa(i), "osd.op")) == 0 {
				return false
			}
		}
		return true
	})
	for _, name := range []string{"osd_map", "mon_map", "mgr_map", "health", "mon_status", "pg_summary",
		"osd_stats", "pool_stats", "df", "osd_metadata", "config"} {
		if _, err := a.State().Get(name); err != nil {
			t.Errorf("get(%q): %v", name, err)
		}
	}
	if len(a.State().PerfSchema("osd", "3")) != len(sim.Schema) {
		t.Fatalf("schema of osd.3: %d counters", len(a.State().PerfSchema("osd", "3")))
	}
	testutil.Eventually(t, 5*time.Second, "the module to hear of osd_map", func() bool { return len(recs[act].osdEpochs()) > 0 })
	if len(recs[stby].osdEpochs()) != 0 {
		t.Fatal("the standby's module was notified")
	}

	// The active goes away; the standby takes over within the 5 s budget.
	killed := time.Now()
	if err := a.Close(context.Background()); err != nil {
		t.Logf("close: %v", err)
	}
	b := mgrs[stby]
	testutil.Eventually(t, 5*time.Second, "the standby to become active", b.IsActive)
	t.Logf("failover took %v", time.Since(killed))
	if _, err := b.State().Get("osd_map"); err != nil {
		t.Fatal("new active has no osd_map")
	}
	testutil.Eventually(t, 15*time.Second, "counters at the new active", func() bool {
		return len(b.State().Counter("osd", "0", "osd.op")) > 0
	})

	// An OSD fails: a new epoch reaches the new active's module, in order.
	before := len(recs[stby].osdEpochs())
	if err := cl.Fail(2); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "osd.2 marked down", func() bool {
		v, _ := b.State().Get("osd_map")
		for _, o := range v.Data.(map[string]any)["osds"].([]any) {
			if o.(map[string]any)["osd"] == int64(2) {
				return o.(map[string]any)["up"] == int64(0)
			}
		}
		return false
	})
	testutil.Eventually(t, 5*time.Second, "the module to hear of the new epoch", func() bool {
		return len(recs[stby].osdEpochs()) > before
	})
	epochs := recs[stby].osdEpochs()
	for i := 1; i < len(epochs); i++ {
		if epochs[i] <= epochs[i-1] {
			t.Fatalf("osd_map notifications out of order: %v", epochs)
		}
	}
}
