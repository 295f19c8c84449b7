package host

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"gomgr/clustermap"
	"gomgr/internal/jsontree"
	"gomgr/messages"
)

func testOSDMap(epoch uint64, osds ...*clustermap.OSDInfo) *clustermap.OSDMap {
	return &clustermap.OSDMap{Epoch: epoch, FSID: "c61c2ab8-9d99-45ce-af51-a34b9f0a08d7", FlagsSet: []string{}, Pools: []clustermap.Pool{},
		OSDs: osds, MaxOSD: osds[len(osds)-1].OSD + 1, Blocklist: map[string]string{}}
}

func testOSD(id, up int) *clustermap.OSDInfo {
	return &clustermap.OSDInfo{OSD: id, UUID: "u" + strconv.Itoa(id), Up: up, In: 1, Weight: 1, State: []string{"exists"}}
}

func mustTree(t *testing.T, v any) any {
	t.Helper()
	js, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := jsontree.Parse(js)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func incMsg(t *testing.T, prev, cur *clustermap.OSDMap) *messages.OSDMapMsg {
	t.Helper()
	inc, err := clustermap.DiffOSDMaps(prev, cur)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	e := uint32(cur.Epoch)
	return &messages.OSDMapMsg{IncrementalMaps: map[uint32][]byte{e: messages.EncodeJSONMap(js)}, NewestMap: e}
}

// TestOSDMapIncrementalTree: the mgr rebuilds each epoch's tree from the
// incrementals the mon sends, equal to the tree of the full map, and
// shares the entries that did not change.
func TestOSDMapIncrementalTree(t *testing.T) {
	m1 := testOSDMap(10, testOSD(0, 1), testOSD(1, 1), testOSD(3, 1))
	m2 := testOSDMap(11, m1.OSDs[0], testOSD(1, 0), testOSD(2, 1), m1.OSDs[2]) // osd.1 down, osd.2 new
	m2.MaxOSD = 4
	m2.FlagsSet = []string{"noout"}
	tree := mustTree(t, m1)
	epoch, got, raw, err := osdMapUpdate(incMsg(t, m1, m2), 10, tree)
	if err != nil || epoch != 11 || raw != nil {
		t.Fatalf("update: epoch %d raw %v err %v", epoch, raw != nil, err)
	}
	if want := mustTree(t, m2); !reflect.DeepEqual(got, want) {
		t.Fatalf("tree after incremental:\n got %v\nwant %v", got, want)
	}
	// osd.0 is shared with the old tree, not copied; the old tree is intact.
	oldOSDs := tree.(map[string]any)["osds"].([]any)
	newOSDs := got.(map[string]any)["osds"].([]any)
	if reflect.ValueOf(oldOSDs[0]).Pointer() != reflect.ValueOf(newOSDs[0]).Pointer() {
		t.Error("unchanged OSD entry was copied")
	}
	if len(oldOSDs) != 3 || oldOSDs[1].(map[string]any)["up"] != int64(1) {
		t.Errorf("old tree modified: %v", oldOSDs)
	}

	// A full map is taken as it came, raw bytes kept.
	js, _ := json.Marshal(m2)
	full := &messages.OSDMapMsg{Maps: map[uint32][]byte{11: messages.EncodeJSONMap(js)}, NewestMap: 11}
	if e, got, raw, err := osdMapUpdate(full, 0, nil); err != nil || e != 11 || string(raw) != string(js) || !reflect.DeepEqual(got, mustTree(t, m2)) {
		t.Fatalf("full map: %d %v", e, err)
	}
	// An epoch already held: nothing to do.
	if e, got, _, err := osdMapUpdate(incMsg(t, m1, m2), 11, got); err != nil || e != 11 || got != nil {
		t.Fatalf("held epoch: %d %v %v", e, got, err)
	}
}

func TestOSDMapIncrementalRefused(t *testing.T) {
	m1 := testOSDMap(10, testOSD(0, 1), testOSD(1, 1))
	m2 := testOSDMap(11, testOSD(0, 0), m1.OSDs[1])
	tree := mustTree(t, m1)
	// Nothing cached, or a cached epoch two behind: a gap.
	if _, _, _, err := osdMapUpdate(incMsg(t, m1, m2), 0, nil); !errors.Is(err, errOSDMapGap) {
		t.Errorf("no cached map: %v", err)
	}
	if _, _, _, err := osdMapUpdate(incMsg(t, m1, m2), 9, tree); !errors.Is(err, errOSDMapGap) {
		t.Errorf("cached epoch 9: %v", err)
	}
	bad := func(mutate func(inc map[string]any)) error {
		inc, _ := clustermap.DiffOSDMaps(m1, m2)
		js, _ := json.Marshal(inc)
		var im map[string]any
		_ = json.Unmarshal(js, &im)
		mutate(im)
		js, _ = json.Marshal(im)
		_, _, _, err := osdMapUpdate(&messages.OSDMapMsg{IncrementalMaps: map[uint32][]byte{11: messages.EncodeJSONMap(js)}, NewestMap: 11}, 10, tree)
		return err
	}
	for name, f := range map[string]func(map[string]any){
		"no header":   func(im map[string]any) { delete(im, "map") },
		"wrong epoch": func(im map[string]any) { im["epoch"] = 12 },
		"unsorted": func(im map[string]any) {
			im["new_osds"] = []any{map[string]any{"osd": 1}, map[string]any{"osd": 0}}
		},
		"entry without id": func(im map[string]any) { im["new_osds"] = []any{map[string]any{"up": 1}} },
	} {
		if err := bad(f); !errors.Is(err, errOSDMapBad) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Garbage in the bufferlist: an error, not a panic.
	g := &messages.OSDMapMsg{IncrementalMaps: map[uint32][]byte{11: {1, 2, 3}}, NewestMap: 11}
	if _, _, _, err := osdMapUpdate(g, 10, tree); err == nil {
		t.Error("garbage incremental accepted")
	}
}

// TestOSDMapIncrementalChain: one MOSDMap with several incrementals (a
// subscriber catching up) applies them in epoch order.
func TestOSDMapIncrementalChain(t *testing.T) {
	m1 := testOSDMap(10, testOSD(0, 1), testOSD(1, 1))
	m2 := testOSDMap(11, testOSD(0, 0), m1.OSDs[1])
	m3 := testOSDMap(12, m2.OSDs[0], m2.OSDs[1], testOSD(2, 1))
	a, b := incMsg(t, m1, m2), incMsg(t, m2, m3)
	chain := &messages.OSDMapMsg{IncrementalMaps: map[uint32][]byte{11: a.IncrementalMaps[11], 12: b.IncrementalMaps[12]}, NewestMap: 12}
	epoch, got, _, err := osdMapUpdate(chain, 10, mustTree(t, m1))
	if err != nil || epoch != 12 {
		t.Fatalf("chain: epoch %d, %v", epoch, err)
	}
	if want := mustTree(t, m3); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the chain:\n got %v\nwant %v", got, want)
	}
	// Holding 11 already, only 12 applies.
	if epoch, got, _, err := osdMapUpdate(chain, 11, mustTree(t, m2)); err != nil || epoch != 12 || !reflect.DeepEqual(got, mustTree(t, m3)) {
		t.Fatalf("from 11: %d %v", epoch, err)
	}
}
