package mon

import (
	"fmt"
	"testing"
	"time"

	"gomgr/clustermap"
)

func benchMon(b *testing.B, dir string, osds int) (*Mon, time.Time) {
	b.Helper()
	cfg := DefaultConfig()
	cfg.FSID = testFSID
	now := scenarioStart
	m, err := Open(now, dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	mods := []clustermap.ModuleInfo{{Name: "alerts", CanRun: true}, {Name: "status", CanRun: true}}
	if _, err := m.Beacon(now, Beacon{GID: 1, Name: "x", FSID: testFSID, AvailableModules: mods}); err != nil {
		b.Fatal(err)
	}
	if _, err := m.Beacon(now, Beacon{GID: 2, Name: "y", FSID: testFSID, AvailableModules: mods}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < osds; i++ {
		if _, err := m.OSDBoot(now, OSDBoot{ID: i, UUID: fmt.Sprintf("u%d", i), PublicAddrs: clustermap.V1Addr("127.0.0.1:6800", uint32(i))}); err != nil {
			b.Fatal(err)
		}
	}
	now = now.Add(2 * time.Second)
	if _, err := m.Tick(now); err != nil {
		b.Fatal(err)
	}
	return m, now
}

// BenchmarkBeacon is the steady state: the active's beacon, no change.
func BenchmarkBeacon(b *testing.B) {
	m, now := benchMon(b, "", 0)
	bc := Beacon{GID: 1, Name: "x", FSID: testFSID, AvailableModules: []clustermap.ModuleInfo{{Name: "alerts", CanRun: true}, {Name: "status", CanRun: true}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Beacon(now, bc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBeacon10k is the same with 10,000 OSDs (each event recomputes
// health, which walks the OSDs).
func BenchmarkBeacon10k(b *testing.B) {
	m, now := benchMon(b, "", 10000)
	bc := Beacon{GID: 1, Name: "x", FSID: testFSID, AvailableModules: []clustermap.ModuleInfo{{Name: "alerts", CanRun: true}, {Name: "status", CanRun: true}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Beacon(now, bc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMgrEpochStore: every beacon changes the map: a new epoch,
// persisted (write, fsync, rename, fsync dir).
func BenchmarkMgrEpochStore(b *testing.B) {
	m, now := benchMon(b, b.TempDir(), 0)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		e, err := m.Beacon(now, Beacon{GID: 1, Name: "x", FSID: testFSID, Services: map[string]string{"n": fmt.Sprint(i)},
			AvailableModules: []clustermap.ModuleInfo{{Name: "alerts", CanRun: true}, {Name: "status", CanRun: true}}})
		if err != nil || e.MgrMap == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOSDReport10k: one OSD liveness report with 10,000 OSDs.
func BenchmarkOSDReport10k(b *testing.B) {
	m, now := benchMon(b, "", 10000)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := m.OSDReport(now, i%10000); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkTick10k: 10,000 OSD reports then one mon tick over them
// (nothing changes).
func BenchmarkTick10k(b *testing.B) {
	m, now := benchMon(b, "", 10000)
	b.ReportAllocs()
	for b.Loop() {
		for id := 0; id < 10000; id++ {
			_ = m.OSDReport(now, id)
		}
		if _, err := m.Tick(now.Add(time.Second)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOSDEpochStore10k: one OSDMap epoch of 10,000 OSDs, persisted.
func BenchmarkOSDEpochStore10k(b *testing.B) {
	m, now := benchMon(b, b.TempDir(), 10000)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		prefix := "osd out"
		if i%2 == 1 {
			prefix = "osd in"
		}
		r, e, err := m.HandleCommand(now, map[string]any{"prefix": prefix, "ids": []any{"7"}}, nil)
		if err != nil || r.Retval != 0 || e.OSDMap == nil {
			b.Fatal(r, err)
		}
		i++
	}
}
