package msgr

import (
	"bytes"
	"net"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/msgr/wire"
)

const msgAuth = 17 // CEPH_MSG_AUTH: authDispatcher authenticates its sender

// authDispatcher records messages and, like the mon on MAuth, marks the
// sender of a msgAuth message authenticated.
type authDispatcher struct {
	mu       sync.Mutex
	msgs     []*Message
	conns    []*Connection // by arrival of their first message
	accepted []*Connection
}

func (d *authDispatcher) Dispatch(c *Connection, m *Message) {
	if m.Type == msgAuth {
		c.SetAuthenticated()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.msgs = append(d.msgs, m)
	for _, x := range d.conns {
		if x == c {
			return
		}
	}
	d.conns = append(d.conns, c)
}

func (d *authDispatcher) HandleAccept(c *Connection) {
	d.mu.Lock()
	d.accepted = append(d.accepted, c)
	d.mu.Unlock()
}
func (d *authDispatcher) HandleConnect(*Connection)     {}
func (d *authDispatcher) HandleReset(*Connection)       {}
func (d *authDispatcher) HandleRemoteReset(*Connection) {}
func (d *authDispatcher) HandleRefused(*Connection)     {}

func (d *authDispatcher) count() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.msgs) }

func (d *authDispatcher) msg(i int) *Message { d.mu.Lock(); defer d.mu.Unlock(); return d.msgs[i] }

var _ ConnEventHandler = (*authDispatcher)(nil)

// claimHead is a MSG tag and header announcing size bytes of data.
func claimHead(seq uint64, typ uint16, size uint32) []byte {
	h := wire.Header{Seq: seq, Type: typ, Priority: PrioDefault, DataLen: size}
	return wire.AppendMessageHead(nil, &h)
}

func writeAll(t testing.TB, nc net.Conn, b []byte) {
	t.Helper()
	_ = nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
}

func liveHeap() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// TestClaimCostsNothingUntilSent is issue #13 at the messenger: twenty
// peers announcing the largest message and sending 1000 bytes of it must
// cost the receiver about what they sent, not 20 x 64 MiB.
func TestClaimCostsNothingUntilSent(t *testing.T) {
	srv, _ := newPair(t, newRecorder(), newRecorder(), func(s, _ *Config) {
		s.TrustPeers = true    // admitted: not held for authentication
		s.MaxPartialBytes = -1 // nor for the budget: every claim is read as it comes
		s.StallTimeout = -1    // and kept while the test measures
		s.MaxMessageSize = 64 << 20
	})
	const conns, claim, sent = 20, 64 << 20, 1000
	addr := srvAddr(srv)
	heap0 := liveHeap()
	ncs := make([]net.Conn, conns)
	for i := range ncs {
		ncs[i] = testutil.RawV1Session(t, addr, uint32(100+i))
		writeAll(t, ncs[i], append(claimHead(1, 1, claim), make([]byte, sent)...))
	}
	testutil.Eventually(t, 10*time.Second, "all claims reserved and their bytes read", func() bool {
		return srv.Stats().PartialBytes.Load() == conns*claim &&
			srv.Stats().BytesIn.Load() >= uint64(conns*sent)
	})
	heap1 := liveHeap()
	t.Logf("%d claims of %d MiB, %d bytes sent each: live heap %+d KiB", conns, claim>>20, sent, (heap1-heap0)>>10)
	if g := heap1 - heap0; g > 4<<20 {
		t.Fatalf("live heap grew %d KiB for %d bytes received", g>>10, conns*sent)
	}
	for _, nc := range ncs {
		nc.Close()
	}
	testutil.Eventually(t, 10*time.Second, "reservations released", func() bool { return srv.Stats().PartialBytes.Load() == 0 })
}

