package messages

import (
	"encoding/binary"
	"reflect"
	"testing"

	"gomgr/msgr"
)

// FuzzDecode feeds any type id, header version and front/data bytes to
// Decode: it must never panic, and whatever decodes must re-encode and
// decode again to the same bytes. Seeded with every message of the real
// capture and the round-trip cases.
func FuzzDecode(f *testing.F) {
	for _, c := range loadCapture(f) {
		f.Add(c.Msg.Type, c.Msg.Version, c.Msg.Front, c.Msg.Data)
	}
	for _, p := range perfSeeds() {
		m := Encode(p)
		f.Add(m.Type, m.Version, m.Front, m.Data)
	}
	for ty := range newPayload {
		f.Add(ty, uint16(0), []byte{}, []byte{})
		f.Add(ty, uint16(200), binary.LittleEndian.AppendUint32(nil, 0xffffffff), []byte{})
	}
	f.Fuzz(func(t *testing.T, ty, version uint16, front, data []byte) {
		m := &msgr.Message{Type: ty, Version: version, Front: front, Data: data}
		p, err := Decode(m)
		if err != nil {
			return
		}
		m1 := Encode(p)
		p2, err := Decode(m1)
		if err != nil {
			t.Fatalf("type 0x%x: re-encoded message does not decode: %v", ty, err)
		}
		m2 := Encode(p2)
		if diff := diffMessage(m1, m2); diff != "" {
			t.Fatalf("type 0x%x: encoding not stable: %s", ty, diff)
		}
	})
}

// FuzzParseMaps covers the map decoders that take raw bytes.
func FuzzParseMaps(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Msg.Type == TypeMonMap && c.Complete {
			if p, err := Decode(c.Msg); err == nil {
				f.Add(p.(*MonMapMsg).MonMap)
			}
		}
		if c.Msg.Type == TypeMgrMap && c.Complete {
			f.Add(c.Msg.Front)
		}
	}
	f.Add(EncodeJSONMap([]byte(`{"epoch":1}`)))
	f.Add(DaemonConfig{"osd_objectstore": {3: "memstore"}, "fsid": {2: "x", 3: "y"}}.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		if mm, err := ParseMonMap(b); err == nil {
			if _, err := ParseMonMap(mm.Marshal()); err != nil {
				t.Fatalf("monmap re-marshal does not parse: %v", err)
			}
		}
		if mm, err := ParseMgrMap(b); err == nil {
			if _, err := ParseMgrMap(mm.Marshal()); err != nil {
				t.Fatalf("mgrmap re-marshal does not parse: %v", err)
			}
		}
		if cfg, err := ParseDaemonConfig(b); err == nil {
			if again, err := ParseDaemonConfig(cfg.Marshal()); err != nil || !reflect.DeepEqual(again, cfg) {
				t.Fatalf("daemon config re-marshal: %v, %v against %v", err, again, cfg)
			}
		}
		_, _ = DecodeJSONMap(b)
		_, _ = DecodeAuthHello(b)
		_, _ = UnpackCounters([]PerfCounterType{{Path: "a", Type: PerfU64}, {Path: "b", Type: PerfLongRunAvg | PerfTime}}, b)
	})
}

func FuzzProgressEvent(f *testing.F) {
	f.Add(uint8(2), uint8(1), []byte{2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0x3f, 1})
	f.Fuzz(func(t *testing.T, v, compat uint8, body []byte) {
		p, err := DecodeProgressEvent(RawStruct{V: v, Compat: compat, Body: body})
		if err != nil {
			return
		}
		back, err := DecodeProgressEvent(p.Raw())
		if err != nil || back.Message != p.Message || back.AddToCephS != p.AddToCephS {
			t.Fatalf("%+v -> %+v %v", p, back, err)
		}
	})
}
