package e2e_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// cephJSON runs the real ceph CLI with -f json and decodes its output.
func cephJSON(c *cephcluster.Cluster, v any, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := c.Ceph(ctx, append(args, "-f", "json")...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("%v: %w: %q", args, err, out)
	}
	return nil
}

type probeOSDMap struct {
	Epoch int `json:"epoch"`
	OSDs  []struct {
		OSD int `json:"osd"`
		Up  int `json:"up"`
		In  int `json:"in"`
	} `json:"osds"`
	Pools []string `json:"pools"`
}

// TestCephClusterActiveMgr runs gomgr as the mgr of a real Ceph 16.2
// cluster (a ceph-mon, two memstore ceph-osds, auth none, msgr v1) as a
// Ceph user would, `gomgr mgr -c ceph.conf -i x`, and checks it with the
// real ceph CLI: the mgrmap, module commands through the mon and through
// `ceph tell`, the osd_map a module reads against `ceph osd dump`, a
// notify after `ceph osd out`, an OSD's perf counter against the OSD's own
// admin socket, a module option set with `ceph config set`, and a module's
// health check in `ceph health detail`. The real daemons must still run at
// the end.
func TestCephClusterActiveMgr(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
	mgr, _ := start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules",
		"--log-level", "info")

	var dump struct {
		ActiveName        string `json:"active_name"`
		Available         bool   `json:"available"`
		ActiveMgrFeatures uint64 `json:"active_mgr_features"`
		AvailableModules  []struct {
			Name   string `json:"name"`
			CanRun bool   `json:"can_run"`
		} `json:"available_modules"`
	}
	testutil.Poll(t, 30*time.Second, "gomgr active and available in ceph mgr dump", func() error {
		if err := cephJSON(c, &dump, "mgr", "dump"); err != nil {
			return err
		}
		if dump.ActiveName != "x" || !dump.Available {
			return fmt.Errorf("active %q available %v", dump.ActiveName, dump.Available)
		}
		return nil
	})
	if dump.ActiveMgrFeatures == 0 {
		t.Errorf("mgr dump: active_mgr_features is 0")
	}
	if !slices.ContainsFunc(dump.AvailableModules, func(m struct {
		Name   string `json:"name"`
		CanRun bool   `json:"can_run"`
	}) bool {
		return m.Name == "cephprobe" && m.CanRun
	}) {
		t.Fatalf("mgr dump: cephprobe not among the available modules: %+v", dump.AvailableModules)
	}

	// A command of a module not enabled is refused as Ceph's mgr refuses it.
	if _, err := c.Ceph(context.Background(), "cephprobe", "osdmap"); err == nil || !strings.Contains(err.Error(), "ENOTSUP") {
		t.Fatalf("cephprobe osdmap before enable: %v, want ENOTSUP", err)
	}
	c.MustCeph(t, "mgr", "module", "enable", "cephprobe")

	var view probeOSDMap
	var osdDump struct {
		Epoch int `json:"epoch"`
		OSDs  []struct {
			OSD int `json:"osd"`
			Up  int `json:"up"`
			In  int `json:"in"`
		} `json:"osds"`
		Pools []struct {
			Name string `json:"pool_name"`
		} `json:"pools"`
	}
	testutil.Poll(t, 20*time.Second, "the module's osd_map matches ceph osd dump", func() error {
		if err := cephJSON(c, &view, "cephprobe", "osdmap"); err != nil {
			return err
		}
		if err := cephJSON(c, &osdDump, "osd", "dump"); err != nil {
			return err
		}
		var pools []string
		for _, p := range osdDump.Pools {
			pools = append(pools, p.Name)
		}
		want := fmt.Sprint(osdDump.Epoch, osdDump.OSDs, pools)
		if got := fmt.Sprint(view.Epoch, view.OSDs, view.Pools); got != want {
			return fmt.Errorf("module sees %s, osd dump says %s", got, want)
		}
		return nil
	})

	// ceph tell mgr reaches the module too (MCommand). The CLI answers
	// EACCES itself when it has no MgrMap yet ("no MgrMap, assuming
	// EACCES" in MgrClient), which a loaded machine shows: poll.
	var told probeOSDMap
	testutil.Poll(t, 20*time.Second, "ceph tell mgr cephprobe osdmap", func() error {
		if err := cephJSON(c, &told, "tell", "mgr", "cephprobe", "osdmap"); err != nil {
			return err
		}
		if told.Epoch < view.Epoch {
			return fmt.Errorf("epoch %d, the mon path saw %d", told.Epoch, view.Epoch)
		}
		return nil
	})

	// ceph osd out reaches the module's notify.
	before := time.Now()
	c.MustCeph(t, "osd", "out", "0")
	var outEpoch int
	testutil.Poll(t, 10*time.Second, "osd.0 out in the module's osd_map", func() error {
		if err := cephJSON(c, &view, "cephprobe", "osdmap"); err != nil {
			return err
		}
		for _, o := range view.OSDs {
			if o.OSD == 0 && o.In == 0 {
				outEpoch = view.Epoch
				return nil
			}
		}
		return fmt.Errorf("osd.0 still in at epoch %d", view.Epoch)
	})
	var seen [][2]float64
	if err := cephJSON(c, &seen, "cephprobe", "seen"); err != nil {
		t.Fatal(err)
	}
	for _, s := range seen {
		if int(s[0]) == outEpoch {
			t.Logf("ceph osd out 0 -> notify of epoch %d: %.0f ms", outEpoch,
				(s[1]-float64(before.UnixNano())/1e9)*1000)
		}
	}
	c.MustCeph(t, "osd", "in", "0")

	// A real OSD's counter read through the module matches its admin socket.
	testutil.Poll(t, 30*time.Second, "osd.0's osd.numpg through get_latest and perf dump agree", func() error {
		var latest float64
		if err := cephJSON(c, &latest, "cephprobe", "counter", "0", "osd.numpg"); err != nil {
			return err
		}
		var perf map[string]map[string]any
		if err := cephJSON(c, &perf, "daemon", "osd.0", "perf", "dump"); err != nil {
			return err
		}
		want, _ := perf["osd"]["numpg"].(float64)
		if latest != want || want == 0 {
			return fmt.Errorf("get_latest %v, perf dump %v", latest, want)
		}
		return nil
	})

	// A module option set with ceph config set, read by the module.
	c.MustCeph(t, "config", "set", "mgr", "mgr/cephprobe/level", "7")
	testutil.Poll(t, 10*time.Second, "ceph config set reaches get_module_option", func() error {
		var level int
		if err := cephJSON(c, &level, "cephprobe", "option"); err != nil {
			return err
		}
		if level != 7 {
			return fmt.Errorf("level %d", level)
		}
		return nil
	})

	// A module's health check in ceph health detail, and cleared.
	c.MustCeph(t, "cephprobe", "warn", "yes")
	testutil.Poll(t, 15*time.Second, "CEPHPROBE_TEST in ceph health detail", func() error {
		out, err := c.Ceph(context.Background(), "health", "detail")
		if err != nil {
			return err
		}
		if !strings.Contains(string(out), "CEPHPROBE_TEST") || !strings.Contains(string(out), "cephprobe says so") {
			return fmt.Errorf("health detail: %s", out)
		}
		return nil
	})
	c.MustCeph(t, "cephprobe", "warn", "no")
	testutil.Poll(t, 15*time.Second, "CEPHPROBE_TEST cleared", func() error {
		out, err := c.Ceph(context.Background(), "health", "detail")
		if err != nil {
			return err
		}
		if strings.Contains(string(out), "CEPHPROBE_TEST") {
			return fmt.Errorf("health detail: %s", out)
		}
		return nil
	})

	select {
	case <-mgr.done:
		t.Fatalf("gomgr exited")
	default:
	}
	if strings.Contains(mgr.out.String(), "panic") {
		t.Fatalf("gomgr log has a panic")
	}
	c.CheckAlive(t)
}

