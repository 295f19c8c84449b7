package pgmap_test

import (
	"fmt"
	"time"

	"gomgr/messages"
	"gomgr/pgmap"
)

// A one-OSD cluster with one pool of one PG: the osdmap registers the PG
// as unknown, the OSD's report makes it active+clean at the next tick,
// and `pg stat` and the digest say so.
func Example() {
	m := pgmap.New()
	now := time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC)
	osdmap := map[string]any{
		"epoch": int64(5), "modified": "2026-12-05T16:59:00.000000+0000", "full_ratio": 0.95, "max_osd": int64(1),
		"pools": []any{map[string]any{"pool": int64(1), "pool_name": "rbd", "type": int64(1), "size": int64(1),
			"min_size": int64(1), "crush_rule": int64(0), "pg_num": int64(1)}},
		"osds": []any{map[string]any{"osd": int64(0), "up": int64(1), "in": int64(1), "weight": 1.0}},
	}
	if err := m.ApplyOSDMap(osdmap, now); err != nil {
		fmt.Println(err)
		return
	}
	out, _, _, _ := m.Command(map[string]any{"prefix": "pg stat"})
	fmt.Print(string(out))

	report := &messages.PGStatsT{
		OSDStat: messages.OSDStatT{Statfs: messages.StoreStatfs{Total: 10 << 20, Available: 9 << 20}, Seq: 1, NumPGs: 1},
		PGStat: []messages.PGStatTEntry{{PG: messages.PGID{Pool: 1, Seed: 0}, Stat: messages.PGStatT{
			State: 1<<1 | 1<<2, ReportedEpoch: 5, ReportedSeq: 1, Up: []int32{0}, Acting: []int32{0},
			Stats: messages.ObjectStatCollection{Sum: messages.ObjectStatSum{NumBytes: 4096, NumObjects: 1, NumObjectCopies: 1}},
		}}},
	}
	if err := m.Ingest(0, report, now.Add(time.Second)); err != nil {
		fmt.Println(err)
		return
	}
	m.Tick(now.Add(2 * time.Second))
	out, _, _, _ = m.Command(map[string]any{"prefix": "pg stat"})
	fmt.Print(string(out))
	d := m.Digest()
	fmt.Println(d.NumPG, d.NumPGActive, d.NumPGUnknown, d.NumOSD, len(d.Marshal()) > 0)
	// Output:
	// 1 pgs: 1 unknown; 0 B data, 0 B used, 0 B / 0 B avail
	// 1 pgs: 1 active+clean; 4 KiB data, 1 MiB used, 9 MiB / 10 MiB avail
	// 1 1 0 1 true
}
