package pgmap

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gomgr/messages"
)

func oneOSDMap(pgNum int64) map[string]any {
	return map[string]any{
		"epoch": int64(5), "modified": "2026-12-05T16:59:00.000000+0000", "full_ratio": 0.95, "max_osd": int64(2),
		"pools": []any{map[string]any{"pool": int64(1), "pool_name": "rbd", "type": int64(1), "size": int64(1),
			"min_size": int64(1), "crush_rule": int64(0), "pg_num": pgNum}},
		"osds": []any{map[string]any{"osd": int64(0), "up": int64(1), "in": int64(1), "weight": 1.0}},
	}
}

func report(seq uint64, wr, wrKB int64) *messages.PGStatsT {
	return &messages.PGStatsT{
		OSDStat: messages.OSDStatT{Statfs: messages.StoreStatfs{Total: 10 << 30, Available: 9 << 30}, Seq: seq},
		PGStat: []messages.PGStatTEntry{{PG: messages.PGID{Pool: 1, Seed: 0}, Stat: messages.PGStatT{
			State: stateActive | stateClean, ReportedEpoch: 5, ReportedSeq: seq, Up: []int32{0}, Acting: []int32{0},
			UpPrimary: 0, ActingPrimary: 0,
			Stats: messages.ObjectStatCollection{Sum: messages.ObjectStatSum{NumObjects: 1, NumObjectCopies: 1, NumWr: wr, NumWrKB: wrKB}},
		}}},
	}
}

// TestDeltas follows PGMap::apply_incremental's rate bookkeeping: no delta
// until the sum is non-zero, one delta per period after, the last six
// averaged (mon_stat_smooth_intervals), and per-pool periods capped at
// 2 × mon_delta_reset_interval.
func TestDeltas(t *testing.T) {
	m := New()
	t0 := time.Unix(1796489000, 0)
	must(t, m.ApplyOSDMap(oneOSDMap(1), t0))
	for i := 1; i <= 8; i++ {
		at := t0.Add(time.Duration(i) * 2 * time.Second)
		must(t, m.Ingest(0, report(uint64(i), int64(100*i), int64(400*i)), at))
		m.Tick(at)
	}
	// Writes grow by 100 ops and 400 KiB per 2 s period.
	if got := m.pgSumDelta.Stats.Sum.NumWr; got != 600 {
		t.Errorf("pg_sum_delta num_write %d, want 600 (six periods)", got)
	}
	if m.stampDelta != (messages.Utime{Sec: 12}) {
		t.Errorf("stamp_delta %v, want 12 s", m.stampDelta)
	}
	out, _, _, _ := m.Command(map[string]any{"prefix": "pg stat"})
	want := "1 pgs: 1 active+clean; 0 B data, 1 GiB used, 9 GiB / 10 GiB avail; 200 KiB/s wr, 50 op/s\n"
	if string(out) != want {
		t.Errorf("pg stat:\n%q\nwant\n%q", out, want)
	}
	out, _, _, _ = m.Command(map[string]any{"prefix": "osd pool stats"})
	if !strings.Contains(string(out), "  client io 200 KiB/s wr, 0 op/s rd, 50 op/s wr\n") {
		t.Errorf("osd pool stats:\n%s", out)
	}
	d, _ := m.perPoolSumDelta.Get(1)
	st, _ := m.perPoolSumDeltasStamps.Get(1)
	if d.delta.Stats.Sum.NumWr != 600 || st != (messages.Utime{Sec: 12}) {
		t.Errorf("pool delta %d over %v", d.delta.Stats.Sum.NumWr, st)
	}
	// A long silence: the pool's period is capped at 20 s, the cluster's is not.
	at := t0.Add(time.Hour)
	must(t, m.Ingest(0, report(9, 900, 3600), at))
	m.Tick(at)
	st, _ = m.perPoolSumDeltasStamps.Get(1)
	if want := (messages.Utime{Sec: 10 + 20}); st != want {
		t.Errorf("pool stamp %v, want %v", st, want)
	}
	if m.stampDelta.Sec < 3000 {
		t.Errorf("cluster stamp_delta %v", m.stampDelta)
	}
}

