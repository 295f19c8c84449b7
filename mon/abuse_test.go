package mon_test

import (
	"errors"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
	"gomgr/messages"
	"gomgr/msgr/wire"
)

// heapInUse is the live heap after a collection, in bytes.
func heapInUse() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

func selfRSS(t *testing.T) int64 {
	rss, err := procstat.ReadRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return rss
}

// TestAbuseHalfSentMessagesBounded is issue #13: strangers that finish the
// handshake, announce a 60 MiB message each and send all of it but the last
// byte must not make the mon hold what they claim (it held 1.2 GB), and the
// mon must go on serving its clients meanwhile.
func TestAbuseHalfSentMessagesBounded(t *testing.T) {
	abuse(t, false, 50<<20, 50<<20)
}

// TestAbuseAuthenticatedHalfSentBounded: the same after an MAuth, which
// auth none accepts from anyone: what they may make the mon hold is then
// msgr's MaxPartialBytes (128 MiB), not what they claim. RSS is only
// logged: it also holds the garbage the growing buffers left for the next
// GC (a third more), and under -race the detector's shadow of it all.
func TestAbuseAuthenticatedHalfSentBounded(t *testing.T) {
	abuse(t, true, 128<<20+50<<20, 0)
}

// abuse runs the attack and checks the growth of the live heap, and of
// RSS unless rssBound is 0.
func abuse(t *testing.T, authenticate bool, heapBound, rssBound int64) {
	d := startDaemon(t, t.TempDir())
	c := dial(t, d.Addr(), nil)
	if res := command(t, c, map[string]any{"prefix": "status"}); res.Retval != 0 {
		t.Fatalf("status before: %d %s", res.Retval, res.Status)
	}
	const conns, claim = 20, 60 << 20
	chunk := make([]byte, 1<<20) // the same zeros go out on every socket
	hello := messages.Encode(&messages.Auth{AuthPayload: messages.EncodeAuthHello(messages.AuthHello{
		Protocols: []uint32{messages.AuthNone}, Name: messages.AuthName{Type: uint32(wire.EntityClient), ID: "x"}})})
	auth := wire.AppendMessage(nil, wire.Header{Seq: 1, Type: hello.Type, Version: hello.Version,
		CompatVersion: hello.CompatVersion, Priority: 127}, hello.Front, hello.Middle, hello.Data)
	heap0, rss0 := heapInUse(), selfRSS(t)

	var sent atomic.Int64
	var wg sync.WaitGroup
	for i := range conns {
		nc := testutil.RawV1Session(t, d.Addr(), uint32(5000+i))
		h := wire.Header{Seq: 2, Type: messages.TypeMonCommand, Priority: 127, FrontLen: claim}
		b := wire.AppendMessageHead(nil, &h)
		if authenticate {
			b = append(auth, b...)
		}
		if _, err := nc.Write(b); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left := claim - 1; left > 0; {
				// A mon that stopped reading stalls the write: give up
				// after a quiet while, keeping the socket open.
				_ = nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
				n, err := nc.Write(chunk[:min(left, len(chunk))])
				sent.Add(int64(n))
				left -= n
				if err != nil {
					var ne net.Error
					if !errors.As(err, &ne) || !ne.Timeout() {
						t.Errorf("conn %d: %v", i, err)
					}
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("writers neither finished nor stalled")
	}
	heap1, rss1 := heapInUse(), selfRSS(t)
	st := d.Messenger().Stats().Snapshot()
	t.Logf("sent %d MiB of %d MiB claimed; heap in use %d -> %d MiB, RSS %d -> %d MiB; mon reserved %d MiB, %d held for auth, %d waits for room",
		sent.Load()>>20, conns*claim>>20, heap0>>20, heap1>>20, rss0>>20, rss1>>20, st.PartialBytes>>20, st.AuthWaits, st.PartialWaits)
	if g := heap1 - heap0; g > heapBound {
		t.Errorf("heap grew %d MiB (bound %d MiB)", g>>20, heapBound>>20)
	}
	if g := rss1 - rss0; rssBound > 0 && g > rssBound {
		t.Errorf("RSS grew %d MiB (bound %d MiB)", g>>20, rssBound>>20)
	}
	// The strangers are still there; a client is served all the same.
	c2 := dial(t, d.Addr(), nil)
	if res := command(t, c2, map[string]any{"prefix": "status"}); res.Retval != 0 {
		t.Fatalf("status after: %d %s", res.Retval, res.Status)
	}
}
