package messages

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

const serviceMapTestdata = "testdata/servicemap/"

// pacificServiceMapMsgs reads the messages of testdata/servicemap, a
// capture of a pacific cluster with service daemons registered.
func pacificServiceMapMsgs(tb testing.TB) []*msgr.Message {
	tb.Helper()
	f, err := os.Open(serviceMapTestdata + "pacific-16.2.15.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []*msgr.Message
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var ev captureEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			tb.Fatal(err)
		}
		front, err := fromHex(ev.FrontHex)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, &msgr.Message{Type: ev.Type, Version: ev.Version, CompatVersion: ev.CompatVersion, Front: front})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("no messages in testdata")
	}
	return out
}

// serviceMapsOf decodes the ServiceMap every message carries and checks
// that it re-encodes to the very bytes it came in: the MServiceMap front
// through NewServiceMapMsg, and an MMonMgrReport's service_map_bl through
// Marshal. Reports with an empty service_map_bl count in noMap.
func serviceMapsOf(t *testing.T, msgs []*msgr.Message) (maps []*ServiceMap, noMap int) {
	t.Helper()
	for i, m := range msgs {
		p, err := Decode(m)
		if err != nil {
			t.Fatalf("msg %d type 0x%x: %v", i, m.Type, err)
		}
		switch p := p.(type) {
		case *ServiceMapMsg:
			sm, err := p.ServiceMap()
			if err != nil {
				t.Fatalf("msg %d: MServiceMap: %v", i, err)
			}
			re := Encode(NewServiceMapMsg(sm))
			if diff := diffMessage(m, re); diff != "" {
				t.Fatalf("msg %d: MServiceMap e%d re-encodes differently: %s", i, sm.Epoch, diff)
			}
			maps = append(maps, sm)
		case *MonMgrReport:
			if len(p.ServiceMap) == 0 {
				noMap++
				continue
			}
			sm, err := ParseServiceMap(p.ServiceMap)
			if err != nil {
				t.Fatalf("msg %d: MMonMgrReport service_map_bl: %v", i, err)
			}
			if got := sm.Marshal(); !bytes.Equal(got, p.ServiceMap) {
				t.Fatalf("msg %d: service_map_bl e%d re-encodes differently: %s", i, sm.Epoch, firstDiff(p.ServiceMap, got))
			}
			maps = append(maps, sm)
		}
	}
	return maps, noMap
}

// TestServiceMapGoldenSession: every ServiceMap of the shared pacific
// session (3 MServiceMap, 11 MMonMgrReport) decodes and re-encodes byte
// for byte. That session only ever had the empty epoch-1 map, and the
// mgr's reports carried no map at all (service_map_bl is empty until the
// mgr's pending map changes).
func TestServiceMapGoldenSession(t *testing.T) {
	var msgs []*msgr.Message
	for _, c := range loadCapture(t) {
		if (c.Msg.Type == TypeServiceMap || c.Msg.Type == TypeMonMgrReport) && c.Complete {
			msgs = append(msgs, c.Msg)
		}
	}
	maps, noMap := serviceMapsOf(t, msgs)
	if len(maps) != 3 || noMap != 11 {
		t.Fatalf("%d service maps and %d reports without one, want 3 and 11", len(maps), noMap)
	}
	for _, sm := range maps {
		if sm.Epoch != 1 || len(sm.Services) != 0 || sm.Modified.Sec == 0 {
			t.Fatalf("map %+v, want the empty epoch 1", sm)
		}
	}
}

