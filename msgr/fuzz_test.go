package msgr

import (
	"io"
	"net"
	"testing"
	"time"

	"gomgr/msgr/wire"
)

// FuzzServerInput throws arbitrary bytes at a live server messenger, either
// from the first byte or after a good handshake (data[0]&1), and checks the
// server survives: a panic kills the process, and a wedged loop fails the
// next iteration's handshake (the server's hello and reply must arrive).
func FuzzServerInput(f *testing.F) {
	sr := newRecorder()
	sr.echo = true
	sr.discard = true
	srv, err := New(Config{Name: wire.EntityName{Type: wire.EntityOSD}, Dispatcher: sr, Workers: 2,
		DefaultPolicy: StatelessServer(), Logger: testLogger(), MaxMessageSize: 1 << 20,
		// Generous: every iteration closes its socket, so nothing lingers,
		// and a loaded machine must not turn a slow handshake into a finding.
		HandshakeTimeout: 10 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.Bind("127.0.0.1:0"); err != nil {
		f.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		srv.Shutdown()
		srv.Wait()
		// Every partly received message went with its connection.
		if p := srv.Stats().PartialBytes.Load(); p != 0 {
			f.Errorf("%d bytes still reserved after shutdown", p)
		}
	})
	addr := srvAddr(srv)

	msg := wire.AppendMessage(nil, wire.Header{Seq: 1, Type: 3, Priority: PrioDefault}, []byte("front"), nil, []byte("data"))
	f.Add(append([]byte{1}, msg...))
	f.Add(append([]byte{1}, wire.AppendAck(wire.AppendKeepalive2(nil, wire.Timespec{Sec: 1}), 7)...))
	f.Add(append([]byte{0}, wire.AppendBanner(nil)...))
	f.Add([]byte{1, 0xEE})
	f.Add(append([]byte{1}, msg[:30]...))
	// Half-sent messages: over the pre-auth cap (held), within it (read),
	// at the size limit, and a header cut short.
	f.Add(append(append([]byte{1}, claimHead(1, 1, 1<<20)...), make([]byte, 3000)...))
	f.Add(append(append([]byte{1}, claimHead(1, 1, 60000)...), make([]byte, 100)...))
	f.Add(append(append([]byte{1}, msg...), claimHead(2, 1, 100<<10)...))
	f.Add(append([]byte{1}, claimHead(1, 1, 1<<20)[:40]...))

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Skip(err) // out of ports under heavy fuzzing; not a finding
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		if data[0]&1 == 1 {
			hello := make([]byte, wire.BannerLen+2*wire.AddrLen)
			if _, err := io.ReadFull(nc, hello); err != nil {
				t.Fatalf("server hello: %v", err)
			}
			me := wire.EntityAddr{Type: 1, Nonce: 1000}
			b := wire.AppendAddr(wire.AppendBanner(nil), &me)
			cm := wire.Connect{Features: wire.FeaturesSupported, HostType: wire.EntityClient, GlobalSeq: 1, ProtocolVersion: wire.ProtocolVersion}
			if _, err := nc.Write(wire.AppendConnect(b, &cm)); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(nc, make([]byte, wire.ConnectReplyLen)); err != nil {
				t.Fatalf("reply: %v", err)
			}
		}
		_, _ = nc.Write(data[1:])
	})
}
