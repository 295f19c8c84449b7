package pgmap

import (
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"gomgr/messages"
	"gomgr/msgr"
)

var (
	fuzzSeedsOnce sync.Once
	fuzzFronts    [][]byte
	fuzzOSDMap    string
	fuzzOSDTree   string
)

// FuzzIngest feeds Ingest arbitrary typed stats: MPGStats fronts (the
// real ones as seeds, mutated) decoded as far as they go, and real
// reports with their PG ids, states, versions and OSD ids replaced. Every
// report must either be refused or leave a PGMap whose digest, commands,
// health checks and module values all still come out, without a panic.
func FuzzIngest(f *testing.F) {
	loadFuzzSeeds(f)
	for i, b := range fuzzFronts[:6] {
		f.Add(b, int32(i%3), uint64(2), uint32(i), uint64(6), uint32(33), uint64(i), false)
	}
	f.Add([]byte{}, int32(-1), uint64(1<<40), uint32(1<<31), ^uint64(0), uint32(0), uint64(0), true)
	f.Add([]byte{1, 2, 3}, int32(1<<30), uint64(3), uint32(0), uint64(0), ^uint32(0), ^uint64(0), true)
	f.Fuzz(fuzzOne)
}

func loadFuzzSeeds(tb testing.TB) {
	fuzzSeedsOnce.Do(func() {
		out := loadOutputs(tb)
		fuzzOSDMap, fuzzOSDTree = out["osd_dump.json"], out["osd_tree.json"]
		for _, ev := range readJSONLGz(tb, goldenMPGStats) {
			b, _ := hex.DecodeString(ev.FrontHex)
			fuzzFronts = append(fuzzFronts, b)
		}
	})
}

func fuzzOne(t *testing.T, front []byte, osd int32, pool uint64, seed uint32, state uint64, epoch uint32, seq uint64, dup bool) {
	{
		m := New()
		now := time.Unix(1796489000, 0)
		m.SetClock(func() time.Time { return now })
		if err := m.ApplyOSDMap(cephJSON(t, fuzzOSDMap).(map[string]any), now); err != nil {
			t.Fatal(err)
		}
		if err := m.ApplyOSDTree(cephJSON(t, fuzzOSDTree).(map[string]any)); err != nil {
			t.Fatal(err)
		}
		// The fuzzed front, as a real OSD would have sent it.
		msg := &msgr.Message{Type: messages.TypePGStats, Version: 2, CompatVersion: 1, Front: front}
		if p, err := messages.Decode(msg); err == nil {
			if st, err := p.(*messages.PGStats).Typed(); err == nil {
				_ = m.Ingest(osd, st, now)
			}
		}
		// A real report with fuzzed fields.
		p, err := messages.Decode(&msgr.Message{Type: messages.TypePGStats, Version: 2, CompatVersion: 1,
			Front: fuzzFronts[int(seed)%len(fuzzFronts)]})
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.(*messages.PGStats).Typed()
		if err != nil {
			t.Fatal(err)
		}
		if len(st.PGStat) > 0 {
			e := &st.PGStat[0]
			e.PG = messages.PGID{Pool: pool, Seed: seed % 16}
			e.Stat.State = state
			e.Stat.ReportedEpoch = epoch
			e.Stat.ReportedSeq = seq
			e.Stat.Up = append(e.Stat.Up, osd)
			e.Stat.Acting = append(e.Stat.Acting, int32(seed))
			e.Stat.BlockedBy = append(e.Stat.BlockedBy, osd)
			e.Stat.Stats.Sum.NumObjectsUnfound = int64(seq)
			e.Stat.Stats.Sum.NumObjectsDegraded = int64(state)
			e.Stat.UpPrimary = osd
			if dup {
				st.PGStat = append(st.PGStat, *e)
			}
		}
		st.OSDStat.Statfs.Total = seq
		st.OSDStat.Statfs.Available = uint64(state)
		st.OSDStat.OpQueueAgeHist.Counts = []int32{int32(epoch), 0, int32(seed)}
		st.OSDStat.Alerts = map[int32]map[string]string{osd: {"BLUEFS_SPILLOVER": "x"}}
		st.OSDStat.HBPingTime = map[int32]messages.HBInterfaces{osd: {LastUpdate: uint32(now.Unix()), BackPingTime: [3]uint32{epoch, 5, 7}}}
		for i := range 3 {
			if err := m.Ingest(osd+int32(i), st, now); err == nil {
				now = now.Add(time.Second)
				m.Tick(now)
			}
		}
		now = now.Add(time.Hour)
		m.Tick(now)
		m.Digest().Marshal()
		// A few commands in each format (all of them would make each
		// run too slow for coverage-guided fuzzing).
		for _, c := range []map[string]any{
			{"prefix": "pg stat", "format": "json"}, {"prefix": "pg dump", "format": "json"},
			{"prefix": "pg ls"}, {"prefix": "osd df", "output_method": "tree"},
			{"prefix": "df", "detail": "detail", "format": "json-pretty"}, {"prefix": "osd pool stats"},
			{"prefix": "pg dump_stuck", "threshold": int64(0)}, {"prefix": "osd utilization"},
		} {
			m.Command(c)
		}
		m.HealthChecks()
		m.Get("pg_status")
		// Removing the pools drops everything the report added.
		if err := m.ApplyOSDMap(withoutPools(t, fuzzOSDMap, 1, 2, 3), now); err != nil {
			t.Fatal(err)
		}
		m.Tick(now.Add(time.Second))
		if g := m.Digest(); g.NumPG != 0 || len(g.PoolSum) != 0 {
			t.Fatalf("pools gone, digest still has %d PGs, %d pools", g.NumPG, len(g.PoolSum))
		}
	}
}
