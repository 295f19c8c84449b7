package msgr

import (
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/msgr/wire"
)

// A server that lost the session (restarted on the same address) answers a
// reconnecting lossless client with RESETSESSION; the client resets its
// session, reports HandleRemoteReset, and carries on.
func TestResetSessionAfterServerRestart(t *testing.T) {
	sr, cr := newRecorder(), newRecorder()
	srv, cli := newPair(t, sr, cr, nil)
	addr := srvAddr(srv)
	c, err := cli.Connect(addr, wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Front: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "first message", func() bool { return sr.count() == 1 })
	srv.Shutdown()
	srv.Wait()

	sr2 := newRecorder()
	srv2, err := New(Config{Name: wire.EntityName{Type: wire.EntityOSD}, Dispatcher: sr2, DefaultPolicy: StatefulServer(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv2.Bind(addr); err != nil {
		t.Fatal(err)
	}
	if err := srv2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Shutdown(); srv2.Wait() })
	testutil.Eventually(t, 10*time.Second, "remote reset", func() bool { return cr.eventCount("remote_reset") == 1 })
	if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Front: []byte("two")}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "message after reset", func() bool { return sr2.count() == 1 })
	if m := sr2.msgs[0]; string(m.Front) != "two" || m.Seq != 1 {
		t.Fatalf("after reset: %q seq %d", m.Front, m.Seq)
	}
}

// Two lossless peers connect to each other at the same time: the v1 race
// rules (WAIT / replace by address order) leave one session, and every
// message both ways arrives once, in order.
func TestLosslessPeerConnectRace(t *testing.T) {
	ra, rb := newRecorder(), newRecorder()
	mk := func(num int64, d Dispatcher) *Messenger {
		m, err := New(Config{Name: wire.EntityName{Type: wire.EntityOSD, Num: num}, Dispatcher: d, Workers: 2,
			DefaultPolicy: LosslessPeer(), Logger: testLogger(),
			BackoffInitial: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Bind("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if err := m.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Shutdown(); m.Wait() })
		return m
	}
	a, b := mk(1, ra), mk(2, rb)
	const N = 300
	ca, err := a.Connect(srvAddr(b), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Connect(srvAddr(a), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < N; i++ {
		if err := ca.Send(&Message{Type: 1, Priority: PrioDefault, Front: payload(1, i, 64)}); err != nil {
			t.Fatal(err)
		}
		if err := cb.Send(&Message{Type: 1, Priority: PrioDefault, Front: payload(2, i, 64)}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, "both directions", func() bool { return ra.count() >= N && rb.count() >= N })
	for _, r := range []*recorder{ra, rb} {
		r.mu.Lock()
		if len(r.msgs) != N {
			t.Errorf("got %d messages, want %d", len(r.msgs), N)
		}
		for i, m := range r.msgs {
			if _, s, ok := checkPayload(m.Front); !ok || s != i {
				t.Errorf("message %d: seq %d ok %v", i, s, ok)
				break
			}
		}
		r.mu.Unlock()
	}
}