type cephMgrDump struct {
	ActiveName string `json:"active_name"`
	Available  bool   `json:"available"`
	Standbys   []struct {
		Name string `json:"name"`
	} `json:"standbys"`
}

// waitActive polls ceph mgr dump until name is the available active mgr
// and returns how long that took.
func waitActive(t *testing.T, c *cephcluster.Cluster, name string, d time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	testutil.Poll(t, d, "mgr."+name+" active and available", func() error {
		var md cephMgrDump
		if err := cephJSON(c, &md, "mgr", "dump"); err != nil {
			return err
		}
		if md.ActiveName != name || !md.Available {
			return fmt.Errorf("active %q available %v", md.ActiveName, md.Available)
		}
		return nil
	})
	return time.Since(begin)
}

// waitStandby polls ceph mgr dump until name is a standby.
func waitStandby(t *testing.T, c *cephcluster.Cluster, name string) {
	t.Helper()
	testutil.Poll(t, 60*time.Second, "mgr."+name+" a standby", func() error {
		var md cephMgrDump
		if err := cephJSON(c, &md, "mgr", "dump"); err != nil {
			return err
		}
		for _, s := range md.Standbys {
			if s.Name == name {
				return nil
			}
		}
		return fmt.Errorf("standbys %+v", md.Standbys)
	})
}

