package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// cephTreeWith is Ceph's module tree, linked entry by entry, with the
// modules of e2e/testdata/cephtree beside them: a mgr_module_path that
// ceph-mgr and gomgr both load.
func cephTreeWith(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(cephModuleTree)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(cephModuleTree, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	own, err := filepath.Abs(filepath.Join("testdata", "cephtree"))
	if err != nil {
		t.Fatal(err)
	}
	ents, err = os.ReadDir(own)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(own, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cephTreeOf is a module tree with Ceph's mgr_module.py and mgr_util.py
// and only the named modules of e2e/testdata/cephtree: a Ceph tree (its
// modules run on CPython) without Ceph's own modules.
func cephTreeOf(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"mgr_module.py", "mgr_util.py"} {
		if err := os.Symlink(filepath.Join(cephModuleTree, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		own, err := filepath.Abs(filepath.Join("testdata", "cephtree", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(own, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type progressEvent struct {
	Message    string  `json:"message"`
	Progress   float64 `json:"progress"`
	AddToCephS bool    `json:"add_to_ceph_s"`
}

// progressEvents is the progress section of `ceph status`, from the mon.
func progressEvents(c *cephcluster.Cluster) (map[string]progressEvent, error) {
	var st struct {
		Progress map[string]progressEvent `json:"progress_events"`
	}
	err := cephJSON(c, &st, "status")
	return st.Progress, err
}

// progressRoundTrip sets an event through the progress module and waits
// for it in `ceph status`, then completes it and waits for it to go.
func progressRoundTrip(t *testing.T, c *cephcluster.Cluster, who string) progressEvent {
	t.Helper()
	id := "ev-" + who
	testutil.Poll(t, 30*time.Second, "progressprobe set under "+who, func() error {
		_, err := c.Ceph(context.Background(), "progressprobe", "set", id, "probe event under "+who, "0.25")
		return err
	})
	var got progressEvent
	testutil.Poll(t, 30*time.Second, "the event in ceph status under "+who, func() error {
		evs, err := progressEvents(c)
		if err != nil {
			return err
		}
		ev, ok := evs[id]
		// The progress module may report the new event at 0 first.
		if !ok || math.Abs(ev.Progress-0.25) > 0.001 {
			return fmt.Errorf("progress events %v", evs)
		}
		got = ev
		return nil
	})
	c.MustCeph(t, "progressprobe", "complete", id)
	testutil.Poll(t, 30*time.Second, "the event gone from ceph status under "+who, func() error {
		evs, err := progressEvents(c)
		if err != nil {
			return err
		}
		if _, ok := evs[id]; ok {
			return fmt.Errorf("still there: %v", evs)
		}
		return nil
	})
	return got
}

// tellOSD has callprobe send `version` to osd.0 with send_command.
func tellOSD(t *testing.T, c *cephcluster.Cluster, who string) string {
	t.Helper()
	var out []byte
	testutil.Poll(t, 30*time.Second, "callprobe tell 0 version under "+who, func() (err error) {
		out, err = c.Ceph(context.Background(), "callprobe", "tell", "0", "version")
		return err
	})
	return string(out)
}

// osdPerfCounters is get_osd_perf_counters' answer, in Ceph's shape.
type osdPerfCounters struct {
	Counters []struct {
		K [][]string `json:"k"`
		C [][]uint64 `json:"c"`
	} `json:"counters"`
}

// perfResult is what perfRoundTrip saw: the query's id, the counters of
// pool p1's key summed over the reads (per counter: [value, count]), and
// get_osd_perf_counters' answer once the query was removed.
type perfResult struct {
	ID        string
	P1        [][]uint64
	AfterGone string
}

// perfWrites is how many objects of perfObjectSize bytes perfRoundTrip
// writes to p1.
const (
	perfWrites     = 12
	perfObjectSize = 4096
)

// perfRoundTrip has callprobe add an OSD perf query (per pool: write ops,
// read ops, bytes written), waits until the OSD counts for it (writes to
// p2 show up), writes perfWrites objects to p1 with `rados put`, and sums
// the counters the module reads for p1's key until the writes are all
// there; then it removes the query.
func perfRoundTrip(t *testing.T, c *cephcluster.Cluster, who string) perfResult {
	t.Helper()
	var res perfResult
	p1 := poolID(t, c, "p1")
	obj := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(obj, []byte(strings.Repeat("x", perfObjectSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	put := func(pool, name string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "rados", "-c", c.Conf, "-p", pool, "put", name, obj).CombinedOutput(); err != nil {
			return fmt.Errorf("rados put %s/%s: %w: %s", pool, name, err, out)
		}
		return nil
	}
	read := func(id string) (osdPerfCounters, error) {
		var pc osdPerfCounters
		out, err := c.Ceph(context.Background(), "callprobe", "perf", "get", id)
		if err == nil {
			err = json.Unmarshal(out, &pc)
		}
		return pc, err
	}
	testutil.Poll(t, 30*time.Second, "callprobe perf add under "+who, func() error {
		out, err := c.Ceph(context.Background(), "callprobe", "perf", "add")
		res.ID = strings.TrimSpace(string(out))
		if _, perr := strconv.Atoi(res.ID); err == nil && perr != nil {
			err = fmt.Errorf("query id %q", out)
		}
		return err
	})
	// The query reaches the OSD in an MMgrConfigure the mgr sends on its
	// own time: writes to p2 until the OSD reports them tell it has it.
	n := 0
	testutil.Poll(t, 60*time.Second, "the OSD counting for the query under "+who, func() error {
		n++
		if err := put("p2", fmt.Sprintf("warm-%s-%d", who, n)); err != nil {
			return err
		}
		pc, err := read(res.ID)
		if err == nil && len(pc.Counters) == 0 {
			err = fmt.Errorf("no counters yet")
		}
		return err
	})
	for i := range perfWrites {
		if err := put("p1", fmt.Sprintf("perf-%s-%d", who, i)); err != nil {
			t.Fatal(err)
		}
	}
	res.P1 = make([][]uint64, 3)
	for i := range res.P1 {
		res.P1[i] = make([]uint64, 2)
	}
	testutil.Poll(t, 60*time.Second, "p1's writes in the perf counters under "+who, func() error {
		pc, err := read(res.ID)
		if err != nil {
			return err
		}
		for _, k := range pc.Counters {
			if !reflect.DeepEqual(k.K, [][]string{{p1}}) {
				continue
			}
			if len(k.C) != 3 {
				return fmt.Errorf("key %v: counters %v, want 3 pairs", k.K, k.C)
			}
			for i, v := range k.C {
				if len(v) != 2 {
					return fmt.Errorf("key %v: counter %v, want a pair", k.K, v)
				}
				res.P1[i][0] += v[0]
				res.P1[i][1] += v[1]
			}
		}
		if res.P1[0][0] < perfWrites {
			return fmt.Errorf("p1 (pool %s) so far %v", p1, res.P1)
		}
		return nil
	})
	c.MustCeph(t, "callprobe", "perf", "remove", res.ID)
	res.AfterGone = strings.TrimSpace(string(c.MustCeph(t, "callprobe", "perf", "get", res.ID)))
	return res
}

// rbdPerf is `rbd perf image counters rbd` (rbd_support), as JSON.
type rbdPerf struct {
	CounterDescriptors []string               `json:"counter_descriptors"`
	PoolDescriptors    map[string]string      `json:"pool_descriptors"`
	Counters           []map[string][]float64 `json:"counters"`
}

// rbdPerfRoundTrip writes to image rbd/img with `rbd bench` until
// rbd_support's `rbd perf image counters` (OSD perf queries it adds on
// the first call) shows the writes, and returns what it last said.
func rbdPerfRoundTrip(t *testing.T, c *cephcluster.Cluster, who string) rbdPerf {
	t.Helper()
	var got rbdPerf
	testutil.Poll(t, 90*time.Second, "rbd perf image counters with rbd bench's writes under "+who, func() error {
		out, err := c.Ceph(context.Background(), "rbd", "perf", "image", "counters", "rbd", "--format", "json")
		if err != nil {
			return err
		}
		got = rbdPerf{}
		if err := json.Unmarshal(out, &got); err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		if len(got.Counters) == 1 && len(got.Counters[0]["0/img"]) == len(got.CounterDescriptors) &&
			got.Counters[0]["0/img"][0] >= perfWrites {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if b, err := exec.CommandContext(ctx, "rbd", "-c", c.Conf, "bench", "--io-type", "write", "--io-size", "4096",
			"--io-total", strconv.Itoa(perfWrites*4096), "rbd/img").CombinedOutput(); err != nil {
			return fmt.Errorf("rbd bench: %w: %s", err, b)
		}
		return fmt.Errorf("not yet: %s", out)
	})
	// Each write was 4 KiB: the bytes go with the ops.
	if img := got.Counters[0]["0/img"]; img[2] != 4096*img[0] {
		t.Errorf("under %s: %v: write_bytes is not 4096 × write_ops", who, got)
	}
	return got
}

// rbdTaskRemove has rbd_support remove image rbd/NAME in the background
// (`ceph rbd task add remove`), waits until the image and the task are
// gone, and returns the task as the module described it, without the ids.
func rbdTaskRemove(t *testing.T, c *cephcluster.Cluster, who, name string) string {
	t.Helper()
	rbd := func(args ...string) string {
		out, err := exec.Command("rbd", append([]string{"-c", c.Conf}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("rbd %v under %s: %v: %s", args, who, err, out)
		}
		return string(out)
	}
	rbd("create", "--size", "4M", "rbd/"+name)
	var task map[string]any
	testutil.Poll(t, 30*time.Second, "rbd task add remove under "+who, func() error {
		return cephJSON(c, &task, "rbd", "task", "add", "remove", "rbd/"+name)
	})
	delete(task, "id")
	if refs, ok := task["refs"].(map[string]any); ok {
		delete(refs, "image_id") // a new image's
	}
	testutil.Poll(t, 60*time.Second, "rbd_support removing rbd/"+name+" under "+who, func() error {
		if ls := rbd("ls", "rbd"); strings.Contains(ls, name+"\n") {
			return fmt.Errorf("still there: %q", ls)
		}
		var tasks []any
		if err := cephJSON(c, &tasks, "rbd", "task", "list"); err != nil {
			return err
		}
		if len(tasks) != 0 {
			return fmt.Errorf("tasks left: %v", tasks)
		}
		return nil
	})
	b, err := json.Marshal(task)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), name, "IMAGE")
}

// poolID is the id of the named pool, as the OSDs key it.
func poolID(t *testing.T, c *cephcluster.Cluster, name string) string {
	t.Helper()
	var d struct {
		Pools []struct {
			ID   int    `json:"pool"`
			Name string `json:"pool_name"`
		} `json:"pools"`
	}
	if err := cephJSON(c, &d, "osd", "dump"); err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Pools {
		if p.Name == name {
			return strconv.Itoa(p.ID)
		}
	}
	t.Fatalf("no pool %s in %+v", name, d.Pools)
	return ""
}

// TestCephModuleCalls: under the real ceph-mgr and then under gomgr, a
// module drives Ceph's progress module with self.remote(), and the event
// shows in the mon's `ceph status` the same way, then goes; a module
// sends a command to an OSD with send_command and gets the same answer;
// get("modified_config_options") lists the same options the daemons set;
// an OSD perf query gets the same id, its counters count the same client
// writes in the same shape, and it is gone once removed; rbd_support's
// `rbd perf image counters` shows an image's `rbd bench` writes, and its
// `rbd task add remove` removes an image.
func TestCephModuleCalls(t *testing.T) {
	tree := cephTreeWith(t)
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Pools: []string{"p1", "p2", "rbd"}, Global: map[string]string{"mgr_module_path": tree}})
	for _, args := range [][]string{{"pool", "init", "rbd"}, {"create", "--size", "16M", "rbd/img"}} {
		if out, err := exec.Command("rbd", append([]string{"-c", c.Conf}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("rbd %v: %v: %s", args, err, out)
		}
	}
	real := c.StartCephMgr(t, "y")
	waitActive(t, c, "y", 60*time.Second)
	c.MustCeph(t, "mgr", "module", "enable", "progressprobe")
	c.MustCeph(t, "mgr", "module", "enable", "callprobe")
	want := progressRoundTrip(t, c, "ceph-mgr")
	wantTell := tellOSD(t, c, "ceph-mgr")
	wantPerf := perfRoundTrip(t, c, "ceph-mgr")
	t.Logf("osd perf query under ceph-mgr: %+v", wantPerf)
	wantRBD := rbdPerfRoundTrip(t, c, "ceph-mgr")
	wantTask := rbdTaskRemove(t, c, "ceph-mgr", "gone-real")
	t.Logf("rbd task under ceph-mgr: %s", wantTask)
	t.Logf("rbd perf image counters under ceph-mgr: %+v", wantRBD)
	if w := wantPerf.P1; w[0][0] != perfWrites || w[2][0] != perfWrites*perfObjectSize {
		t.Errorf("under ceph-mgr, p1's perf counters %v, want %d writes of %d bytes", w, perfWrites, perfObjectSize)
	}
	var wantConfig []byte
	testutil.Poll(t, 30*time.Second, "modified_config_options under ceph-mgr", func() (err error) {
		wantConfig, err = c.Ceph(context.Background(), "callprobe", "get", "modified_config_options")
		if err == nil && !strings.Contains(string(wantConfig), "osd_objectstore") {
			err = fmt.Errorf("not yet the OSD's options: %s", wantConfig)
		}
		return err
	})
	// gomgr's CLI drives the real ceph-mgr: a module command in an
	// MMgrCommand, the session opened as Ceph's clients open it.
	if out, errs, code := cli(t, nil, "-c", c.Conf, "callprobe", "get", "modified_config_options"); code != 0 || out != string(wantConfig) {
		t.Errorf("gomgr's CLI to ceph-mgr: %d %q %s, ceph's %q", code, out, errs, wantConfig)
	}
	real.Kill()
	c.MustCeph(t, "mgr", "fail", "y")

	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", tree)
	waitActive(t, c, "x", 60*time.Second)
	if got := tellOSD(t, c, "gomgr"); got != wantTell || !strings.Contains(got, `"version"`) {
		t.Errorf("osd.0 version through send_command: gomgr %q, ceph-mgr %q", got, wantTell)
	}
	testutil.Poll(t, 30*time.Second, "modified_config_options under gomgr as under ceph-mgr", func() error {
		got, err := c.Ceph(context.Background(), "callprobe", "get", "modified_config_options")
		if err == nil && string(got) != string(wantConfig) {
			err = fmt.Errorf("gomgr %s, ceph-mgr %s", got, wantConfig)
		}
		return err
	})
	// The OSD now collects rbd_support's queries only (ceph-mgr's last
	// MMgrConfigure): what callprobe counts, it counts for the query
	// gomgr sent it.
	if got := perfRoundTrip(t, c, "gomgr"); !reflect.DeepEqual(got, wantPerf) {
		t.Errorf("osd perf query under gomgr %+v, under ceph-mgr %+v", got, wantPerf)
	}
	// The counts depend on how many benches it took: the rest is the same.
	gotRBD := rbdPerfRoundTrip(t, c, "gomgr")
	t.Logf("rbd perf image counters under gomgr: %+v", gotRBD)
	if !reflect.DeepEqual(gotRBD.CounterDescriptors, wantRBD.CounterDescriptors) ||
		!reflect.DeepEqual(gotRBD.PoolDescriptors, wantRBD.PoolDescriptors) || gotRBD.Counters[0]["0/img"][2] < perfWrites*4096 {
		t.Errorf("rbd perf image counters under gomgr %+v, under ceph-mgr %+v", gotRBD, wantRBD)
	}
	if got := rbdTaskRemove(t, c, "gomgr", "gone-gomgr"); got != wantTask {
		t.Errorf("rbd task under gomgr %s, under ceph-mgr %s", got, wantTask)
	}
	got := progressRoundTrip(t, c, "gomgr")
	// The progress module writes the message with the event's age and a
	// bar: compare it with the age and the mgr's name masked.
	age := regexp.MustCompile(`\([0-9]+s\)`)
	want.Message = age.ReplaceAllString(strings.Replace(want.Message, "ceph-mgr", "gomgr", 1), "(Ns)")
	got.Message = age.ReplaceAllString(got.Message, "(Ns)")
	if got != want || !strings.HasPrefix(got.Message, "probe event under gomgr (Ns)") {
		t.Errorf("event under gomgr %+v, under ceph-mgr %+v", got, want)
	}
	c.CheckAlive(t)
}
