package wire

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"testing"
)

func testMsg(front, middle, data []byte) []byte {
	h := Header{Seq: 5, Tid: 9, Type: 0x703, Priority: 127, Version: 2, CompatVersion: 1,
		Src: EntityName{EntityMgr, 4100}}
	return AppendMessage(nil, h, front, middle, data)
}

// feedAll feeds b in chunks of size step (0: whole) and returns the first
// error and the frames' kinds.
func feedAll(p *Parser, b []byte, step int) ([]Kind, error) {
	var kinds []Kind
	fn := func(f *Frame) error { kinds = append(kinds, f.Kind); return nil }
	if step == 0 {
		step = len(b) + 1
	}
	for len(b) > 0 {
		n := min(step, len(b))
		if _, err := p.Feed(b[:n], fn); err != nil {
			return kinds, err
		}
		b = b[n:]
	}
	return kinds, nil
}

func TestParserBadInput(t *testing.T) {
	good := testMsg([]byte("front"), []byte("mid"), []byte("data"))
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 0x40; return b }
	// A header claiming a huge front, with a correct crc.
	huge := func(front uint32) []byte {
		h := Header{FrontLen: front, Type: 1}
		return AppendMessageHead(nil, &h)
	}
	hdr := 1 + HeaderLen
	bigAuth := AppendConnect(nil, &Connect{Features: FeaturesSupported, AuthorizerLen: 1 << 30})
	badAddr := AppendAddr(nil, &EntityAddr{IP: []byte{127, 0, 0, 1}})
	badAddr[9] = 99 // family 99

	tests := []struct {
		name    string
		expect  []Kind
		max     int
		in      []byte
		want    error
		state   string
		offset  int64
		nframes int
	}{
		{"wrong banner", []Kind{KindBanner}, 0, []byte("ceph v028"), ErrBadBanner, "banner", 0, 0},
		{"http instead of banner", []Kind{KindBanner}, 0, []byte("GET / HTTP/1.1\r\n"), ErrBadBanner, "banner", 0, 0},
		{"unknown tag", []Kind{KindOpen}, 0, append(bytes.Clone(good), 99), ErrUnknownTag, "tag", int64(len(good)), 1},
		{"tag zero", []Kind{KindOpen}, 0, []byte{0}, ErrUnknownTag, "tag", 0, 0},
		{"handshake tag when open", []Kind{KindOpen}, 0, []byte{TagSeq, 0, 0, 0, 0, 0, 0, 0, 0}, ErrUnknownTag, "tag", 0, 0},
		{"bad header crc", []Kind{KindOpen}, 0, flip(good, 1+3), ErrHeaderCRC, "msg header", 0, 0},
		{"bad header crc field", []Kind{KindOpen}, 0, flip(good, hdr-1), ErrHeaderCRC, "msg header", 0, 0},
		{"bad front crc", []Kind{KindOpen}, 0, flip(good, hdr), ErrFrontCRC, "msg footer", 0, 0},
		{"bad middle crc", []Kind{KindOpen}, 0, flip(good, hdr+5), ErrMiddleCRC, "msg footer", 0, 0},
		{"bad data crc", []Kind{KindOpen}, 0, flip(good, hdr+8), ErrDataCRC, "msg footer", 0, 0},
		{"bad crc in second message", []Kind{KindOpen}, 0, append(bytes.Clone(good), flip(good, hdr+9)...), ErrDataCRC, "msg footer", int64(len(good)), 1},
		{"front over default max", []Kind{KindOpen}, 0, huge(DefaultMaxMessageLen + 1), ErrTooLarge, "msg header", 0, 0},
		{"front 4 GiB", []Kind{KindOpen}, 0, huge(1<<32 - 1), ErrTooLarge, "msg header", 0, 0},
		{"over a small max", []Kind{KindOpen}, 11, good, ErrTooLarge, "msg header", 0, 0},
		{"authorizer over max", []Kind{KindConnect}, 0, bigAuth, ErrTooLarge, "connect", 0, 0},
		{"bad address family", []Kind{KindAddr}, 0, badAddr, ErrBadAddr, "addr", 0, 0},
		{"bytes while idle", nil, 0, []byte{TagMsg}, ErrUnexpected, "idle", 0, 0},
		{"bytes after last expectation", []Kind{KindSeq}, 0, make([]byte, 9), ErrUnexpected, "idle", 8, 1},
	}
	for _, tt := range tests {
		for _, step := range []int{0, 1, 7} {
			var p Parser
			p.MaxMessageLen = tt.max
			if tt.expect != nil {
				if err := p.Expect(tt.expect...); err != nil {
					t.Fatal(err)
				}
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			kinds, err := feedAll(&p, tt.in, step)
			runtime.ReadMemStats(&ms1)
			if !errors.Is(err, tt.want) {
				t.Fatalf("%s/step %d: error %v, want %v", tt.name, step, err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.State != tt.state || pe.Offset != tt.offset {
				t.Fatalf("%s/step %d: %#v, want state %q offset %d", tt.name, step, err, tt.state, tt.offset)
			}
			if len(kinds) != tt.nframes {
				t.Fatalf("%s/step %d: %d frames before the error, want %d", tt.name, step, len(kinds), tt.nframes)
			}
			// Rejected before allocating: the claims above are up to 4 GiB.
			if d := ms1.TotalAlloc - ms0.TotalAlloc; d > 1<<20 {
				t.Fatalf("%s/step %d: allocated %d bytes", tt.name, step, d)
			}
			// Sticky.
			if _, _, err2 := p.Next([]byte{TagKeepalive}); err2 != err {
				t.Fatalf("%s: after the error Next returned %v", tt.name, err2)
			}
			if err := p.Expect(KindOpen); err != err {
				t.Fatalf("%s: Expect after the error: %v", tt.name, err)
			}
		}
	}
}

func TestParserLimitAllocs(t *testing.T) {
	// A header claiming 64 MiB+1 must cost a few small allocations (the
	// error), not the claim.
	var h Header
	h.DataLen = DefaultMaxMessageLen + 1
	in := AppendMessageHead(nil, &h)
	allocs := testing.AllocsPerRun(100, func() {
		var p Parser
		_ = p.Expect(KindOpen)
		if _, _, err := p.Next(in); !errors.Is(err, ErrTooLarge) {
			t.Fatal(err)
		}
	})
	if allocs > 10 {
		t.Fatalf("%v allocations to reject an oversized header", allocs)
	}
	// Exactly at the limit is fine.
	var p Parser
	p.MaxMessageLen = 16
	_ = p.Expect(KindOpen)
	if _, err := feedAll(&p, testMsg(make([]byte, 8), nil, make([]byte, 8)), 0); err != nil {
		t.Fatal(err)
	}
}

func TestParserFooterFlags(t *testing.T) {
	msg := testMsg([]byte("front"), nil, []byte("data"))
	foot := len(msg) - FooterLen
	tests := []struct {
		name   string
		flags  uint8
		wantOK bool
	}{
		{"complete, bad crc", FooterComplete, false},
		{"nocrc, bad crc", FooterComplete | FooterNoCRC, true},
		{"aborted, bad crc", 0, true},
	}
	for _, tt := range tests {
		b := bytes.Clone(msg)
		b[foot] ^= 1 // front crc
		b[len(b)-1] = tt.flags
		var p Parser
		_ = p.Expect(KindOpen)
		var got *Frame
		_, err := p.Feed(b, func(f *Frame) error { got = f; return nil })
		if (err == nil) != tt.wantOK {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.wantOK && (got == nil || got.Footer.Flags != tt.flags || string(got.Front) != "front") {
			t.Fatalf("%s: frame %+v", tt.name, got)
		}
	}
}

func TestParserExpect(t *testing.T) {
	tests := []struct {
		name  string
		kinds []Kind
	}{
		{"msg is not a handshake item", []Kind{KindMsg}},
		{"none", []Kind{KindNone}},
		{"open not last", []Kind{KindOpen, KindSeq}},
		{"too many", []Kind{KindSeq, KindSeq, KindSeq, KindSeq, KindSeq, KindSeq, KindSeq, KindSeq, KindSeq}},
	}
	for _, tt := range tests {
		var p Parser
		if err := p.Expect(tt.kinds...); !errors.Is(err, ErrBadExpect) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	var p Parser
	if err := p.Expect(KindBanner, KindMsg); !errors.Is(err, ErrBadExpect) {
		t.Fatal(err)
	}
	if _, _, err := p.Next([]byte("c")); !errors.Is(err, ErrUnexpected) {
		t.Fatalf("a rejected Expect queued something: %v", err)
	}
	p.Reset()
	if err := p.Expect(KindSeq, KindOpen); err != nil {
		t.Fatal(err)
	}
	if err := p.Expect(KindSeq); !errors.Is(err, ErrBadExpect) {
		t.Fatalf("expect after open queued: %v", err)
	}
	if _, err := feedAll(&p, AppendKeepalive(AppendSeq(nil, 3)), 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Expect(KindBanner); !errors.Is(err, ErrBadExpect) {
		t.Fatalf("expect when open: %v", err)
	}
	p.Reset()
	if p.Offset() != 0 || p.Expect(KindBanner) != nil {
		t.Fatal("Reset did not reset")
	}
}

func TestParserFrames(t *testing.T) {
	ts := Timespec{1795384605, 991227488}
	var in []byte
	in = AppendBanner(in)
	in = AppendAddr(in, &EntityAddr{Nonce: 7, IP: []byte{127, 0, 0, 1}, Port: 6789})
	in = AppendAddr(in, &EntityAddr{IP: net.ParseIP("::1"), Port: 40000})
	r := ConnectReply{Tag: TagSeq, Features: FeaturesSupported, GlobalSeq: 3, ConnectSeq: 1, ProtocolVersion: ProtocolVersion, AuthorizerLen: 4, Flags: ConnectLossy}
	in = append(AppendConnectReply(in, &r), "auth"...)
	in = AppendSeq(in, 41)
	in = AppendKeepalive2(in, ts)
	in = append(in, testMsg(nil, nil, nil)...)
	in = append(in, testMsg([]byte("f"), []byte("m"), []byte("d"))...)
	in = AppendAck(in, 42)
	in = AppendKeepalive(in)
	in = AppendKeepalive2Ack(in, ts)
	in = AppendClose(in)
	want := []Kind{KindBanner, KindAddrPair, KindConnectReply, KindSeq, KindKeepalive2, KindMsg, KindMsg, KindAck, KindKeepalive, KindKeepalive2Ack, KindClose}
	for _, step := range []int{0, 1, 2, 3, 13, 64} {
		var p Parser
		_ = p.Expect(KindBanner, KindAddrPair, KindConnectReply, KindSeq, KindOpen)
		var out []byte
		var kinds []Kind
		for b := in; len(b) > 0; {
			n := min(step, len(b))
			if step == 0 {
				n = len(b)
			}
			if _, err := p.Feed(b[:n], func(f *Frame) error {
				kinds = append(kinds, f.Kind)
				out = AppendFrame(out, f)
				switch f.Kind {
				case KindAddrPair:
					if f.Addrs[0].String() != "v1:127.0.0.1:6789/7" || f.Addrs[1].String() != "v1:[::1]:40000/0" {
						t.Fatalf("addrs %v %v", f.Addrs[0], f.Addrs[1])
					}
				case KindConnectReply:
					if f.Reply != r || string(f.Authorizer) != "auth" {
						t.Fatalf("reply %+v %q", f.Reply, f.Authorizer)
					}
				case KindSeq, KindAck:
					if f.Seq != 41 && f.Seq != 42 {
						t.Fatalf("seq %d", f.Seq)
					}
				case KindMsg:
					if f.Header.FrontLen == 0 && (f.Front != nil || f.Data != nil) {
						t.Fatal("empty message has segments")
					}
					if f.Header.FrontLen == 1 && (string(f.Front) != "f" || string(f.Middle) != "m" || string(f.Data) != "d" || cap(f.Front) != 1) {
						t.Fatalf("segments %q %q %q", f.Front, f.Middle, f.Data)
					}
				}
				return nil
			}); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			b = b[n:]
		}
		if !bytes.Equal(out, in) || len(kinds) != len(want) {
			t.Fatalf("step %d: kinds %v, want %v", step, kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("step %d: kinds %v, want %v", step, kinds, want)
			}
		}
	}
}

// TestParserNoAlias checks that frames stay intact when the input buffer is
// reused, as a connection reuses its read buffer.
func TestParserNoAlias(t *testing.T) {
	in := append(testMsg([]byte("front-1"), nil, nil), testMsg([]byte("front-2"), nil, nil)...)
	buf := bytes.Clone(in)
	var p Parser
	_ = p.Expect(KindOpen)
	var fronts [][]byte
	if _, err := p.Feed(buf, func(f *Frame) error { fronts = append(fronts, f.Front); return nil }); err != nil {
		t.Fatal(err)
	}
	clear(buf)
	if len(fronts) != 2 || string(fronts[0]) != "front-1" || string(fronts[1]) != "front-2" {
		t.Fatalf("fronts %q", fronts)
	}
}

func TestDecodersShort(t *testing.T) {
	tests := []struct {
		name string
		n    int
		dec  func([]byte) error
	}{
		{"banner", BannerLen, CheckBanner},
		{"addr", AddrLen, func(b []byte) error { _, err := DecodeAddr(b); return err }},
		{"connect", ConnectLen, func(b []byte) error { _, err := DecodeConnect(b); return err }},
		{"connect_reply", ConnectReplyLen, func(b []byte) error { _, err := DecodeConnectReply(b); return err }},
		{"header", HeaderLen, func(b []byte) error { _, err := DecodeHeader(b); return err }},
		{"footer", FooterLen, func(b []byte) error { _, err := DecodeFooter(b); return err }},
		{"timespec", TimespecLen, func(b []byte) error { _, err := DecodeTimespec(b); return err }},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 1, tt.n - 1} {
			if err := tt.dec(make([]byte, n)); !errors.Is(err, ErrShort) {
				t.Errorf("%s with %d bytes: %v", tt.name, n, err)
			}
		}
	}
}

func TestCRC32C(t *testing.T) {
	tests := []struct {
		crc  uint32
		in   string
		want uint32
	}{
		{0, "", 0},
		{0, "\x00\x00\x00\x00\x00\x00\x00\x00", 0},     // no inversion: zeros keep a zero crc
		{0xffffffff, "123456789", ^uint32(0xe3069283)}, // the standard check value, un-inverted
	}
	for _, tt := range tests {
		if got := CRC32C(tt.crc, []byte(tt.in)); got != tt.want {
			t.Errorf("CRC32C(%#x, %q) = %#x, want %#x", tt.crc, tt.in, got, tt.want)
		}
	}
	a, b := []byte("hello "), []byte("world")
	if CRC32C(CRC32C(0, a), b) != CRC32C(0, append(a, b...)) {
		t.Error("CRC32C does not chain")
	}
}

func TestAddr(t *testing.T) {
	tests := []struct {
		name string
		a    EntityAddr
		str  string
	}{
		{"v4", EntityAddr{Nonce: 1234, IP: []byte{10, 0, 0, 1}, Port: 6789}, "v1:10.0.0.1:6789/1234"},
		{"v6", EntityAddr{Nonce: 1, IP: net.ParseIP("fe80::1"), Port: 6800}, "v1:[fe80::1]:6800/1"},
		{"blank", EntityAddr{}, "-"},
		{"blank with port", EntityAddr{Port: 6800}, "v1::6800/0"},
	}
	for _, tt := range tests {
		b := AppendAddr(nil, &tt.a)
		if len(b) != AddrLen {
			t.Fatalf("%s: %d bytes", tt.name, len(b))
		}
		got, err := DecodeAddr(b)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !bytes.Equal(AppendAddr(nil, &got), b) || got.String() != tt.str || tt.a.String() != tt.str {
			t.Fatalf("%s: %v (%q), want %q", tt.name, got, got.String(), tt.str)
		}
		if ap, ok := got.AddrPort(); ok {
			if back := AddrFromAddrPort(ap, got.Nonce); back.String() != tt.str {
				t.Fatalf("%s: AddrPort round trip %v", tt.name, back)
			}
			if back := AddrFromTCP(got.TCPAddr(), got.Nonce); back.String() != tt.str {
				t.Fatalf("%s: TCPAddr round trip %v", tt.name, back)
			}
		}
	}
	mapped := AddrFromAddrPort(netip.MustParseAddrPort("[::ffff:127.0.0.1]:80"), 0)
	if len(mapped.IP) != 4 {
		t.Fatalf("v4-mapped stays %d bytes", len(mapped.IP))
	}
	if s := (EntityName{EntityClient, -1}).String(); s != "client.?" {
		t.Fatal(s)
	}
	if s := (EntityName{EntityMon, 0}).String(); s != "mon.0" {
		t.Fatal(s)
	}
}

func TestMessageHeadTail(t *testing.T) {
	front, data := []byte("front"), make([]byte, 4096)
	h := Header{Seq: 1, Type: 0x704, Priority: 196, FrontLen: 999} // lengths are overridden
	head, tail := MessageHeadTail(h, front, nil, data)
	var w []byte
	w = append(w, head[:]...)
	w = append(w, front...)
	w = append(w, data...)
	w = append(w, tail[:]...)
	if !bytes.Equal(w, AppendMessage(nil, h, front, nil, data)) {
		t.Fatal("head+segments+tail differs from AppendMessage")
	}
	dh, err := DecodeHeader(head[1:])
	if err != nil || dh.FrontLen != 5 || dh.DataLen != 4096 || head[0] != TagMsg {
		t.Fatalf("%+v %v", dh, err)
	}
	// What a connection does: arrays in its own (heap) struct.
	out := new(struct {
		head [MsgHeadLen]byte
		tail [FooterLen]byte
		h    Header
	})
	if n := testing.AllocsPerRun(100, func() {
		out.h = h
		PutMessageHeadTail(&out.head, &out.tail, &out.h, front, nil, data)
	}); n != 0 {
		t.Fatalf("PutMessageHeadTail allocates %v times", n)
	}
	if out.head != head || out.tail != tail || out.h.FrontLen != 5 {
		t.Fatal("PutMessageHeadTail differs from MessageHeadTail")
	}
}

// TestParserAllocs pins the allocation budget: one buffer per message with
// payload, nothing for anything else, whole or split.
func TestParserAllocs(t *testing.T) {
	ts := Timespec{1, 2}
	tests := []struct {
		name  string
		in    []byte
		split int
		want  float64
	}{
		{"64B message", testMsg(make([]byte, 64), nil, nil), 0, 1},
		{"64B message split", testMsg(make([]byte, 64), nil, nil), 5, 1},
		{"three segments", testMsg([]byte("f"), []byte("m"), make([]byte, 4096)), 0, 1},
		{"empty message", testMsg(nil, nil, nil), 0, 0},
		{"control frames", AppendClose(AppendKeepalive(AppendKeepalive2Ack(AppendKeepalive2(AppendAck(nil, 9), ts), ts))), 0, 0},
		{"control frames split", AppendKeepalive2Ack(AppendKeepalive2(AppendAck(nil, 9), ts), ts), 3, 0},
	}
	for _, tt := range tests {
		var p Parser
		_ = p.Expect(KindOpen)
		fn := func(*Frame) error { return nil }
		got := testing.AllocsPerRun(200, func() {
			for b := tt.in; len(b) > 0; {
				n := len(b)
				if tt.split > 0 {
					n = min(n, tt.split)
				}
				if _, err := p.Feed(b[:n], fn); err != nil {
					t.Fatal(err)
				}
				b = b[n:]
			}
		})
		if got != tt.want {
			t.Errorf("%s: %v allocations per frame set, want %v", tt.name, got, tt.want)
		}
	}
}

// TestParserClaimCostsNothing: a header claiming the largest message and a
// few bytes of it must cost a few KiB, not the claim; the buffer then
// grows with what arrives, never past the claim, and the message decodes.
func TestParserClaimCostsNothing(t *testing.T) {
	data := make([]byte, DefaultMaxMessageLen)
	for i := range data {
		data[i] = byte(i * 7)
	}
	in := testMsg(nil, nil, data)
	head := HeaderLen + 1 + 100 // tag, header, 100 bytes of data

	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	const n = 100
	ps := make([]Parser, n)
	for i := range ps {
		_ = ps[i].Expect(KindOpen)
		if _, err := feedAll(&ps[i], in[:head], 0); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms1)
	if got := (ms1.TotalAlloc - ms0.TotalAlloc) / n; got > 8<<10 {
		t.Fatalf("%d bytes allocated per 64 MiB claim with 100 bytes sent", got)
	}
	if h := ps[0].Held(); h > minGrow {
		t.Fatalf("held %d bytes for 100 received", h)
	}

	// The rest, in reads of 64 KiB, half of them straight into the buffer.
	p := &ps[0]
	var got *Frame
	fn := func(f *Frame) error {
		if f.Kind == KindMsg {
			cp := *f
			got = &cp
		}
		return nil
	}
	received := 100
	for b, i := in[head:], 0; len(b) > 0; i++ {
		if d := p.Direct(64 << 10); d != nil && i%2 == 0 {
			k := copy(d[:min(len(d), 64<<10)], b)
			p.Filled(k)
			b = b[k:]
			received += k
		} else {
			k := min(len(b), 64<<10)
			if _, err := p.Feed(b[:k], fn); err != nil {
				t.Fatal(err)
			}
			b = b[k:]
			received += k
		}
		if h := p.Held(); got == nil && (h > 20*received+64<<10 || h > len(data)) {
			t.Fatalf("held %d bytes with %d received", h, received)
		}
	}
	if got == nil || !bytes.Equal(got.Data, data) || cap(got.Data) != len(data) {
		t.Fatal("message not decoded whole")
	}
	if p.Held() != 0 {
		t.Fatalf("still holding %d bytes", p.Held())
	}
	// A big authorizer grows the same way.
	var q Parser
	q.MaxAuthorizerLen = 1 << 20
	_ = q.Expect(KindConnect)
	c := Connect{AuthorizerLen: 1 << 20}
	if _, err := feedAll(&q, append(AppendConnect(nil, &c), 1, 2, 3), 0); err != nil {
		t.Fatal(err)
	}
	if h := q.Held(); h > minGrow {
		t.Fatalf("authorizer: held %d bytes for 3 received", h)
	}
}

// TestParserEmitHeaders: with EmitHeaders a message's header comes first,
// and a caller may stop right after it and feed the rest later.
func TestParserEmitHeaders(t *testing.T) {
	msg := testMsg([]byte("front"), nil, []byte("data"))
	in := append(append(AppendAck(nil, 3), msg...), testMsg(nil, nil, nil)...)
	var p Parser
	p.EmitHeaders = true
	_ = p.Expect(KindOpen)
	stop := errors.New("stop")
	var kinds []Kind
	var claim uint32
	fn := func(f *Frame) error {
		kinds = append(kinds, f.Kind)
		if f.Kind == KindMsgHeader {
			claim = f.Header.FrontLen + f.Header.DataLen
			return stop
		}
		return nil
	}
	for b := in; len(b) > 0; {
		n, err := p.Feed(b, fn)
		if err != nil && !errors.Is(err, stop) {
			t.Fatal(err)
		}
		if errors.Is(err, stop) && p.Held() != 0 {
			t.Fatalf("held %d bytes at a header", p.Held())
		}
		b = b[n:]
	}
	want := []Kind{KindAck, KindMsgHeader, KindMsg, KindMsgHeader, KindMsg}
	if !slices.Equal(kinds, want) || claim != 0 {
		t.Fatalf("kinds %v (claim %d), want %v", kinds, claim, want)
	}
	if p.Offset() != int64(len(in)) || p.Partial() {
		t.Fatalf("offset %d of %d, partial %v", p.Offset(), len(in), p.Partial())
	}
}
