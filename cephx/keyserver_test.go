package cephx

import (
	"errors"
	"testing"

	"gomgr/messages"
)

// exchange runs a principal's MAuth exchange against a KeyServer session,
// as a mon session would carry it.
func exchange(t *testing.T, ks *KeyServer, c *Client, rotating bool) error {
	t.Helper()
	s, bl := ks.Start(c.Name(), 77)
	result := int32(0)
	for i := 0; i < 10; i++ {
		next, done, err := c.HandleReply(result, 77, bl)
		if err != nil {
			return err
		}
		if done {
			if !rotating {
				return nil
			}
			rotating = false
			next = RotatingRequest()
		}
		var herr error
		result, bl, herr = s.Handle(next)
		if result != 0 && herr == nil {
			t.Fatalf("result %d without an error", result)
		}
	}
	t.Fatal("the exchange did not end")
	return nil
}

// TestKeyServer: a principal authenticates against the mon side, gets its
// service tickets and (a mgr) its rotating secrets; the mgr's secret
// opens a client's mgr ticket with the client's caps; a wrong key and an
// unknown entity are refused.
func TestKeyServer(t *testing.T) {
	kr, err := AdminKeyring()
	if err != nil {
		t.Fatal(err)
	}
	ks := NewKeyServer(kr)
	mgrEnt, err := ks.Add("mgr.x", map[string]string{"mon": "allow profile mgr"})
	if err != nil {
		t.Fatal(err)
	}
	admin := NewClient(messages.AuthName{Type: 8, ID: "admin"}, kr["client.admin"].Key, ServiceMon|ServiceOSD|ServiceMgr)
	if err := exchange(t, ks, admin, false); err != nil {
		t.Fatal(err)
	}
	mgr := NewClient(messages.AuthName{Type: 0x10, ID: "x"}, mgrEnt.Key, ServiceMon|ServiceOSD|ServiceMgr)
	if err := exchange(t, ks, mgr, true); err != nil {
		t.Fatal(err)
	}
	a, err := admin.Authorizer(ServiceMgr)
	if err != nil {
		t.Fatal(err)
	}
	v, _, _, err := VerifyAuthorizer(func(_ uint32, id uint64) (Key, bool) { return mgr.ServiceSecret(id) }, ServiceMgr, a.Bytes, nil)
	if err != nil || v.Ticket.Caps != "allow *" || v.Ticket.Name.ID != "admin" {
		t.Fatalf("the admin's mgr ticket at the mgr: %+v %v", v, err)
	}
	bad, _ := NewKey()
	if err := exchange(t, ks, NewClient(messages.AuthName{Type: 8, ID: "admin"}, bad, ServiceMon), false); !errors.Is(err, ErrDenied) {
		t.Fatalf("wrong key: %v", err)
	}
	if err := exchange(t, ks, NewClient(messages.AuthName{Type: 8, ID: "nobody"}, bad, ServiceMon), false); !errors.Is(err, ErrDenied) {
		t.Fatalf("unknown entity: %v", err)
	}
	// A client asks for rotating secrets: refused.
	s, _ := ks.Start(admin.Name(), 77)
	if r, _, err := s.Handle(RotatingRequest()); r == 0 || err == nil {
		t.Fatalf("rotating secrets for a client: %d %v", r, err)
	}
}

func FuzzSessionHandle(f *testing.F) {
	kr, _ := AdminKeyring()
	ks := NewKeyServer(kr)
	f.Add([]byte{0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(RotatingRequest())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _ := ks.Start(messages.AuthName{Type: 8, ID: "admin"}, 1)
		_, _, _ = s.Handle(b)
	})
}
