package modules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/registry"
)

var examplesDir = filepath.Join("..", "examples", "modules")

// cephJSON loads a testdata/ceph file decoded with UseNumber, as a Value
// shipped across a process would be.
func cephJSON(t testing.TB, name string) any {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ceph", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func startExample(t *testing.T, name string, preset map[string]string) (registry.Module, *fakeHost) {
	t.Helper()
	s := NewSource(Config{Dirs: []string{examplesDir}})
	m, err := s.Open(ctxT(t, 10*time.Second), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := m.Stop(ctxT(t, 5*time.Second)); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	h := newFakeHost(name, m.Info().Options)
	for k, v := range preset {
		h.store["mgr/"+name+"/"+k] = v
	}
	return m, h
}

func TestExamplesScan(t *testing.T) {
	names, err := NewSource(Config{Dirs: []string{examplesDir}}).Scan()
	if err != nil {
		t.Fatal(err)
	}
	// The examples tested here, among any a user adds (the README's tour
	// adds examples/modules/mine).
	for _, want := range []string{"alerts", "hello", "iostat", "status"} {
		if !slices.Contains(names, want) {
			t.Fatalf("Scan = %v, without %s", names, want)
		}
	}
}

func TestExampleHello(t *testing.T) {
	m, h := startExample(t, "hello", nil)
	if got := m.Info().NotifyTypes; !slices.Equal(got, []string{"osd_map"}) {
		t.Fatalf("NOTIFY_TYPES = %v", got)
	}
	h.set("osd_map", 26, cephJSON(t, "osd_dump.json"))
	if err := m.Start(ctxT(t, 5*time.Second), h); err != nil {
		t.Fatal(err)
	}
	if err := m.Notify(ctxT(t, 5*time.Second), []registry.Event{{Kind: "osd_map"}, {Kind: "mon_map"}}); err != nil {
		t.Fatal(err)
	}
	if got := h.logLines(); !slices.Equal(got, []string{"info: osd_map epoch 26"}) {
		t.Fatalf("logs = %v", got)
	}
}

func TestExampleStatus(t *testing.T) {
	m, h := startExample(t, "status", nil)
	h.set("osd_map", 1, cephJSON(t, "osd_dump.json"))
	h.set("mon_map", 1, cephJSON(t, "mon_dump.json"))
	// Ceph's get('mon_status') and get('health') shape: {"json": text}.
	h.set("mon_status", 1, map[string]any{"json": `{"quorum": [0]}`})
	health, err := os.ReadFile(filepath.Join("testdata", "ceph", "health_detail.json"))
	if err != nil {
		t.Fatal(err)
	}
	h.set("health", 1, map[string]any{"json": string(health)})
	mgr := cephJSON(t, "mgr_dump.json").(map[string]any)
	mgr["standbys"] = []any{map[string]any{"name": "y", "gid": json.Number("4242")}}
	h.set("mgr_map", 1, mgr)
	// Ceph's get('pg_summary') shape.
	h.set("pg_summary", 1, map[string]any{"all": map[string]any{"active+clean": int64(2), "unknown": int64(3)}, "by_osd": map[string]any{}, "by_pool": map[string]any{}})
	if err := m.Start(ctxT(t, 5*time.Second), h); err != nil {
		t.Fatal(err)
	}
	got := command(t, m, map[string]any{"prefix": "status"})
	want := `  cluster:
    id:     c61c2ab8-9d99-45ce-af51-a34b9f0a08d7
    health: HEALTH_WARN
            mon is allowing insecure global_id reclaim
            mon a is low on available space
            2 pool(s) have no replicas configured

  services:
    mon: 1 daemons, quorum a
    mgr: x(active), standbys: y
    osd: 2 osds: 2 up, 2 in

  data:
    pools:   2 pools, 5 pgs
    pgs:     2 active+clean
             3 unknown
`
	if got.Retval != 0 || got.Stdout != want {
		t.Fatalf("status (retval %d, stderr %q):\n%s\nwant:\n%s", got.Retval, got.Stderr, got.Stdout, want)
	}
	// The `ceph pg stat` shape and JSON output.
	h.set("pg_summary", 2, cephJSON(t, "pg_stat.json"))
	js := command(t, m, map[string]any{"prefix": "status", "format": "json"})
	var s map[string]any
	if err := json.Unmarshal([]byte(js.Stdout), &s); err != nil {
		t.Fatalf("json output %q: %v", js.Stdout, err)
	}
	if s["pgs"] != 5.0 || s["osds_up"] != 2.0 || !reflect.DeepEqual(s["quorum"], []any{"a"}) {
		t.Fatalf("json status = %v", s)
	}
}

// osdMap returns a copy of osd_dump.json with the given OSDs down.
func osdMap(t *testing.T, epoch int64, down ...int) map[string]any {
	m := cephJSON(t, "osd_dump.json").(map[string]any)
	m["epoch"] = epoch
	var osds []any
	for i := 0; i < 5; i++ {
		up := int64(1)
		if slices.Contains(down, i) {
			up = 0
		}
		osds = append(osds, map[string]any{"osd": int64(i), "up": up, "in": int64(1)})
	}
	m["osds"] = osds
	return m
}

func TestExampleAlerts(t *testing.T) {
	m, h := startExample(t, "alerts", map[string]string{"osd_down_threshold": "1"})
	opts := m.Info().Options
	if len(opts) != 2 || opts[0].Min != int64(0) || opts[0].Max != int64(10000) || !slices.Equal(opts[1].Enum, []string{"warning", "error"}) {
		t.Fatalf("options = %+v", opts)
	}
	h.set("osd_map", 1, osdMap(t, 1))
	if err := m.Start(ctxT(t, 5*time.Second), h); err != nil {
		t.Fatal(err)
	}
	notify := func(epoch int64, down ...int) {
		t.Helper()
		h.set("osd_map", uint64(epoch), osdMap(t, epoch, down...))
		if err := m.Notify(ctxT(t, 5*time.Second), []registry.Event{{Kind: "osd_map"}}); err != nil {
			t.Fatal(err)
		}
	}
	notify(2, 3) // one down: at the threshold, no alert
	if hc := h.healthChecks(); len(hc) != 0 {
		t.Fatalf("alert at threshold: %v", hc)
	}
	notify(3, 1, 3) // two down: raised
	want := map[string]registry.HealthCheck{"ALERTS_OSD_DOWN": {
		Severity: "error", Summary: "2 osds down, more than the 1 allowed", Count: 2,
		Detail: []string{"osd.1 is down", "osd.3 is down"},
	}}
	if hc := h.healthChecks(); !reflect.DeepEqual(hc, want) {
		t.Fatalf("health = %+v", hc)
	}
	if got := command(t, m, map[string]any{"prefix": "alerts status"}).Stdout; got != `{"alert": true, "down": [1, 3], "epoch": 3, "threshold": 1}` {
		t.Fatalf("alerts status = %s", got)
	}
	notify(4) // all up: cleared
	if hc := h.healthChecks(); hc == nil || len(hc) != 0 {
		t.Fatalf("not cleared: %v", hc)
	}
	notify(5, 0, 1, 2)
	// The operator raises the threshold; the registry's config_notify
	// event makes the module re-check at once and clear the alert.
	if err := h.SetModuleOption(ctxT(t, time.Second), "osd_down_threshold", ptr("5")); err != nil {
		t.Fatal(err)
	}
	if hc := h.healthChecks(); len(hc) != 1 {
		t.Fatalf("not raised: %v", hc)
	}
	if err := m.Notify(ctxT(t, 5*time.Second), []registry.Event{{Kind: ConfigNotifyKind}}); err != nil {
		t.Fatal(err)
	}
	if hc := h.healthChecks(); len(hc) != 0 {
		t.Fatalf("not cleared after threshold change: %v", hc)
	}
	logs := h.logLines()
	if !slices.Contains(logs, "warning: ALERTS_OSD_DOWN raised: 2 osds down") || !slices.Contains(logs, "info: ALERTS_OSD_DOWN cleared") {
		t.Fatalf("logs = %v", logs)
	}
}

func ptr(s string) *string { return &s }

func poolStats(rd, wr int64) map[string]any {
	pool := func(id int64, name string, k int64) any {
		return map[string]any{"poolid": id, "name": name, "num_pg": int64(8), "stat_sum": map[string]any{
			"num_read": rd * k, "num_write": wr * k, "num_read_kb": 4 * rd * k, "num_write_kb": 4 * wr * k, "num_bytes": int64(0),
		}}
	}
	return map[string]any{"pool_stats": []any{pool(1, "rbd", 1), pool(2, "cephfs_data", 2)}}
}

func TestExampleIostat(t *testing.T) {
	m, h := startExample(t, "iostat", map[string]string{"interval": "0.02"})
	h.set("pool_stats", 1, poolStats(0, 0))
	if err := m.Start(ctxT(t, 5*time.Second), h); err != nil {
		t.Fatal(err)
	}
	// serve() samples on its own; commands run while it waits.
	out := command(t, m, map[string]any{"prefix": "iostat"}).Stdout
	if !strings.HasPrefix(out, "no rates yet") && !strings.HasPrefix(out, "pool") {
		t.Fatalf("iostat = %q", out)
	}
	h.set("pool_stats", 2, poolStats(1000, 500))
	var rows []string
	testutil.Eventually(t, 5*time.Second, "non-zero rates", func() bool {
		out = command(t, m, map[string]any{"prefix": "iostat"}).Stdout
		rows = strings.Split(strings.TrimSpace(out), "\n")
		return len(rows) == 3 && !strings.Contains(rows[2], " 0.0 ")
	})
	if f := strings.Fields(rows[0]); !slices.Equal(f, []string{"pool", "rd_ops/s", "wr_ops/s", "rd_kb/s", "wr_kb/s"}) {
		t.Fatalf("header %q", rows[0])
	}
	// cephfs_data sorts first and moved twice as much as rbd.
	if f := strings.Fields(rows[1]); f[0] != "cephfs_data" || len(f) != 5 {
		t.Fatalf("row %q", rows[1])
	}
	if f := strings.Fields(rows[2]); f[0] != "rbd" || len(f) != 5 {
		t.Fatalf("row %q", rows[2])
	}
	if err := m.Failed(); err != nil {
		t.Fatal(err)
	}
}
