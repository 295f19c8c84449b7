package pgmap

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gomgr/messages"
	"gomgr/msgr"
)

// Golden data from a real pacific 16.2.15 cluster (three memstore OSDs,
// pools p1 (size 1, 8 PGs, ~285 MiB of rados bench objects), p2 (size 2,
// 4 PGs, undersized and degraded: one host) and device_health_metrics),
// with a real ceph-mgr:
//
//   - pacific3-mpgstats.jsonl.gz: every MPGStats the three OSDs sent that
//     mgr (msgr v1 frames from a pcap, split by shared/ceph-wire/parse_v1.py),
//     interleaved round-robin by OSD; after the last ones the OSDs were
//     told mgr_stats_period 3600, so nothing changed the PG stats after.
//   - pacific3-outputs.json.gz: the reply data of every command (`ceph CMD
//     [-f json|json-pretty] -o FILE`: the exact bytes, without the
//     newline the CLI prints before JSON), keyed NAME.FORMAT, with
//     NAME.FORMAT.err (status) and .rc; osd_dump.json, osd_tree.json,
//     health_detail.json, module_get.json (each get() name through a
//     module's json.dumps) and captured_at (unix time of the capture).
//
// pacific3-restart-*: the same cluster later, after rados bench filled
// osd.1, osd.2 was killed and marked down, and ceph-mgr was restarted:
// the new mgr's PGMap from its start (every PG unknown) through osd.0's
// and osd.1's reports; the four PGs only osd.2 holds stay unknown.
const (
	goldenMPGStats  = "testdata/pacific3-mpgstats.jsonl.gz"
	goldenOutputs   = "testdata/pacific3-outputs.json.gz"
	restartMPGStats = "testdata/pacific3-restart-mpgstats.jsonl.gz"
	restartOutputs  = "testdata/pacific3-restart-outputs.json.gz"
	sessionCapture  = "../../shared/ceph-wire/pacific-v1-session.jsonl.gz"
)

// goldenSet is one capture of a real cluster and how its mgr got there.
type goldenSet struct {
	name     string
	mpgstats string
	outputs  string
	// restart: the mgr started with the final osdmap (no pool created
	// while it ran).
	restart bool
	// extra commands captured for this set only.
	extra []goldenCommand
}

type goldenCommand struct {
	name string
	args map[string]any
}

var goldenSets = []goldenSet{
	{"pacific3", goldenMPGStats, goldenOutputs, false, nil},
	{"pacific3-restart", restartMPGStats, restartOutputs, true, []goldenCommand{
		{"osd_df_class", map[string]any{"prefix": "osd df", "output_method": "plain", "filter": "hdd"}},
		{"osd_df_tree_class", map[string]any{"prefix": "osd df", "output_method": "tree", "filter": "hdd"}},
		{"osd_df_pool", map[string]any{"prefix": "osd df", "output_method": "plain", "filter": "p2"}},
		{"osd_df_tree_pool", map[string]any{"prefix": "osd df", "output_method": "tree", "filter": "p2"}},
		{"osd_df_node", map[string]any{"prefix": "osd df", "output_method": "tree", "filter": "vm"}},
		{"osd_df_osd", map[string]any{"prefix": "osd df", "output_method": "tree", "filter": "osd.1"}},
		{"osd_df_bogus", map[string]any{"prefix": "osd df", "output_method": "plain", "filter": "nosuch"}},
		{"pg_ls_poolarg", map[string]any{"prefix": "pg ls", "pool": int64(2)}},
		{"pg_ls_by_osd_pool", map[string]any{"prefix": "pg ls-by-osd", "osd": int64(0), "pool": int64(2)}},
		{"pg_stuck_inactive", map[string]any{"prefix": "pg dump_stuck", "stuckops": []any{"inactive"}}},
		{"pg_stuck_stale", map[string]any{"prefix": "pg dump_stuck", "stuckops": []any{"stale"}}},
		{"pg_stuck_multi", map[string]any{"prefix": "pg dump_stuck", "stuckops": []any{"inactive", "undersized"}, "threshold": int64(1)}},
		{"pg_ls_unknown", map[string]any{"prefix": "pg ls", "states": []any{"unknown"}}},
		{"pool_stats_bogus", map[string]any{"prefix": "osd pool stats", "pool_name": "nosuch"}},
		{"ls_by_pool_bogus", map[string]any{"prefix": "pg ls-by-pool", "poolstr": "nosuch"}},
		{"pg_debug", map[string]any{"prefix": "pg debug", "debugop": "degraded_pgs_exist"}},
		{"pg_dump_pools_json", map[string]any{"prefix": "pg dump_pools_json"}},
	}},
}

