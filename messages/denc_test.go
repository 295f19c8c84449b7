package messages

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"gomgr/msgr/wire"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrimitivesBytes(t *testing.T) {
	tests := []struct {
		name string
		enc  func(e *Encoder)
		want string
	}{
		{"u8", func(e *Encoder) { e.U8(0xab) }, "ab"},
		{"u16", func(e *Encoder) { e.U16(0x1234) }, "3412"},
		{"u32", func(e *Encoder) { e.U32(0x12345678) }, "78563412"},
		{"u64", func(e *Encoder) { e.U64(0x0102030405060708) }, "0807060504030201"},
		{"s16", func(e *Encoder) { e.S16(-1) }, "ffff"},
		{"s32", func(e *Encoder) { e.S32(-22) }, "eaffffff"},
		{"bool", func(e *Encoder) { e.Bool(true); e.Bool(false) }, "0100"},
		{"string", func(e *Encoder) { e.String("mon") }, "03000000 6d6f6e"},
		{"bufferlist", func(e *Encoder) { e.Bufferlist([]byte{9}) }, "01000000 09"},
		{"empty bufferlist", func(e *Encoder) { e.Bufferlist(nil) }, "00000000"},
		{"utime", func(e *Encoder) { e.Utime(Utime{Sec: 1, Nsec: 2}) }, "01000000 02000000"},
		{"entity_name_t", func(e *Encoder) { e.EntityName(wire.EntityName{Type: wire.EntityClient, Num: -1}) }, "08 ffffffffffffffff"},
		{"EntityName", func(e *Encoder) { e.AuthName(AuthName{Type: 8, ID: "admin"}) }, "08000000 05000000 61646d696e"},
		{"string set sorted unique", func(e *Encoder) { e.StringSet([]string{"b", "a", "b"}) }, "02000000 01000000 61 01000000 62"},
		{"map in key order", func(e *Encoder) { e.StringMap(map[string]string{"b": "2", "a": "1"}) }, "02000000 01000000 61 01000000 31 01000000 62 01000000 32"},
		{"struct", func(e *Encoder) { st := e.StartStruct(3, 1); e.U16(7); e.FinishStruct(st) }, "03 01 02000000 0700"},
		// mon.a's address from the real capture's MonMap.
		{"entity_addr_t v1 ipv4", func(e *Encoder) { e.EntityAddr(v1Addr) }, "01 0101 1c000000 01000000 00000000 10000000 0200 1a85 7f000001 0000000000000000"},
		{"blank entity_addr_t", func(e *Encoder) { e.EntityAddr(wire.EntityAddr{Type: 2, Nonce: 5}) }, "01 0101 0c000000 02000000 05000000 00000000"},
		{"empty addrvec", func(e *Encoder) { e.AddrVec(nil) }, "02 00000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEncoder(nil)
			tc.enc(e)
			if want := unhex(t, tc.want); !bytes.Equal(e.Bytes(), want) {
				t.Fatalf("got %x, want %x", e.Bytes(), want)
			}
		})
	}
}

func TestPrimitivesRoundTrip(t *testing.T) {
	e := NewEncoder(nil)
	e.U8(1)
	e.U16(2)
	e.U32(3)
	e.U64(4)
	e.S16(-5)
	e.S32(-6)
	e.S64(-7)
	e.Bool(true)
	e.String("eight")
	e.Bufferlist([]byte("nine"))
	e.UUID(testFSID)
	e.Utime(Utime{10, 11})
	e.EntityName(wire.EntityName{Type: wire.EntityMgr, Num: 12})
	e.AuthName(AuthName{Type: 16, ID: "x"})
	e.Strings([]string{"a", "", "c"})
	e.StringMap(map[string]string{"k": "v"})
	e.AddrVec([]wire.EntityAddr{v1Addr, v6Addr, {Type: 2}})

	d := NewDecoder(e.Bytes())
	got := []any{d.U8(), d.U16(), d.U32(), d.U64(), d.S16(), d.S32(), d.S64(), d.Bool(), d.String(), d.Bufferlist(),
		d.UUID(), d.Utime(), d.EntityName(), d.AuthName(), d.Strings(), d.StringMap(), d.AddrVec()}
	want := []any{uint8(1), uint16(2), uint32(3), uint64(4), int16(-5), int32(-6), int64(-7), true, "eight", []byte("nine"),
		testFSID, Utime{10, 11}, wire.EntityName{Type: wire.EntityMgr, Num: 12}, AuthName{Type: 16, ID: "x"},
		[]string{"a", "", "c"}, map[string]string{"k": "v"}, []wire.EntityAddr{v1Addr, v6Addr, {Type: 2}}}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if !d.Done() || d.Remaining() != 0 {
		t.Fatalf("%d bytes left", d.Remaining())
	}
}

