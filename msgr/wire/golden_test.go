package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGoldenEvents decodes every event of the real capture, checks each crc
// and re-encodes it to the captured bytes.
func TestGoldenEvents(t *testing.T) {
	evs := loadCapture(t)
	counts := map[string]int{}
	var crcFull, crcFrontOnly int
	for i := range evs {
		e := &evs[i]
		counts[e.Kind]++
		where := fmt.Sprintf("event %d (%s %s %s)", i, e.Conn, e.Dir, e.Kind)
		switch e.Kind {
		case "banner":
			b := unhex(t, e.Hex)
			if err := CheckBanner(b); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if got := AppendBanner(nil); !bytes.Equal(got, b) {
				t.Fatalf("%s: banner re-encodes to %x, captured %x", where, got, b)
			}
		case "addr":
			b := unhex(t, e.Hex)
			a, err := DecodeAddr(b)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if got := AppendAddr(nil, &a); !bytes.Equal(got, b) {
				t.Fatalf("%s: addr %v re-encodes to\n%x, captured\n%x", where, a, got, b)
			}
			if _, ok := a.AddrPort(); !ok && !a.IsBlank() {
				t.Fatalf("%s: %v has no AddrPort", where, a)
			}
		case "connect":
			b := unhex(t, e.Hex)
			c, err := DecodeConnect(b)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			want := Connect{e.Features, e.HostType, e.GlobalSeq, e.ConnectSeq, e.ProtocolVersion,
				e.AuthorizerProtocol, e.AuthorizerLen, e.Flags}
			if c != want {
				t.Fatalf("%s: decoded %+v, capture says %+v", where, c, want)
			}
			if int(c.AuthorizerLen) != len(e.AuthorizerHex)/2 {
				t.Fatalf("%s: authorizer_len %d, %d bytes follow", where, c.AuthorizerLen, len(e.AuthorizerHex)/2)
			}
			if got := AppendConnect(nil, &c); !bytes.Equal(got, b) {
				t.Fatalf("%s: re-encodes to %x, captured %x", where, got, b)
			}
			if c.Features != FeaturesSupported {
				t.Errorf("%s: features %#x, FeaturesSupported is %#x", where, c.Features, FeaturesSupported)
			}
			if c.Features&FeaturesRequired != FeaturesRequired {
				t.Errorf("%s: a real peer lacks FeaturesRequired bits %#x", where, FeaturesRequired&^c.Features)
			}
		case "connect_reply":
			b := unhex(t, e.Hex)
			r, err := DecodeConnectReply(b)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			tag, _ := e.Tag.(string)
			want := ConnectReply{tagNames[tag], e.Features, e.GlobalSeq, e.ConnectSeq, e.ProtocolVersion, e.AuthorizerLen, e.Flags}
			if r != want {
				t.Fatalf("%s: decoded %+v, capture says %+v", where, r, want)
			}
			if got := AppendConnectReply(nil, &r); !bytes.Equal(got, b) {
				t.Fatalf("%s: re-encodes to %x, captured %x", where, got, b)
			}
		case "seq":
			if got := AppendSeq(nil, e.Seq); len(got) != SeqLen {
				t.Fatalf("%s: seq encodes to %d bytes", where, len(got))
			}
		case "msg":
			hb, fb := unhex(t, e.HeaderHex), unhex(t, e.FooterHex)
			h, err := DecodeHeader(hb)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			want := Header{e.Seq, e.Tid, e.Type, e.Priority, e.Version, e.FrontLen, e.MiddleLen,
				e.DataLen, e.DataOff, EntityName{e.SrcType, int64(e.SrcNum)}, e.CompatVersion, h.Reserved}
			if h != want {
				t.Fatalf("%s: decoded %+v, capture says %+v", where, h, want)
			}
			if got := le.Uint32(hb[HeaderCRCLen:]); got != e.HeaderCRC {
				t.Fatalf("%s: header crc field %#x, capture says %#x", where, got, e.HeaderCRC)
			}
			if got := AppendHeader(nil, &h); !bytes.Equal(got, hb) {
				t.Fatalf("%s: header re-encodes to\n%x, captured\n%x", where, got, hb)
			}
			f, err := DecodeFooter(fb)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if got := AppendFooter(nil, &f); !bytes.Equal(got, fb) {
				t.Fatalf("%s: footer re-encodes to %x, captured %x", where, got, fb)
			}
			front := unhex(t, e.FrontHex)
			if e.complete() {
				middle, data := unhex(t, e.MiddleHex), unhex(t, e.DataHex)
				if err := f.Check(front, middle, data); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if got := FooterFor(front, middle, data); got != f {
					t.Fatalf("%s: FooterFor gives %+v, captured %+v", where, got, f)
				}
				crcFull++
			} else if len(front) == int(h.FrontLen) {
				if c := CRC32C(0, front); c != f.FrontCRC {
					t.Fatalf("%s: front crc %#x, footer says %#x", where, c, f.FrontCRC)
				}
				crcFrontOnly++
			}
		case "ack", "keepalive", "close":
		case "keepalive2", "keepalive2_ack":
			b := AppendKeepalive2(nil, Timespec{e.Sec, e.Nsec})
			if ts, err := DecodeTimespec(b[1:]); err != nil || ts != (Timespec{e.Sec, e.Nsec}) {
				t.Fatalf("%s: timespec round trip: %v %v", where, ts, err)
			}
		case "rest":
		default:
			t.Fatalf("%s: unknown kind", where)
		}
	}
	t.Logf("capture: %d events %v; %d messages with every segment crc verified, %d (data cut by the capture) with front crc only",
		len(evs), counts, crcFull, crcFrontOnly)
	if counts["msg"] == 0 || crcFull == 0 {
		t.Fatal("capture has no verifiable messages")
	}
}

