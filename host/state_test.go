package host

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gomgr/messages"
	"gomgr/registry"
)

func TestSetMapEpochsOnlyMoveForward(t *testing.T) {
	c := NewClusterState(4)
	if !c.SetMap("osd_map", 5, map[string]any{"epoch": int64(5)}) {
		t.Fatal("first epoch refused")
	}
	v1, err := c.Get("osd_map")
	if err != nil {
		t.Fatal(err)
	}
	if c.SetMap("osd_map", 5, map[string]any{"epoch": int64(5)}) || c.SetMap("osd_map", 4, nil) {
		t.Fatal("same or older epoch accepted")
	}
	v2, _ := c.Get("osd_map")
	if v1 != v2 {
		t.Fatal("same epoch gave a different snapshot: modules would convert it twice")
	}
	if !c.SetMap("osd_map", 6, map[string]any{"epoch": int64(6)}) {
		t.Fatal("newer epoch refused")
	}
	v3, _ := c.Get("osd_map")
	if v3.Version != 6 || c.Epoch("osd_map") != 6 {
		t.Fatalf("got version %d epoch %d, want 6", v3.Version, c.Epoch("osd_map"))
	}
	if _, err := c.Get("no_such_map"); !errors.Is(err, registry.ErrNoData) {
		t.Fatalf("unknown name: %v, want ErrNoData", err)
	}
}

