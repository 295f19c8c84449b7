package msgr

import (
	"sync"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/msgr/wire"
)

func TestHandshakeAndEcho(t *testing.T) {
	sr, cr := newRecorder(), newRecorder()
	sr.echo = true
	srv, cli := newPair(t, sr, cr, nil)
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if c2 != c {
		t.Fatal("Connect did not return the existing session")
	}
	if err := c.Send(&Message{Type: 42, Priority: PrioDefault, Front: []byte("hello"), Data: []byte("world")}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "echo", func() bool { return cr.count() == 1 })
	m := cr.msgs[0]
	if m.Type != 42 || string(m.Front) != "hello" || string(m.Data) != "world" || m.Seq != 1 {
		t.Fatalf("echo: %+v", m)
	}
	if m.Src != srv.Name() {
		t.Fatalf("src %v want %v", m.Src, srv.Name())
	}
	if !c.IsConnected() || c.Features() != wire.FeaturesSupported {
		t.Fatalf("state %v features %#x", c.State(), c.Features())
	}
	if got := c.PeerName(); got != srv.Name() {
		t.Fatalf("peer name %v", got)
	}
	testutil.Eventually(t, 10*time.Second, "events", func() bool { return cr.eventCount("connect") == 1 && sr.eventCount("accept") == 1 })
	if cli.Addr().IsBlank() {
		t.Fatal("client did not learn its IP")
	}
	st := srv.Stats().Snapshot()
	if st.MsgsIn != 1 || st.MsgsOut != 1 || st.Accepted != 1 {
		t.Fatalf("server stats %+v", st)
	}
}

func TestSendFromManyGoroutines(t *testing.T) {
	sr, cr := newRecorder(), newRecorder()
	srv, cli := newPair(t, sr, cr, nil)
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	const G, N = 16, 200
	var wg sync.WaitGroup
	for g := 0; g < G; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < N; i++ {
				if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Front: payload(g, i, 64)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	testutil.Eventually(t, 10*time.Second, "all messages", func() bool { return sr.count() == G*N })
	next := make([]int, G)
	for i, m := range sr.msgs {
		g, s, ok := checkPayload(m.Front)
		if !ok || g >= G || s != next[g] {
			t.Fatalf("message %d: goroutine %d seq %d ok %v, want seq %d", i, g, s, ok, next[g])
		}
		next[g]++
		if m.Seq != uint64(i+1) {
			t.Fatalf("wire seq %d at %d", m.Seq, i)
		}
	}
}

func TestMessageSrcOverride(t *testing.T) {
	sr, cr := newRecorder(), newRecorder()
	srv, cli := newPair(t, sr, cr, nil)
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	own := wire.EntityName{Type: wire.EntityOSD, Num: 7}
	for _, src := range []wire.EntityName{own, {}} {
		if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Src: src, Front: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 5*time.Second, "messages", func() bool { return sr.count() == 2 })
	if got := sr.msgs[0].Src; got != own {
		t.Fatalf("explicit src: got %v want %v", got, own)
	}
	if got := sr.msgs[1].Src; got != cli.Name() {
		t.Fatalf("default src: got %v want %v", got, cli.Name())
	}
}
