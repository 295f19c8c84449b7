package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// startMon starts gomgr's own mon on a free local port, stopped when the
// test ends: the cluster every test here runs its mgrs against.
func startMon(t *testing.T, cfg mon.Config, log *logrus.Entry) *mon.Daemon {
	t.Helper()
	md, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Mon: cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(md.Close)
	return md
}

// dialMon opens a client session to the mon at addr, as the CLI would,
// closed when the test ends.
func dialMon(t *testing.T, addr string, log *logrus.Entry) *monclient.Client {
	t.Helper()
	c, err := monclient.Dial(context.Background(), monclient.Config{MonAddrs: []string{addr}, Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// startMgr starts a mgr daemon, closed when the test ends.
func startMgr(t *testing.T, cfg host.Config) *host.Standby {
	t.Helper()
	s, err := host.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// startServingMgr is startMgr for a lone mgr, returned once it is active
// and has the daemon address that daemonSession connects to.
func startServingMgr(t *testing.T, cfg host.Config) *host.Standby {
	t.Helper()
	s := startMgr(t, cfg)
	testutil.Eventually(t, 10*time.Second, "the mgr to be active", func() bool { return s.Addr() != "" })
	return s
}

// daemonSession opens a session to the mgr at addr as the daemon name (an
// OSD, say), with what the mgr sends it going to d. It returns the
// connection, for messages a test must alter after encoding, and a send
// that encodes a payload and fails the test if it cannot be sent.
func daemonSession(t *testing.T, addr string, name wire.EntityName, d msgr.Dispatcher, log *logrus.Entry) (*msgr.Connection, func(messages.Payload)) {
	t.Helper()
	ms, err := msgr.New(msgr.Config{Name: name, Dispatcher: d, DefaultPolicy: msgr.LossyClient(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Shutdown(); ms.Wait() })
	conn, err := ms.Connect(addr, wire.EntityMgr)
	if err != nil {
		t.Fatal(err)
	}
	return conn, func(p messages.Payload) {
		t.Helper()
		if err := conn.Send(messages.Encode(p)); err != nil {
			t.Fatal(err)
		}
	}
}
