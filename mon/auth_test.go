package mon_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gomgr/cephx"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/msgr/wire"
)

func startCephxMon(t *testing.T, dir string) *mon.Daemon {
	t.Helper()
	d, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: dir, Mon: mon.DefaultConfig(), Cephx: true})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// startCephxAdmin starts a cephx mon in dir and opens client.admin's
// session with the key the mon made.
func startCephxAdmin(t *testing.T, dir string) (*mon.Daemon, *monclient.Client) {
	t.Helper()
	d := startCephxMon(t, dir)
	kr, err := cephx.LoadKeyring(filepath.Join(dir, mon.KeyringFile))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := dialAs(d.Addr(), "admin", kr["client.admin"].Key)
	if err != nil {
		t.Fatal(err)
	}
	return d, admin
}

func dialAs(addr, id string, key cephx.Key) (*monclient.Client, error) {
	var cx *cephx.Client
	if key.Valid() {
		cx = cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityClient), ID: id}, key, cephx.ServiceMon|cephx.ServiceMgr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return monclient.Dial(ctx, monclient.Config{MonAddrs: []string{addr}, Name: wire.EntityName{Type: wire.EntityClient, Num: -1},
		Cephx: cx, Timeout: 5 * time.Second})
}

func run(t *testing.T, c *monclient.Client, args map[string]any) monclient.CommandResult {
	t.Helper()
	res, err := c.Command(context.Background(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCephxMon: a new cephx mon makes its keyring with client.admin's
// key; the admin gets in and makes a read-only client, whose caps allow a
// read and refuse a write with EACCES; no key, a wrong key and an unknown
// entity are refused; the keys outlive a restart, and a mon whose keyring
// is gone refuses to start.
func TestCephxMon(t *testing.T) {
	dir := t.TempDir()
	d, admin := startCephxAdmin(t, dir)
	res := run(t, admin, map[string]any{"prefix": "auth get-or-create", "entity": "client.ro", "caps": []any{"mon", "allow r"}})
	if res.Retval != 0 {
		t.Fatalf("auth get-or-create: %+v", res)
	}
	rokr, err := cephx.ParseKeyring(res.Out)
	if err != nil {
		t.Fatal(err)
	}
	admin.Close()

	ro, err := dialAs(d.Addr(), "ro", rokr["client.ro"].Key)
	if err != nil {
		t.Fatal(err)
	}
	if res := run(t, ro, map[string]any{"prefix": "osd dump", "format": "json"}); res.Retval != 0 {
		t.Fatalf("client.ro osd dump: %+v", res)
	}
	if res := run(t, ro, map[string]any{"prefix": "osd pool create", "pool": "x"}); res.Retval != mon.EACCESS {
		t.Fatalf("client.ro pool create: %+v, want EACCES", res)
	}
	if res := run(t, ro, map[string]any{"prefix": "auth ls"}); res.Retval != mon.EACCESS {
		t.Fatalf("client.ro listing keys: %+v, want EACCES", res)
	}
	if res := run(t, ro, map[string]any{"prefix": "auth get-or-create", "entity": "client.evil", "caps": []any{"mon", "allow *"}}); res.Retval != mon.EACCESS {
		t.Fatalf("client.ro making a key: %+v, want EACCES", res)
	}
	ro.Close()

	bad, _ := cephx.NewKey()
	for _, tc := range []struct {
		id  string
		key cephx.Key
	}{{"admin", cephx.Key{}}, {"admin", bad}, {"nobody", bad}} {
		if c, err := dialAs(d.Addr(), tc.id, tc.key); !errors.Is(err, monclient.ErrAuth) {
			if c != nil {
				c.Close()
			}
			t.Fatalf("client.%s key set %v: %v, want ErrAuth", tc.id, tc.key.Valid(), err)
		}
	}

	d.Close()
	d = startCephxMon(t, dir)
	ro, err = dialAs(d.Addr(), "ro", rokr["client.ro"].Key)
	if err != nil {
		t.Fatalf("client.ro after a restart: %v", err)
	}
	ro.Close()
	d.Close()

	if err := os.Remove(filepath.Join(dir, mon.KeyringFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: dir, Mon: mon.DefaultConfig(), Cephx: true}); !errors.Is(err, mon.ErrNoKeyring) {
		t.Fatalf("a cephx mon without its keyring: %v", err)
	}
}

// TestCephxListPrefix: a prefix sent as a one-element list runs as the
// command it names, so its caps are checked as that command's: a client
// with "allow rw" may change maps, but may not make a key that way.
func TestCephxListPrefix(t *testing.T) {
	dir := t.TempDir()
	d, admin := startCephxAdmin(t, dir)
	defer d.Close()
	res := run(t, admin, map[string]any{"prefix": "auth get-or-create", "entity": "client.rw", "caps": []any{"mon", "allow rw"}})
	admin.Close()
	if res.Retval != 0 {
		t.Fatalf("auth get-or-create: %+v", res)
	}
	rwkr, err := cephx.ParseKeyring(res.Out)
	if err != nil {
		t.Fatal(err)
	}
	rw, err := dialAs(d.Addr(), "rw", rwkr["client.rw"].Key)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if res := run(t, rw, map[string]any{"prefix": []any{"osd pool create"}, "pool": "p"}); res.Retval != 0 {
		t.Fatalf("client.rw pool create: %+v", res)
	}
	if res := run(t, rw, map[string]any{"prefix": []any{"auth get-or-create"}, "entity": "client.evil", "caps": []any{"mon", "allow *"}}); res.Retval != mon.EACCESS {
		t.Fatalf("client.rw making a key: %+v, want EACCES", res)
	}
}