// TestCephClusterMixedFailover kills -9 the active mgr of a real cluster
// both ways: gomgr active with a real ceph-mgr as standby, then the real
// ceph-mgr active with gomgr as standby. The mon's beacon grace is 5 s
// (Ceph's default is 30 s) and its tick 1 s, so each failover is that
// grace plus a tick, plus the new active's start. (A grace within
// mgr_tick_period, 2 s, of the tick would make the mon reset its beacon
// clocks on every tick and never fail a mgr.)
func TestCephClusterMixedFailover(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Pools: []string{"p1"},
		Global: map[string]string{"mon_mgr_beacon_grace": "5", "mon_tick_interval": "1"}})
	gx, _ := start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules")
	waitActive(t, c, "x", 30*time.Second)
	real := c.StartCephMgr(t, "y")
	waitStandby(t, c, "y")

	_ = syscall.Kill(-gx.cmd.Process.Pid, syscall.SIGKILL)
	<-gx.done
	took := waitActive(t, c, "y", 60*time.Second)
	t.Logf("kill -9 gomgr (active) -> real ceph-mgr active and available: %v", took.Round(10*time.Millisecond))

	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "z", "--modules", "e2e/testdata/modules")
	waitStandby(t, c, "z")
	real.Kill()
	took = waitActive(t, c, "z", 60*time.Second)
	t.Logf("kill -9 ceph-mgr (active) -> gomgr active and available: %v", took.Round(10*time.Millisecond))

	// The new active serves module commands.
	c.MustCeph(t, "mgr", "module", "enable", "cephprobe", "--force")
	testutil.Poll(t, 20*time.Second, "cephprobe answers on gomgr z", func() error {
		var view probeOSDMap
		if err := cephJSON(c, &view, "cephprobe", "osdmap"); err != nil {
			return err
		}
		if view.Epoch == 0 || len(view.OSDs) != 1 {
			return fmt.Errorf("view %+v", view)
		}
		return nil
	})
	c.CheckAlive(t)
}

// TestCephClusterRepeatedStarts starts gomgr 20 times in a row against a
// real mon, killing each with -9 once it has joined (the mon pushes its
// monmap right after the auth reply, which once raced the mgr's start into
// a panic), then lets the last one go active and keeps it there a while:
// no start panics, and the real mon and OSD still run.
func TestCephClusterRepeatedStarts(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Pools: []string{"p1"}})
	var last *proc
	for i := range 20 {
		p, _ := start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules")
		testutil.Poll(t, 20*time.Second, fmt.Sprintf("start %d joined", i), func() error {
			select {
			case <-p.done:
				return fmt.Errorf("exited: %s", tail(p.out.String(), 2000))
			default:
			}
			if !strings.Contains(p.out.String(), "mgr standby started") {
				return fmt.Errorf("not started yet")
			}
			return nil
		})
		if strings.Contains(p.out.String(), "panic") {
			t.Fatalf("start %d panicked:\n%s", i, p.out.String())
		}
		if i == 19 {
			last = p
			break
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	waitActive(t, c, "x", 60*time.Second)
	c.MustCeph(t, "osd", "out", "0")
	c.MustCeph(t, "osd", "in", "0")
	select {
	case <-last.done:
		t.Fatalf("the last gomgr exited:\n%s", tail(last.out.String(), 3000))
	default:
	}
	c.CheckAlive(t)
}

var cephSoak = flag.Duration("ceph.soak", 60*time.Second, "how long TestCephClusterSoak keeps gomgr active on a real cluster (10m for a long run)")

// TestCephClusterSoak keeps gomgr active on a real cluster for -ceph.soak
// while OSDs go out and in, then checks that the real mon and OSDs still
// run, that the module saw the last epoch, and that gomgr subscribed to the
// mon a bounded number of times (a map it could not take was once
// re-requested in a loop: 16,567 times in 1.4 s).
func TestCephClusterSoak(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
	mgr, _ := start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules",
		"--metrics", "127.0.0.1:0")
	waitActive(t, c, "x", 30*time.Second)
	c.MustCeph(t, "mgr", "module", "enable", "cephprobe")
	end := time.Now().Add(*cephSoak)
	changes := 0
	for i := 0; time.Now().Before(end); i++ {
		op := "out"
		if i%2 == 1 {
			op = "in"
		}
		c.MustCeph(t, "osd", op, strconv.Itoa(i/2%2))
		changes++
		time.Sleep(2 * time.Second) // the pace of the load, not a wait for an event
	}
	// The cluster may still make an epoch of its own after the last
	// change (an OSD's up_thru): both are read again until they agree.
	testutil.Poll(t, 10*time.Second, "the module at the last epoch", func() error {
		var dump struct {
			Epoch int `json:"epoch"`
		}
		if err := cephJSON(c, &dump, "osd", "dump"); err != nil {
			return err
		}
		var view probeOSDMap
		if err := cephJSON(c, &view, "cephprobe", "osdmap"); err != nil {
			return err
		}
		if view.Epoch != dump.Epoch {
			return fmt.Errorf("module at epoch %d, osd dump %d", view.Epoch, dump.Epoch)
		}
		return nil
	})
	var svcs map[string]string
	if err := cephJSON(c, &svcs, "mgr", "services"); err != nil {
		t.Fatal(err)
	}
	body, err := httpGet(svcs["prometheus"])
	if err != nil {
		t.Fatal(err)
	}
	subs := -1
	for _, l := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(l, `gomgr_mon_client_total{counter="subscribes"} `); ok {
			subs, _ = strconv.Atoi(v)
		}
	}
	t.Logf("%d osdmap changes in %v; gomgr sent %d MMonSubscribe", changes, *cephSoak, subs)
	if subs < 1 || subs > 10 {
		t.Fatalf("gomgr subscribed %d times (metric scraped from %s)", subs, svcs["prometheus"])
	}
	select {
	case <-mgr.done:
		t.Fatalf("gomgr exited:\n%s", tail(mgr.out.String(), 3000))
	default:
	}
	c.CheckAlive(t)
}

