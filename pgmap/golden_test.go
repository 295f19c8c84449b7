package pgmap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomgr/messages"
)

// goldenCommands are the commands captured from the real ceph-mgr (and,
// for df and osd utilization, the real mon), as the ceph CLI sends them.
var goldenCommands = []goldenCommand{
	{"pg_stat", map[string]any{"prefix": "pg stat"}},
	{"pg_dump", map[string]any{"prefix": "pg dump"}},
	{"pg_dump_all", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"all"}}},
	{"pg_dump_summary", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"summary"}}},
	{"pg_dump_sum", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"sum"}}},
	{"pg_dump_delta", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"delta"}}},
	{"pg_dump_pools", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"pools"}}},
	{"pg_dump_osds", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"osds"}}},
	{"pg_dump_pgs", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"pgs"}}},
	{"pg_dump_pgs_brief", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"pgs_brief"}}},
	{"pg_dump_pools_osds", map[string]any{"prefix": "pg dump", "dumpcontents": []any{"pools", "osds"}}},
	{"pg_ls", map[string]any{"prefix": "pg ls"}},
	{"pg_ls_undersized", map[string]any{"prefix": "pg ls", "states": []any{"undersized"}}},
	{"pg_ls_clean_degraded", map[string]any{"prefix": "pg ls", "states": []any{"clean", "degraded"}}},
	{"pg_ls_pool", map[string]any{"prefix": "pg ls-by-pool", "poolstr": "p2"}},
	{"pg_ls_osd", map[string]any{"prefix": "pg ls-by-osd", "osd": int64(1)}},
	{"pg_ls_primary", map[string]any{"prefix": "pg ls-by-primary", "osd": "osd.1"}},
	{"pg_ls_empty", map[string]any{"prefix": "pg ls", "states": []any{"stale"}}},
	{"pg_dump_stuck", map[string]any{"prefix": "pg dump_stuck"}},
	{"pg_dump_stuck_undersized", map[string]any{"prefix": "pg dump_stuck", "stuckops": []any{"undersized"}, "threshold": int64(1)}},
	{"pg_dump_stuck_unclean", map[string]any{"prefix": "pg dump_stuck", "stuckops": []any{"unclean"}, "threshold": int64(1)}},
	{"df", map[string]any{"prefix": "df"}},
	{"df_detail", map[string]any{"prefix": "df", "detail": "detail"}},
	{"osd_df", map[string]any{"prefix": "osd df"}},
	{"osd_df_tree", map[string]any{"prefix": "osd df", "output_method": "tree"}},
	{"osd_perf", map[string]any{"prefix": "osd perf"}},
	{"osd_pool_stats", map[string]any{"prefix": "osd pool stats"}},
	{"osd_pool_stats_p2", map[string]any{"prefix": "osd pool stats", "pool_name": "p2"}},
	{"osd_utilization", map[string]any{"prefix": "osd utilization"}},
	{"osd_blocked_by", map[string]any{"prefix": "osd blocked-by"}},
}

// What differs between two PGMaps fed the same reports at other moments:
// the version, the stamps of the map and of the delta period.
var timingMasks = []*regexp.Regexp{
	regexp.MustCompile(`("version"[: ]+)\d+`),
	regexp.MustCompile(`("stamp"[: ]+)"[^"]*"`),
	regexp.MustCompile(`("stamp_delta"[: ]+)"[^"]*"`),
	regexp.MustCompile(`(?m)^(version )\d+$`),
	regexp.MustCompile(`(?m)^(stamp ).*$`),
}

func maskTiming(b []byte) []byte {
	for _, re := range timingMasks {
		b = re.ReplaceAll(b, []byte("${1}X"))
	}
	return b
}

