package msgr

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/msgr/wire"
)

// recorder is a Dispatcher that records everything, optionally echoing.
type recorder struct {
	mu      sync.Mutex
	msgs    []*Message
	byConn  map[*Connection][]*Message
	events  map[string]int
	echo    bool
	discard bool          // keep no messages (stress tests)
	block   chan struct{} // when non-nil, Dispatch waits on it
	onDisp  func(c *Connection, m *Message)
}

func newRecorder() *recorder {
	return &recorder{byConn: map[*Connection][]*Message{}, events: map[string]int{}}
}

func (r *recorder) Dispatch(c *Connection, m *Message) {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	if !r.discard {
		r.msgs = append(r.msgs, m)
		r.byConn[c] = append(r.byConn[c], m)
	}
	f := r.onDisp
	r.mu.Unlock()
	if f != nil {
		f(c, m)
	}
	if r.echo {
		_ = c.Send(&Message{Type: m.Type, Priority: m.Priority, Tid: m.Tid, Front: m.Front, Middle: m.Middle, Data: m.Data})
	}
}

func (r *recorder) ev(k string)                     { r.mu.Lock(); r.events[k]++; r.mu.Unlock() }
func (r *recorder) HandleConnect(c *Connection)     { r.ev("connect") }
func (r *recorder) HandleAccept(c *Connection)      { r.ev("accept") }
func (r *recorder) HandleReset(c *Connection)       { r.ev("reset") }
func (r *recorder) HandleRemoteReset(c *Connection) { r.ev("remote_reset") }
func (r *recorder) HandleRefused(c *Connection)     { r.ev("refused") }

func (r *recorder) count() int              { r.mu.Lock(); defer r.mu.Unlock(); return len(r.msgs) }
func (r *recorder) eventCount(k string) int { r.mu.Lock(); defer r.mu.Unlock(); return r.events[k] }

var _ Dispatcher = (*recorder)(nil)
var _ ConnEventHandler = (*recorder)(nil)

func testLogger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	if os.Getenv("MSGR_TEST_LOG") != "" {
		l.SetOutput(os.Stderr)
		l.SetLevel(logrus.DebugLevel)
	}
	return logrus.NewEntry(l)
}

// newPair starts a bound server and a client messenger.
func newPair(t testing.TB, srvD, cliD Dispatcher, tweak func(srv, cli *Config)) (srv, cli *Messenger) {
	t.Helper()
	sc := Config{Name: wire.EntityName{Type: wire.EntityOSD, Num: 0}, Dispatcher: srvD, Workers: 2,
		DefaultPolicy: StatefulServer(), Logger: testLogger(), BackoffInitial: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
	cc := Config{Name: wire.EntityName{Type: wire.EntityClient, Num: 1}, Dispatcher: cliD, Workers: 2,
		DefaultPolicy: LosslessClient(), Logger: testLogger(), BackoffInitial: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
	if tweak != nil {
		tweak(&sc, &cc)
	}
	var err error
	srv, err = New(sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Bind("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.Wait() })
	cli, err = New(cc)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Shutdown(); cli.Wait() })
	return srv, cli
}

func srvAddr(m *Messenger) string {
	ap, _ := m.Addr().AddrPort()
	return ap.String()
}

// payload makes a deterministic payload that carries its own id and a
// checksum, so corruption and misdelivery are detectable at the receiver.
func payload(conn, seq int, size int) []byte {
	if size < 16 {
		size = 16
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b[0:], uint32(conn))
	binary.LittleEndian.PutUint32(b[4:], uint32(seq))
	x := uint32(conn*7919 + seq*104729 + 1)
	for i := 12; i < size; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	binary.LittleEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[12:]))
	return b
}

func checkPayload(b []byte) (conn, seq int, ok bool) {
	if len(b) < 16 {
		return 0, 0, false
	}
	conn = int(binary.LittleEndian.Uint32(b[0:]))
	seq = int(binary.LittleEndian.Uint32(b[4:]))
	return conn, seq, binary.LittleEndian.Uint32(b[8:]) == crc32.ChecksumIEEE(b[12:])
}
