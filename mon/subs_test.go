package mon

import (
	"errors"
	"testing"
	"time"

	"gomgr/clustermap"
	"gomgr/messages"
)

func TestSubscriptions(t *testing.T) {
	m := busyMon(t)
	now := scenarioStart
	cur := m.Snapshot().MgrMap

	// Start 0: the current map at once, then every later epoch.
	ds, err := m.Subscribe(1, messages.SubMgrMap, 0, false)
	if err != nil || len(ds) != 1 || ds[0].Map != cur || ds[0].Epoch != cur.Epoch {
		t.Fatalf("subscribe: %+v %v", ds, err)
	}
	// Already has the current epoch: nothing now.
	if ds, _ := m.Subscribe(2, messages.SubMgrMap, cur.Epoch+1, false); len(ds) != 0 {
		t.Fatalf("future start delivered %+v", ds)
	}
	// Onetime: one delivery, then gone.
	if ds, _ := m.Subscribe(3, messages.SubMgrMap, 0, true); len(ds) != 1 {
		t.Fatalf("onetime: %+v", ds)
	}
	if ds, _ := m.Subscribe(4, messages.SubOSDMap, 0, false); len(ds) != 1 || ds[0].Map.(*clustermap.OSDMap) != m.Snapshot().OSDMap {
		t.Fatalf("osdmap: %+v", ds)
	}
	if ds, _ := m.Subscribe(5, "log-warn", 1, false); len(ds) != 1 || len(ds[0].Log) == 0 {
		t.Fatalf("log backlog: %+v", ds)
	} else {
		for _, l := range ds[0].Log {
			if l.Priority != clustermap.PrioWarn && l.Priority != clustermap.PrioError {
				t.Fatalf("log-warn got %+v", l)
			}
		}
	}
	if _, err := m.Subscribe(6, "nonsense", 0, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown subscription: %v", err)
	}

	var got []Delivery
	for i := 0; i < 3; i++ {
		e, err := m.Beacon(now, Beacon{GID: uint64(50 + i), Name: "s" + string(rune('a'+i)), FSID: testFSID})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Deliveries...)
	}
	per := map[SessionID][]uint64{}
	for _, d := range got {
		if d.What == messages.SubMgrMap {
			per[d.Session] = append(per[d.Session], d.Epoch)
		}
	}
	want := []uint64{cur.Epoch + 1, cur.Epoch + 2, cur.Epoch + 3}
	for _, s := range []SessionID{1, 2} {
		if len(per[s]) != 3 || per[s][0] != want[0] || per[s][2] != want[2] {
			t.Errorf("session %d got epochs %v, want %v", s, per[s], want)
		}
	}
	if len(per[3]) != 0 || len(per[4]) != 0 {
		t.Errorf("onetime or osdmap subscriber got mgrmaps: %v %v", per[3], per[4])
	}

	// An OSD going down: osdmap subscribers and warn-level log subscribers.
	m.Unsubscribe(1)
	e, err := m.Tick(now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var osd, warn bool
	for _, d := range e.Deliveries {
		if d.Session == 1 {
			t.Errorf("unsubscribed session got %+v", d)
		}
		if d.Session == 4 && d.What == messages.SubOSDMap {
			osd = true
		}
		if d.Session == 5 {
			warn = true
		}
	}
	if !osd || !warn {
		t.Errorf("tick deliveries %+v", e.Deliveries)
	}
	// Entries from other daemons reach log subscribers; bad ones are refused.
	ds2, _ := m.Subscribe(8, messages.SubLog, 0, false)
	if len(ds2) != 0 {
		t.Fatalf("log from now: %+v", ds2)
	}
	e, err = m.AddLog(now.Add(time.Minute), clustermap.LogEntry{Name: "osd.3", Rank: "osd.3", Priority: clustermap.PrioWarn, Message: "slow ops"})
	if err != nil {
		t.Fatal(err)
	}
	var gotLog bool
	for _, d := range e.Deliveries {
		if d.Session == 8 && len(d.Log) > 0 && d.Log[0].Message == "slow ops" && d.Log[0].Name == "osd.3" && d.Log[0].Channel == "cluster" {
			gotLog = true
		}
	}
	if !gotLog {
		t.Fatalf("AddLog deliveries %+v", e.Deliveries)
	}
	for _, bad := range []clustermap.LogEntry{{Name: "osd.3", Priority: "loud", Message: "m"}, {Priority: clustermap.PrioInfo, Message: "m"}, {Name: "x", Priority: clustermap.PrioInfo}} {
		if _, err := m.AddLog(now, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddLog(%+v) = %v", bad, err)
		}
	}
	if _, err := m.Subscribe(7, messages.SubMgrDigest, 0, false); err != nil || len(m.DigestTargets()) != 1 {
		t.Fatalf("digest: %v %v", err, m.DigestTargets())
	}
}
