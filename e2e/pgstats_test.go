package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// pgCommands are the PG commands whose -f json output is compared under
// gomgr and the real ceph-mgr on the same cluster.
var pgCommands = [][]string{
	{"pg", "stat"}, {"pg", "dump"}, {"pg", "dump", "summary"}, {"pg", "dump", "pools"}, {"pg", "dump", "osds"},
	{"pg", "dump", "pgs_brief"}, {"pg", "ls"}, {"pg", "ls", "active"}, {"osd", "df"}, {"osd", "df", "tree"},
	{"osd", "pool", "stats"}, {"osd", "pool", "stats", "p1"}, {"osd", "perf"}, {"osd", "utilization"},
	{"pg", "dump_stuck"}, {"df"}, {"df", "detail"},
}

// plainCommands are compared byte for byte in Ceph's plain layout: their
// text holds nothing that changes by itself on an idle cluster.
var plainCommands = [][]string{{"pg", "dump", "pgs_brief"}, {"osd", "pool", "stats"}, {"pg", "dump_stuck"}}

// volatile are the keys whose values change by themselves between two
// reports (stamps, ages, sequence numbers, rates, latencies).
var volatile = regexp.MustCompile(`stamp|^last_|reported_|_rate$|^rate|io_rate|_sec$|^age$|latency|^since$|^up_from$|perf_stat|omap|kb_used_meta|^stat_bytes_used$|^kb_used$|^kb_avail$|^utilization$|^var$|bytes_used$|^total_used|^total_avail|raw_ratio|^percent_used$|^max_avail$|^avail_raw$|used_raw|^statfs$|^objects_trimmed$|^snaptrim_duration$|^log_size$|^ondisk_log_size$|^version$|_seq$|^average_utilization$|^dev$|^max_var$|^min_var$|^total_kb_used$|^total_kb_avail$|^network_ping_times$|^seq$`)

// normalize drops the volatile keys of a JSON tree and sorts arrays of
// objects by their JSON (Ceph prints PGs and OSDs in hash order).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if volatile.MatchString(k) {
				continue
			}
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		keys := make([]string, len(x))
		for i, e := range x {
			out[i] = normalize(e)
			b, _ := json.Marshal(out[i])
			keys[i] = string(b)
		}
		idx := make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
		sortIdx(idx, keys)
		sorted := make([]any, len(x))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		return sorted
	}
	return v
}

func sortIdx(idx []int, keys []string) {
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && keys[idx[j]] < keys[idx[j-1]]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

// pgOutputs runs each command with -f json and returns the normalized trees.
func pgOutputs(t *testing.T, c *cephcluster.Cluster) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, cmd := range pgCommands {
		var v any
		if err := cephJSON(c, &v, cmd...); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		b, _ := json.MarshalIndent(normalize(v), "", " ")
		out[strings.Join(cmd, " ")] = string(b)
	}
	for _, cmd := range plainCommands {
		b, err := c.Ceph(context.Background(), cmd...)
		if err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		out["plain "+strings.Join(cmd, " ")] = string(b)
	}
	return out
}

// waitAllClean waits until ceph pg stat shows n PGs, all active+clean.
func waitAllClean(t *testing.T, c *cephcluster.Cluster, n int, who string) {
	t.Helper()
	testutil.Poll(t, 60*time.Second, fmt.Sprintf("%d pgs active+clean under %s", n, who), func() error {
		var ps pgStat
		if err := cephJSON(c, &ps, "pg", "stat"); err != nil {
			return err
		}
		if !ps.allActiveClean(n) {
			return fmt.Errorf("%+v", ps.Summary)
		}
		return nil
	})
}

// TestCephClusterPGCommandsAsCephMgr runs the real ceph-mgr, then gomgr, on
// one real cluster with objects written, and compares the PG commands'
// JSON under each after dropping what changes by itself, and some plain
// layouts byte for byte.
func TestCephClusterPGCommandsAsCephMgr(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1", "p2"}})
	obj := filepath.Join(t.TempDir(), "obj")
	if err := os.WriteFile(obj, []byte(strings.Repeat("x", 100000)), 0o644); err != nil {
		t.Fatal(err)
	}
	put := func(i int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "rados", "-c", c.Conf, "-p", "p1", "put", fmt.Sprintf("o%d", i), obj).CombinedOutput(); err != nil {
			t.Fatalf("rados put: %v %s", err, out)
		}
	}
	for i := range 5 {
		put(i)
	}
	real := c.StartCephMgr(t, "y")
	waitActive(t, c, "y", 60*time.Second)
	// ceph-mgr makes its device_health_metrics pool: count PGs after it.
	var pools []struct {
		PGNum int `json:"pg_num"`
	}
	testutil.Poll(t, 30*time.Second, "3 pools", func() error {
		if err := cephJSON(c, &pools, "osd", "pool", "ls", "detail"); err != nil {
			return err
		}
		if len(pools) != 3 {
			return fmt.Errorf("%d pools", len(pools))
		}
		return nil
	})
	n := 0
	for _, p := range pools {
		n += p.PGNum
	}
	waitAllClean(t, c, n, "ceph-mgr")
	want := pgOutputs(t, c)
	real.Kill()
	c.MustCeph(t, "mgr", "fail", "y")

	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules")
	waitActive(t, c, "x", 60*time.Second)
	waitAllClean(t, c, n, "gomgr")
	got := pgOutputs(t, c)
	// ceph -s is the mon's, from the digest gomgr sends it: an object
	// written now shows there only through gomgr.
	put(5)
	testutil.Poll(t, 30*time.Second, "ceph -s showing gomgr's PG map", func() error {
		var st struct {
			PGMap struct {
				ByState []struct {
					Name  string `json:"state_name"`
					Count int    `json:"count"`
				} `json:"pgs_by_state"`
				NumPGs     int `json:"num_pgs"`
				NumObjects int `json:"num_objects"`
				BytesTotal int `json:"bytes_total"`
			} `json:"pgmap"`
		}
		if err := cephJSON(c, &st, "status"); err != nil {
			return err
		}
		pm := st.PGMap
		if pm.NumPGs != n || len(pm.ByState) != 1 || pm.ByState[0].Name != "active+clean" || pm.ByState[0].Count != n ||
			pm.NumObjects != 6 || pm.BytesTotal != 2*256<<20 {
			return fmt.Errorf("pgmap %+v", pm)
		}
		return nil
	})
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s differs (JSON: volatile fields dropped)\ngomgr:\n%s\nceph-mgr:\n%s", k, got[k], want[k])
		}
	}
	c.CheckAlive(t)
}
