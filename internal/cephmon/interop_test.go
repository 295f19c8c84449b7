package cephmon_test

import (
	"fmt"
	"os/exec"
	"testing"
	"time"

	"gomgr/internal/cephmon"
	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// inbox collects every decoded message the client receives.
type inbox chan messages.Payload

func (in inbox) Dispatch(c *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		p = &undecoded{typ: m.Type, err: err}
	}
	in <- p
}

type undecoded struct {
	typ uint16
	err error
}

func (u *undecoded) Type() uint16                   { return u.typ }
func (u *undecoded) EncodeTo(*msgr.Message)         {}
func (u *undecoded) DecodeFrom(*msgr.Message) error { return u.err }

// waitFor returns the first message of type T, failing on an undecodable
// message of any type or after the deadline.
func waitFor[T messages.Payload](t *testing.T, in inbox, what string) T {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case p := <-in:
			if u, ok := p.(*undecoded); ok {
				t.Fatalf("message type %d from ceph-mon did not decode: %v", u.typ, u.err)
			}
			if v, ok := p.(T); ok {
				return v
			}
			t.Logf("skipping %T while waiting for %s", p, what)
		case <-deadline:
			t.Fatalf("no %s from ceph-mon within 20s", what)
		}
	}
}

// TestInteropCephMon talks to a real ceph-mon 16.2 over msgr v1: handshake,
// auth none, MMonGetVersion for osdmap, MMonSubscribe for monmap.
func TestInteropCephMon(t *testing.T) {
	mon := cephmon.Start(t)
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("sh", "-c", "tail -40 "+mon.Dir+"/log/mon.a.log").CombinedOutput()
			t.Logf("mon log:\n%s", out)
		}
	})
	in := make(inbox, 64)
	m, err := msgr.New(msgr.Config{
		Name:          wire.EntityName{Type: wire.EntityClient, Num: -1},
		Dispatcher:    in,
		DefaultPolicy: msgr.LossyClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown(); m.Wait() })

	conn, err := m.Connect(mon.Addr, wire.EntityMon)
	if err != nil {
		t.Fatal(err)
	}
	send := func(p messages.Payload) {
		t.Helper()
		if err := conn.Send(messages.Encode(p)); err != nil {
			t.Fatalf("send %T: %v", p, err)
		}
	}

	send(&messages.Auth{
		Protocol: 0,
		AuthPayload: messages.EncodeAuthHello(messages.AuthHello{
			Protocols: []uint32{messages.AuthNone},
			Name:      messages.AuthName{Type: wire.EntityClient, ID: "admin"},
		}),
	})
	reply := waitFor[*messages.AuthReply](t, in, "MAuthReply")
	if reply.Result != 0 || reply.GlobalID == 0 {
		t.Fatalf("auth none refused: result %d global_id %d (%s)", reply.Result, reply.GlobalID, reply.ResultMsg)
	}
	if !conn.IsConnected() || conn.PeerType() != wire.EntityMon {
		t.Fatalf("connection state %v, peer type %d", conn.State(), conn.PeerType())
	}
	t.Logf("handshake done: features %#x, global_id %d", conn.Features(), reply.GlobalID)

	send(&messages.MonGetVersion{Handle: 7, What: "osdmap"})
	ver := waitFor[*messages.MonGetVersionReply](t, in, "MMonGetVersionReply")
	if ver.Handle != 7 || ver.Version < 1 {
		t.Fatalf("get_version osdmap: handle %d version %d", ver.Handle, ver.Version)
	}

	send(&messages.MonSubscribe{What: map[string]messages.SubscribeItem{"monmap": {Start: 0}}, Hostname: "gomgr-interop"})
	mm := waitFor[*messages.MonMapMsg](t, in, "MMonMap")
	monmap, err := mm.Map()
	if err != nil {
		t.Fatalf("monmap from ceph-mon does not decode: %v", err)
	}
	if got := fmt.Sprint(monmap.FSID); got != mon.FSID {
		t.Fatalf("monmap fsid %s, want the test cluster's %s", got, mon.FSID)
	}
	if _, ok := monmap.Mons["a"]; !ok || monmap.Epoch < 1 {
		t.Fatalf("monmap: epoch %d mons %v", monmap.Epoch, monmap.Mons)
	}
	t.Logf("osdmap epoch %d; monmap epoch %d fsid %s", ver.Version, monmap.Epoch, monmap.FSID)
}