// TestServiceMapGoldenPacific: the non-trivial maps of a real pacific
// cluster (testdata/servicemap) decode into the values the daemons
// registered and re-encode byte for byte, in MServiceMap and in
// MMonMgrReport's service_map_bl alike.
func TestServiceMapGoldenPacific(t *testing.T) {
	maps, _ := serviceMapsOf(t, pacificServiceMapMsgs(t))
	byEpoch := map[uint32]*ServiceMap{}
	reports := 0
	for _, sm := range maps {
		if prev, ok := byEpoch[sm.Epoch]; ok {
			reports++
			if !reflect.DeepEqual(prev, sm) {
				t.Fatalf("epoch %d: the mgr's report and the mon's map differ", sm.Epoch)
			}
		}
		byEpoch[sm.Epoch] = sm
	}
	if len(byEpoch) != 5 || reports != 3 {
		t.Fatalf("epochs %d (want 5), maps seen in both a report and a map %d (want 3)", len(byEpoch), reports)
	}
	e5 := byEpoch[5]
	if got := sortedKeys(e5.Services); strings.Join(got, ",") != "mgr,mon,rgw,taskd,testsvc" {
		t.Fatalf("epoch 5 services %v", got)
	}
	worker := e5.Services["taskd"].Daemons["worker0"]
	wantTasks := map[string]string{"scrub status": "idle", "sync": "50%"}
	if worker.GID != 9001 || worker.StartEpoch != 4 || !reflect.DeepEqual(worker.TaskStatus, wantTasks) ||
		worker.Metadata["purpose"] != "task status" || worker.Addr.Type != 1 || LegacyAddrString(worker.Addr) != "127.0.0.1:0/2853763917" {
		t.Fatalf("taskd.worker0 %+v", worker)
	}
	gw := e5.Services["rgw"].Daemons["gw1"]
	if gw.GID != 4112 || gw.Metadata["zone_name"] != "default" || gw.Metadata["ceph_release"] != "pacific" || gw.TaskStatus != nil {
		t.Fatalf("rgw.gw1 %+v", gw)
	}
	// The mgr's own entries: gid 0, a blank address, only task status.
	mon := e5.Services["mon"].Daemons["a"]
	if mon.GID != 0 || !mon.Addr.IsBlank() || mon.StartStamp != (Utime{}) || mon.Metadata != nil {
		t.Fatalf("mon.a %+v", mon)
	}
	if len(byEpoch[3].Services) != 2 || byEpoch[2].Services["testsvc"].Daemons["alpha"].Metadata["role"] != "primary" {
		t.Fatalf("epochs 2 and 3: %+v %+v", byEpoch[2].Services, byEpoch[3].Services)
	}
}

// TestServiceMapDumpJSONGolden compares DumpJSON with what the real
// pacific cluster printed for the same epochs: byte for byte against
// `-f json`, token for token (keys, order, values) against `-f json-pretty`.
// It also checks the top-level shape against the sample in shared/ceph-json.
func TestServiceMapDumpJSONGolden(t *testing.T) {
	maps, _ := serviceMapsOf(t, pacificServiceMapMsgs(t))
	byEpoch := map[uint32]*ServiceMap{}
	for _, sm := range maps {
		byEpoch[sm.Epoch] = sm
	}
	for _, tc := range []struct {
		epoch  uint32
		file   string
		pretty bool
	}{
		{2, "dump-e2.json", true},
		{3, "dump-e3.json", false},
		{5, "dump-e5.json", false},
	} {
		want, err := os.ReadFile(serviceMapTestdata + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := byEpoch[tc.epoch].DumpJSON()
		if err != nil {
			t.Fatal(err)
		}
		if tc.pretty {
			if g, w := jsonTokens(t, got), jsonTokens(t, want); !reflect.DeepEqual(g, w) {
				t.Errorf("epoch %d: DumpJSON tokens differ from %s\n got %v\nwant %v", tc.epoch, tc.file, g, w)
			}
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("epoch %d: DumpJSON differs from %s: %s", tc.epoch, tc.file, firstDiff(want, got))
		}
	}

	// The shape of shared/ceph-json/service_dump.json (an idle cluster's
	// map): the same top-level keys in the same order, a stamp in the same
	// format, and services an object.
	sample := readJSON(t, "service_dump.json")
	got, _ := byEpoch[5].DumpJSON()
	if g, w := topLevelShape(t, got), topLevelShape(t, sample); g != w {
		t.Fatalf("top-level shape %q, sample has %q", g, w)
	}
}

// jsonTokens lists a document's tokens in order.
func jsonTokens(t *testing.T, b []byte) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []any
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("json: %v", err)
		}
		out = append(out, tok)
	}
}

// topLevelShape describes a dump's top level in order: each key with its
// value's kind, a stamp's format with its digits masked.
func topLevelShape(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %v", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var s string
		switch {
		case json.Unmarshal(v, &s) == nil:
			keys = append(keys, k+"="+strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return '9'
				}
				return r
			}, s))
		case v[0] == '{':
			keys = append(keys, k+"=object")
		default:
			keys = append(keys, k+"=number")
		}
	}
	return strings.Join(keys, ",")
}

