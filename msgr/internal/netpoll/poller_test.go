package netpoll

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestWakeAndSocketRoundTrip(t *testing.T) {
	p, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })

	// Many concurrent wakes collapse into at least one woken Wait.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Wake() }()
	}
	wg.Wait()
	evs, woken, err := p.Wait(1000, nil)
	if err != nil || !woken || len(evs) != 0 {
		t.Fatalf("wait after wake: evs=%v woken=%v err=%v", evs, woken, err)
	}

	lfd, err := Listen(netip.MustParseAddrPort("127.0.0.1:0"), 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(lfd) })
	la, err := LocalAddr(lfd)
	if err != nil || la.Port() == 0 {
		t.Fatalf("local addr %v %v", la, err)
	}
	cfd, err := Dial(la)
	if err != nil && !errorsIsInProgress(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(cfd) })
	if err := p.Add(lfd, In); err != nil {
		t.Fatal(err)
	}
	var sfd = -1
	deadline := time.Now().Add(5 * time.Second)
	for sfd < 0 && time.Now().Before(deadline) {
		evs, _, err := p.Wait(100, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Fd == lfd && e.Readable() {
				fd, _, err := Accept(lfd)
				if err == nil {
					sfd = fd
				}
			}
		}
	}
	if sfd < 0 {
		t.Fatal("no connection accepted")
	}
	t.Cleanup(func() { Close(sfd) })
	if err := SetNoDelay(sfd, true); err != nil {
		t.Fatal(err)
	}
	if err := SetBuffers(sfd, 1<<16, 1<<16); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(cfd, Out); err != nil {
		t.Fatal(err)
	}
	// Wait for the client to be writable (connected), then write.
	for connected := false; !connected; {
		if time.Now().After(deadline) {
			t.Fatal("connect timed out")
		}
		evs, _, _ := p.Wait(100, nil)
		for _, e := range evs {
			if e.Fd == cfd && e.Writable() {
				if err := SockError(cfd); err != nil {
					t.Fatal(err)
				}
				connected = true
			}
		}
	}
	if err := p.Mod(cfd, In); err != nil {
		t.Fatal(err)
	}
	if _, err := Writev(cfd, [][]byte{[]byte("he"), nil, []byte("llo")}, new(IOV)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	got := 0
	for got < 5 && time.Now().Before(deadline) {
		n, err := Read(sfd, buf[got:])
		if IsAgain(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if string(buf[:got]) != "hello" {
		t.Fatalf("read %q", buf[:got])
	}
	if err := p.Del(cfd); err != nil {
		t.Fatal(err)
	}
}

func errorsIsInProgress(err error) bool { return err != nil && (IsInProgress(err)) }
