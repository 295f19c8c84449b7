package mon

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"gomgr/clustermap"
	"gomgr/messages"
)

// TestOSDMapIncrementalRoundTrip diffs consecutive epochs of a busy mon
// (boots, pools, a down) and checks that applying each diff, after a trip
// through JSON as on the wire, rebuilds the next map exactly.
func TestOSDMapIncrementalRoundTrip(t *testing.T) {
	m := busyMon(t)
	now := scenarioStart
	prev := m.Snapshot().OSDMap
	steps := []map[string]any{
		{"prefix": "osd down", "ids": []any{"0"}},
		{"prefix": "osd out", "ids": []any{"1"}},
		{"prefix": "osd pool create", "pool": "p2", "pg_num": 4, "size": 1},
		{"prefix": "osd set", "key": "noout"},
	}
	boots := 0
	for i, cmd := range steps {
		if i == 2 { // and a new OSD in between
			now = now.Add(DefaultConfig().OSD.ProposeInterval)
			if _, err := m.OSDBoot(now, OSDBoot{ID: 7, UUID: "0b4f4ab0-6f7c-4b23-a0b2-7c0b6b3bd1f7", PublicAddrs: clustermap.V1Addr("127.0.0.1:6810", 1)}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Tick(now); err != nil { // boots are batched: commit now
				t.Fatal(err)
			}
			boots++
			cur := m.Snapshot().OSDMap
			checkInc(t, prev, cur, 1)
			prev = cur
		}
		if r, _, err := m.HandleCommand(now, cmd, nil); err != nil || r.Retval != 0 {
			t.Fatalf("%v: %+v %v", cmd, r, err)
		}
		cur := m.Snapshot().OSDMap
		changed := 0
		if i < 2 {
			changed = 1
		}
		checkInc(t, prev, cur, changed)
		prev = cur
	}
	if boots != 1 {
		t.Fatal("no boot step ran")
	}
}

func checkInc(t *testing.T, prev, cur *clustermap.OSDMap, wantNew int) {
	t.Helper()
	inc, err := clustermap.DiffOSDMaps(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.NewOSDs) != wantNew || len(inc.OldOSDs) != 0 || len(inc.Map.OSDs) != 0 {
		t.Fatalf("epoch %d: %d new, %d old OSDs, %d in header; want %d new", cur.Epoch, len(inc.NewOSDs), len(inc.OldOSDs), len(inc.Map.OSDs), wantNew)
	}
	js, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	var wire clustermap.OSDMapIncremental
	if err := json.Unmarshal(js, &wire); err != nil {
		t.Fatal(err)
	}
	// prev as a subscriber has it: decoded from JSON.
	pjs, _ := json.Marshal(prev)
	var have clustermap.OSDMap
	if err := json.Unmarshal(pjs, &have); err != nil {
		t.Fatal(err)
	}
	got, err := wire.Apply(&have)
	if err != nil {
		t.Fatal(err)
	}
	gjs, _ := json.Marshal(got)
	cjs, _ := json.Marshal(cur)
	if string(gjs) != string(cjs) {
		t.Fatalf("epoch %d: applied incremental differs:\n got %s\nwant %s", cur.Epoch, gjs, cjs)
	}
}

func TestOSDMapIncrementalRemovedAndBad(t *testing.T) {
	osd := func(id int) *clustermap.OSDInfo { return &clustermap.OSDInfo{OSD: id, State: []string{"exists"}} }
	prev := &clustermap.OSDMap{Epoch: 4, OSDs: []*clustermap.OSDInfo{osd(0), osd(1), osd(2)}}
	prev.Normalize()
	cur := &clustermap.OSDMap{Epoch: 5, OSDs: []*clustermap.OSDInfo{prev.OSDs[0], osd(2), osd(3)}}
	cur.Normalize()
	inc, err := clustermap.DiffOSDMaps(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inc.OldOSDs, []int{1}) || len(inc.NewOSDs) != 2 || inc.NewOSDs[0].OSD != 2 || inc.NewOSDs[1].OSD != 3 {
		t.Fatalf("diff: old %v new %d", inc.OldOSDs, len(inc.NewOSDs))
	}
	got, err := inc.Apply(prev)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cur) {
		t.Fatalf("apply: %+v", got)
	}
	if len(prev.OSDs) != 3 || prev.OSDs[1].OSD != 1 {
		t.Fatal("apply modified prev")
	}

	// Not the next epoch, unsorted entries, no header: refused.
	if _, err := clustermap.DiffOSDMaps(prev, prev); !errors.Is(err, ErrInvalid) {
		t.Errorf("diff of equal epochs: %v", err)
	}
	old := &clustermap.OSDMap{Epoch: 3}
	if _, err := inc.Apply(old); !errors.Is(err, ErrInvalid) {
		t.Errorf("apply to epoch 3: %v", err)
	}
	bad := *inc
	bad.NewOSDs = []*clustermap.OSDInfo{osd(3), osd(2)}
	if _, err := bad.Apply(prev); !errors.Is(err, ErrInvalid) {
		t.Errorf("unsorted: %v", err)
	}
	bad = *inc
	bad.Map = nil
	if _, err := bad.Apply(prev); !errors.Is(err, ErrInvalid) {
		t.Errorf("no header: %v", err)
	}
}