func TestUtimeTime(t *testing.T) {
	now := time.Date(2026, 11, 22, 22, 0, 0, 123, time.UTC)
	if got := UtimeOf(now).Time(); !got.Equal(now) {
		t.Fatalf("%v != %v", got, now)
	}
	if !(Utime{}).Time().IsZero() || UtimeOf(time.Time{}) != (Utime{}) {
		t.Fatal("zero time does not map to zero utime")
	}
	if s := testFSID.String(); s != captureFSID {
		t.Fatalf("uuid %s", s)
	}
}

// legacyAddr builds the 136-byte pre-nautilus entity_addr_t.
func legacyAddr(nonce uint32, family uint16, port uint16, ip []byte) []byte {
	b := make([]byte, 136)
	binary.LittleEndian.PutUint32(b[4:], nonce)
	binary.BigEndian.PutUint16(b[8:], family)
	binary.BigEndian.PutUint16(b[10:], port)
	if family == afInet {
		copy(b[12:], ip)
	} else {
		copy(b[16:], ip)
	}
	return b
}

func TestEntityAddrForms(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		vec  bool
		want []wire.EntityAddr
		err  error
	}{
		{"legacy ipv4", legacyAddr(77, afInet, 6789, []byte{10, 1, 2, 3}), false, []wire.EntityAddr{{Nonce: 77, IP: []byte{10, 1, 2, 3}, Port: 6789}}, nil},
		{"legacy ipv6", legacyAddr(1, afInet6, 3300, v6Addr.IP), false, []wire.EntityAddr{{Nonce: 1, IP: v6Addr.IP, Port: 3300}}, nil},
		{"legacy blank", legacyAddr(0, 0, 0, nil), false, []wire.EntityAddr{{}}, nil},
		{"addrvec of one legacy", legacyAddr(5, afInet, 1, []byte{1, 2, 3, 4}), true, []wire.EntityAddr{{Nonce: 5, IP: []byte{1, 2, 3, 4}, Port: 1}}, nil},
		{"addrvec of one denc addr", unhex(t, "01 0101 1c000000 01000000 00000000 10000000 0200 1a85 7f000001 0000000000000000"), true, []wire.EntityAddr{v1Addr}, nil},
		{"bad marker", []byte{7}, false, nil, ErrMalformed},
		{"bad addrvec marker", []byte{3}, true, nil, ErrMalformed},
		{"short legacy", legacyAddr(0, afInet, 0, nil)[:100], false, nil, ErrTruncated},
		{"unknown family", unhex(t, "01 0101 0e000000 01000000 00000000 02000000 0100"), false, nil, ErrMalformed},
		{"sockaddr too long", unhex(t, "01 0101 20000000 01000000 00000000 14000000 0200 1a85 7f000001 0000000000000000 00000000"), false, nil, ErrMalformed},
		{"sockaddr past struct", unhex(t, "01 0101 0c000000 01000000 00000000 10000000 0200 1a85 7f000001 0000000000000000"), false, nil, ErrMalformed},
		{"sockaddr length past input", unhex(t, "01 0101 0c000000 01000000 00000000 ffffffff"), false, nil, ErrTruncated},
		{"newer struct compat", unhex(t, "01 0202 00000000"), false, nil, ErrIncompatible},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.in)
			var got []wire.EntityAddr
			if tc.vec {
				got = d.AddrVec()
			} else {
				got = []wire.EntityAddr{d.EntityAddr()}
			}
			if tc.err != nil {
				if !errors.Is(d.Err(), tc.err) {
					t.Fatalf("error %v, want %v", d.Err(), tc.err)
				}
				return
			}
			if d.Err() != nil {
				t.Fatal(d.Err())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestStructVersions checks DECODE_START semantics: an older decoder skips
// fields a newer encoder appended, refuses structs whose compat version is
// too new, and notices a decoder overrunning the struct.
func TestStructVersions(t *testing.T) {
	// v2 of a struct appends a string to v1's u32.
	e := NewEncoder(nil)
	st := e.StartStruct(2, 1)
	e.U32(42)
	e.String("added in v2")
	e.FinishStruct(st)
	e.U16(0xbeef) // the next field after the struct

	d := NewDecoder(e.Bytes())
	s := d.StartStruct(1, "thing")
	if s.V != 2 || s.Compat != 1 || d.U32() != 42 {
		t.Fatalf("struct %+v err %v", s, d.Err())
	}
	if d.Left(s) != 4+len("added in v2") {
		t.Fatalf("left %d", d.Left(s))
	}
	d.FinishStruct(s, "thing")
	if v := d.U16(); v != 0xbeef || d.Err() != nil {
		t.Fatalf("after skipping: %x %v", v, d.Err())
	}

	tests := []struct {
		name string
		in   string
		read func(d *Decoder)
		want error
	}{
		{"compat too new", "05 03 00000000", func(d *Decoder) { d.StartStruct(2, "x") }, ErrIncompatible},
		{"length past input", "01 01 ff000000 00", func(d *Decoder) { d.StartStruct(1, "x") }, ErrTruncated},
		{"decoder overruns struct", "01 01 02000000 0000 0000", func(d *Decoder) {
			s := d.StartStruct(1, "x")
			d.U32()
			d.FinishStruct(s, "x")
		}, ErrMalformed},
		{"raw struct past input", "01 01 09000000", func(d *Decoder) { DecodeRawStruct(d) }, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(unhex(t, tc.in))
			tc.read(d)
			if !errors.Is(d.Err(), tc.want) {
				t.Fatalf("error %v, want %v", d.Err(), tc.want)
			}
		})
	}
}