// TestCephClusterMapsAsCeph compares what a module's get() returns for the
// maps a real mon sends with what the real ceph CLI prints of them: the
// same top-level keys and epoch (mon_map, mgr_map, fs_map, osd_map), the
// health status, an OSD's metadata; and set_store lands in the mon's
// config-keys.
func TestCephClusterMapsAsCeph(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Pools: []string{"p1"}})
	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules")
	waitActive(t, c, "x", 30*time.Second)
	c.MustCeph(t, "mgr", "module", "enable", "cephprobe")
	// cliOnly are keys the mon's command adds to the map's own dump.
	for _, m := range []struct{ what, cmd, cliOnly string }{
		{"mon_map", "mon dump", "quorum"}, {"mgr_map", "mgr dump", ""}, {"fs_map", "fs dump", ""}, {"osd_map", "osd dump", ""},
	} {
		testutil.Poll(t, 20*time.Second, m.what+" as "+m.cmd, func() error {
			var got, want map[string]any
			if err := cephJSON(c, &got, "cephprobe", "get", m.what); err != nil {
				return err
			}
			if err := cephJSON(c, &want, strings.Fields(m.cmd)...); err != nil {
				return err
			}
			if got["epoch"] != want["epoch"] {
				return fmt.Errorf("epoch %v, %s says %v", got["epoch"], m.cmd, want["epoch"])
			}
			delete(want, m.cliOnly)
			gk, wk := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))
			if !slices.Equal(gk, wk) {
				return fmt.Errorf("keys\n %v\n%s has\n %v", gk, m.cmd, wk)
			}
			return nil
		})
	}
	testutil.Poll(t, 20*time.Second, "health as ceph health", func() error {
		// As Ceph's: get("health") is {"json": text}.
		var wrapped struct {
			JSON string `json:"json"`
		}
		if err := cephJSON(c, &wrapped, "cephprobe", "get", "health"); err != nil {
			return err
		}
		var got, want map[string]any
		if err := json.Unmarshal([]byte(wrapped.JSON), &got); err != nil {
			return fmt.Errorf("get health: %w", err)
		}
		if err := cephJSON(c, &want, "health"); err != nil {
			return err
		}
		if got["status"] != want["status"] {
			return fmt.Errorf("status %v, ceph health says %v", got["status"], want["status"])
		}
		return nil
	})
	var md map[string]any
	if err := cephJSON(c, &md, "osd", "metadata", "0"); err != nil {
		t.Fatal(err)
	}
	var osdMeta map[string]any
	if err := cephJSON(c, &osdMeta, "cephprobe", "get", "osd_metadata"); err != nil {
		t.Fatal(err)
	}
	if got, _ := osdMeta["0"].(map[string]any); got == nil || got["hostname"] != md["hostname"] || got["osd_objectstore"] != md["osd_objectstore"] {
		t.Fatalf("osd_metadata[0] %v, osd metadata 0 says hostname %v objectstore %v", got, md["hostname"], md["osd_objectstore"])
	}
	c.MustCeph(t, "cephprobe", "store", "k1", "v1")
	if out := strings.TrimSpace(string(c.MustCeph(t, "config-key", "get", "mgr/cephprobe/k1"))); out != "v1" {
		t.Fatalf("config-key get mgr/cephprobe/k1: %q", out)
	}
	c.CheckAlive(t)
}
