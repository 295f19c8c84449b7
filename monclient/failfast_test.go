package monclient_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"gomgr/monclient"
	"gomgr/msgr/wire"
)

// TestFailFastRefused: with FailFast, a port nobody listens on fails the
// dial at once, not at the Timeout.
func TestFailFastRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // refused from now on
	start := time.Now()
	_, err = monclient.Dial(context.Background(), monclient.Config{MonAddrs: []string{addr},
		Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, AuthID: "admin", Timeout: 20 * time.Second, FailFast: true})
	if !errors.Is(err, monclient.ErrUnreachable) {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("refused after %v, the timeout is 20 s", took)
	}
}
