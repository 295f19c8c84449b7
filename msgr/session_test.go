package msgr

import (
	"flag"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/msgr/wire"
)

var stressBig = flag.Bool("msgr.stress.big", false, "run the big SyntheticInject-like stress test (>= 100,000 messages)")

func TestPriorityOrderOnTheWire(t *testing.T) {
	sr, cr := newRecorder(), newRecorder()
	// The server is bound but not started: the client's socket connects
	// (backlog) but the handshake waits, so everything below queues.
	sc := Config{Name: wire.EntityName{Type: wire.EntityOSD}, Dispatcher: sr, DefaultPolicy: StatefulServer(), Logger: testLogger()}
	srv, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Bind("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.Wait() })
	cli, err := New(Config{Name: wire.EntityName{Type: wire.EntityClient, Num: 1}, Dispatcher: cr, DefaultPolicy: LosslessClient(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Shutdown(); cli.Wait() })
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	prios := []uint16{PrioLow, PrioDefault, PrioHigh, PrioHighest}
	const per = 50
	for i := 0; i < per; i++ {
		for _, p := range prios {
			if err := c.Send(&Message{Type: 7, Priority: p, Tid: uint64(i), Front: []byte{byte(p)}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "all messages", func() bool { return sr.count() == per*len(prios) })
	sr.mu.Lock()
	defer sr.mu.Unlock()
	// Wire order is the seq order: highest priority first, FIFO within one.
	bySeq := make([]*Message, len(sr.msgs)+1)
	for _, m := range sr.msgs {
		bySeq[m.Seq] = m
	}
	for i := 1; i < len(bySeq); i++ {
		want := prios[len(prios)-1-(i-1)/per]
		if m := bySeq[i]; m.Priority != want || m.Tid != uint64((i-1)%per) {
			t.Fatalf("seq %d: prio %d tid %d, want prio %d tid %d", i, m.Priority, m.Tid, want, (i-1)%per)
		}
	}
}

// stressRun is a SyntheticInjectTest-like workload: nconn lossless client
// sessions to one server, traffic both ways, random sizes, socket faults
// injected ~1 in failEvery operations on both sides. Every message must
// arrive exactly once, in order, byte-identical.
func stressRun(t *testing.T, nconn, total, failEvery int, lossy bool) {
	var bad atomic.Int64
	type stream struct {
		mu   sync.Mutex
		next int
		got  int
	}
	streams := make([]stream, 2*nconn) // [0,n): client->server, [n,2n): server->client
	check := func(m *Message) {
		id, seq, ok := checkPayload(m.Data)
		if !ok || id >= len(streams) {
			bad.Add(1)
			return
		}
		s := &streams[id]
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case lossy && seq >= s.next:
			s.next = seq + 1
			s.got++
		case seq == s.next:
			s.next++
			s.got++
		default:
			bad.Add(1)
		}
	}
	disp := func() *recorder {
		r := newRecorder()
		r.discard = true
		r.onDisp = func(_ *Connection, m *Message) { check(m) }
		return r
	}
	srvPol, cliPol := StatefulServer(), LosslessClient()
	if lossy {
		srvPol, cliPol = StatelessServer(), LossyClient()
	}
	srvRec := disp()
	srvRec.msgs = nil
	// Server side: reply on the connection a client stream arrives on. Set
	// before Start: Dispatch reads onDisp as soon as anything arrives.
	var srvConns sync.Map // stream id -> *Connection
	srvRec.onDisp = func(c *Connection, m *Message) {
		check(m)
		if id, _, ok := checkPayload(m.Data); ok && id < nconn {
			srvConns.LoadOrStore(id+nconn, c)
		}
	}
	srv, err := New(Config{Name: wire.EntityName{Type: wire.EntityOSD}, Dispatcher: srvRec, Workers: 2,
		DefaultPolicy: srvPol, Logger: testLogger(), InjectSocketFailures: failEvery,
		TrustPeers: true}) // clients send up to 1 MiB and never authenticate
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

	clis := make([]*Messenger, nconn)
	var resets atomic.Int64
	for i := range clis {
		r := disp()
		cli, err := New(Config{Name: wire.EntityName{Type: wire.EntityClient, Num: int64(i)}, Dispatcher: r, Workers: 1,
			DefaultPolicy: cliPol, Logger: testLogger(), InjectSocketFailures: failEvery,
			BackoffInitial: time.Millisecond, BackoffMax: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := cli.Start(); err != nil {
			t.Fatal(err)
		}
		clis[i] = cli
		t.Cleanup(func() { cli.Shutdown(); cli.Wait() })
	}
	size := func(r *rand.Rand) int { // log-uniform 32 B .. 1 MiB
		return int(math.Exp(math.Log(32) + r.Float64()*(math.Log(1<<20)-math.Log(32))))
	}
	per := total / (2 * nconn)
	// pace bounds memory: at most window messages of a stream in flight
	// (lossless only; a lossy stream may never deliver them).
	const window = 32
	pace := func(id, s int) {
		if lossy {
			return
		}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			streams[id].mu.Lock()
			got := streams[id].got
			streams[id].mu.Unlock()
			if got >= s+1-window {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	sent := make([]atomic.Int64, 2*nconn)
	for i := 0; i < nconn; i++ {
		wg.Add(1)
		go func() { // client -> server
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 1))
			c, _ := clis[i].Connect(srvAddr(srv), wire.EntityOSD)
			for s := 0; s < per; s++ {
				m := &Message{Type: 99, Priority: PrioDefault, Data: payload(i, s, size(r))}
				for c.Send(m) != nil { // lossy: the session was reset; open a new one
					resets.Add(1)
					c, _ = clis[i].Connect(srvAddr(srv), wire.EntityOSD)
				}
				sent[i].Add(1)
				pace(i, s)
			}
			// Lossy: every message of the stream may have been dropped with
			// its session, leaving the server none to answer on. Keep the
			// sequence going until the server has seen one.
			deadline := time.Now().Add(30 * time.Second)
			for s := per; lossy && time.Now().Before(deadline); s++ {
				if _, ok := srvConns.Load(i + nconn); ok {
					return
				}
				m := &Message{Type: 99, Priority: PrioDefault, Data: payload(i, s, 64)}
				if c.Send(m) != nil {
					c, _ = clis[i].Connect(srvAddr(srv), wire.EntityOSD)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		wg.Add(1)
		go func() { // server -> client, on the session the client opened
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 2))
			var c *Connection
			deadline := time.Now().Add(30 * time.Second)
			for c == nil {
				if v, ok := srvConns.Load(i + nconn); ok {
					c = v.(*Connection)
				} else if time.Now().After(deadline) {
					t.Errorf("stream %d: no server session", i)
					return
				} else {
					time.Sleep(time.Millisecond)
				}
			}
			for s := 0; s < per; s++ {
				m := &Message{Type: 98, Priority: PrioDefault, Data: payload(i+nconn, s, size(r))}
				if c.Send(m) != nil {
					if !lossy {
						t.Errorf("server session %d closed", i)
					}
					return
				}
				sent[i+nconn].Add(1)
				pace(i+nconn, s)
			}
		}()
	}
	wg.Wait()
	if lossy {
		// Lossy: wait for the traffic to settle, then check integrity only.
		testutil.Eventually(t, 60*time.Second, "lossy traffic to settle", func() bool {
			a := srv.Stats().MsgsIn.Load()
			time.Sleep(100 * time.Millisecond)
			return srv.Stats().MsgsIn.Load() == a
		})
	} else {
		last := time.Now()
		testutil.Eventually(t, 120*time.Second, "every message", func() bool {
			if time.Since(last) > 3*time.Second {
				last = time.Now()
				for i := range streams {
					streams[i].mu.Lock()
					t.Logf("stream %d got %d", i, streams[i].got)
					streams[i].mu.Unlock()
				}
				dumpConns(t, srv)
				for _, c := range clis {
					dumpConns(t, c)
				}
			}
			for i := range streams {
				streams[i].mu.Lock()
				got := streams[i].got
				streams[i].mu.Unlock()
				if got != per {
					return false
				}
			}
			return true
		})
	}
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d messages corrupt, duplicated or out of order", n)
	}
	var faults, resetsS uint64
	faults += srv.Stats().Faults.Load()
	for _, c := range clis {
		faults += c.Stats().Faults.Load()
		resetsS += c.Stats().Resets.Load()
	}
	got := 0
	for i := range streams {
		streams[i].mu.Lock()
		got += streams[i].got
		streams[i].mu.Unlock()
	}
	t.Logf("conns=%d msgs=%d delivered=%d faults=%d resent=%d resets(client)=%d reconnect-sends=%d",
		nconn, 2*nconn*per, got, faults, srv.Stats().Resent.Load(), resetsS, resets.Load())
	if failEvery > 0 && faults == 0 {
		t.Fatal("no faults were injected")
	}
	if lossy && resetsS == 0 {
		t.Fatal("lossy run saw no resets")
	}
}

func TestStressLosslessInjected(t *testing.T) {
	total := 5000
	if *stressBig {
		total = 100000
	}
	stressRun(t, 8, total, 50, false)
}

func TestStressLossyInjected(t *testing.T) {
	stressRun(t, 8, 2000, 50, true)
}

func TestLosslessResendAfterFault(t *testing.T) {
	sr, cr := newRecorder(), newRecorder()
	srv, cli := newPair(t, sr, cr, nil)
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	const N = 2000
	for i := 0; i < N; i++ {
		if err := c.Send(&Message{Type: 5, Priority: PrioDefault, Front: payload(0, i, 100+i%3000)}); err != nil {
			t.Fatal(err)
		}
		if i == N/2 {
			// Kill the socket under the session from the client's loop.
			c.post(task{kind: taskFunc, fn: func() { c.fault(ErrInjected) }})
		}
	}
	testutil.Eventually(t, 10*time.Second, "all messages", func() bool { return sr.count() >= N })
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if len(sr.msgs) != N {
		t.Fatalf("got %d messages, want %d", len(sr.msgs), N)
	}
	for i, m := range sr.msgs {
		_, s, ok := checkPayload(m.Front)
		if !ok || s != i {
			t.Fatalf("message %d: seq %d ok %v", i, s, ok)
		}
	}
	if cli.Stats().Faults.Load() == 0 || cli.Stats().Reconnects.Load() == 0 {
		t.Fatalf("no fault/reconnect: %+v", cli.Stats().Snapshot())
	}
}
