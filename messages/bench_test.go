package messages

import (
	"fmt"
	"testing"
)

// benchPGStats is an MPGStats as a pacific OSD with 64 PGs in two pools
// sends it every few seconds: typed stats in Ceph's binary structs.
func benchPGStats() *PGStats {
	t := &PGStatsT{OSDStat: testOSDStat(false)}
	for i := range 64 {
		s := testPGStat()
		s.ReportedSeq = uint64(i)
		t.PGStat = append(t.PGStat, PGStatTEntry{PG: PGID{Pool: uint64(1 + i%2), Seed: uint32(i)}, Stat: s})
	}
	t.PoolStat = []PoolStatfsEntry{{Pool: 1, Statfs: testStatfs(1 << 30)}, {Pool: 2, Statfs: testStatfs(1 << 31)}}
	p := &PGStats{Paxos: NewPaxos(0), FSID: testFSID, Epoch: 12}
	p.SetTyped(t)
	return p
}

// benchMgrReport is an MMgrReport with 200 declared counters (a tenth of
// them long-run averages) and their packed values, as a daemon's first
// report of a session carries them.
func benchMgrReport(b *testing.B) (*MgrReport, map[string]CounterValue) {
	var types []PerfCounterType
	vals := map[string]CounterValue{}
	for i := range 200 {
		ty := PerfCounterType{Path: fmt.Sprintf("osd.counter_%03d", i), Description: "a counter of things",
			Nick: "ctr", Type: PerfU64 | PerfCounter, Priority: PerfPrioUseful, Unit: 1}
		if i%10 == 0 {
			ty.Type = PerfTime | PerfLongRunAvg
		}
		types = append(types, ty)
		vals[ty.Path] = CounterValue{Value: uint64(i) * 1000, AvgCount: uint64(i), AvgCount2: uint64(i)}
	}
	packed, err := PackCounters(types, vals)
	if err != nil {
		b.Fatal(err)
	}
	return &MgrReport{DaemonName: "osd.0", DeclareTypes: types, Packed: packed, ServiceName: "osd",
		DaemonStatus: map[string]string{"state": "active"}, Metadata: map[string]string{"hostname": "h1", "ceph_version": "16.2"}}, vals
}

func BenchmarkEncodePGStats(b *testing.B) {
	p := benchPGStats()
	ty, err := p.Typed()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(Encode(p).Front)))
	b.ReportAllocs()
	for b.Loop() {
		p.SetTyped(ty)
		_ = Encode(p)
	}
}

func BenchmarkDecodePGStats(b *testing.B) {
	m := Encode(benchPGStats())
	b.SetBytes(int64(len(m.Front)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Decode(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.(*PGStats).Typed(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMgrReport(b *testing.B) {
	p, vals := benchMgrReport(b)
	b.SetBytes(int64(len(Encode(p).Front)))
	b.ReportAllocs()
	for b.Loop() {
		packed, err := PackCounters(p.DeclareTypes, vals)
		if err != nil {
			b.Fatal(err)
		}
		p.Packed = packed
		_ = Encode(p)
	}
}

func BenchmarkDecodeMgrReport(b *testing.B) {
	p, _ := benchMgrReport(b)
	m := Encode(p)
	b.SetBytes(int64(len(m.Front)))
	b.ReportAllocs()
	for b.Loop() {
		q, err := Decode(m)
		if err != nil {
			b.Fatal(err)
		}
		r := q.(*MgrReport)
		if _, err := UnpackCounters(r.DeclareTypes, r.Packed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePGMapDigest(b *testing.B) {
	g := testDigest()
	b.SetBytes(int64(len(g.Marshal())))
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Marshal()
	}
}

func BenchmarkDecodePGMapDigest(b *testing.B) {
	buf := testDigest().Marshal()
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePGMapDigest(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeMgrBeacon covers the map-heavy path (modules, options,
// sets) a mgr sends the mon every two seconds.
func BenchmarkDecodeMgrBeacon(b *testing.B) {
	m := Encode(&MgrBeacon{Paxos: NewPaxos(1), Addrs: mgrAddrs, GID: 4100, Available: true, Name: "x",
		FSID: testFSID, Modules: testModules(), Metadata: map[string]string{"hostname": "h1"},
		Services: map[string]string{"dashboard": "http://h1:8080/"}})
	b.SetBytes(int64(len(m.Front)))
	b.ReportAllocs()
	var p MgrBeacon
	for b.Loop() {
		if err := p.DecodeFrom(m); err != nil {
			b.Fatal(err)
		}
	}
}
