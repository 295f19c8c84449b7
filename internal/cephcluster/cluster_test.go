package cephcluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/cephconf"
)

// TestInteropCephCluster starts two OSDs and a pool and checks what the
// real ceph CLI says about them.
func TestInteropCephCluster(t *testing.T) {
	began := time.Now()
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
	t.Logf("2 OSDs and a pool in %v", time.Since(began).Round(time.Millisecond))

	var status struct {
		FSID   string `json:"fsid"`
		OSDMap struct {
			NumOSDs   int `json:"num_osds"`
			NumUpOSDs int `json:"num_up_osds"`
			NumInOSDs int `json:"num_in_osds"`
		} `json:"osdmap"`
		MonMap struct {
			NumMons int `json:"num_mons"`
		} `json:"monmap"`
	}
	if err := json.Unmarshal(c.MustCeph(t, "-s", "-f", "json"), &status); err != nil {
		t.Fatal(err)
	}
	if status.FSID != c.FSID || status.MonMap.NumMons != 1 ||
		status.OSDMap.NumOSDs != 2 || status.OSDMap.NumUpOSDs != 2 || status.OSDMap.NumInOSDs != 2 {
		t.Fatalf("ceph -s: %+v, want fsid %s, 1 mon, 2 OSDs up and in", status, c.FSID)
	}

	var pools []struct {
		PoolName string `json:"pool_name"`
		Size     int    `json:"size"`
		PGNum    int    `json:"pg_num"`
	}
	if err := json.Unmarshal(c.MustCeph(t, "osd", "pool", "ls", "detail", "-f", "json"), &pools); err != nil {
		t.Fatal(err)
	}
	if len(pools) != 1 || pools[0].PoolName != "p1" || pools[0].Size != 1 || pools[0].PGNum != 8 {
		t.Fatalf("pools: %+v, want p1 of size 1 with 8 PGs", pools)
	}

	// The OSDs are where an OSD would have put itself: under host=<short
	// hostname>, root=default, class hdd.
	var tree struct {
		Nodes []struct {
			ID          int    `json:"id"`
			Name        string `json:"name"`
			Type        string `json:"type"`
			DeviceClass string `json:"device_class"`
			Children    []int  `json:"children"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(c.MustCeph(t, "osd", "tree", "-f", "json"), &tree); err != nil {
		t.Fatal(err)
	}
	var hosts, osds int
	for _, n := range tree.Nodes {
		switch n.Type {
		case "host":
			hosts++
			if n.Name != c.Host || len(n.Children) != 2 {
				t.Errorf("host bucket %+v, want %s with 2 OSDs", n, c.Host)
			}
		case "osd":
			osds++
			if n.DeviceClass != "hdd" {
				t.Errorf("%s has class %q, want hdd", n.Name, n.DeviceClass)
			}
		}
	}
	if hosts != 1 || osds != 2 {
		t.Fatalf("osd tree: %d hosts, %d OSDs, want 1 and 2: %+v", hosts, osds, tree.Nodes)
	}
	// The conf reads back, through cephconf, as this cluster.
	conf, err := cephconf.Load(c.Conf)
	if err != nil {
		t.Fatal(err)
	}
	fsid, err := conf.FSID("mgr.x")
	if err != nil || fsid != c.FSID {
		t.Errorf("cephconf: fsid %q, %v, want %s", fsid, err, c.FSID)
	}
	if mons, err := conf.MonAddrs("mgr.x"); err != nil || len(mons) != 1 || mons[0] != c.MonAddr {
		t.Errorf("cephconf: mon addresses %q, %v, want %s", mons, err, c.MonAddr)
	}
	if data, _ := conf.Get("mgr.x", "mgr_data"); data != c.Dir+"/mgr/ceph-x" {
		t.Errorf("cephconf: mgr_data %q", data)
	}
	c.CheckAlive(t)
}

// TestInteropCephMgr starts a real ceph-mgr, waits until the MgrMap has it
// active, and checks that a mgr command (ceph pg stat) answers, with the
// pool's PGs.
func TestInteropCephMgr(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Pools: []string{"p1"}})

	// Without a mgr the CLI waits for one: Ceph gives up when ctx does.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.Ceph(ctx, "pg", "stat"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ceph pg stat with no mgr: %v, want a timeout", err)
	}

	began := time.Now()
	mgr := c.StartCephMgr(t, "x")
	c.WaitMgrAvailable(t, "x")
	t.Logf("ceph-mgr active in %v", time.Since(began).Round(time.Millisecond))
	if !mgr.Alive() {
		t.Fatalf("%v", mgr)
	}
	// The mgr adds its own pool (device_health_metrics, 1 PG).
	var pgStat struct {
		PGSummary struct {
			NumPGs int `json:"num_pgs"`
		} `json:"pg_summary"`
	}
	out := c.MustCeph(t, "pg", "stat", "-f", "json")
	if err := json.Unmarshal(out, &pgStat); err != nil || pgStat.PGSummary.NumPGs < 8 {
		t.Fatalf("ceph pg stat: %s (%v), want at least the pool's 8 PGs", out, err)
	}
	t.Logf("ceph pg stat: %s", c.MustCeph(t, "pg", "stat"))

	mgr.Kill()
	if mgr.Alive() {
		t.Fatal("ceph-mgr alive after Kill")
	}
	c.CheckAlive(t)
}

// TestInteropRestartOSD kills an OSD and starts it again.
func TestInteropRestartOSD(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1})
	old := c.OSD(0)
	c.KillOSD(t, 0)
	if old.Alive() || c.OSD(0) != nil {
		t.Fatalf("after KillOSD: %v, OSD(0) = %v", old, c.OSD(0))
	}
	c.CheckAlive(t) // a killed OSD is not expected alive
	p := c.StartOSD(t, 0)
	if p.Pid == old.Pid || !p.Alive() {
		t.Fatalf("restarted %v (was %v)", p, old)
	}
	c.CheckAlive(t)
}

// TestInteropNoOSDs is the mon alone, as internal/cephmon uses it.
func TestInteropNoOSDs(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{})
	out := string(c.MustCeph(t, "mon", "stat"))
	if !strings.Contains(out, c.MonAddr) {
		t.Fatalf("ceph mon stat: %q, want %s", out, c.MonAddr)
	}
	c.CheckAlive(t)
}

// TestInteropCheckAliveFails: a mon that dies fails the test, in
// CheckAlive and in Start's cleanup (seen through a testing.TB that records
// errors instead of failing).
func TestInteropCheckAliveFails(t *testing.T) {
	rec := &recorder{TB: t}
	t.Cleanup(func() { // registered first, so it runs after Start's cleanup
		if len(rec.errors) != 2 {
			t.Errorf("errors after the mon died: %q, want CheckAlive's and the cleanup's", rec.errors)
		}
	})
	c := cephcluster.Start(rec, cephcluster.Options{})
	c.Mon().Kill()
	c.CheckAlive(rec)
	if len(rec.errors) != 1 || !strings.HasPrefix(rec.errors[0], "cephcluster: mon.a (pid ") {
		t.Fatalf("CheckAlive after the mon died: %q", rec.errors)
	}
}

// recorder is a testing.TB whose Errorf records the first line of the
// message instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	first, _, _ := strings.Cut(fmt.Sprintf(format, args...), "\n")
	r.errors = append(r.errors, first)
}

// TestInteropNewClose is the API outside a test: New, then Close stops
// every process and removes the directory.
func TestInteropNewClose(t *testing.T) {
	c, err := cephcluster.New(context.Background(), cephcluster.Options{OSDs: 1})
	if err != nil {
		t.Fatal(err)
	}
	procs := []*cephcluster.Proc{c.Mon(), c.OSD(0)}
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("%v alive after Close", p)
		}
	}
	if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after Close: %v", c.Dir, err)
	}
	if _, err := c.StartDaemon("late", "sleep", "10"); !errors.Is(err, cephcluster.ErrClosed) {
		t.Errorf("StartDaemon after Close: %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestNotInstalled: a missing program is ErrNotInstalled, with what to
// install.
func TestNotInstalled(t *testing.T) {
	err := cephcluster.Installed("ceph-no-such-daemon")
	if !errors.Is(err, cephcluster.ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install") {
		t.Fatalf("Installed: %v", err)
	}
}
