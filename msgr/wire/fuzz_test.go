package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// Fuzz modes: what the parser is told to expect first.
const (
	fuzzOpen = iota
	fuzzClient
	fuzzServer
	fuzzModes
)

// errPause is fuzzRun's callback stopping the parser after a message
// header, as a connection that has no room for the message yet does.
var errPause = errors.New("pause")

// fuzzRun parses in with the Parser driven as a connection would, feeding
// it in chunks from split (nil: whole), and returns the frames re-encoded,
// the bytes consumed and the error. With mode's high bit set the parser
// emits message headers, and a split run stops feeding after some of them
// and goes on with the rest of its chunk, as a held connection does.
func fuzzRun(in []byte, mode uint8, split *rand.Rand) (out []byte, frames int, consumed int, err error) {
	var p Parser
	p.MaxMessageLen = 1 << 20 // keep the fuzzer's memory small
	p.MaxAuthorizerLen = 1 << 12
	p.EmitHeaders = mode&0x80 != 0
	switch mode % fuzzModes {
	case fuzzOpen:
		err = p.Expect(KindOpen)
	case fuzzClient: // what a server reads from a client
		err = p.Expect(KindBanner, KindAddr, KindConnect)
	case fuzzServer: // what a client reads from a server
		err = p.Expect(KindBanner, KindAddrPair, KindConnectReply)
	}
	if err != nil {
		return nil, 0, 0, err
	}
	fn := func(f *Frame) error {
		if f.Kind == KindMsgHeader {
			if split != nil && split.IntN(2) == 0 {
				return errPause
			}
			return nil
		}
		frames++
		out = AppendFrame(out, f)
		switch f.Kind {
		case KindConnect:
			return p.Expect(KindSeq, KindOpen)
		case KindConnectReply:
			if f.Reply.Tag == TagSeq {
				return p.Expect(KindSeq, KindOpen)
			}
			if f.Reply.Tag == TagReady {
				return p.Expect(KindOpen)
			}
			return p.Expect(KindConnectReply)
		}
		return nil
	}
	for b := in; len(b) > 0; {
		n := len(b)
		if split != nil {
			n = min(n, 1+split.IntN(1+split.IntN(200)))
			// Half the time inside a message, read into it directly, as
			// a connection does for large ones.
			if d := p.Direct(1); d != nil && split.IntN(2) == 0 {
				k := copy(d[:min(len(d), n)], b)
				p.Filled(k)
				consumed += k
				b = b[k:]
				continue
			}
		}
		m, ferr := p.Feed(b[:n], fn)
		consumed += m
		if errors.Is(ferr, errPause) {
			b = b[m:]
			continue
		}
		if ferr != nil {
			return out, frames, consumed, ferr
		}
		b = b[n:]
	}
	if p.Offset() != int64(consumed) {
		panic("offset disagrees with consumed bytes")
	}
	return out, frames, consumed, nil
}

func addCaptureSeeds(f *testing.F) {
	for i, s := range buildStreams(f, loadCapture(f)) {
		mode := uint8(fuzzServer)
		if s.key.dir == "c2s" {
			mode = fuzzClient
		}
		if i < 40 {
			f.Add(s.data[:min(len(s.data), 8192)], uint64(i), mode)
		}
		// The open part: frames after the handshake.
		var open []byte
		for j, k := range s.kinds {
			if k >= KindMsg && len(open)+len(s.frames[j]) < 8192 {
				open = append(open, s.frames[j]...)
			}
		}
		if len(open) > 0 && i < 60 {
			f.Add(open, uint64(i), uint8(fuzzOpen))
		}
	}
}