// TestPreAuthHeldUntilAuthenticated: an unauthenticated peer's message over
// MaxPreAuthBytes waits, unread and unallocated, until the application
// authenticates the peer; then it arrives whole. One sent right behind the
// message that authenticates its peer goes through too.
func TestPreAuthHeldUntilAuthenticated(t *testing.T) {
	d := &authDispatcher{}
	srv, _ := newPair(t, d, newRecorder(), func(s, _ *Config) { s.DefaultPolicy = StatelessServer() })
	big := payload(1, 2, 100<<10)
	bigMsg := func(seq uint64) []byte {
		return wire.AppendMessage(nil, wire.Header{Seq: seq, Type: 99, Priority: PrioDefault}, nil, nil, big)
	}
	small := wire.AppendMessage(nil, wire.Header{Seq: 1, Type: 98, Priority: PrioDefault}, []byte("hi"), nil, nil)

	// Authenticated by the application, from outside the dispatcher.
	nc := testutil.RawV1Session(t, srvAddr(srv), 1)
	writeAll(t, nc, append(small, bigMsg(2)...))
	testutil.Eventually(t, 5*time.Second, "the small message", func() bool { return d.count() == 1 })
	testutil.Eventually(t, 5*time.Second, "the big one held", func() bool { return srv.Stats().AuthWaits.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	if n, p := d.count(), srv.Stats().PartialBytes.Load(); n != 1 || p != 0 {
		t.Fatalf("while held: %d messages, %d bytes reserved", n, p)
	}
	d.mu.Lock()
	c := d.conns[0]
	d.mu.Unlock()
	if c.Authenticated() {
		t.Fatal("an accepted connection starts authenticated")
	}
	c.SetAuthenticated()
	testutil.Eventually(t, 5*time.Second, "the big message", func() bool { return d.count() == 2 })
	if m := d.msg(1); m.Type != 99 || !bytes.Equal(m.Data, big) {
		t.Fatalf("got type %d, %d bytes", m.Type, len(m.Data))
	}

	// Authenticated by its first message, the big one right behind it.
	nc2 := testutil.RawV1Session(t, srvAddr(srv), 2)
	auth := wire.AppendMessage(nil, wire.Header{Seq: 1, Type: msgAuth, Priority: PrioDefault}, []byte("auth"), nil, nil)
	writeAll(t, nc2, append(auth, bigMsg(2)...))
	testutil.Eventually(t, 5*time.Second, "auth and the big message", func() bool { return d.count() == 4 })
	if m := d.msg(3); m.Type != 99 || !bytes.Equal(m.Data, big) {
		t.Fatalf("got type %d, %d bytes", m.Type, len(m.Data))
	}
	if got := srv.Stats().Oversized.Load(); got != 0 {
		t.Fatalf("%d connections closed", got)
	}
}

// TestPreAuthNotAuthenticatedCloses: a stranger held at a big message and
// never authenticated is closed after HandshakeTimeout, holding nothing.
func TestPreAuthNotAuthenticatedCloses(t *testing.T) {
	srv, _ := newPair(t, newRecorder(), newRecorder(), func(s, _ *Config) {
		s.DefaultPolicy = StatelessServer()
		s.HandshakeTimeout = 300 * time.Millisecond
	})
	nc := testutil.RawV1Session(t, srvAddr(srv), 1)
	writeAll(t, nc, append(claimHead(1, 1, 60<<20), make([]byte, 10000)...))
	expectClosed(t, nc)
	st := srv.Stats().Snapshot()
	if st.AuthWaits != 1 || st.Oversized != 1 || st.PartialBytes != 0 || st.MsgsIn != 0 {
		t.Fatalf("stats %+v", st)
	}
	testutil.Eventually(t, 5*time.Second, "the connection gone", func() bool { return srv.Stats().Connections.Load() == 0 })
}

// TestPartialBudgetWaitsAndResumes: with no room left in MaxPartialBytes a
// connection waits at its header, and reads on once the message holding
// the budget completes.
func TestPartialBudgetWaitsAndResumes(t *testing.T) {
	d := &authDispatcher{}
	const limit, size = 1 << 20, 768 << 10
	srv, _ := newPair(t, d, newRecorder(), func(s, _ *Config) {
		s.TrustPeers = true
		s.MaxPartialBytes = limit
	})
	msgA := wire.AppendMessage(nil, wire.Header{Seq: 1, Type: 1, Priority: PrioDefault}, nil, nil, payload(1, 1, size))
	msgB := wire.AppendMessage(nil, wire.Header{Seq: 1, Type: 2, Priority: PrioDefault}, nil, nil, payload(2, 1, size))
	a := testutil.RawV1Session(t, srvAddr(srv), 1)
	writeAll(t, a, msgA[:len(msgA)/2])
	testutil.Eventually(t, 5*time.Second, "A's claim reserved", func() bool { return srv.Stats().PartialBytes.Load() == size })
	b := testutil.RawV1Session(t, srvAddr(srv), 2)
	writeAll(t, b, msgB)
	testutil.Eventually(t, 5*time.Second, "B waiting", func() bool { return srv.Stats().PartialWaits.Load() >= 1 })
	time.Sleep(50 * time.Millisecond)
	if n, p := d.count(), srv.Stats().PartialBytes.Load(); n != 0 || p != size {
		t.Fatalf("while B waits: %d messages, %d bytes reserved", n, p)
	}
	writeAll(t, a, msgA[len(msgA)/2:])
	testutil.Eventually(t, 5*time.Second, "both messages", func() bool { return d.count() == 2 })
	seen := map[int]bool{}
	for i := range 2 {
		id, _, ok := checkPayload(d.msg(i).Data)
		if !ok {
			t.Fatalf("message %d from %d corrupt", i, id)
		}
		seen[id] = true
	}
	if !seen[1] || !seen[2] {
		t.Fatalf("messages from %v", seen)
	}
	testutil.Eventually(t, 5*time.Second, "budget released", func() bool { return srv.Stats().PartialBytes.Load() == 0 })
}

// TestStalledMessageReleased: a peer that stops inside a message is
// faulted after StallTimeout and its reservation released.
func TestStalledMessageReleased(t *testing.T) {
	srv, _ := newPair(t, newRecorder(), newRecorder(), func(s, _ *Config) {
		s.TrustPeers = true
		s.StallTimeout = 200 * time.Millisecond
	})
	nc := testutil.RawV1Session(t, srvAddr(srv), 1)
	writeAll(t, nc, append(claimHead(1, 1, 1<<20), make([]byte, 1000)...))
	testutil.Eventually(t, 5*time.Second, "claim reserved", func() bool { return srv.Stats().PartialBytes.Load() == 1<<20 })
	expectClosed(t, nc)
	testutil.Eventually(t, 5*time.Second, "the reservation released", func() bool { return srv.Stats().PartialBytes.Load() == 0 })
	if st := srv.Stats().Snapshot(); st.Stalls != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestConnCapCloses: a claim over MaxConnPartialBytes can never be read:
// the connection is closed at its header.
func TestConnCapCloses(t *testing.T) {
	srv, _ := newPair(t, newRecorder(), newRecorder(), func(s, _ *Config) {
		s.TrustPeers = true
		s.MaxConnPartialBytes = 4096
	})
	nc := testutil.RawV1Session(t, srvAddr(srv), 1)
	writeAll(t, nc, claimHead(1, 1, 8192))
	expectClosed(t, nc)
	if st := srv.Stats().Snapshot(); st.Oversized != 1 || st.PartialBytes != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// bigReply answers every message with a 1 MiB one.
type bigReply struct{ *recorder }

func (d bigReply) Dispatch(c *Connection, m *Message) {
	d.recorder.Dispatch(c, m)
	_ = c.Send(&Message{Type: 7, Priority: PrioDefault, Data: payload(3, 1, 1<<20)})
}

// TestDialledConnectionsAuthenticated: a client trusts the server it
// dialled (a 1 MiB reply is read at once); the server does not trust the
// client until told.
func TestDialledConnectionsAuthenticated(t *testing.T) {
	d := &authDispatcher{}
	sr := bigReply{newRecorder()}
	srv, cli := newPair(t, sr, d, nil)
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Authenticated() {
		t.Fatal("dialled connection not authenticated")
	}
	if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Front: []byte("hi")}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "the 1 MiB reply", func() bool { return d.count() == 1 })
	if _, _, ok := checkPayload(d.msg(0).Data); !ok || cli.Stats().AuthWaits.Load() != 0 {
		t.Fatal("reply corrupt or held")
	}
	sr.mu.Lock()
	var sc *Connection
	for x := range sr.byConn {
		sc = x
	}
	sr.mu.Unlock()
	if sc.Authenticated() {
		t.Fatal("accepted connection authenticated without TrustPeers")
	}
}

// countDispatcher counts the messages it gets.
type countDispatcher struct{ n atomic.Int64 }

func (d *countDispatcher) Dispatch(*Connection, *Message) { d.n.Add(1) }

// BenchmarkStreamLarge streams messages of several sizes one way over
// loopback: the receiver reads each as it arrives, growing its buffer.
func BenchmarkStreamLarge(b *testing.B) {
	for _, size := range []int{256 << 10, 4 << 20} {
		b.Run(strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
			d := &countDispatcher{}
			srv, cli := newPair(b, d, newRecorder(), func(s, _ *Config) { s.TrustPeers = true })
			c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Data: data}); err != nil {
					b.Fatal(err)
				}
				for int(d.n.Load()) < i-8 { // at most 8 in flight
					runtime.Gosched()
				}
			}
			for int(d.n.Load()) < b.N {
				runtime.Gosched()
			}
		})
	}
}