// TestOSDMapChanges: new pools' PGs appear unknown with the osdmap's
// modified stamps, shrinking pg_num drops PGs, deleting a pool drops its
// PGs and sums, and OSDs gone from the osdmap lose their stats.
func TestOSDMapChanges(t *testing.T) {
	m := New()
	t0 := time.Unix(1796489000, 0)
	must(t, m.ApplyOSDMap(oneOSDMap(4), t0))
	g := m.Digest()
	if g.NumPG != 4 || g.NumPGUnknown != 4 || len(g.PoolSum) != 1 {
		t.Fatalf("after pool creation: %d PGs, %d unknown, %d pools", g.NumPG, g.NumPGUnknown, len(g.PoolSum))
	}
	s, _ := m.pgStat.Get(messages.PGID{Pool: 1, Seed: 3})
	if utimeStr(s.LastFresh) != utimeStr(messages.UtimeOf(time.Date(2026, 12, 5, 16, 59, 0, 0, time.UTC))) || s.UpPrimary != -1 {
		t.Errorf("new PG: %+v", s)
	}
	must(t, m.Ingest(0, report(1, 1, 1), t0))
	m.Tick(t0.Add(time.Second))
	if g := m.Digest(); g.NumPGActive != 1 || g.NumOSD != 1 {
		t.Errorf("after report: %d active, %d osds", g.NumPGActive, g.NumOSD)
	}
	must(t, m.ApplyOSDMap(oneOSDMap(2), t0.Add(2*time.Second)))
	if g := m.Digest(); g.NumPG != 2 {
		t.Errorf("pg_num 2: %d PGs", g.NumPG)
	}
	// A stat for a PG past pg_num, or of an unknown pool, is dropped.
	r := report(2, 1, 1)
	r.PGStat[0].PG = messages.PGID{Pool: 1, Seed: 3}
	r.PGStat = append(r.PGStat, messages.PGStatTEntry{PG: messages.PGID{Pool: 7, Seed: 0}, Stat: r.PGStat[0].Stat})
	must(t, m.Ingest(0, r, t0.Add(3*time.Second)))
	m.Tick(t0.Add(3 * time.Second))
	if g := m.Digest(); g.NumPG != 2 {
		t.Errorf("stats past pg_num: %d PGs", g.NumPG)
	}
	noPools := oneOSDMap(1)
	noPools["pools"] = []any{}
	noPools["osds"] = []any{}
	must(t, m.ApplyOSDMap(noPools, t0.Add(4*time.Second)))
	g = m.Digest()
	if g.NumPG != 0 || len(g.PoolSum) != 0 || g.NumOSD != 0 || len(g.NumPGByPool) != 0 {
		t.Errorf("pool and osd gone: %d PGs, %d pools, %d osds", g.NumPG, len(g.PoolSum), g.NumOSD)
	}
}

// TestIngestRefuses: an inconsistent report changes nothing.
func TestIngestRefuses(t *testing.T) {
	m := New()
	t0 := time.Unix(1796489000, 0)
	must(t, m.ApplyOSDMap(oneOSDMap(1), t0))
	dup := report(1, 0, 0)
	dup.PGStat = append(dup.PGStat, dup.PGStat[0])
	for _, c := range []struct {
		osd int32
		r   *messages.PGStatsT
	}{{-1, report(1, 0, 0)}, {5, report(1, 0, 0)}, {0, dup}, {0, nil}} {
		if err := m.Ingest(c.osd, c.r, t0); !errors.Is(err, ErrInconsistent) {
			t.Errorf("osd %d: %v", c.osd, err)
		}
	}
	m.Tick(t0.Add(time.Second))
	if g := m.Digest(); g.NumOSD != 0 || g.NumPGActive != 0 {
		t.Errorf("refused reports changed the map: %+v", g)
	}
	if err := m.ApplyOSDMap(map[string]any{"pools": []any{}}, t0); !errors.Is(err, ErrBadOSDMap) {
		t.Errorf("osdmap without epoch: %v", err)
	}
	if _, _, _, ok := m.Command(map[string]any{"prefix": "osd pool create"}); ok {
		t.Error("a command PGMap does not serve was served")
	}
}

// TestConcurrentUse runs every method from several goroutines (for -race).
func TestConcurrentUse(t *testing.T) {
	m := New()
	t0 := time.Unix(1796489000, 0)
	must(t, m.ApplyOSDMap(oneOSDMap(8), t0))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				at := t0.Add(time.Duration(i) * time.Second)
				switch g {
				case 0:
					_ = m.Ingest(0, report(uint64(i+1), int64(i), int64(i)), at)
				case 1:
					m.Tick(at)
				case 2:
					m.Command(map[string]any{"prefix": "pg dump", "format": "json"})
					m.HealthChecks()
				case 3:
					m.Digest().Marshal()
					m.Get("pg_status")
					_ = m.ApplyOSDMap(oneOSDMap(int64(8+i%2)), at)
				}
			}
		}()
	}
	wg.Wait()
}