func TestStickyError(t *testing.T) {
	d := NewDecoder([]byte{1, 2})
	if d.U32() != 0 || d.Err() == nil {
		t.Fatal("short u32 did not fail")
	}
	first := d.Err()
	if d.U8() != 0 || d.String() != "" || d.Strings() != nil || d.Bufferlist() != nil || d.Rest() != nil {
		t.Fatal("reads after an error returned data")
	}
	if d.Err() != first {
		t.Fatalf("error changed to %v", d.Err())
	}
	if !strings.Contains(first.Error(), "offset 0") {
		t.Fatalf("error does not say where: %v", first)
	}
}

// TestHostileLengths feeds lengths and counts near 2^32 and checks that
// decoding fails without allocating anything like what they claim.
func TestHostileLengths(t *testing.T) {
	inputs := map[string]func(d *Decoder){
		"string":     func(d *Decoder) { _ = d.String() },
		"bufferlist": func(d *Decoder) { d.Bufferlist() },
		"vector":     func(d *Decoder) { d.Strings() },
		"map":        func(d *Decoder) { d.StringMap() },
		"addrvec":    func(d *Decoder) { d.U8(); DecodeSlice(d, 1, (*Decoder).EntityAddr) },
	}
	for name, read := range inputs {
		t.Run(name, func(t *testing.T) {
			in := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}
			if name == "addrvec" {
				in = append([]byte{2}, in...)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < 100; i++ {
				d := NewDecoder(in)
				read(d)
				if !errors.Is(d.Err(), ErrTruncated) {
					t.Fatalf("error %v", d.Err())
				}
			}
			runtime.ReadMemStats(&after)
			if perRun := (after.TotalAlloc - before.TotalAlloc) / 100; perRun > 4096 {
				t.Fatalf("%d bytes allocated per decode of a hostile length", perRun)
			}
		})
	}
}
