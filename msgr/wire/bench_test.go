package wire

import (
	"bufio"
	"io"
	"testing"
)

// benchParse feeds b.N messages of the given sizes, perChunk frames per
// Feed call split into reads of readSize bytes (0: one read per chunk).
func benchParse(b *testing.B, front, data, perChunk, readSize int) {
	msg := testMsg(make([]byte, front), nil, make([]byte, data))
	var chunk []byte
	for range perChunk {
		chunk = append(chunk, msg...)
	}
	if readSize == 0 {
		readSize = len(chunk)
	}
	var p Parser
	if err := p.Expect(KindOpen); err != nil {
		b.Fatal(err)
	}
	n := 0
	fn := func(f *Frame) error { n++; return nil }
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for n < b.N {
		for c := chunk; len(c) > 0; {
			r := min(readSize, len(c))
			if _, err := p.Feed(c[:r], fn); err != nil {
				b.Fatal(err)
			}
			c = c[r:]
		}
	}
}

// 64-byte fronts, 256 frames per read: the fast path.
func BenchmarkParse64B(b *testing.B) { benchParse(b, 64, 0, 256, 0) }

// 64-byte fronts arriving in 1500-byte reads: frames split across reads.
func BenchmarkParse64BSplit1500(b *testing.B) { benchParse(b, 64, 0, 256, 1500) }

// 4 KiB data (plus a 64-byte front), 16 frames per read.
func BenchmarkParse4K(b *testing.B) { benchParse(b, 64, 4096, 16, 0) }

// 4 KiB data in 16 KiB reads.
func BenchmarkParse4KSplit16K(b *testing.B) { benchParse(b, 64, 4096, 16, 16384) }

func BenchmarkPutMessageHeadTail64B(b *testing.B) {
	front := make([]byte, 64)
	var s struct {
		head [MsgHeadLen]byte
		tail [FooterLen]byte
		h    Header
	}
	b.ReportAllocs()
	for b.Loop() {
		PutMessageHeadTail(&s.head, &s.tail, &s.h, front, nil, nil)
	}
}

// BenchmarkReadFull64B is the baseline a plain blocking reader would use:
// bufio.Reader + io.ReadFull per field, same checks and one allocation per
// message, over the same bytes.
func BenchmarkReadFull64B(b *testing.B) { benchReadFull(b, 64, 0, 256) }

func BenchmarkReadFull4K(b *testing.B) { benchReadFull(b, 64, 4096, 16) }

func benchReadFull(b *testing.B, front, data, perChunk int) {
	msg := testMsg(make([]byte, front), nil, make([]byte, data))
	var chunk []byte
	for range perChunk {
		chunk = append(chunk, msg...)
	}
	src := &loopReader{b: chunk}
	br := bufio.NewReaderSize(src, 64<<10)
	var hb [HeaderLen]byte
	var fb [FooterLen]byte
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tag, err := br.ReadByte()
		if err != nil || tag != TagMsg {
			b.Fatal(tag, err)
		}
		if _, err := io.ReadFull(br, hb[:]); err != nil {
			b.Fatal(err)
		}
		h, err := DecodeHeader(hb[:])
		if err != nil {
			b.Fatal(err)
		}
		seg := make([]byte, int(h.FrontLen)+int(h.MiddleLen)+int(h.DataLen))
		if _, err := io.ReadFull(br, seg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, fb[:]); err != nil {
			b.Fatal(err)
		}
		f, _ := DecodeFooter(fb[:])
		fl, ml := int(h.FrontLen), int(h.MiddleLen)
		if err := f.Check(seg[:fl], seg[fl:fl+ml], seg[fl+ml:]); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader returns its bytes over and over, as a socket that always has
// data.
type loopReader struct {
	b   []byte
	off int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}
