package isolate

import (
	"context"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// connPair is two conns over a socketpair in this process.
func connPair(t testing.TB) (*conn, *conn) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cs [2]*conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		nc, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = newConn(nc)
	}
	t.Cleanup(func() { cs[0].close(nil); cs[1].close(nil) })
	return cs[0], cs[1]
}

// BenchmarkConnRoundTrip is the stream's floor: one call answered by the
// peer's reader goroutine in place, and one answered from a new goroutine
// (as the child does).
func BenchmarkConnRoundTrip(b *testing.B) {
	for _, spawn := range []bool{false, true} {
		name := "inline"
		if spawn {
			name = "goroutine"
		}
		b.Run(name, func(b *testing.B) {
			a, z := connPair(b)
			go a.run(func(frame) {})
			go z.run(func(f frame) {
				if spawn {
					go z.reply(f, nil, nil)
				} else {
					z.reply(f, nil, nil)
				}
			})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := a.call(ctx, opNotify, []byte{1, 2, 3}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestConnClosedCalls(t *testing.T) {
	a, z := connPair(t)
	go a.run(func(frame) {})
	go z.run(func(frame) {}) // never answers
	done := make(chan error, 1)
	go func() { _, err := a.call(context.Background(), opNotify, nil); done <- err }()
	z.close(nil)
	if err := <-done; err == nil {
		t.Fatal("call on a closed stream succeeded")
	}
	if _, err := a.call(context.Background(), opNotify, nil); err == nil {
		t.Fatal("call after close succeeded")
	}
	if err := a.oneway(opLog, nil); err == nil {
		t.Fatal("send after close succeeded")
	}
}
