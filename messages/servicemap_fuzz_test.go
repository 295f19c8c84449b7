package messages

import (
	"bytes"
	"encoding/json"
	"testing"

	"gomgr/msgr/wire"
)

// FuzzServiceMap feeds any bytes to ParseServiceMap (binary and JSON
// form) and ParseServiceMapJSON: they must never panic; a map that decodes
// must re-encode to bytes that decode to the same encoding again, and
// render as valid JSON that reads back to a map rendering the same.
// Seeded with every ServiceMap of the real captures and the hand-built
// version cases.
func FuzzServiceMap(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Msg.Type == TypeServiceMap && c.Complete {
			f.Add(c.Msg.Front)
		}
	}
	for _, m := range pacificServiceMapMsgs(f) {
		if m.Type == TypeServiceMap {
			f.Add(m.Front)
		}
	}
	f.Add(svcMap(1, 1, svcDaemon(2, 1, true, nil), nil))
	f.Add(svcMap(2, 2, svcDaemon(3, 1, true, []byte{1, 2, 3}), []byte{4}))
	f.Add(svcMap(1, 1, svcDaemon(1, 1, false, nil), nil))
	v6 := &ServiceMap{Epoch: 3, Services: map[string]ServiceInfo{"x": {Daemons: map[string]ServiceDaemon{
		"a": {Addr: wire.EntityAddr{Type: 2, Nonce: 1, IP: bytes.Repeat([]byte{0, 1}, 8), Port: 3300}},
		"b": {Metadata: map[string]string{"\"k\x00\xff": "v\n"}},
	}}}}
	f.Add(v6.Marshal())
	js, _ := v6.DumpJSON()
	f.Add(js)
	f.Add(EncodeJSONMap(js))
	f.Add([]byte(`{"epoch":1,"modified":"0.000000","services":{"s":{"daemons":{"summary":"x","summary":{"addr":"[::1]:1/2"}}}}}`))

	f.Fuzz(func(t *testing.T, b []byte) {
		if sm, err := ParseServiceMap(b); err == nil {
			checkServiceMap(t, sm)
		}
		if sm, err := ParseServiceMapJSON(b); err == nil {
			checkServiceMap(t, sm)
		}
	})
}

func checkServiceMap(t *testing.T, sm *ServiceMap) {
	t.Helper()
	enc := sm.Marshal()
	back, err := ParseServiceMap(enc)
	if err != nil {
		t.Fatalf("re-encoded map does not decode: %v", err)
	}
	if again := back.Marshal(); !bytes.Equal(enc, again) {
		t.Fatalf("encoding not stable: %s", firstDiff(enc, again))
	}
	js, err := sm.DumpJSON()
	if err != nil || !json.Valid(js) {
		t.Fatalf("DumpJSON gave invalid JSON (%v): %q", err, js)
	}
	// JSON is lossy (duplicate keys after U+FFFD replacement, microseconds),
	// so compare from the second rendering on.
	sm2, err := ParseServiceMapJSON(js)
	if err != nil {
		t.Fatalf("DumpJSON output does not read back: %v\n%s", err, js)
	}
	js2, _ := sm2.DumpJSON()
	sm3, err := ParseServiceMapJSON(js2)
	if err != nil {
		t.Fatalf("second rendering does not read back: %v", err)
	}
	if js3, _ := sm3.DumpJSON(); !bytes.Equal(js2, js3) {
		t.Fatalf("JSON rendering not stable: %s", firstDiff(js2, js3))
	}
}
