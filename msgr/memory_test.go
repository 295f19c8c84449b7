package msgr

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/msgr/wire"
)

// dropDispatcher keeps nothing of what it receives and watches, with a
// finalizer, when the received payload buffer becomes garbage.
type dropDispatcher struct{ freed, got atomic.Int32 }

func (d *dropDispatcher) Dispatch(_ *Connection, m *Message) {
	runtime.SetFinalizer(&m.Front[0], func(*byte) { d.freed.Add(1) })
	d.got.Add(1)
}

// TestReceivedBufferNotRetained checks that, once the dispatcher dropped a
// message, nothing in the connection (the parser's reused frame) keeps its
// buffer alive while the connection is quiet: otherwise every idle
// connection pins its last message, up to the max message size.
func TestReceivedBufferNotRetained(t *testing.T) {
	d := &dropDispatcher{}
	srv, cli := newPair(t, d, newRecorder(), nil)
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(&Message{Type: 42, Priority: PrioDefault, Front: make([]byte, 64<<10)}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "delivery", func() bool { return d.got.Load() == 1 })
	testutil.Eventually(t, 5*time.Second, "the buffer to be collected", func() bool {
		runtime.GC()
		return d.freed.Load() == 1
	})
}
