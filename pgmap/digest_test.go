package pgmap

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"gomgr/messages"
)

// sessionOSDMap is an osdmap tree for the capture's one-OSD cluster with
// the given pools (id → pg_num), in `ceph osd dump -f json`'s shape.
func sessionOSDMap(epoch int64, pools map[int64]int64) map[string]any {
	var ps []any
	for _, id := range sortedKeys(pools) {
		ps = append(ps, map[string]any{"pool": id, "pool_name": fmt.Sprintf("pool%d", id), "type": int64(1),
			"size": int64(1), "min_size": int64(1), "crush_rule": int64(0), "pg_num": pools[id],
			"pg_placement_num_target": pools[id], "pg_num_target": pools[id], "tier_of": int64(-1),
			"application_metadata": map[string]any{}})
	}
	return map[string]any{
		"epoch": epoch, "modified": "2026-11-22T22:10:00.000000+0000", "full_ratio": 0.949999988079071,
		"nearfull_ratio": 0.8500000238418579, "backfillfull_ratio": 0.8999999761581421, "max_osd": int64(1),
		"pools": ps,
		"osds": []any{map[string]any{"osd": int64(0), "up": int64(1), "in": int64(1), "weight": 1.0,
			"state": []any{"exists", "up"}}},
	}
}

// sessionOSDTree is the capture cluster's CRUSH tree: one host, osd.0 of
// class hdd (as `ceph osd tree -f json` shows it).
var sessionOSDTree = map[string]any{
	"nodes": []any{
		map[string]any{"id": int64(-1), "name": "default", "type": "root", "type_id": int64(11), "children": []any{int64(-2)}},
		map[string]any{"id": int64(-2), "name": "node1", "type": "host", "type_id": int64(1), "pool_weights": map[string]any{}, "children": []any{int64(0)}},
		map[string]any{"id": int64(0), "device_class": "hdd", "name": "osd.0", "type": "osd", "type_id": int64(0),
			"crush_weight": 0.0001983642578125, "depth": int64(2), "pool_weights": map[string]any{}},
	},
	"stray": []any{},
}

// sessionDigest is one MMonMgrReport's PGMapDigest from the capture: the
// captured prefix, zero-padded to its real length and decoded as far as
// it goes.
type sessionDigest struct {
	index  int
	prefix []byte
	full   int
	g      messages.PGMapDigest
}

