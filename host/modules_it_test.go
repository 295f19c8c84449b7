package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/registry"
	"gomgr/sim"
)

// envITDirs carries the module directories to the module processes this
// test binary is re-executed as.
const envITDirs = "GOMGR_IT_MODULE_DIRS"

// TestMain doubles as a Python module process (modules/isolate): the
// example modules run isolated, as `gomgr mgr` runs them by default.
func TestMain(m *testing.M) {
	if isolate.MaybeRunChild(func() registry.Source {
		return modules.NewSource(modules.Config{Dirs: filepath.SplitList(os.Getenv(envITDirs))})
	}) {
		return
	}
	os.Exit(m.Run())
}

// logHook keeps the log entries of the example modules (field module).
type logHook struct {
	mu      sync.Mutex
	entries []string // "<module>: <message>"
}

func (h *logHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h *logHook) Fire(e *logrus.Entry) error {
	if m, ok := e.Data["module"].(string); ok {
		h.mu.Lock()
		h.entries = append(h.entries, m+": "+e.Message)
		h.mu.Unlock()
	}
	return nil
}

func (h *logHook) has(prefix string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.entries {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// monHealth is `health detail -f json` from the mon: check code to its
// summary message and detail lines.
func monHealth(t *testing.T, monc *monclient.Client) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := monc.Command(ctx, map[string]any{"prefix": "health", "detail": "detail", "format": "json"}, nil)
	if err != nil || res.Retval != 0 {
		t.Fatalf("health detail: %v %d %s", err, res.Retval, res.Status)
	}
	var h struct {
		Checks map[string]struct {
			Summary struct{ Message string }   `json:"summary"`
			Detail  []struct{ Message string } `json:"detail"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(res.Out, &h); err != nil {
		t.Fatalf("health detail %q: %v", res.Out, err)
	}
	out := map[string][]string{}
	for code, c := range h.Checks {
		lines := []string{c.Summary.Message}
		for _, d := range c.Detail {
			lines = append(lines, d.Message)
		}
		out[code] = lines
	}
	return out
}

// mgrCommand runs one module command on the active mgr over the network.
func mgrCommand(t *testing.T, s *host.Standby, args map[string]any) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := host.Command(ctx, nil, s.Addr(), args, nil)
	if err != nil {
		return "", err
	}
	if res.Retval != 0 {
		return "", fmt.Errorf("retval %d: %s", res.Retval, res.Status)
	}
	return string(res.Out), nil
}

type alertsStatus struct {
	Epoch     int64 `json:"epoch"`
	Down      []int `json:"down"`
	Threshold int   `json:"threshold"`
	Alert     bool  `json:"alert"`
}

// TestExampleModulesAgainstCluster runs the example Python modules on a
// real mon, two mgrs and a simulated cluster, and checks what they do:
// hello logs each osd_map, `status` summarises the cluster, alerts raises
// and clears ALERTS_OSD_DOWN in the mon's health, iostat serves rates, and
// an alerts option set before a failover is in force on the new active.
func TestExampleModulesAgainstCluster(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetLevel(logrus.InfoLevel) // hello logs at info
	hook := &logHook{}
	log.AddHook(hook)
	entry := logrus.NewEntry(log)

	cfg := mon.DefaultConfig()
	cfg.Mgr.InitialModules = []string{"hello", "status", "alerts", "iostat"}
	cfg.OSD.DownGrace = 3 * time.Second
	md := startMon(t, cfg, entry)
	ctx := context.Background()
	monc := dialMon(t, md.Addr(), entry)
	configKey := func(key, val string) {
		t.Helper()
		res, err := monc.Command(ctx, map[string]any{"prefix": "config-key set", "key": key, "val": val}, nil)
		if err != nil || res.Retval != 0 {
			t.Fatalf("config-key set %s: %v %d %s", key, err, res.Retval, res.Status)
		}
	}
	// iostat samples every 0.2 s instead of 5 s, from the mgrs' start.
	configKey("mgr/iostat/interval", "0.2")
	// alerts' default threshold is 1 (it escalates past the mon's
	// OSD_DOWN). 0 makes one down OSD raise it, and makes the change to 1
	// before the failover below a change of the stored value: the new
	// active must read the new one, not the old 0.
	configKey("mgr/alerts/osd_down_threshold", "0")

	dir, err := filepath.Abs("../examples/modules")
	if err != nil {
		t.Fatal(err)
	}
	mgrs := map[string]*host.Standby{}
	for _, name := range []string{"x", "y"} {
		// Isolated: in-process, status fails on get('mgr_map'), which the
		// host caches as a *clustermap.MgrMap rather than a JSON tree (see report).
		src := isolate.NewSource(modules.NewSource(modules.Config{Dirs: []string{dir}, Logger: entry}),
			isolate.Config{Logger: entry, Env: []string{envITDirs + "=" + dir}})
		mgrs[name] = startMgr(t, host.Config{Name: name, MonAddrs: []string{md.Addr()}, Sources: []registry.Source{src},
			StatsPeriod: time.Second, Logger: entry.WithField("mgr", name)})
	}
	const osds = 6
	cl, err := sim.StartCluster(ctx, sim.ClusterConfig{MonAddr: md.Addr(), OSDs: osds, Seed: 1,
		BeaconPeriod: 500 * time.Millisecond, ReportPeriod: time.Second, Logger: entry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)

	var actName string
	testutil.Eventually(t, 10*time.Second, "an active mgr", func() bool {
		for n, s := range mgrs {
			if s.IsActive() {
				actName = n
			}
		}
		return actName != ""
	})
	otherName := map[string]string{"x": "y", "y": "x"}[actName]
	act := mgrs[actName]
	waitModulesRunning(t, act)

	// hello logs every osd_map it is notified of; on the standby mgr its
	// StandbyModule runs instead.
	testutil.Eventually(t, 10*time.Second, "hello to log an osd_map epoch", func() bool { return hook.has("hello: osd_map epoch ") })
	testutil.Eventually(t, 10*time.Second, "hello's StandbyModule on the standby", func() bool { return hook.has("hello: standby on " + otherName) })
	if act.Registry().Standby() || !mgrs[otherName].Registry().Standby() {
		t.Fatal("registry roles do not follow the mgrs'")
	}
	if st := mgrs[otherName].Registry().Modules(); !slices.ContainsFunc(st, func(s registry.Status) bool {
		return s.Name == "status" && s.State == registry.StateStandby
	}) {
		t.Fatalf("status module on the standby: %+v", st)
	}

	// status prints a `ceph -s` summary once the maps are in.
	var out string
	want := []string{
		"mon: 1 daemons, quorum a",
		fmt.Sprintf("mgr: %s(active), standbys: %s", actName, otherName),
		fmt.Sprintf("osd: %d osds: %d up, %d in", osds, osds, osds),
		"pools:",
	}
	testutil.Eventually(t, 15*time.Second, "status to show the whole cluster", func() bool {
		out, err = mgrCommand(t, act, map[string]any{"prefix": "status"})
		if err == nil && containsAll(out, want) {
			return true
		}
		return false
	})
	out, err = mgrCommand(t, act, map[string]any{"prefix": "status", "format": "json"})
	var sj map[string]any
	if err != nil || json.Unmarshal([]byte(out), &sj) != nil || sj["osds_up"] != float64(osds) || sj["mgr_active"] != actName {
		t.Fatalf("status json: %v %q", err, out)
	}

	// iostat's serve loop samples pool stats and prints rates.
	testutil.Eventually(t, 15*time.Second, "iostat rates", func() bool {
		out, err = mgrCommand(t, act, map[string]any{"prefix": "iostat"})
		return err == nil && strings.Contains(out, "rd_ops/s") && strings.Count(out, "\n") >= 2
	})

	// The mgr's own df and pg stat (Ceph's DaemonServer commands), from
	// the OSDs' reports, listed with the modules' commands.
	testutil.Eventually(t, 15*time.Second, "pg stat", func() bool {
		out, err = mgrCommand(t, act, map[string]any{"prefix": "pg stat"})
		return err == nil && strings.Contains(out, " pgs: ") && strings.Contains(out, " active+clean")
	})
	out, err = mgrCommand(t, act, map[string]any{"prefix": "df"})
	if err != nil || !containsAll(out, []string{"--- RAW STORAGE ---", "\nTOTAL ", "--- POOLS ---"}) {
		t.Fatalf("df: %v\n%s", err, out)
	}
	// An OSD's first report may precede the epoch that has it in, and a
	// PGMap zeroes the usage of an OSD that is out (as Ceph's): the next
	// report counts it.
	var dfj struct {
		Stats struct {
			NumOSDs int `json:"num_osds"`
		} `json:"stats"`
		Pools []any `json:"pools"`
	}
	testutil.Eventually(t, 30*time.Second, "df with every OSD's usage", func() bool {
		out, err = mgrCommand(t, act, map[string]any{"prefix": "df", "format": "json"})
		return err == nil && json.Unmarshal([]byte(out), &dfj) == nil && dfj.Stats.NumOSDs == osds && len(dfj.Pools) > 0
	})
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	descs, err := host.CommandDescriptions(dctx, nil, act.Addr())
	dcancel()
	builtins := 0
	for _, d := range descs {
		p := registry.CommandPrefix(d.Cmd)
		if (d.Module == "pg" && p == "pg stat") || (d.Module == "mgr" && p == "df") {
			builtins++
		}
	}
	if err != nil || builtins != 2 {
		t.Fatalf("descriptions: %v, %d built-ins in %+v", err, builtins, descs)
	}

	// alerts raises ALERTS_OSD_DOWN (threshold 0, set above) when an OSD
	// goes down, visible in the mon's health detail, and clears it on
	// recovery.
	if err := cl.Fail(2); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "ALERTS_OSD_DOWN for osd.2 at the mon", func() bool {
		c := monHealth(t, monc)["ALERTS_OSD_DOWN"]
		return len(c) == 2 && c[0] == "1 osds down, more than the 0 allowed" && c[1] == "osd.2 is down"
	})
	if err := cl.Recover(2); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "ALERTS_OSD_DOWN cleared at the mon", func() bool {
		_, ok := monHealth(t, monc)["ALERTS_OSD_DOWN"]
		return !ok
	})

	// The operator raises the threshold (a mon config-key, where module
	// options live), then the active mgr goes away.
	configKey("mgr/alerts/osd_down_threshold", "1")
	if err := act.Close(ctx); err != nil {
		t.Logf("close %s: %v", actName, err)
	}
	next := mgrs[otherName]
	testutil.Eventually(t, 10*time.Second, "the standby to take over", next.IsActive)
	waitModulesRunning(t, next)
	testutil.Eventually(t, 15*time.Second, "status on the new active", func() bool {
		out, err = mgrCommand(t, next, map[string]any{"prefix": "status"})
		return err == nil && strings.Contains(out, fmt.Sprintf("mgr: %s(active)", otherName)) &&
			strings.Contains(out, fmt.Sprintf("osd: %d osds: %d up", osds, osds))
	})

	// The new active's alerts runs with threshold 1: one OSD down is
	// seen but not alerted, two are.
	if err := cl.Fail(4); err != nil {
		t.Fatal(err)
	}
	var st alertsStatus
	testutil.Eventually(t, 20*time.Second, "alerts on the new active to see osd.4 down", func() bool {
		out, err = mgrCommand(t, next, map[string]any{"prefix": "alerts status"})
		return err == nil && json.Unmarshal([]byte(out), &st) == nil && len(st.Down) == 1
	})
	if st.Threshold != 1 || st.Alert || st.Down[0] != 4 {
		t.Fatalf("alerts status after failover: %+v (threshold 1 not in force?)", st)
	}
	// set_health_checks ran in the same notify the command followed.
	if _, ok := next.Registry().HealthChecks()["ALERTS_OSD_DOWN"]; ok {
		t.Fatal("ALERTS_OSD_DOWN raised for one OSD down with threshold 1")
	}
	if err := cl.Fail(5); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "ALERTS_OSD_DOWN for two OSDs at the mon", func() bool {
		c := monHealth(t, monc)["ALERTS_OSD_DOWN"]
		return len(c) == 3 && c[0] == "2 osds down, more than the 1 allowed" && c[1] == "osd.4 is down" && c[2] == "osd.5 is down"
	})
	for _, id := range []int{4, 5} {
		if err := cl.Recover(id); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, "ALERTS_OSD_DOWN cleared after failover", func() bool {
		_, ok := monHealth(t, monc)["ALERTS_OSD_DOWN"]
		return !ok
	})
	for _, s := range next.Registry().Modules() {
		if s.Errors != 0 || s.CommandErrors != 0 || s.Dropped != 0 {
			t.Errorf("module %s on %s: %+v", s.Name, otherName, s.Stats)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// waitModulesRunning waits for the four example modules to run on s.
func waitModulesRunning(t *testing.T, s *host.Standby) {
	t.Helper()
	var last []registry.Status
	testutil.Eventually(t, 15*time.Second, "the example modules to run on mgr."+s.Name(), func() bool {
		last = s.Registry().Modules()
		running := 0
		for _, m := range last {
			switch m.Name {
			case "hello", "status", "alerts", "iostat":
				if m.State == registry.StateRunning {
					running++
				} else if m.State == registry.StateFailed || m.State == registry.StateUnloadable {
					t.Fatalf("module %s: %s: %s", m.Name, m.State, m.Error)
				}
			}
		}
		return running == 4
	})
}
