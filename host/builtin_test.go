package host

import (
	"strings"
	"testing"
)

func TestBytesText(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 103554: "101 KiB",
		536870912: "512 MiB", 13717504: "13 MiB", 1288374595584: "1.2 TiB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestBuiltinText: `df` and `pg stat` print Ceph's layout from the
// derived values' shapes (the same the modules get()).
func TestBuiltinText(t *testing.T) {
	stats := map[string]any{"total_bytes": uint64(536870912), "total_avail_bytes": uint64(536767358),
		"total_used_bytes": uint64(103554), "total_used_raw_bytes": uint64(103554), "total_used_raw_ratio": 0.00019288435578346252}
	df := map[string]any{"stats": stats, "stats_by_class": map[string]any{"hdd": stats}, "pools": []any{
		map[string]any{"name": "device_health_metrics", "id": int64(1), "stats": map[string]any{"stored": uint64(0), "objects": int64(0),
			"bytes_used": uint64(0), "percent_used": 0.0, "max_avail": uint64(509918816)}},
	}}
	out := dfText(df, map[int64]int64{1: 1})
	for _, want := range []string{
		"--- RAW STORAGE ---\nCLASS     SIZE    AVAIL     USED  RAW USED  %RAW USED\n",
		"hdd    512 MiB  512 MiB  101 KiB   101 KiB       0.02\n",
		"TOTAL  512 MiB  512 MiB  101 KiB   101 KiB       0.02\n",
		"--- POOLS ---\nPOOL                   ID  PGS  STORED  OBJECTS  USED  %USED  MAX AVAIL\n",
		"device_health_metrics   1    1     0 B        0   0 B   0.00    486 MiB\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("df: missing %q in\n%s", want, out)
		}
	}
	ps := map[string]any{"pg_summary": map[string]any{"num_pg_by_state": []any{map[string]any{"name": "active+clean", "num": int64(5)}},
		"num_pgs": int64(5), "num_bytes": uint64(0), "total_bytes": uint64(536870912), "total_avail_bytes": uint64(536767358),
		"total_used_bytes": uint64(103554)}}
	if got, want := pgStatText(ps), "5 pgs: 5 active+clean; 0 B data, 101 KiB used, 512 MiB / 512 MiB avail\n"; got != want {
		t.Errorf("pg stat = %q, want %q", got, want)
	}
}