type wireEvent struct {
	Kind          string `json:"kind"`
	Type          uint16 `json:"type"`
	Version       uint16 `json:"version"`
	CompatVersion uint16 `json:"compat_version"`
	Priority      uint16 `json:"priority"`
	Tid           uint64 `json:"tid"`
	FrontLen      int    `json:"front_len"`
	DataLen       int    `json:"data_len"`
	SrcType       int    `json:"src_type"`
	SrcNum        uint64 `json:"src_num"`
	FrontHex      string `json:"front_hex"`
	DataHex       string `json:"data_hex"`
	Dir           string `json:"dir"`
	HeaderHex     string `json:"header_hex"`
}

func readJSONLGz(t testing.TB, path string) []wireEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden data: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []wireEvent
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var ev wireEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// srcNum is the sender's entity number from a ceph_msg_header (for
// captures that keep only header_hex).
func (ev *wireEvent) srcNum() int32 {
	if ev.HeaderHex == "" {
		return int32(ev.SrcNum)
	}
	h, _ := hex.DecodeString(ev.HeaderHex)
	if len(h) < 53 {
		return int32(ev.SrcNum)
	}
	// seq 8, tid 8, type 2, priority 2, version 2, front_len 4, middle_len 4,
	// data_len 4, data_off 2, src type 1, src num 8
	return int32(uint64(h[39]) | uint64(h[40])<<8 | uint64(h[41])<<16 | uint64(h[42])<<24)
}

func typedStats(t testing.TB, ev wireEvent) *messages.PGStatsT {
	t.Helper()
	front, err := hex.DecodeString(ev.FrontHex)
	if err != nil || len(front) != ev.FrontLen {
		t.Fatalf("MPGStats front: %d of %d bytes, %v", len(front), ev.FrontLen, err)
	}
	m := &msgr.Message{Type: ev.Type, Priority: ev.Priority, Version: ev.Version, CompatVersion: ev.CompatVersion,
		Tid: ev.Tid, Front: front}
	p, err := messages.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.(*messages.PGStats).Typed()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func loadOutputs(t testing.TB) map[string]string { return loadOutputsFrom(t, goldenOutputs) }

func loadOutputsFrom(t testing.TB, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden data: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := json.NewDecoder(zr).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// cephJSON decodes JSON as the brief's osdmap trees are: objects as
// map[string]any, integers as int64, other numbers as float64.
func cephJSON(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return fixNumbers(v)
}

func fixNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = fixNumbers(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = fixNumbers(x)
		}
		return v
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return v
}

// withoutPools returns a copy of an osd dump tree without the given pools.
func withoutPools(t testing.TB, s string, drop ...int64) map[string]any {
	tree := cephJSON(t, s).(map[string]any)
	var keep []any
	for _, p := range tree["pools"].([]any) {
		id := p.(map[string]any)["pool"].(int64)
		dropped := false
		for _, d := range drop {
			dropped = dropped || d == id
		}
		if !dropped {
			keep = append(keep, p)
		}
	}
	tree["pools"] = keep
	return tree
}

// replayGolden feeds a PGMap what the real ceph-mgr saw: the osdmap with
// pools 1 and 2 (which existed when it started), then with pool 3, then
// every MPGStats in turn, one mgr tick (2 s) after each, the clock at
// the moment the commands ran.
func replayGolden(t testing.TB) (*PGMap, map[string]string) { return replaySet(t, goldenSets[0]) }

func replaySet(t testing.TB, set goldenSet) (*PGMap, map[string]string) {
	t.Helper()
	out := loadOutputsFrom(t, set.outputs)
	m := New()
	var at float64
	fmt.Sscan(out["captured_at"], &at)
	now := time.Unix(int64(at), int64((at-float64(int64(at)))*1e9))
	m.SetClock(func() time.Time { return now })
	start := now.Add(-2 * time.Minute)
	tick := start
	if err := m.ApplyOSDTree(cephJSON(t, out["osd_tree.json"]).(map[string]any)); err != nil {
		t.Fatal(err)
	}
	if !set.restart {
		if err := m.ApplyOSDMap(withoutPools(t, out["osd_dump.json"], 3), tick); err != nil {
			t.Fatal(err)
		}
		tick = tick.Add(time.Second)
	}
	if err := m.ApplyOSDMap(cephJSON(t, out["osd_dump.json"]).(map[string]any), tick); err != nil {
		t.Fatal(err)
	}
	for _, ev := range readJSONLGz(t, set.mpgstats) {
		tick = tick.Add(2 * time.Second)
		if err := m.Ingest(int32(ev.SrcNum), typedStats(t, ev), tick); err != nil {
			t.Fatal(err)
		}
		m.Tick(tick)
	}
	return m, out
}

// firstDiff describes where a and b first differ.
func firstDiff(want, got []byte) string {
	n := min(len(want), len(got))
	i := 0
	for i < n && want[i] == got[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Sprintf("at byte %d (len want %d got %d):\nwant …%q…\ngot  …%q…", i, len(want), len(got),
		want[lo:min(len(want), i+80)], got[lo:min(len(got), i+80)])
}
