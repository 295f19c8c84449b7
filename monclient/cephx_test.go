package monclient_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"gomgr/cephx"
	"gomgr/internal/cephcluster"
	"gomgr/messages"
	"gomgr/monclient"
	"gomgr/msgr/wire"
)

// TestCephxWithRealMon authenticates with cephx against a real ceph-mon
// that requires it: client.admin's key from the cluster's keyring gets a
// session, service tickets for the mgr and the OSDs, and commands; a
// mgr's key gets its rotating service secrets; a wrong key is refused
// with ErrAuth.
func TestCephxWithRealMon(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{Cephx: true})
	kr, err := cephx.LoadKeyring(filepath.Join(c.Dir, "ceph.client.admin.keyring"))
	if err != nil {
		t.Fatal(err)
	}
	admin := cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityClient), ID: "admin"}, kr["client.admin"].Key,
		cephx.ServiceMon|cephx.ServiceOSD|cephx.ServiceMgr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mc, err := monclient.Dial(ctx, monclient.Config{MonAddrs: []string{c.MonAddr}, Name: wire.EntityName{Type: wire.EntityClient, Num: -1},
		AuthID: "admin", Cephx: admin})
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	res, err := mc.Command(ctx, map[string]any{"prefix": "mon stat", "format": "json"}, nil)
	if err != nil || res.Retval != 0 {
		t.Fatalf("mon stat: %+v %v", res, err)
	}
	for _, svc := range []uint32{cephx.ServiceMgr, cephx.ServiceOSD} {
		if _, err := admin.Authorizer(svc); err != nil {
			t.Errorf("no ticket for service %#x: %v", svc, err)
		}
	}

	// A mgr: its rotating secrets come with the session.
	mgrKeyring, err := c.MgrKeyring(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	mkr, err := cephx.LoadKeyring(mgrKeyring)
	if err != nil {
		t.Fatal(err)
	}
	mgr := cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityMgr), ID: "x"}, mkr["mgr.x"].Key,
		cephx.ServiceMon|cephx.ServiceOSD|cephx.ServiceMgr)
	mm, err := monclient.Dial(ctx, monclient.Config{MonAddrs: []string{c.MonAddr}, Name: wire.EntityName{Type: wire.EntityMgr, Num: -1},
		AuthID: "x", Cephx: mgr, RotatingSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mm.Close()
	if r := mgr.Rotating(); len(r.Secrets) == 0 {
		t.Fatalf("no rotating secrets: %+v", r)
	}
	// The mgr's rotating secret opens the admin's mgr ticket: the service
	// side of a connection.
	a, err := admin.Authorizer(cephx.ServiceMgr)
	if err != nil {
		t.Fatal(err)
	}
	v, _, _, err := cephx.VerifyAuthorizer(func(svc uint32, id uint64) (cephx.Key, bool) { return mgr.ServiceSecret(id) }, cephx.ServiceMgr, a.Bytes, nil)
	if err != nil {
		t.Fatalf("verify the admin's mgr authorizer with the mgr's rotating secret: %v", err)
	}
	if v.Ticket.Name.ID != "admin" || v.Ticket.Caps != "allow *" {
		t.Errorf("ticket %+v", v.Ticket)
	}

	// A wrong key.
	bad, err := cephx.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	_, err = monclient.Dial(ctx, monclient.Config{MonAddrs: []string{c.MonAddr}, Name: wire.EntityName{Type: wire.EntityClient, Num: -1},
		AuthID: "admin", Cephx: cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityClient), ID: "admin"}, bad, cephx.ServiceMon), Timeout: 10 * time.Second})
	if !errors.Is(err, monclient.ErrAuth) {
		t.Fatalf("a wrong key: %v, want ErrAuth", err)
	}
}
