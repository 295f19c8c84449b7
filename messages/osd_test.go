package messages

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// TestOSDOldVersions decodes the older header versions Ceph's decoders
// accept: fields a version lacks stay zero, and the structs inside follow
// their own versions.
func TestOSDOldVersions(t *testing.T) {
	addr := func(port uint16) []wire.EntityAddr {
		return []wire.EntityAddr{{Nonce: 9, IP: []byte{10, 0, 0, 1}, Port: port}}
	}
	sb := JSONStruct([]byte(`{"whoami":1}`))
	hcV1 := func(e *Encoder) { // health_check_map_t holding one health_check_t v1 (no count)
		st := e.StartStruct(1, 1)
		e.U32(1)
		e.String("OSD_DOWN")
		hs := e.StartStruct(1, 1)
		e.U8(uint8(HealthWarn))
		e.String("1 osds down")
		e.Strings([]string{"osd.1 is down"})
		e.FinishStruct(hs)
		e.FinishStruct(st)
	}
	for _, tc := range []struct {
		name    string
		ty, ver uint16
		front   func(e *Encoder)
		want    Payload
		wantErr error
	}{
		{"osd boot v6, legacy addrs", TypeOSDBoot, 6, func(e *Encoder) {
			encodePaxos(e, NewPaxos(3))
			sb.Encode(e)
			e.Raw(legacyAddr(9, afInet, 6804, []byte{10, 0, 0, 1})) // hb_back
			e.Raw(legacyAddr(9, afInet, 6802, []byte{10, 0, 0, 1})) // cluster
			e.U32(2)                                                // boot_epoch
			e.Raw(legacyAddr(9, afInet, 6803, []byte{10, 0, 0, 1})) // hb_front
			e.StringMap(map[string]string{"hostname": "h"})
			e.U64(0x3f)
		}, &OSDBoot{Paxos: NewPaxos(3), Superblock: sb, HBBackAddrs: addr(6804), ClusterAddrs: addr(6802), BootEpoch: 2,
			HBFrontAddrs: addr(6803), Metadata: map[string]string{"hostname": "h"}, OSDFeatures: 0x3f}, nil},
		{"osd beacon v1", TypeOSDBeacon, 1, func(e *Encoder) {
			encodePaxos(e, NewPaxos(5))
			e.U32(0)
			e.U32(4)
		}, &OSDBeacon{Paxos: NewPaxos(5), MinLastEpochClean: 4}, nil},
		{"mon mgr report v1, health check v1", TypeMonMgrReport, 1, func(e *Encoder) {
			encodePaxos(e, NewPaxos(0))
			hcV1(e)
			e.Bufferlist(nil)
		}, &MonMgrReport{Paxos: NewPaxos(0), HealthChecks: map[string]HealthCheck{
			"OSD_DOWN": {Severity: HealthWarn, Summary: "1 osds down", Detail: []string{"osd.1 is down"}}}}, nil},
		{"health check from the future", TypeMonMgrReport, 3, func(e *Encoder) {
			encodePaxos(e, NewPaxos(0))
			st := e.StartStruct(1, 1)
			e.U32(1)
			e.String("X")
			hs := e.StartStruct(9, 9)
			e.FinishStruct(hs)
			e.FinishStruct(st)
		}, nil, ErrIncompatible},
		{"pg in beacon with a bad version", TypeOSDBeacon, 3, func(e *Encoder) {
			encodePaxos(e, NewPaxos(0))
			e.U32(1)
			e.Raw(make([]byte, 17))
		}, nil, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEncoder(nil)
			tc.front(e)
			got, err := Decode(&msgr.Message{Type: tc.ty, Version: tc.ver, Front: e.Bytes()})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("decoded\n %#v\nwant\n %#v", got, tc.want)
			}
		})
	}
}

// gomgr's JSON in MMonMgrReport's data segment is a struct Ceph's
// PGMapDigest decoder (DECODE_START(4)) refuses: its compat is 200.
func TestMonMgrReportJSONDigest(t *testing.T) {
	m := Encode(&MonMgrReport{GID: 1, PGDigest: EncodeJSONMap([]byte(`{"num_pgs":8}`))})
	if len(m.Data) < 6 || m.Data[1] <= 4 {
		t.Fatalf("data segment %x: compat must be above PGMapDigest's 4", m.Data)
	}
	d := NewDecoder(m.Data)
	d.StartStruct(4, "PGMapDigest")
	if !errors.Is(d.Err(), ErrIncompatible) {
		t.Fatalf("a v4 decoder accepted the JSON digest: %v", d.Err())
	}
}

// The active mgr reports its modules' health checks and the PG summary;
// the mon reads them back.
func ExampleMonMgrReport() {
	m := Encode(&MonMgrReport{
		Paxos: NewPaxos(0),
		GID:   4100,
		HealthChecks: map[string]HealthCheck{
			"MGR_MODULE_ERROR": {Severity: HealthError, Summary: "Module 'x' has failed", Count: 1},
		},
		PGDigest: EncodeJSONMap([]byte(`{"num_pgs":8}`)),
	})
	p, _ := Decode(m)
	r := p.(*MonMgrReport)
	pg, _ := DecodeJSONMap(r.PGDigest)
	fmt.Println(r.GID, r.HealthChecks["MGR_MODULE_ERROR"].Severity, string(pg))
	// Output: 4100 HEALTH_ERR {"num_pgs":8}
}

// encodePaxos appends a PaxosServiceMessage header, for hand-built fronts.
func encodePaxos(e *Encoder, p Paxos) { p.denc(e.Denc()) }