// TestPGValuesOncePerVersion: the PG-derived values come from the PGMap
// and are converted once per PGMap version.
func TestPGValuesOncePerVersion(t *testing.T) {
	c := NewClusterState(4)
	osdmap := map[string]any{"epoch": int64(3), "pools": []any{map[string]any{"pool": int64(1), "pool_name": "rbd",
		"pg_num": int64(2), "size": int64(1), "crush_rule": int64(0)}},
		"osds": []any{map[string]any{"osd": int64(0), "up": int64(1), "in": int64(1), "weight": float64(1)}}}
	if err := c.PG.ApplyOSDMap(osdmap, time.Now()); err != nil {
		t.Fatal(err)
	}
	st := &messages.PGStatsT{OSDStat: messages.OSDStatT{Statfs: messages.StoreStatfs{Total: 100 << 10, Available: 90 << 10}, NumPGs: 2, NumOSDs: 1}}
	for seed := range uint32(2) {
		s := messages.PGStatT{State: 1<<1 | 1<<2, ReportedEpoch: 3, ReportedSeq: 1, Up: []int32{0}, Acting: []int32{0}}
		s.Stats.Sum.NumBytes, s.Stats.Sum.NumObjects = 1000, 2
		st.PGStat = append(st.PGStat, messages.PGStatTEntry{PG: messages.PGID{Pool: 1, Seed: seed}, Stat: s})
	}
	if err := c.PG.Ingest(0, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	c.PG.Tick(time.Now())
	df1, err := c.Get("df")
	if err != nil {
		t.Fatal(err)
	}
	df2, _ := c.Get("df")
	if df1 != df2 {
		t.Fatal("df rebuilt without a PGMap change")
	}
	pools := df1.Data.(map[string]any)["pools"].([]any)
	if len(pools) != 1 || pools[0].(map[string]any)["stats"].(map[string]any)["stored"] != int64(2000) {
		t.Fatalf("df pools = %v", pools)
	}
	sum, _ := c.Get("pg_summary")
	if got := sum.Data.(map[string]any)["all"].(map[string]any)["active+clean"]; got != int64(2) {
		t.Fatalf("pg_summary all = %v, want 2", got)
	}
	c.PG.Tick(time.Now())
	if df3, _ := c.Get("df"); df3 == df1 {
		t.Fatal("df not rebuilt after a new PGMap version")
	}
}

func TestDaemonReportsKeepLastSamples(t *testing.T) {
	c := NewClusterState(3)
	k := DaemonKey{"osd", "7"}
	if err := c.Daemons.Report(k, time.Now(), nil); !errors.Is(err, ErrUnknownDaemon) {
		t.Fatalf("report before open: %v", err)
	}
	c.Daemons.Open(k, "node1", map[string]string{"ceph_version": "gomgr", "hostname": "node1"})
	schema := map[string]registry.PerfCounter{"osd.op_w": {Type: 10}, "osd.op_r": {Type: 10}}
	if err := c.Daemons.Declare(k, schema, []string{"osd.op_w", "osd.op_r"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Daemons.Report(k, time.Now(), []registry.Sample{{V: 1}}); !errors.Is(err, ErrReportMismatch) {
		t.Fatalf("short report: %v", err)
	}
	base := time.Unix(1000, 0)
	for i := range 5 {
		if err := c.Daemons.Report(k, base.Add(time.Duration(i)*time.Second), []registry.Sample{{V: float64(i)}, {V: 0, Count: uint64(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	got := c.Counter("osd", "7", "osd.op_w")
	if len(got) != 3 || got[0].V != 2 || got[2].V != 4 || got[2].T != 1004 {
		t.Fatalf("samples = %v, want the last three", got)
	}
	// The second counter's avgcount is kept with its sample.
	avg := c.Counter("osd", "7", c.Daemons.get(k).Order[1])
	if len(avg) != 3 || avg[2].Count != 4 {
		t.Fatalf("avg samples = %v", avg)
	}
	if s, ok := c.GetServer("node1"); !ok || len(s.Services) != 1 || s.Services[0].ID != "7" {
		t.Fatalf("server = %+v %v", s, ok)
	}
	md, _ := c.Get("osd_metadata")
	if md.Data.(map[string]any)["7"].(map[string]any)["hostname"] != "node1" {
		t.Fatalf("osd_metadata = %v", md.Data)
	}
	if len(c.PerfSchema("osd", "7")) != 2 {
		t.Fatal("schema lost")
	}
}

// TestStateConcurrentReaders runs writers and module-like readers together
// for the race detector.
func TestStateConcurrentReaders(t *testing.T) {
	c := NewClusterState(8)
	for i := range 4 {
		k := DaemonKey{"osd", fmt.Sprint(i)}
		c.Daemons.Open(k, "h", nil)
		_ = c.Daemons.Declare(k, nil, []string{"a"})
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = c.Get("osd_map")
				_, _ = c.Get("df")
				_ = c.Counter("osd", "1", "a")
				_ = c.ListServers()
				_, _ = c.Metadata("osd", "2")
			}
		})
	}
	for e := uint64(1); e <= 200; e++ {
		c.SetMap("osd_map", e, map[string]any{"epoch": e})
		c.PG.Tick(time.Now())
		_ = c.Daemons.Report(DaemonKey{"osd", fmt.Sprint(e % 4)}, time.Now(), []registry.Sample{{V: float64(e)}})
	}
	close(stop)
	wg.Wait()
	if c.Epoch("osd_map") != 200 {
		t.Fatalf("epoch %d", c.Epoch("osd_map"))
	}
}

func TestParseConfDump(t *testing.T) {
	kv := parseConfDump([]byte("name = mgr.x\nmon_osd_min_in_ratio = 0.750000\nadmin_socket_mode = \nnot an option\n = x\n"))
	if len(kv) != 3 || kv["mon_osd_min_in_ratio"] != "0.750000" || kv["name"] != "mgr.x" || kv["admin_socket_mode"] != "" {
		t.Fatalf("%v", kv)
	}
}

func FuzzParseConfDump(f *testing.F) {
	f.Add([]byte("name = mgr.x\nfsid = 0b7d\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for k := range parseConfDump(b) {
			if k == "" || strings.ContainsAny(k, " \t\n") {
				t.Fatalf("key %q", k)
			}
		}
	})
}

// TestClusterLogPending: lines stay until acknowledged, numbered in order,
// and at most clogMaxPending are kept.
func TestClusterLogPending(t *testing.T) {
	var c clusterLog
	for i := range clogMaxPending + 5 {
		got := c.add(messages.LogEntry{Msg: fmt.Sprint(i)})
		if last := got[len(got)-1]; last.Seq != uint64(i+1) {
			t.Fatalf("seq %d for line %d", last.Seq, i)
		}
	}
	c.ack(clogMaxPending)
	got := c.add(messages.LogEntry{Msg: "next"})
	if len(got) != 6 || got[0].Seq != clogMaxPending+1 || got[5].Msg != "next" {
		t.Fatalf("pending after ack: %d lines, first seq %d", len(got), got[0].Seq)
	}
}