// FuzzParser feeds arbitrary bytes, whole and split at random points: it must
// never panic, both ways must agree exactly, and in the open state every
// frame must re-encode to the bytes it came from.
func FuzzParser(f *testing.F) {
	addCaptureSeeds(f)
	f.Add([]byte{TagMsg}, uint64(1), uint8(fuzzOpen))
	f.Add(AppendMessageHead(nil, &Header{FrontLen: 1 << 31}), uint64(2), uint8(fuzzOpen))
	f.Add(AppendMessage(nil, Header{Seq: 1}, []byte("front"), nil, make([]byte, 9000)), uint64(3), uint8(0x80|fuzzOpen))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64, mode uint8) {
		out1, n1, c1, err1 := fuzzRun(in, mode, nil)
		out2, n2, c2, err2 := fuzzRun(in, mode, rand.New(rand.NewPCG(seed, 1)))
		if n1 != n2 || !bytes.Equal(out1, out2) {
			t.Fatalf("whole: %d frames, split: %d frames", n1, n2)
		}
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole: %v, split: %v", err1, err2)
		}
		if err1 != nil {
			var pe1, pe2 *ParseError
			if !errors.As(err1, &pe1) || !errors.As(err2, &pe2) {
				t.Fatalf("not a ParseError: %v / %v", err1, err2)
			}
			if pe1.Offset != pe2.Offset || pe1.State != pe2.State || errors.Unwrap(pe1) == nil ||
				pe1.Err.Error() != pe2.Err.Error() {
				t.Fatalf("whole: %v, split: %v", err1, err2)
			}
			if pe1.Offset > int64(c1) {
				t.Fatalf("error offset %d past consumed %d", pe1.Offset, c1)
			}
		}
		if c1 != c2 {
			t.Fatalf("consumed whole %d, split %d", c1, c2)
		}
		if mode%fuzzModes == fuzzOpen && !bytes.HasPrefix(in, out1) {
			t.Fatalf("frames do not re-encode to their input")
		}
	})
}

func addFixedSeeds(f *testing.F, kind string, field func(e *event) string) {
	for _, e := range loadCapture(f) {
		if e.Kind == kind {
			f.Add(unhex(f, field(&e)))
		}
	}
}

func FuzzDecodeHeader(f *testing.F) {
	addFixedSeeds(f, "msg", func(e *event) string { return e.HeaderHex })
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHeader(b)
		if err != nil {
			return
		}
		if got := AppendHeader(nil, &h); !bytes.Equal(got, b[:HeaderLen]) {
			t.Fatalf("re-encodes to %x", got)
		}
	})
}

func FuzzDecodeFooter(f *testing.F) {
	addFixedSeeds(f, "msg", func(e *event) string { return e.FooterHex })
	f.Fuzz(func(t *testing.T, b []byte) {
		ft, err := DecodeFooter(b)
		if err != nil {
			return
		}
		if got := AppendFooter(nil, &ft); !bytes.Equal(got, b[:FooterLen]) {
			t.Fatalf("re-encodes to %x", got)
		}
		_ = ft.Check(b, nil, b)
	})
}

func FuzzDecodeAddr(f *testing.F) {
	addFixedSeeds(f, "addr", func(e *event) string { return e.Hex })
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAddr(b)
		if err != nil {
			return
		}
		// Padding bytes are not kept, so compare decode(encode(a)) with a.
		enc := AppendAddr(nil, &a)
		a2, err := DecodeAddr(enc)
		if err != nil || !bytes.Equal(AppendAddr(nil, &a2), enc) || a2.String() != a.String() {
			t.Fatalf("%v does not round-trip: %v %v", a, a2, err)
		}
		_, _ = a.AddrPort()
		_ = a.TCPAddr()
	})
}

func FuzzDecodeConnect(f *testing.F) {
	addFixedSeeds(f, "connect", func(e *event) string { return e.Hex })
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeConnect(b)
		if err != nil {
			return
		}
		if got := AppendConnect(nil, &c); !bytes.Equal(got, b[:ConnectLen]) {
			t.Fatalf("re-encodes to %x", got)
		}
	})
}

func FuzzDecodeConnectReply(f *testing.F) {
	addFixedSeeds(f, "connect_reply", func(e *event) string { return e.Hex })
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeConnectReply(b)
		if err != nil {
			return
		}
		if got := AppendConnectReply(nil, &r); !bytes.Equal(got, b[:ConnectReplyLen]) {
			t.Fatalf("re-encodes to %x", got)
		}
	})
}

func FuzzCheckBanner(f *testing.F) {
	f.Add([]byte(Banner))
	f.Add([]byte("ceph v2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := CheckBanner(b); (err == nil) != bytes.HasPrefix(b, []byte(Banner)) {
			t.Fatalf("CheckBanner(%q) = %v", b, err)
		}
	})
}
