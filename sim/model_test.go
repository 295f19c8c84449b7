package sim

import (
	"reflect"
	"testing"
	"time"

	"gomgr/messages"
	"gomgr/pgmap"
)

func TestModelDeterministicWithSeed(t *testing.T) {
	run := func() []*messages.PGStatsT {
		m := New(Config{OSDs: 12, Seed: 42})
		for range 10 {
			m.Step(time.Second)
		}
		_ = m.SetUp(3, false)
		m.Step(time.Second)
		var out []*messages.PGStatsT
		for i := range m.NumOSDs() {
			st, err := m.PGStats(i, 5, 1, time.Unix(1000, 0))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, st)
		}
		return out
	}
	a, b := run(), run()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different clusters")
	}
}

func TestModelFailureDegradesOnlyItsPGs(t *testing.T) {
	m := New(Config{OSDs: 10, Seed: 1})
	m.Step(time.Second)
	total := 0
	for _, p := range m.Pools() {
		total += p.PGNum
	}
	count := func() (clean, degraded, pgs int) {
		for i := range m.NumOSDs() {
			for _, e := range pgStats(t, m, i).PGStat {
				pgs++
				if pgmap.PGStateString(e.Stat.State) == "active+clean" {
					clean++
				} else {
					degraded++
				}
			}
		}
		return
	}
	if clean, degraded, pgs := count(); clean != total || degraded != 0 || pgs != total {
		t.Fatalf("healthy: clean=%d degraded=%d pgs=%d, want all %d clean", clean, degraded, pgs, total)
	}
	holds := int(pgStats(t, m, 4).OSDStat.NumPGs)
	if err := m.SetUp(4, false); err != nil {
		t.Fatal(err)
	}
	clean, degraded, pgs := count()
	if degraded == 0 || degraded > holds || clean+degraded != pgs {
		t.Fatalf("osd.4 down (held %d PGs): clean=%d degraded=%d", holds, clean, degraded)
	}
	if pgStats(t, m, 4).OSDStat.NumPGs != 0 {
		t.Fatal("a down OSD still holds PGs")
	}
	_ = m.SetUp(4, true)
	if clean, degraded, _ := count(); clean != total || degraded != 0 {
		t.Fatalf("after recovery: clean=%d degraded=%d", clean, degraded)
	}
	if err := m.SetUp(99, false); err == nil {
		t.Fatal("no error for a missing OSD")
	}
}

func TestModelLoadMovesCounters(t *testing.T) {
	m := New(Config{OSDs: 3, Seed: 7, IOPS: 1000})
	m.Step(2 * time.Second)
	var ops, wr float64
	for i := range 3 {
		c := m.Counters(i)
		ops += c[cOp]
		wr += c[cInBytes]
		if c[cNumPG] == 0 || c[cBytes] == 0 {
			t.Fatalf("osd.%d gauges not set: %v", i, c)
		}
	}
	if ops != 2000 || wr == 0 {
		t.Fatalf("ops=%v write bytes=%v after 2 s at 1000 IOPS", ops, wr)
	}
	r := pgStats(t, m, 0)
	var bytes int64
	for _, e := range r.PGStat {
		bytes += e.Stat.Stats.Sum.NumBytes
	}
	if len(r.PGStat) == 0 || r.OSDStat.Statfs.Allocated == 0 || bytes == 0 {
		t.Fatalf("pg stats without usage: %+v", r.OSDStat)
	}
}

func BenchmarkRemap10kOSDs(b *testing.B) {
	m := New(Config{OSDs: 10000, Pools: []PoolSpec{{"big", 32768, 3}}})
	for b.Loop() {
		m.dirty = true
		m.remap()
	}
}

func pgStats(t *testing.T, m *Model, id int) *messages.PGStatsT {
	t.Helper()
	st, err := m.PGStats(id, 5, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestEnsurePool: a pool the mon created (osd pool create from the CLI)
// gets PGs the OSDs report, active+clean, once; a known id is kept.
func TestEnsurePool(t *testing.T) {
	m := New(Config{OSDs: 4, Seed: 3, Pools: []PoolSpec{{"a", 8, 2}}})
	if !m.EnsurePool(2, PoolSpec{Name: "foo", PGNum: 8, Size: 2}) || m.EnsurePool(2, PoolSpec{Name: "foo", PGNum: 8, Size: 2}) ||
		m.EnsurePool(1, PoolSpec{Name: "a", PGNum: 8, Size: 2}) {
		t.Fatal("EnsurePool added the wrong pools")
	}
	pgs := 0
	for id := range 4 {
		st, err := m.PGStats(id, 5, 1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range st.PGStat {
			if e.PG.Pool == 2 {
				pgs++
				if s := pgmap.PGStateString(e.Stat.State); s != "active+clean" {
					t.Fatalf("pg %v state %s", e.PG, s)
				}
			}
		}
	}
	if pgs != 8 {
		t.Fatalf("%d PGs of the new pool reported, want 8", pgs)
	}
}
