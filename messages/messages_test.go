package messages

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

var (
	testFSID = UUID{0x6b, 0x1a, 0x6b, 0x39, 0x2f, 0x47, 0x4c, 0x1b, 0x9d, 0x0d, 0x1d, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e}
	v1Addr   = wire.EntityAddr{Type: 1, Nonce: 0, IP: []byte{127, 0, 0, 1}, Port: 6789}
	mgrAddrs = []wire.EntityAddr{
		{Type: 2, Nonce: 4242, IP: []byte{10, 0, 0, 7}, Port: 6800},
		{Type: 1, Nonce: 4242, IP: []byte{10, 0, 0, 7}, Port: 6801},
	}
	v6Addr = wire.EntityAddr{Type: 1, Nonce: 9, IP: []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, Port: 3300}
)

func readJSON(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../shared/ceph-json/" + name)
	if err != nil {
		t.Fatalf("shared ceph-json sample missing: %v", err)
	}
	return b
}

func testModules() []ModuleInfo {
	return []ModuleInfo{
		{Name: "balancer", CanRun: true, Options: map[string]ModuleOption{
			"active": {Name: "active", Type: OptBool, Level: LevelAdvanced, Default: "true", Desc: "automatically balance PGs", Tags: []string{"a", "b"}},
			"mode":   {Name: "mode", Type: OptStr, Level: LevelAdvanced, Default: "upmap", EnumAllowed: []string{"crush-compat", "none", "upmap"}, SeeAlso: []string{"mgr/balancer/active"}},
		}},
		{Name: "zabbix", CanRun: false, ErrorString: "zabbix_sender not found"},
	}
}

