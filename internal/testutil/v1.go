package testutil

import (
	"io"
	"net"
	"testing"
	"time"

	"gomgr/msgr/wire"
)

// RawV1Session runs the client half of the msgr v1 handshake on a raw
// socket, as a peer that never authenticates would, and returns the open
// session's socket (closed when the test ends). nonce makes several such
// peers distinct.
func RawV1Session(t testing.TB, addr string, nonce uint32) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(nc, make([]byte, wire.BannerLen+2*wire.AddrLen)); err != nil {
		t.Fatalf("server hello: %v", err)
	}
	me := wire.EntityAddr{Type: 1, Nonce: nonce}
	cm := wire.Connect{Features: wire.FeaturesSupported, HostType: wire.EntityClient, GlobalSeq: 1,
		ProtocolVersion: wire.ProtocolVersion}
	if _, err := nc.Write(wire.AppendConnect(wire.AppendAddr(wire.AppendBanner(nil), &me), &cm)); err != nil {
		t.Fatal(err)
	}
	rb := make([]byte, wire.ConnectReplyLen)
	if _, err := io.ReadFull(nc, rb); err != nil {
		t.Fatalf("connect reply: %v", err)
	}
	if r, err := wire.DecodeConnectReply(rb); err != nil || r.Tag != wire.TagReady {
		t.Fatalf("connect reply %+v %v", r, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return nc
}