// TestSubscriptionsIncremental: a subscriber that holds an earlier epoch
// the monitor still has gets the maps since it (Delivery.Since: sent as
// incrementals); a new one, or one behind the history, gets the whole map.
func TestSubscriptionsIncremental(t *testing.T) {
	m := busyMon(t)
	now := scenarioStart
	e0 := m.Snapshot().OSDMap.Epoch
	if e0 < 4 {
		t.Fatalf("busy mon at epoch %d", e0)
	}
	epochs := func(ms []*clustermap.OSDMap) []uint64 {
		var out []uint64
		for _, x := range ms {
			out = append(out, x.Epoch)
		}
		return out
	}
	if ds, _ := m.Subscribe(1, messages.SubOSDMap, 0, false); len(ds) != 1 || ds[0].Since != nil {
		t.Fatalf("new subscriber: %+v", ds)
	}
	// Session 2 holds e0-1: the maps since it.
	if ds, _ := m.Subscribe(2, messages.SubOSDMap, e0, false); len(ds) != 1 || !reflect.DeepEqual(epochs(ds[0].Since), []uint64{e0 - 1, e0}) {
		t.Fatalf("subscriber at e0-1: %+v", ds)
	}
	// Session 3 holds e0-3: three incrementals.
	if ds, _ := m.Subscribe(3, messages.SubOSDMap, e0-2, false); len(ds) != 1 || !reflect.DeepEqual(epochs(ds[0].Since), []uint64{e0 - 3, e0 - 2, e0 - 1, e0}) {
		t.Fatalf("subscriber at e0-3: %+v", ds)
	}
	// Session 4 holds epoch 0, which never existed: the whole map.
	if ds, _ := m.Subscribe(4, messages.SubOSDMap, 1, false); len(ds) != 1 || ds[0].Since != nil {
		t.Fatalf("subscriber at epoch 0: %+v", ds)
	}
	_, eff, err := m.HandleCommand(now, map[string]any{"prefix": "osd down", "ids": []any{"0"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range eff.Deliveries {
		if d.What != messages.SubOSDMap {
			continue
		}
		n++
		if d.Epoch != e0+1 || !reflect.DeepEqual(epochs(d.Since), []uint64{e0, e0 + 1}) {
			t.Errorf("session %d: epoch %d since %v", d.Session, d.Epoch, epochs(d.Since))
		}
	}
	if n != 4 {
		t.Fatalf("%d osdmap deliveries, want 4", n)
	}
	// Past the history: the whole map.
	for i := 0; i < osdHistory; i++ {
		verb := "osd out"
		if i%2 == 1 {
			verb = "osd in"
		}
		if _, _, err := m.HandleCommand(now, map[string]any{"prefix": verb, "ids": []any{"1"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if ds, _ := m.Subscribe(5, messages.SubOSDMap, e0, false); len(ds) != 1 || ds[0].Since != nil {
		t.Fatalf("subscriber behind the history: since %v", epochs(ds[0].Since))
	}
	if got := m.OSDMonitor().Since(m.Snapshot().OSDMap.Epoch - osdHistory + 1); len(got) != osdHistory {
		t.Fatalf("history holds %d maps, want %d", len(got), osdHistory)
	}
}

// TestStoreOSDMapIncrementals: between full maps the store keeps each
// epoch as an incremental; a restart rebuilds the same map from them, a
// full map every osdFullEvery epochs supersedes them, and a damaged one
// is reported, never silently skipped.
func TestStoreOSDMapIncrementals(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
	now := scenarioStart
	m, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.FSID = m.FSID()
	for i := 0; i < 3; i++ {
		if _, err := m.OSDBoot(now, OSDBoot{ID: i, UUID: "u" + string(rune('0'+i)), PublicAddrs: clustermap.V1Addr("127.0.0.1:6800", uint32(i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	if _, err := m.Tick(now); err != nil {
		t.Fatal(err)
	}
	flip := func(n int) {
		for i := 0; i < n; i++ {
			now = now.Add(time.Second)
			verb := "osd out"
			if m.Snapshot().OSDMap.OSDs[1].In == 0 {
				verb = "osd in"
			}
			mustCmd(t, m, now, map[string]any{"prefix": verb, "ids": []any{"1"}}, "")
		}
	}
	incs := func() []string {
		names, err := m.store.List(objOSDMapIncPrefix)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	flip(5)
	if n := len(incs()); n == 0 || n > osdFullEvery {
		t.Fatalf("%d incrementals stored after 5 epochs", n)
	}
	want, _ := json.Marshal(m.Snapshot().OSDMap)
	m2, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(m2.Snapshot().OSDMap); string(got) != string(want) {
		t.Fatalf("after restart:\n got %s\nwant %s", got, want)
	}

	// Compacting past osdFullEvery epochs writes a full map that
	// supersedes the incrementals; before that it does nothing.
	m = m2
	flip(osdFullEvery / 2)
	if err := m.CompactOSDMap(); err != nil || len(incs()) == 0 {
		t.Fatalf("early compaction: %v, %d incrementals left", err, len(incs()))
	}
	flip(osdFullEvery)
	if n := len(incs()); n < osdFullEvery {
		t.Fatalf("%d incrementals before compaction", n)
	}
	if err := m.CompactOSDMap(); err != nil {
		t.Fatal(err)
	}
	if n := len(incs()); n != 0 {
		t.Fatalf("%d incrementals kept", n)
	}
	// Without compaction, persist bounds the chain itself.
	flip(osdFullMax + 1)
	if n := len(incs()); n > osdFullMax {
		t.Fatalf("%d incrementals: chain unbounded", n)
	}
	want, _ = json.Marshal(m.Snapshot().OSDMap)
	m3, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(m3.Snapshot().OSDMap); string(got) != string(want) {
		t.Fatalf("after restart past a full map:\n got %s\nwant %s", got, want)
	}

	// A damaged incremental: Open fails with ErrStoreCorrupt.
	m = m3
	flip(1)
	names := incs()
	if len(names) == 0 {
		t.Fatal("no incremental to damage")
	}
	if err := os.WriteFile(filepath.Join(dir, names[len(names)-1]), []byte(`{"epoch":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(now, dir, cfg); !errors.Is(err, ErrStoreCorrupt) {
		t.Fatalf("damaged incremental: %v", err)
	}
}
