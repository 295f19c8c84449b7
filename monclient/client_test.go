package monclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/msgr/wire"
)

func gomgrMon(t *testing.T) *mon.Daemon {
	t.Helper()
	d, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Mon: mon.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func dial(t *testing.T, addrs []string, handler func(messages.Payload)) *monclient.Client {
	t.Helper()
	c, err := monclient.Dial(context.Background(), monclient.Config{MonAddrs: addrs, Timeout: 10 * time.Second,
		Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func osdDumpEpoch(t *testing.T, c *monclient.Client) int {
	t.Helper()
	res, err := c.Command(context.Background(), map[string]any{"prefix": "osd dump", "format": "json"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Retval != 0 {
		t.Fatalf("osd dump: %d %s", res.Retval, res.Status)
	}
	var d struct {
		Epoch int `json:"epoch"`
	}
	if err := json.Unmarshal(res.Out, &d); err != nil {
		t.Fatal(err)
	}
	return d.Epoch
}

// TestHuntPastDeadMon: the first mon given does not answer; the client
// goes on to the next one, and the handler has seen the monmap the client
// keeps.
func TestHuntPastDeadMon(t *testing.T) {
	d := gomgrMon(t)
	maps := make(chan *messages.MonMapMsg, 8)
	c := dial(t, []string{deadAddr(t), d.Addr()}, func(p messages.Payload) {
		if mm, ok := p.(*messages.MonMapMsg); ok {
			maps <- mm
		}
	})
	if c.Addr() != d.Addr() {
		t.Fatalf("talking to %s, want %s", c.Addr(), d.Addr())
	}
	if !c.Gomgr() {
		t.Fatalf("gomgr's mon did not declare itself")
	}
	select {
	case <-maps:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never saw the monmap")
	}
	if osdDumpEpoch(t, c) < 1 {
		t.Fatal("no osdmap epoch")
	}
}

// TestNoMonAnswers fails within the timeout with ErrUnreachable.
func TestNoMonAnswers(t *testing.T) {
	begin := time.Now()
	_, err := monclient.Dial(context.Background(), monclient.Config{MonAddrs: []string{deadAddr(t), deadAddr(t)},
		Timeout: 2 * time.Second, Name: wire.EntityName{Type: wire.EntityClient, Num: -1}})
	if !errors.Is(err, monclient.ErrUnreachable) {
		t.Fatalf("err %v, want ErrUnreachable", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Fatalf("gave up after %v with a 2 s timeout", took)
	}
}

// TestRealCephMon: against a real ceph-mon the client learns the fsid from
// the monmap and carries it in its commands (a wrong fsid is refused), and
// the mon is not taken for a gomgr mon.
func TestRealCephMon(t *testing.T) {
	cl := cephcluster.Start(t, cephcluster.Options{})
	c := dial(t, []string{deadAddr(t), cl.MonAddr}, nil)
	if got := c.FSID().String(); got != cl.FSID {
		t.Fatalf("fsid %s, want %s", got, cl.FSID)
	}
	if c.Gomgr() {
		t.Fatal("a real ceph-mon taken for a gomgr mon")
	}
	if osdDumpEpoch(t, c) < 1 {
		t.Fatal("no osdmap epoch")
	}
	cl.CheckAlive(t)
}

// TestCommandsResentAfterMonRestart: commands waiting when the mon goes
// away are sent again, each under its own tid, once the client is back on
// a mon, and each gets its own reply.
func TestCommandsResentAfterMonRestart(t *testing.T) {
	dir := t.TempDir()
	d, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: dir, Mon: mon.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	addr := d.Addr()
	c := dial(t, []string{addr}, nil)
	d.Close()
	type reply struct {
		prefix string
		out    []byte
		err    error
	}
	replies := make(chan reply, 2)
	for _, prefix := range []string{"osd dump", "mgr dump"} {
		go func() {
			res, err := c.Command(context.Background(), map[string]any{"prefix": prefix, "format": "json"}, nil)
			replies <- reply{prefix, res.Out, err}
		}()
	}
	var d2 *mon.Daemon
	deadline := time.Now().Add(10 * time.Second)
	for d2 == nil {
		// The port is free again once the old listener has closed.
		d2, err = mon.StartDaemon(mon.DaemonConfig{Addr: addr, DataDir: dir, Mon: mon.DefaultConfig()})
		if err != nil && time.Now().After(deadline) {
			t.Fatalf("mon restart on %s: %v", addr, err)
		}
		if err != nil {
			time.Sleep(50 * time.Millisecond) // retry pace, not a wait for an event
		}
	}
	t.Cleanup(d2.Close)
	for range 2 {
		r := <-replies
		if r.err != nil {
			t.Fatalf("%s: %v", r.prefix, r.err)
		}
		var v map[string]any
		if err := json.Unmarshal(r.out, &v); err != nil {
			t.Fatalf("%s: %v", r.prefix, err)
		}
		// osd dump has pools, mgr dump has active_gid: each its own reply.
		_, pools := v["pools"]
		_, gid := v["active_gid"]
		if (r.prefix == "osd dump") != pools || (r.prefix == "mgr dump") != gid {
			t.Fatalf("%s got another command's reply: %.200s", r.prefix, r.out)
		}
	}
}