// TestServiceMapJSONForm: gomgr's mon sends the map as JSON; the message
// helpers read that form too, and DumpJSON's output reads back into the
// same map (less what JSON does not carry).
func TestServiceMapJSONForm(t *testing.T) {
	sample := readJSON(t, "service_dump.json")
	msg := &ServiceMapMsg{Map: JSONStruct(sample)}
	sm, err := msg.ServiceMap()
	if err != nil {
		t.Fatal(err)
	}
	if sm.Epoch != 1 || CephStamp(sm.Modified) != "2026-11-22T22:08:21.722284+0000" || sm.Services != nil {
		t.Fatalf("sample %+v", sm)
	}
	if js, err := msg.JSON(); err != nil || !bytes.Equal(js, sample) {
		t.Fatalf("JSON of a JSON-form message: %v", err)
	}
	if sm2, err := ParseServiceMap(EncodeJSONMap(sample)); err != nil || !reflect.DeepEqual(sm, sm2) {
		t.Fatalf("ParseServiceMap of the JSON form: %+v %v", sm2, err)
	}

	maps, _ := serviceMapsOf(t, pacificServiceMapMsgs(t))
	for _, want := range maps {
		js, _ := want.DumpJSON()
		got, err := ParseServiceMapJSON(js)
		if err != nil {
			t.Fatalf("epoch %d: %v", want.Epoch, err)
		}
		// JSON keeps microseconds and no address type.
		exp := *want
		exp.Modified.Nsec -= exp.Modified.Nsec % 1000
		exp.Services = map[string]ServiceInfo{}
		for name, s := range want.Services {
			ds := map[string]ServiceDaemon{}
			for dn, d := range s.Daemons {
				d.StartStamp.Nsec -= d.StartStamp.Nsec % 1000
				ds[dn] = d
			}
			exp.Services[name] = ServiceInfo{Daemons: ds, Summary: s.Summary}
		}
		if len(want.Services) == 0 {
			exp.Services = nil
		}
		if !reflect.DeepEqual(got, &exp) {
			t.Fatalf("epoch %d: JSON round trip\n got %+v\nwant %+v", want.Epoch, got, &exp)
		}
		if js2, _ := got.DumpJSON(); !bytes.Equal(js, js2) {
			t.Fatalf("epoch %d: DumpJSON after the JSON round trip: %s", want.Epoch, firstDiff(js, js2))
		}
		binMsg := NewServiceMapMsg(want)
		if js2, err := binMsg.JSON(); err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("epoch %d: JSON of the binary message: %v", want.Epoch, err)
		}
		if ep, err := binMsg.Epoch(); err != nil || ep != want.Epoch {
			t.Fatalf("Epoch() of the binary message: %d %v", ep, err)
		}
	}
}

// svcStructs builds encodings by hand for the version tests.
func svcDaemon(v, compat uint8, withTasks bool, trailer []byte) []byte {
	e := NewEncoder(nil)
	st := e.StartStruct(v, compat)
	e.U64(7)
	e.EntityAddr(wire.EntityAddr{Type: 3, Nonce: 9, IP: []byte{10, 0, 0, 1}, Port: 80})
	e.U32(2)
	e.Utime(Utime{Sec: 1700000000, Nsec: 5000})
	e.StringMap(map[string]string{"k": "v"})
	if withTasks {
		e.StringMap(map[string]string{"t": "running"})
	}
	e.Raw(trailer)
	e.FinishStruct(st)
	return e.Bytes()
}

func svcMap(mapV, svcV uint8, daemon []byte, trailer []byte) []byte {
	e := NewEncoder(nil)
	st := e.StartStruct(mapV, 1)
	e.U32(12)
	e.Utime(Utime{Sec: 1700000001})
	e.U32(1)
	e.String("rgw")
	s := e.StartStruct(svcV, 1)
	e.U32(1)
	e.String("a")
	e.Raw(daemon)
	e.String("summary text")
	if svcV > 1 {
		e.Raw(trailer)
	}
	e.FinishStruct(s)
	e.Raw(trailer)
	e.FinishStruct(st)
	return e.Bytes()
}