// clockFor returns a moment a captured plain `pg ls` could have run at:
// one every row's SINCE column (its age of last_change, truncated to
// seconds, minutes, …) agrees with.
func clockFor(m *PGMap, want string) (time.Time, bool) {
	var lo, hi time.Time
	for _, line := range strings.Split(want, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 12 || !strings.Contains(f[11], "'") {
			continue
		}
		var pool uint64
		var ps uint32
		if _, err := fmt.Sscanf(f[0], "%d.%x", &pool, &ps); err != nil {
			continue
		}
		s, ok := m.pgStat.Get(messages.PGID{Pool: pool, Seed: ps})
		if !ok {
			continue
		}
		since := f[10]
		unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[since[len(since)-1]]
		v, err := strconv.ParseFloat(since[:len(since)-1], 64)
		if unit == 0 || err != nil {
			continue
		}
		l := s.LastChange.Time().Add(time.Duration(v * float64(unit)))
		h := l.Add(unit)
		if lo.IsZero() || l.After(lo) {
			lo = l
		}
		if hi.IsZero() || h.Before(hi) {
			hi = h
		}
	}
	if lo.IsZero() || !lo.Before(hi) {
		return time.Time{}, false
	}
	return lo.Add(hi.Sub(lo) / 2), true
}

// TestGoldenCommands replays the real cluster's MPGStats and requires
// every command's reply data, in plain, json and json-pretty, to be the
// real daemons' bytes (after masking the version and stamps, which tell
// when the map was last ticked), with the same status and return code.
func TestGoldenCommands(t *testing.T) {
	for _, set := range goldenSets {
		t.Run(set.name, func(t *testing.T) { testGoldenCommands(t, set) })
	}
}

func testGoldenCommands(t *testing.T, set goldenSet) {
	m, out := replaySet(t, set)
	base := m.clock
	var n int
	cmds := append(slices.Clone(goldenCommands), set.extra...)
	for _, c := range cmds {
		for _, format := range []string{"plain", "json", "json-pretty"} {
			key := c.name + "." + format
			want, ok := out[key]
			if !ok {
				t.Fatalf("%s: not captured", key)
			}
			args := map[string]any{}
			for k, v := range c.args {
				args[k] = v
			}
			if format != "plain" {
				args["format"] = format
			}
			m.clock = base
			if format == "plain" && strings.HasPrefix(c.args["prefix"].(string), "pg ls") {
				if at, ok := clockFor(m, want); ok {
					m.clock = func() time.Time { return at }
				}
			}
			got, status, rc, ok := m.Command(args)
			if !ok {
				t.Errorf("%s: not served", key)
				continue
			}
			if wantRC, _ := strconv.Atoi(strings.TrimSpace(out[key+".rc"])); rc != -wantRC {
				t.Errorf("%s: rc %d, real %d", key, rc, -wantRC)
			}
			wantStatus := strings.TrimSuffix(out[key+".err"], "\n")
			if rc < 0 {
				// The CLI prints "Error ENOENT: " and the status.
				if _, rest, ok := strings.Cut(wantStatus, ": "); ok {
					wantStatus = rest
				}
			}
			if status != wantStatus {
				t.Errorf("%s: status %q, real %q", key, status, wantStatus)
			}
			if g, w := maskTiming(got), maskTiming([]byte(want)); !bytes.Equal(g, w) {
				t.Errorf("%s: %s", key, firstDiff(w, g))
				continue
			}
			n++
		}
	}
	t.Logf("%d of %d replies byte-identical to the real daemons'", n, 3*len(cmds))
}

// TestGoldenGet compares Get with what a module's get() returned on the
// real mgr (through json.dumps): same keys in the same order, same
// values in the same JSON form (Python's float repr).
func TestGoldenGet(t *testing.T) {
	for _, set := range goldenSets {
		t.Run(set.name, func(t *testing.T) { testGoldenGet(t, set) })
	}
}

func testGoldenGet(t *testing.T, set goldenSet) {
	m, out := replaySet(t, set)
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out["module_get.json"]), &all); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pg_summary", "pg_status", "pg_dump", "pg_stats", "pool_stats", "osd_stats",
		"df", "io_rate", "osd_pool_stats", "pg_progress", "osd_ping_times", "osd_perf"} {
		v, ok := m.Get(name)
		want := all[name]
		if string(want) == "null" {
			if ok {
				t.Errorf("get(%q): real mgr returns None, got %s", name, v)
			}
			continue
		}
		if !ok {
			t.Errorf("get(%q): not served", name)
			continue
		}
		got := pyDumps(t, v.(json.RawMessage))
		w := pyDumps(t, want)
		if g, w := maskTiming(got), maskTiming(w); !bytes.Equal(g, w) {
			t.Errorf("get(%q): %s", name, firstDiff(w, g))
		}
	}
	if v, ok := m.Get("no such thing"); ok || v != nil {
		t.Errorf("get of an unknown name: %v %v", v, ok)
	}
}