// TestDigestMatchesRealMgr replays the real session (shared/ceph-wire) and
// compares gomgr's PGMapDigest with every one the real ceph-mgr sent the
// mon, over the bytes the capture kept (256 of each).
//
// The capture has two mgr instances (the second after `mgr module enable
// prometheus` respawned it). The first gets osd.0's reports and sends
// digests 1-8; the messages' order across connections is not in the
// capture, so the sequence is the one the digests themselves show: a
// report with no PGs (digest 1: no pools yet), the osdmap creating pool 1
// (device_health_metrics, 1 PG: digests 2-4 list it unknown), osd.0's
// report with 1.0 active+clean (digests 5-7), and the osdmap creating
// pool 2 with 8 PGs (digest 8: 9 PGs, 8 unknown). The second mgr starts
// from both pools and gets one report before digests 9-11.
func TestDigestMatchesRealMgr(t *testing.T) {
	evs := readJSONLGz(t, sessionCapture)
	var reports []*messages.PGStatsT
	var digests []sessionDigest
	for i, ev := range evs {
		if ev.Kind != "msg" || ev.Dir != "c2s" {
			continue
		}
		switch ev.Type {
		case messages.TypePGStats:
			if ev.srcNum() != 0 {
				t.Fatalf("MPGStats from osd.%d", ev.srcNum())
			}
			reports = append(reports, typedStats(t, ev))
		case messages.TypeMonMgrReport:
			data, err := hex.DecodeString(ev.DataHex)
			if err != nil {
				t.Fatal(err)
			}
			full := make([]byte, ev.DataLen)
			copy(full, data)
			d := sessionDigest{index: i, prefix: data, full: ev.DataLen}
			d.g.Decode(messages.NewDecoder(full))
			digests = append(digests, d)
		}
	}
	if len(reports) != 11 || len(digests) != 11 {
		t.Fatalf("%d MPGStats and %d digests in the capture, want 11 and 11", len(reports), len(digests))
	}
	// reports[0..9] went to the first mgr, reports[10] to the second.
	if len(reports[0].PGStat) != 0 || len(reports[1].PGStat) != 1 || len(reports[10].PGStat) != 9 {
		t.Fatalf("unexpected capture: report PG counts %d %d %d", len(reports[0].PGStat), len(reports[1].PGStat), len(reports[10].PGStat))
	}

	now := time.Date(2026, 11, 22, 22, 10, 0, 0, time.UTC)
	step := func() time.Time { now = now.Add(2 * time.Second); return now }
	var got []*messages.PGMapDigest

	m := New()
	must(t, m.ApplyOSDTree(sessionOSDTree))
	must(t, m.ApplyOSDMap(sessionOSDMap(10, nil), step()))
	must(t, m.Ingest(0, reports[0], step()))
	m.Tick(now)
	got = append(got, m.Digest()) // 1: one OSD, no pools
	must(t, m.ApplyOSDMap(sessionOSDMap(11, map[int64]int64{1: 1}), step()))
	m.Tick(step())                // send_report's update_delta_stats precedes every digest
	got = append(got, m.Digest()) // 2: pool 1's PG unknown
	for range 2 {
		m.Tick(step())
		got = append(got, m.Digest()) // 3, 4
	}
	must(t, m.Ingest(0, reports[1], step()))
	m.Tick(now)
	got = append(got, m.Digest()) // 5: 1.0 active+clean
	for range 2 {
		m.Tick(step())
		got = append(got, m.Digest()) // 6, 7
	}
	must(t, m.ApplyOSDMap(sessionOSDMap(12, map[int64]int64{1: 1, 2: 8}), step()))
	m.Tick(step())
	got = append(got, m.Digest()) // 8: pool 2's 8 PGs unknown

	m2 := New()
	must(t, m2.ApplyOSDTree(sessionOSDTree))
	must(t, m2.ApplyOSDMap(sessionOSDMap(20, map[int64]int64{1: 1, 2: 8}), step()))
	must(t, m2.Ingest(0, reports[10], step()))
	for range 3 {
		m2.Tick(step())
		got = append(got, m2.Digest()) // 9, 10, 11
	}

	for i, want := range digests {
		g := got[i]
		w := &want.g
		if g.NumPG != w.NumPG || g.NumPGActive != w.NumPGActive || g.NumPGUnknown != w.NumPGUnknown || g.NumOSD != w.NumOSD {
			t.Errorf("digest %d: num_pg %d active %d unknown %d num_osd %d, real mgr %d %d %d %d", i+1,
				g.NumPG, g.NumPGActive, g.NumPGUnknown, g.NumOSD, w.NumPG, w.NumPGActive, w.NumPGUnknown, w.NumOSD)
		}
		b := g.Marshal()
		if len(b) != want.full {
			t.Errorf("digest %d: %d bytes, real mgr %d", i+1, len(b), want.full)
		}
		n := min(len(b), len(want.prefix))
		mask := func(x []byte) []byte {
			x = bytes.Clone(x[:n])
			copy(x[2:6], []byte{0, 0, 0, 0}) // struct length: checked above
			return x
		}
		if !bytes.Equal(mask(b), mask(want.prefix)) {
			t.Errorf("digest %d: %s", i+1, firstDiff(mask(want.prefix), mask(b)))
		}
		t.Logf("digest %d: num_pg %d active %d unknown %d, %d pools, %d-byte digest, first %d bytes identical",
			i+1, g.NumPG, g.NumPGActive, g.NumPGUnknown, len(g.PoolSum), len(b), n)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