// TestServiceMapVersions: older structs decode without their newer fields,
// newer ones have what they append skipped, and a compat version above
// what pacific understands is refused.
func TestServiceMapVersions(t *testing.T) {
	daemon := ServiceDaemon{GID: 7, Addr: wire.EntityAddr{Type: 3, Nonce: 9, IP: []byte{10, 0, 0, 1}, Port: 80},
		StartEpoch: 2, StartStamp: Utime{Sec: 1700000000, Nsec: 5000}, Metadata: map[string]string{"k": "v"}}
	withTasks := daemon
	withTasks.TaskStatus = map[string]string{"t": "running"}
	want := func(d ServiceDaemon) *ServiceMap {
		return &ServiceMap{Epoch: 12, Modified: Utime{Sec: 1700000001},
			Services: map[string]ServiceInfo{"rgw": {Daemons: map[string]ServiceDaemon{"a": d}, Summary: "summary text"}}}
	}
	extra := []byte{0xde, 0xad, 0xbe, 0xef}
	for _, tc := range []struct {
		name  string
		in    []byte
		want  *ServiceMap
		err   error
		exact bool // re-encodes to the input
	}{
		{"pacific", svcMap(1, 1, svcDaemon(2, 1, true, nil), nil), want(withTasks), nil, true},
		{"daemon v1 has no task_status", svcMap(1, 1, svcDaemon(1, 1, false, nil), nil), want(daemon), nil, false},
		{"daemon v3 appends", svcMap(1, 1, svcDaemon(3, 1, true, extra), nil), want(withTasks), nil, false},
		{"service and map v2 append", svcMap(2, 2, svcDaemon(2, 1, true, nil), extra), want(withTasks), nil, false},
		{"daemon compat 3", svcMap(1, 1, svcDaemon(3, 3, true, nil), nil), nil, ErrIncompatible, false},
		{"map compat 2", []byte{2, 2, 0, 0, 0, 0}, nil, ErrIncompatible, false},
		{"empty", nil, nil, ErrTruncated, false},
		{"truncated", svcMap(1, 1, svcDaemon(2, 1, true, nil), nil)[:40], nil, ErrTruncated, false},
		{"daemon longer than its struct", func() []byte {
			b := svcMap(1, 1, svcDaemon(2, 1, true, nil), nil)
			b[6+4+8+4+4+3+6+4+4+1+2]-- // the daemon struct's length
			return b
		}(), nil, ErrMalformed, false},
		{"hostile count", []byte{1, 1, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}, nil, ErrTruncated, false},
		{"bad address marker", func() []byte {
			b := svcMap(1, 1, svcDaemon(2, 1, true, nil), nil)
			b[6+4+8+4+4+3+6+4+4+1+6+8] = 7 // its address's marker
			return b
		}(), nil, ErrMalformed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseServiceMap(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			if re := got.Marshal(); tc.exact != bytes.Equal(re, tc.in) {
				t.Fatalf("re-encode exact = %v, want %v", !tc.exact, tc.exact)
			}
			if again, err := ParseServiceMap(got.Marshal()); err != nil || !reflect.DeepEqual(again, tc.want) {
				t.Fatalf("re-encoded map reads back as %+v, %v", again, err)
			}
		})
	}
}

// TestServiceMapBlankAddr: a blank address is encoded as Ceph encodes it
// (a zeroed sockaddr of 28 bytes), and printed as Ceph prints it.
func TestServiceMapBlankAddr(t *testing.T) {
	sm := &ServiceMap{Epoch: 1, Services: map[string]ServiceInfo{"mon": {Daemons: map[string]ServiceDaemon{"a": {}}}}}
	b := sm.Marshal()
	wantAddr := append([]byte{1, 1, 1, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0}, make([]byte, 28)...)
	if !bytes.Contains(b, wantAddr) {
		t.Fatalf("blank address not in Ceph's form: %x", b)
	}
	js, _ := sm.DumpJSON()
	want := `{"epoch":1,"modified":"0.000000","services":{"mon":{"daemons":{"summary":"","a":{"start_epoch":0,` +
		`"start_stamp":"0.000000","gid":0,"addr":"(unrecognized address family 0)/0","metadata":{},"task_status":{}}}}}}`
	if string(js) != want {
		t.Fatalf("DumpJSON\n got %s\nwant %s", js, want)
	}
}