// conn drives a Parser as a v1 connection would, recording each frame
// re-encoded.
type conn struct {
	p        Parser
	replyTag uint8
	got      [][]byte
	kinds    []Kind
}

func newConn(t testing.TB, s *stream) *conn {
	c := &conn{replyTag: s.replyTag}
	var err error
	if s.key.dir == "c2s" {
		err = c.p.Expect(KindBanner, KindAddr, KindConnect)
	} else {
		err = c.p.Expect(KindBanner, KindAddrPair, KindConnectReply)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *conn) frame(f *Frame) error {
	c.got = append(c.got, AppendFrame(nil, f))
	c.kinds = append(c.kinds, f.Kind)
	switch f.Kind {
	case KindConnect:
		if c.replyTag == TagSeq {
			return c.p.Expect(KindSeq, KindOpen)
		}
		return c.p.Expect(KindOpen)
	case KindConnectReply:
		switch f.Reply.Tag {
		case TagSeq:
			return c.p.Expect(KindSeq, KindOpen)
		case TagReady:
			return c.p.Expect(KindOpen)
		default:
			return c.p.Expect(KindConnectReply)
		}
	}
	return nil
}

// chunk splits b: mode 0 whole, 1 one byte at a time, else random sizes.
func chunk(b []byte, mode int, rng *rand.Rand) [][]byte {
	var out [][]byte
	switch mode {
	case 0:
		return [][]byte{b}
	case 1:
		for i := range b {
			out = append(out, b[i:i+1])
		}
		return out
	}
	for len(b) > 0 {
		var n int
		switch rng.IntN(3) {
		case 0:
			n = 1 + rng.IntN(8)
		case 1:
			n = 1 + rng.IntN(200)
		default:
			n = 1 + rng.IntN(70000)
		}
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// TestGoldenStreams rebuilds each connection direction of the capture and
// feeds it to the Parser whole, one byte at a time and split at random
// points: the same frames must come out, byte for byte.
func TestGoldenStreams(t *testing.T) {
	streams := buildStreams(t, loadCapture(t))
	modes := []string{"whole", "byte-by-byte", "random-1", "random-2", "random-3"}
	var nframes, nbytes, nsynth int
	for _, s := range streams {
		nframes += len(s.frames)
		nbytes += len(s.data)
		nsynth += s.synthesized
		for mode, name := range modes {
			rng := rand.New(rand.NewPCG(uint64(mode), uint64(len(s.data))))
			c := newConn(t, s)
			for _, ch := range chunk(s.data, mode, rng) {
				n, err := c.p.Feed(ch, c.frame)
				if err != nil {
					t.Fatalf("%v %s: frame %d: %v", s.key, name, len(c.got), err)
				}
				if n != len(ch) {
					t.Fatalf("%v %s: consumed %d of %d", s.key, name, n, len(ch))
				}
			}
			if len(c.got) != len(s.frames) {
				t.Fatalf("%v %s: %d frames, want %d", s.key, name, len(c.got), len(s.frames))
			}
			for i := range c.got {
				if c.kinds[i] != s.kinds[i] || !bytes.Equal(c.got[i], s.frames[i]) {
					t.Fatalf("%v %s: frame %d is %v %x, want %v %x", s.key, name, i,
						c.kinds[i], head(c.got[i]), s.kinds[i], head(s.frames[i]))
				}
			}
			if c.p.Partial() || c.p.Offset() != int64(len(s.data)) {
				t.Fatalf("%v %s: partial %v at offset %d of %d", s.key, name, c.p.Partial(), c.p.Offset(), len(s.data))
			}
		}
	}
	t.Logf("%d streams, %d frames, %d bytes, each parsed %d ways (%v); %d messages re-encoded because the capture cut their data",
		len(streams), nframes, nbytes, len(modes), modes, nsynth)
}

func head(b []byte) []byte { return b[:min(len(b), 64)] }

// TestGoldenStreamTruncated cuts every stream at random points: the parser
// must report a partial frame, never an error, and resume when the rest
// arrives.
func TestGoldenStreamTruncated(t *testing.T) {
	streams := buildStreams(t, loadCapture(t))
	rng := rand.New(rand.NewPCG(7, 7))
	for _, s := range streams {
		if len(s.data) < 2 {
			continue
		}
		cut := 1 + rng.IntN(len(s.data)-1)
		c := newConn(t, s)
		if _, err := c.p.Feed(s.data[:cut], c.frame); err != nil {
			t.Fatalf("%v: cut at %d: %v", s.key, cut, err)
		}
		boundary := 0
		for _, f := range c.got {
			boundary += len(f)
		}
		if c.p.Partial() != (boundary != cut) {
			t.Fatalf("%v: cut at %d, frames end at %d, Partial() = %v", s.key, cut, boundary, c.p.Partial())
		}
		if _, err := c.p.Feed(s.data[cut:], c.frame); err != nil {
			t.Fatalf("%v: after cut at %d: %v", s.key, cut, err)
		}
		if len(c.got) != len(s.frames) {
			t.Fatalf("%v: %d frames after resuming, want %d", s.key, len(c.got), len(s.frames))
		}
	}
}

var _ = errors.Is