// pyDumps re-indents JSON token by token, keeping key order and number
// text, so two values compare as Python would print them.
func pyDumps(t testing.TB, b []byte) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out bytes.Buffer
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteString(v.String())
		case string:
			q, _ := json.Marshal(v)
			out.Write(q)
		case json.Number:
			out.WriteString(v.String())
		case bool:
			out.WriteString(strconv.FormatBool(v))
		case nil:
			out.WriteString("null")
		}
		out.WriteByte(' ')
	}
	return out.Bytes()
}

// TestGoldenHealth compares HealthChecks with the checks the real mgr
// reported (through `ceph health detail -f json`, which also lists the
// mon's own checks: those are left out). The durations in the details
// ("stuck undersized for 119s") tell when the command ran: the test
// looks for a moment, around the capture, at which all of them agree.
func TestGoldenHealth(t *testing.T) {
	for _, set := range goldenSets {
		t.Run(set.name, func(t *testing.T) { testGoldenHealth(t, set) })
	}
}

type healthJSON struct {
	Checks map[string]struct {
		Severity string `json:"severity"`
		Summary  struct {
			Message string `json:"message"`
			Count   int64  `json:"count"`
		} `json:"summary"`
		Detail []struct {
			Message string `json:"message"`
		} `json:"detail"`
	} `json:"checks"`
}

// mgrChecks are the checks of PGMap::get_health_checks (the others in
// the captures are the mon's).
var mgrChecks = map[string]bool{"PG_AVAILABILITY": true, "PG_DEGRADED": true, "POOL_APP_NOT_ENABLED": true,
	"PG_DAMAGED": true, "PG_BACKFILL_FULL": true, "PG_RECOVERY_FULL": true, "OBJECT_UNFOUND": true,
	"OSD_SCRUB_ERRORS": true, "PG_NOT_SCRUBBED": true, "PG_NOT_DEEP_SCRUBBED": true}

func testGoldenHealth(t *testing.T, set goldenSet) {
	m, out := replaySet(t, set)
	var hd healthJSON
	if err := json.Unmarshal([]byte(out["health_detail.json"]), &hd); err != nil {
		t.Fatal(err)
	}
	want := map[string]HealthCheck{}
	for code, w := range hd.Checks {
		if !mgrChecks[code] {
			continue
		}
		hc := HealthCheck{Severity: w.Severity, Summary: w.Summary.Message, Count: w.Summary.Count}
		for _, d := range w.Detail {
			hc.Detail = append(hc.Detail, d.Message)
		}
		want[code] = hc
	}
	if len(want) == 0 {
		t.Fatal("no mgr health checks captured")
	}
	base := m.clock()
	var got map[string]HealthCheck
	for d := -60 * time.Second; d <= 60*time.Second; d += 100 * time.Millisecond {
		at := base.Add(d)
		m.SetClock(func() time.Time { return at })
		got = m.HealthChecks()
		if healthEqual(got, want) {
			t.Logf("%d checks match, %v from the capture's end", len(want), d)
			return
		}
	}
	for code, w := range want {
		if g := got[code]; !healthEqual(map[string]HealthCheck{code: g}, map[string]HealthCheck{code: w}) {
			t.Errorf("%s:\n got %+v\nwant %+v", code, g, w)
		}
	}
	for code := range got {
		if _, ok := want[code]; !ok {
			t.Errorf("unexpected check %s: %+v", code, got[code])
		}
	}
}

func healthEqual(a, b map[string]HealthCheck) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || x.Severity != y.Severity || x.Summary != y.Summary || x.Count != y.Count ||
			strings.Join(x.Detail, "\n") != strings.Join(y.Detail, "\n") {
			return false
		}
	}
	return true
}