func TestCephStamp(t *testing.T) {
	for _, tc := range []struct {
		in   Utime
		want string
	}{
		{Utime{}, "0.000000"},
		{Utime{Sec: 12, Nsec: 345678999}, "12.345678"},
		{Utime{Sec: tenYears - 1, Nsec: 1000}, "315359999.000001"},
		{Utime{Sec: tenYears}, "1979-12-30T00:00:00.000000+0000"},
		{Utime{Sec: 1795384603, Nsec: 824020313}, "2026-11-22T21:56:43.824020+0000"},
		{Utime{Sec: 1<<32 - 1, Nsec: 999999999}, "2106-02-07T06:28:15.999999+0000"},
		{Utime{Sec: 5, Nsec: 2000000000}, "5.2000000"}, // Ceph prints what nsec holds
	} {
		if got := CephStamp(tc.in); got != tc.want {
			t.Errorf("CephStamp(%+v) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ParseCephStamp(tc.want)
		if err != nil || back != (Utime{Sec: tc.in.Sec, Nsec: tc.in.Nsec / 1000 * 1000}) {
			t.Errorf("ParseCephStamp(%q) = %+v, %v", tc.want, back, err)
		}
	}
	if u, err := ParseCephStamp("2026-11-22T23:56:43.000001+0200"); err != nil || u != (Utime{Sec: 1795384603, Nsec: 1000}) {
		t.Errorf("stamp with a zone: %+v %v", u, err)
	}
	for _, bad := range []string{"", "now", "1.x", "2026-11-22T23:56:43.000001", "2026-11-22T23:56:43+0000", "1969-12-31T23:59:59.000000+0000", "-1.000000"} {
		if _, err := ParseCephStamp(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCephStamp(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestLegacyAddrString(t *testing.T) {
	v6 := func(s string) []byte {
		ip, err := ParseLegacyAddr("[" + s + "]:1/0")
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return ip.IP
	}
	for _, tc := range []struct {
		in   wire.EntityAddr
		want string
	}{
		{wire.EntityAddr{}, "(unrecognized address family 0)/0"},
		{wire.EntityAddr{Type: 3, Nonce: 77}, "(unrecognized address family 0)/77"},
		{wire.EntityAddr{Type: 1, Nonce: 1933087321, IP: []byte{127, 0, 0, 1}}, "127.0.0.1:0/1933087321"},
		{wire.EntityAddr{Nonce: 5, IP: []byte{172, 21, 64, 1}, Port: 6800}, "172.21.64.1:6800/5"},
	} {
		if got := LegacyAddrString(tc.in); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.in, got, tc.want)
		}
	}
	// IPv6 as glibc's inet_ntop prints it (expected strings from it).
	for in, want := range map[string]string{
		"::1": "::1", "::ffff:1.2.3.4": "::ffff:1.2.3.4", "::1.2.3.4": "::1.2.3.4",
		"2001:db8::1": "2001:db8::1", "1:0:0:2:0:0:0:3": "1:0:0:2::3", "1:0:0:2:0:0:3:4": "1::2:0:0:3:4",
		"1:2:3:4:5:6:7:0": "1:2:3:4:5:6:7:0", "::": "::", "1::": "1::", "0:0:2:3:4:5:6:7": "::2:3:4:5:6:7",
		"::2": "::2", "::ffff:0.0.0.0": "::ffff:0.0.0.0", "fe80::1:0:0:1": "fe80::1:0:0:1",
		"0:0:0:0:0:1:0:0": "::1:0:0", "::ffff:1:2": "::ffff:0.1.0.2",
	} {
		a := wire.EntityAddr{Nonce: 3, IP: v6(in), Port: 6789}
		if got := LegacyAddrString(a); got != "["+want+"]:6789/3" {
			t.Errorf("%s: %q, want [%s]:6789/3", in, got, want)
		}
		back, err := ParseLegacyAddr(LegacyAddrString(a))
		if err != nil || !bytes.Equal(back.IP, a.IP) || back.Port != 6789 || back.Nonce != 3 || back.Type != LegacyAddrType {
			t.Errorf("%s: parsed back as %+v, %v", in, back, err)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:0", "127.0.0.1/0", "x:1/0", "::1:5/0", "[fe80::1%eth0]:1/0", "1.2.3.4:1/-1"} {
		if _, err := ParseLegacyAddr(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseLegacyAddr(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestServiceMapJSONEscaping: strings are escaped as Ceph's JSON escaper
// does, and the output stays valid JSON where Ceph's would not.
func TestServiceMapJSONEscaping(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:             `"plain"`,
		`q"b\`:              `"q\"b\\"`,
		"t\tn\nr\r\x01\x7f": `"t\tn\nr\u000d\u0001\u007f"`,
		"/<&>":              `"/<&>"`,
		"é€":                `"é€"`,
		"bad\xffbyte":       "\"bad\uFFFDbyte\"",
	} {
		got := appendCephJSONString(nil, in)
		if string(got) != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q: %s is not valid JSON: %v", in, got, err)
		}
	}
	sm := &ServiceMap{Services: map[string]ServiceInfo{"s\"vc": {Summary: "a\nb", Daemons: map[string]ServiceDaemon{
		"summary": {Metadata: map[string]string{"k\x00": "v"}}}}}}
	js, _ := sm.DumpJSON()
	if !json.Valid(js) {
		t.Fatalf("invalid JSON %s", js)
	}
	back, err := ParseServiceMapJSON(js)
	if err != nil || !reflect.DeepEqual(back, sm) {
		t.Fatalf("read back %+v, %v", back, err)
	}
}
