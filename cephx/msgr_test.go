package cephx

import (
	"errors"
	"sync"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// inbox records what a messenger received and on which connection.
type inbox struct {
	mu    sync.Mutex
	msgs  []*msgr.Message
	conns []*msgr.Connection
}

func (b *inbox) Dispatch(c *msgr.Connection, m *msgr.Message) {
	b.mu.Lock()
	b.msgs, b.conns = append(b.msgs, m), append(b.conns, c)
	b.mu.Unlock()
}

func (b *inbox) n() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.msgs) }

func startMsgr(t *testing.T, name wire.EntityName, d msgr.Dispatcher, auth msgr.Auth, server bool) *msgr.Messenger {
	t.Helper()
	cfg := msgr.Config{Name: name, Workers: 1, Dispatcher: d, Auth: auth, DefaultPolicy: msgr.LossyClient()}
	if server {
		cfg.DefaultPolicy = msgr.StatelessServer()
	}
	m, err := msgr.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if server {
		if err := m.Bind("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown(); m.Wait() })
	return m
}

// TestMsgrSessions runs cephx over real loopback sessions of the
// messenger: a client with a mgr ticket connects to a mgr service (with
// the challenge round trip, CEPHX_V2 being in both feature sets), its
// signed messages arrive, and the service knows who it is; a client whose
// messages are unsigned is cut off; a ticket under another secret and a
// client with no authorizer are refused.
func TestMsgrSessions(t *testing.T) {
	secret, _ := NewKey()
	service := &MsgrAuth{Service: ServiceMgr, Secrets: func(svc uint32, id uint64) (Key, bool) { return secret, id == 7 }}
	in := &inbox{}
	srv := startMsgr(t, wire.EntityName{Type: wire.EntityMgr, Num: 1}, in, service, true)
	ap, _ := srv.Addr().AddrPort()
	addr := ap.String()

	send := func(auth msgr.Auth) *msgr.Connection {
		cm := startMsgr(t, wire.EntityName{Type: wire.EntityClient, Num: -1}, &inbox{}, auth, false)
		conn, err := cm.Connect(addr, wire.EntityMgr)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Send(&msgr.Message{Type: 0x709, Front: []byte("hello")}); err != nil {
			t.Fatal(err)
		}
		return conn
	}

	good := principal(t, ServiceMgr, "allow *", secret)
	send(&MsgrAuth{Client: good})
	testutil.Eventually(t, 10*time.Second, "the signed message", func() bool { return in.n() == 1 })
	in.mu.Lock()
	v, ok := in.conns[0].AuthInfo().(Verified)
	in.mu.Unlock()
	if !ok || v.Ticket.Name.ID != "admin" || v.Ticket.GlobalID != 4242 {
		t.Fatalf("the service's view of the peer: %+v", in.conns[0].AuthInfo())
	}

	// Unsigned messages on a session the service signs: cut off.
	unsigned := principal(t, ServiceMgr, "allow *", secret)
	c := send(&MsgrAuth{Client: unsigned, NoSign: true})
	testutil.Eventually(t, 10*time.Second, "the unsigned session cut off", func() bool { return c.State() != msgr.StateOpen && c.State() != msgr.StateConnecting })

	// A ticket sealed with another secret, and no authorizer at all.
	other, _ := NewKey()
	forged := principal(t, ServiceMgr, "allow *", other)
	for _, auth := range []msgr.Auth{&MsgrAuth{Client: forged}, nil} {
		c := send(auth)
		testutil.Eventually(t, 10*time.Second, "the refused session closed", func() bool { return c.State() == msgr.StateClosed })
	}
	if in.n() != 1 {
		t.Fatalf("%d messages got through, want only the signed one", in.n())
	}
}

// TestNoneAuthorizer: Ceph's AuthNone authorizer, as an OSD's
// AuthNoneAuthorizeHandler decodes it: struct_v 1, the entity name, the
// global id; none to a mon.
func TestNoneAuthorizer(t *testing.T) {
	a := NoneAuth{Name: messages.AuthName{Type: uint32(wire.EntityMgr), ID: "x"}, GlobalID: func() uint64 { return 4242 }}
	z, err := a.ClientAuthorizer(wire.EntityOSD)
	if err != nil {
		t.Fatal(err)
	}
	if z.Protocol() != messages.AuthNone {
		t.Errorf("protocol %d", z.Protocol())
	}
	d := messages.NewDecoder(z.Bytes())
	if v, name, gid := d.U8(), d.AuthName(), d.U64(); d.Err() != nil || v != 1 || name != a.Name || gid != 4242 || !d.Done() {
		t.Errorf("authorizer %x: v %d name %v gid %d, %v", z.Bytes(), v, name, gid, d.Err())
	}
	if z, err := a.ClientAuthorizer(wire.EntityMon); z != nil || err != nil {
		t.Errorf("to a mon: %v, %v", z, err)
	}
	// A cephx service lets it in only where auth none is allowed too.
	var state any
	if _, err := (&MsgrAuth{Optional: true}).VerifyAuthorizer(wire.EntityClient, z.Protocol(), z.Bytes(), false, &state); err != nil {
		t.Errorf("auth none allowed: %v", err)
	}
	if _, err := (&MsgrAuth{}).VerifyAuthorizer(wire.EntityClient, z.Protocol(), z.Bytes(), false, &state); !errors.Is(err, ErrDenied) {
		t.Errorf("cephx required: %v, want ErrDenied", err)
	}
}
