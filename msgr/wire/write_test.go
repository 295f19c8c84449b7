package wire

import (
	"bytes"
	"testing"
)

// TestAppendAllocs pins the encoders a connection runs per message to no
// allocation once dst has room, and checks they match MessageHeadTail.
func TestAppendAllocs(t *testing.T) {
	front := make([]byte, 64)
	h := Header{Seq: 7, Tid: 9, Type: 0x4000, Priority: 127, FrontLen: 64, Src: EntityName{EntityOSD, 3}}
	f := FooterFor(front, nil, nil)
	head, tail := MessageHeadTail(h, front, nil, nil)
	want := append(append(append(AppendAck(nil, 5), head[:]...), front...), tail[:]...)
	buf := make([]byte, 0, 1024)
	var got []byte
	n := testing.AllocsPerRun(100, func() {
		got = AppendAck(buf[:0], 5)
		got = AppendMessageHead(got, &h)
		got = append(got, front...)
		got = AppendFooter(got, &f)
	})
	if n != 0 {
		t.Errorf("%v allocations per message, want 0", n)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%x\nwant\n%x", got, want)
	}
}
