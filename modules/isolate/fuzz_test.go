package isolate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gomgr/registry"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader: it must return a
// frame or an error, never panic or allocate past what the input holds.
func FuzzReadFrame(f *testing.F) {
	f.Add(appendFrame(nil, frame{typ: typRequest, op: opNotify, id: 7, payload: []byte{1, 2, 3}}))
	f.Add(appendFrame(nil, frame{typ: typOneway, op: opLog}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{10, 0, 0, 0, 9, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var hdr [headerLen]byte
		for {
			fr, err := readFrame(r, &hdr)
			if err != nil {
				return
			}
			// What was read re-encodes to the same bytes.
			back := appendFrame(nil, fr)
			var hdr2 [headerLen]byte
			fr2, err := readFrame(bytes.NewReader(back), &hdr2)
			if err != nil || fr2.typ != fr.typ || fr2.op != fr.op || fr2.id != fr.id || !bytes.Equal(fr2.payload, fr.payload) {
				t.Fatalf("round trip: %+v -> %+v, %v", fr, fr2, err)
			}
		}
	})
}

// FuzzDecodePayload runs every payload decoder, and the parent's host-call
// handler, over arbitrary bytes.
func FuzzDecodePayload(f *testing.F) {
	var e enc
	_ = e.info((&goModule{name: "ok"}).Info())
	f.Add(e.b)
	e = enc{}
	e.events([]registry.Event{{Kind: "osd_map", ID: "1", Queued: time.Unix(1, 2)}})
	f.Add(e.b)
	e = enc{}
	_ = e.value(map[string]any{"prefix": "x", "n": int64(3), "l": []any{1.5, nil, true}})
	f.Add(e.b)
	e = enc{}
	e.errorValue(registry.ErrNoData)
	f.Add(e.b)
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{tagList, 0xff, 0xff, 0xff, 0xff, 0x0f})
	m := &Module{src: testSourceCfg(Config{}), hostCtx: context.Background()}
	h := newFakeHost()
	h.setValue("osd_map", registry.NewValue(1, map[string]any{"a": 1.0}))
	f.Fuzz(func(t *testing.T, data []byte) {
		decoders := []func(*dec){
			func(d *dec) { d.info() },
			func(d *dec) { d.events() },
			func(d *dec) { d.value() },
			func(d *dec) { _ = d.errorValue() },
			func(d *dec) { d.strMap() },
			func(d *dec) { d.strs() },
		}
		for _, decode := range decoders {
			d := dec{b: data}
			decode(&d)
			if d.err != nil && !errors.Is(d.err, ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", d.err)
			}
		}
		_, _ = decodeResponse(data)
		_, _ = decodeJSON(data)
		for op := uint8(opMgrID); op <= opRemoteCall; op++ {
			if op >= opOpened && op <= opFailed || op == opClusterLog || op == opSetURI {
				continue // one-way frames, not host calls
			}
			_, _ = m.hostCall(h, op, data)
		}
	})
}

func TestCodecRoundTrip(t *testing.T) {
	values := []any{
		nil, true, false, int64(-5), int64(1) << 62, 2.5, "s", []any{"a", int64(1), nil},
		map[string]any{"k": map[string]any{"n": []any{}}},
	}
	for _, v := range values {
		var e enc
		if err := e.value(v); err != nil {
			t.Fatal(err)
		}
		d := dec{b: e.b}
		got := d.value()
		if d.err != nil || len(d.b) != 0 {
			t.Fatalf("%#v: %v, %d bytes left", v, d.err, len(d.b))
		}
		var e2 enc
		_ = e2.value(got)
		if !bytes.Equal(e.b, e2.b) && !isMap(v) {
			t.Errorf("%#v came back as %#v", v, got)
		}
	}
	// Other Go types cross as their JSON shape.
	var e enc
	if err := e.value(struct{ A int }{3}); err != nil {
		t.Fatal(err)
	}
	d := dec{b: e.b}
	if got, ok := d.value().(map[string]any); !ok || got["A"] != int64(3) {
		t.Errorf("struct came back as %#v", got)
	}
	if err := e.value(make(chan int)); !errors.Is(err, ErrProtocol) {
		t.Errorf("chan: %v", err)
	}
	// Remote errors keep their sentinels.
	e = enc{}
	e.errorValue(context.DeadlineExceeded)
	d = dec{b: e.b}
	if err := d.errorValue(); !errors.Is(err, context.DeadlineExceeded) || err.Error() != "context deadline exceeded" {
		t.Errorf("error came back as %v", err)
	}
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

func TestDecodeJSONNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`1`, int64(1)},
		{`9007199254740993`, int64(9007199254740993)},
		{`1.5`, 1.5},
		{`1e400`, "1e400"},
		{`18446744073709551615`, json.Number("18446744073709551615")},
		{`-0`, int64(0)},
		{`[1,"a",null]`, []any{int64(1), "a", nil}},
	}
	for _, tt := range tests {
		got, err := decodeJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		var e1, e2 enc
		_ = e1.value(got)
		_ = e2.value(tt.want)
		if !bytes.Equal(e1.b, e2.b) {
			t.Errorf("%s = %#v, want %#v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`} {
		if _, err := decodeJSON([]byte(bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