// roundTripCases covers every payload type with its fields set.
func roundTripCases(t *testing.T) []struct {
	name            string
	p               Payload
	version, compat uint16
} {
	mm := &MonMap{
		FSID: testFSID, Epoch: 3, LastChanged: Utime{1700000000, 5}, Created: Utime{1690000000, 7},
		PersistentFeatures: 0xff, OptionalFeatures: 0,
		Mons: map[string]MonInfo{
			"a": {Name: "a", Addrs: []wire.EntityAddr{v1Addr}},
			"b": {Name: "b", Addrs: []wire.EntityAddr{v6Addr}, Priority: 1, Weight: 10, CrushLoc: map[string]string{"datacenter": "dc1"}},
		},
		Ranks: []string{"a", "b"}, MinMonRelease: 16, RemovedRanks: []int32{3}, ElectionStrategy: 1,
		DisallowedLeaders: []string{"b"}, TiebreakerMon: "a", StretchMarkedDown: []string{"b"},
	}
	mgrMap := MgrMap{
		Epoch: 9, ActiveAddrs: mgrAddrs, ActiveGID: 4100, Available: true, ActiveName: "x",
		Standbys: map[uint64]StandbyInfo{
			4200: {GID: 4200, Name: "y", AvailableModules: testModules(), MgrFeatures: 0x3f},
		},
		Modules:             []string{"balancer", "status"},
		Services:            map[string]string{"prometheus": "http://10.0.0.7:9283/"},
		AvailableModules:    testModules(),
		ActiveChange:        Utime{1700000100, 99},
		AlwaysOnModules:     map[uint32][]string{14: {"balancer"}, 16: {"balancer", "status"}},
		ActiveMgrFeatures:   0x3f,
		LastFailureOSDEpoch: 12,
		Clients:             []MgrClient{{Name: "libcephsqlite", Addrs: mgrAddrs[:1]}, {Name: "rbd_support", Addrs: mgrAddrs[1:]}},
	}
	types := []PerfCounterType{
		{Path: "osd.op_w", Description: "Client write operations", Nick: "wr", Type: PerfU64 | PerfCounter, Priority: PerfPrioCritical},
		{Path: "osd.op_w_latency", Description: "Latency of write operation", Type: PerfTime | PerfLongRunAvg, Priority: PerfPrioUseful},
	}
	packed, err := PackCounters(types, map[string]CounterValue{"osd.op_w": {Value: 42}, "osd.op_w_latency": {Value: 123456, AvgCount: 7, AvgCount2: 7}})
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name            string
		p               Payload
		version, compat uint16
	}{
		{"monmap", NewMonMapMsg(mm), 1, 1},
		{"subscribe", &MonSubscribe{What: map[string]SubscribeItem{"monmap": {Start: 2}, "osdmap": {Start: 0, Flags: SubscribeOnetime}, "mgrmap": {}}, Hostname: "node1"}, 3, 1},
		{"subscribe ack", &MonSubscribeAck{Interval: 300, FSID: testFSID}, 1, 1},
		{"auth", &Auth{Paxos: NewPaxos(0), Protocol: AuthUnknown, AuthPayload: EncodeAuthHello(AuthHello{Protocols: []uint32{AuthNone}, Name: AuthName{Type: wire.EntityMgr, ID: "x"}}), MonmapEpoch: 1}, 1, 1},
		{"auth reply", &AuthReply{Protocol: AuthNone, Result: 0, GlobalID: 4100, ResultBL: []byte{1, 2}, ResultMsg: "ok"}, 1, 1},
		{"get version", &MonGetVersion{Handle: 7, What: "osdmap"}, 1, 1},
		{"get version reply", &MonGetVersionReply{Handle: 7, Version: 42, OldestVersion: 1}, 2, 2},
		{"osdmap", &OSDMapMsg{FSID: testFSID, Maps: map[uint32][]byte{7: EncodeJSONMap(readJSON(t, "osd_dump.json"))}, OldestMap: 1, NewestMap: 7}, 4, 3},
		{"fsmap", &FSMapMsg{Epoch: 1, Map: JSONStruct(readJSON(t, "fs_dump.json"))}, 1, 1},
		{"mon command", &MonCommand{Paxos: NewPaxos(0), FSID: testFSID, Cmd: []string{`{"prefix": "status"}`}, Inbuf: []byte("in")}, 1, 1},
		{"mon command ack", &MonCommandAck{Paxos: NewPaxos(0), R: -22, RS: "invalid", Cmd: []string{`{"prefix": "bogus"}`}, Outbuf: []byte("out")}, 1, 1},
		{"log", &Log{Paxos: NewPaxos(5), FSID: testFSID, Entries: []LogEntry{
			{Name: AuthName{Type: wire.EntityMon, ID: "a"}, Rank: wire.EntityName{Type: wire.EntityMon, Num: 0}, Addrs: []wire.EntityAddr{v1Addr}, Stamp: Utime{1700000000, 1}, Seq: 8, Prio: LogWarn, Msg: "Health check failed", Channel: "cluster"},
			{Name: AuthName{Type: wire.EntityMgr, ID: "x"}, Rank: wire.EntityName{Type: wire.EntityMgr, Num: 4100}, Seq: 9, Prio: LogInfo, Msg: "hello", Channel: "audit"},
		}}, 1, 1},
		{"log ack", &LogAck{FSID: testFSID, Last: 9, Channel: "cluster"}, 1, 1},
		{"config", &Config{Config: map[string]string{"mgr/dashboard/ssl": "false", "debug_mgr": "1/5"}}, 1, 1},
		{"pg stats", &PGStats{Paxos: NewPaxos(0), FSID: testFSID, OSDStat: JSONStruct([]byte(`{"osd":0}`)),
			PGStat: []PGStatEntry{{PG: PGID{Pool: 1, Seed: 0}, Stat: JSONStruct([]byte(`{"pgid":"1.0"}`))}, {PG: PGID{Pool: 2, Seed: 0x1f}, Stat: JSONStruct([]byte(`{"pgid":"2.1f"}`))}},
			Epoch:  12, PoolStat: []PoolStatEntry{{Pool: 1, Stat: JSONStruct([]byte(`{"total":1}`))}}}, 2, 1},
		{"mgr open", &MgrOpen{DaemonName: "0", ServiceName: "osd", ServiceDaemon: true, DaemonMetadata: map[string]string{"hostname": "node1"}, DaemonStatus: map[string]string{"state": "up"}, ConfigBL: []byte{1}, ConfigDefaultsBL: []byte{2}}, 3, 1},
		{"mgr configure", &MgrConfigure{StatsPeriod: 5, StatsThreshold: 5}, 4, 1},
		{"mgr report", &MgrReport{DaemonName: "0", DeclareTypes: types, Packed: packed, UndeclareTypes: []string{"osd.old"}, ServiceName: "osd",
			DaemonStatus: map[string]string{}, TaskStatus: map[string]string{"scrub": "idle"},
			Metadata: map[string]string{"hostname": "node1"}}, 9, 1},
		{"mgr beacon", &MgrBeacon{Paxos: NewPaxos(0), Addrs: mgrAddrs, GID: 4100, Available: true, Name: "x", FSID: testFSID,
			CommandDescs: []CommandDesc{{Cmd: "name=prefix,type=CephString", Help: "show status", Module: "mgr", Perm: "r", Availability: "cli,rest", Flags: 8}},
			Metadata:     map[string]string{"ceph_release": "pacific"}, Services: map[string]string{"dashboard": "https://x/"},
			Modules: testModules(), MgrFeatures: 0x3f, Clients: []MgrClient{{Name: "rbd_support", Addrs: mgrAddrs[:1]}}}, 11, 8},
		{"mgr beacon with the gomgr extension", &MgrBeacon{Paxos: NewPaxos(0), Addrs: mgrAddrs, GID: 4100, Name: "x", FSID: testFSID,
			Modules: testModules(), Runtime: []ModuleRuntime{{Name: "hello", Kind: "python", State: "running"}, {Name: "osdwatch", Kind: "go plugin", State: "failed"}}}, 11, 8},
		{"mgr map", &MgrMapMsg{Map: mgrMap}, 1, 1},
		{"mgr digest", &MgrDigest{MonStatusJSON: []byte(`{"name":"a"}`), HealthJSON: readJSON(t, "health_detail.json")}, 1, 1},
		{"service map", &ServiceMapMsg{Map: JSONStruct(readJSON(t, "service_dump.json"))}, 1, 1},
		{"mgr command", &MgrCommand{FSID: testFSID, Cmd: []string{`{"prefix": "osd df"}`}, Inbl: []byte("x")}, 1, 1},
		{"mgr command reply", &MgrCommandReply{R: 0, RS: "done", Outbl: []byte("table")}, 1, 1},
		{"tell command", &TellCommand{MgrCommand{FSID: UUID{1, 2}, Cmd: []string{`{"prefix":"hello"}`}, Inbl: []byte("in")}}, 1, 1},
		{"tell command reply", &TellCommandReply{MgrCommandReply{R: -22, RS: "bad", Outbl: []byte("out")}}, 1, 1},
		{"osd boot", &OSDBoot{Paxos: NewPaxos(0), Superblock: JSONStruct([]byte(`{"whoami":3}`)), HBBackAddrs: mgrAddrs[:1],
			HBFrontAddrs: mgrAddrs[1:], ClusterAddrs: mgrAddrs, BootEpoch: 7, Metadata: map[string]string{"hostname": "h"}, OSDFeatures: 0x3f}, 7, 7},
		{"osd beacon", &OSDBeacon{Paxos: NewPaxos(4), PGs: []PGID{{Pool: 1, Seed: 0}, {Pool: 2, Seed: 0x1f}}, MinLastEpochClean: 5,
			LastPurgedSnapsScrub: Utime{1700000000, 1}, BeaconInterval: 2}, 3, 1},
		{"mon mgr report", &MonMgrReport{Paxos: NewPaxos(0), HealthChecks: map[string]HealthCheck{
			"MGR_MODULE_ERROR":     {Severity: HealthError, Summary: "Module 'x' has failed", Detail: []string{"Module 'x' has failed: boom"}, Count: 1},
			"POOL_APP_NOT_ENABLED": {Severity: HealthWarn, Summary: "1 pool(s) do not have an application enabled", Count: 1},
		}, ServiceMap: EncodeJSONMap([]byte(`{"services":{}}`)), ProgressEvents: map[string]RawStruct{"ev": {V: 2, Compat: 1, Body: []byte{1, 2}}},
			GID: 4100, PGDigest: EncodeJSONMap([]byte(`{"num_pgs":1}`))}, 3, 1},
	}
}

func TestRoundTrip(t *testing.T) {
	seen := map[uint16]bool{}
	for _, tc := range roundTripCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m := Encode(tc.p)
			if m.Type != tc.p.Type() || m.Version != tc.version || m.CompatVersion != tc.compat {
				t.Fatalf("header type %d v%d/%d, want %d v%d/%d", m.Type, m.Version, m.CompatVersion, tc.p.Type(), tc.version, tc.compat)
			}
			got, err := Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.p) {
				t.Fatalf("decoded\n %#v\nwant\n %#v", got, tc.p)
			}
			again := Encode(got)
			if diff := diffMessage(m, again); diff != "" {
				t.Fatalf("second encode differs: %s", diff)
			}
			// No strict prefix of the front may panic the decoder.
			for n := 0; n < len(m.Front); n++ {
				cut := *m
				cut.Front = m.Front[:n]
				_, _ = Decode(&cut)
			}
		})
		seen[tc.p.Type()] = true
	}
	for ty := range newPayload {
		if !seen[ty] {
			t.Errorf("type 0x%x has no round-trip case", ty)
		}
	}
}

func TestMgrBeaconPriority(t *testing.T) {
	if m := Encode(&MgrBeacon{}); m.Priority != msgr.PrioHigh {
		t.Fatalf("beacon priority %d, want %d (CEPH_MSG_PRIO_HIGH, as Ceph)", m.Priority, msgr.PrioHigh)
	}
	if m := Encode(&MonSubscribe{}); m.Priority != msgr.PrioDefault {
		t.Fatalf("subscribe priority %d", m.Priority)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		m    *msgr.Message
		want error
	}{
		{"unknown type", &msgr.Message{Type: 9999}, ErrUnknownType},
		{"empty auth", &msgr.Message{Type: TypeAuth, Version: 1}, ErrTruncated},
		{"huge string", &msgr.Message{Type: TypeMonGetVersion, Version: 1, Front: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}}, ErrTruncated},
		{"huge vector", &msgr.Message{Type: TypeConfig, Version: 1, Front: []byte{0xff, 0xff, 0xff, 0xff}}, ErrTruncated},
		{"old beacon", &msgr.Message{Type: TypeMgrBeacon, Version: 7}, ErrIncompatible},
		{"bad addrvec marker", &msgr.Message{Type: TypeMgrBeacon, Version: 11, Front: append(make([]byte, 18), 9)}, ErrMalformed},
		{"future mgrmap", &msgr.Message{Type: TypeMgrMap, Version: 1, Front: []byte{40, 30, 0, 0, 0, 0}}, ErrIncompatible},
		{"osdmap with removed snaps", &msgr.Message{Type: TypeOSDMap, Version: 4, Front: append(make([]byte, 16+8+8), 1, 0, 0, 0)}, ErrIncompatible},
		{"beacon client count mismatch", func() *msgr.Message {
			m := Encode(&MgrBeacon{Clients: []MgrClient{{Name: "a"}}})
			m.Front = append(m.Front[:len(m.Front)-9], 0, 0, 0, 0) // drop the names vector
			return m
		}(), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.m)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMonSubscribeV1(t *testing.T) {
	// Version 1 clients sent map<string, {have u64, onetime bool}>.
	e := NewEncoder(nil)
	e.U32(1)
	e.String("osdmap")
	e.U64(41)
	e.Bool(true)
	p, err := Decode(&msgr.Message{Type: TypeMonSubscribe, Version: 1, Front: e.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	got := p.(*MonSubscribe).What["osdmap"]
	if got != (SubscribeItem{Start: 42, Flags: SubscribeOnetime}) {
		t.Fatalf("v1 item %+v", got)
	}
}

func TestJSONMaps(t *testing.T) {
	js := readJSON(t, "osd_dump.json")
	got, err := DecodeJSONMap(EncodeJSONMap(js))
	if err != nil || !bytes.Equal(got, js) {
		t.Fatalf("json map round trip: %v", err)
	}
	e := NewEncoder(nil)
	RawStruct{V: 8, Compat: 7, Body: []byte{1, 2, 3}}.Encode(e)
	if _, err := DecodeJSONMap(e.Bytes()); !errors.Is(err, ErrNotJSON) {
		t.Fatalf("binary map: %v", err)
	}
	if _, err := DecodeJSONMap([]byte{200}); !errors.Is(err, ErrTruncated) {
		t.Fatalf("short map: %v", err)
	}
	sm := &ServiceMapMsg{Map: JSONStruct(readJSON(t, "service_dump.json"))}
	if ep, err := sm.Epoch(); err != nil || ep != 1 {
		t.Fatalf("service map epoch %d %v", ep, err)
	}
}

func TestPackCounters(t *testing.T) {
	types := []PerfCounterType{
		{Path: "c", Type: PerfU64 | PerfCounter},
		{Path: "a", Type: PerfU64},
		{Path: "b", Type: PerfTime | PerfLongRunAvg},
	}
	vals := map[string]CounterValue{"a": {Value: 1}, "b": {Value: 2, AvgCount: 3, AvgCount2: 5}, "c": {Value: 4}}
	packed, err := PackCounters(types, vals)
	if err != nil {
		t.Fatal(err)
	}
	// Path order; sum, avgcount, avgcount2 for b.
	e := NewEncoder(nil)
	st := e.StartStruct(1, 1)
	for _, v := range []uint64{1, 2, 3, 5, 4} {
		e.U64(v)
	}
	e.FinishStruct(st)
	if !bytes.Equal(packed, e.Bytes()) {
		t.Fatalf("packed %x, want %x", packed, e.Bytes())
	}
	got, err := UnpackCounters(types, packed)
	if err != nil || !reflect.DeepEqual(got, vals) {
		t.Fatalf("unpack %v %v", got, err)
	}
	if _, err := UnpackCounters(append(types, PerfCounterType{Path: "d", Type: PerfU64}), packed); !errors.Is(err, ErrTruncated) {
		t.Fatalf("unpack with a counter too many: %v", err)
	}
	if _, err := UnpackCounters(types[:2], packed); err != nil {
		t.Fatalf("unpack with fewer types must skip the rest of the struct: %v", err)
	}
	if b, err := PackCounters([]PerfCounterType{{Type: PerfHistogram | PerfU64}}, nil); err != nil || len(b) != 6+8 {
		t.Fatalf("pack histogram: %x %v", b, err)
	}
}

// TestPackedFromCapture unpacks every real report's counters with the
// types declared (and not undeclared) earlier in the same session, which
// only works if the packing order and widths match Ceph's.
func TestPackedFromCapture(t *testing.T) {
	declared := map[string]map[string]PerfCounterType{}
	var unpacked, values int
	for _, c := range loadCapture(t) {
		if c.Msg.Type != TypeMgrReport || !c.Complete {
			continue
		}
		p, err := Decode(c.Msg)
		if err != nil {
			t.Fatal(err)
		}
		r := p.(*MgrReport)
		d := declared[c.Conn]
		if d == nil {
			d = map[string]PerfCounterType{}
			declared[c.Conn] = d
		}
		for _, ty := range r.DeclareTypes {
			d[ty.Path] = ty
		}
		for _, path := range r.UndeclareTypes {
			delete(d, path)
		}
		var types []PerfCounterType
		for _, ty := range d {
			types = append(types, ty)
		}
		vals, err := UnpackCounters(types, r.Packed)
		if err != nil {
			t.Fatalf("%s: %v", c.Conn, err)
		}
		dec := NewDecoder(r.Packed)
		st := dec.StartStruct(1, "packed")
		if left := dec.Left(st); left != packedWidth(types) {
			t.Fatalf("%s: packed holds %d bytes, declared counters need %d", c.Conn, left, packedWidth(types))
		}
		unpacked++
		values += len(vals)
	}
	if unpacked == 0 || values == 0 {
		t.Fatal("no reports unpacked")
	}
	t.Logf("unpacked %d reports, %d counter values", unpacked, values)
}

func packedWidth(types []PerfCounterType) int {
	n := 0
	for _, t := range types {
		n += 8
		if t.Type&PerfLongRunAvg != 0 {
			n += 16
		}
	}
	return n
}

// TestProgressEventBytes: Ceph's ProgressEvent v2 encoding, byte for byte:
// ENCODE_START(2, 1), string, float, bool.
func TestProgressEventBytes(t *testing.T) {
	e := NewEncoder(nil)
	ProgressEvent{Message: "ab", Progress: 0.5, AddToCephS: true}.Raw().Encode(e)
	want := []byte{2, 1, 11, 0, 0, 0, 2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0x3f, 1}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("% x\nwant % x", e.Bytes(), want)
	}
	got, err := DecodeProgressEvent(DecodeRawStruct(NewDecoder(want)))
	if err != nil || got != (ProgressEvent{Message: "ab", Progress: 0.5, AddToCephS: true}) {
		t.Fatalf("%+v %v", got, err)
	}
	v1, err := DecodeProgressEvent(RawStruct{V: 1, Compat: 1, Body: want[6:16]})
	if err != nil || !v1.AddToCephS {
		t.Fatalf("v1: %+v %v", v1, err)
	}
}
