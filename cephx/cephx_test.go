package cephx

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"gomgr/messages"
	"gomgr/msgr"
)

// A keyring as ceph-authtool writes it (this key is the one in Ceph's
// own documentation examples, not a secret of any cluster).
const sampleKeyring = `[client.admin]
	key = AQBsXmdkAAAAABAAhD8sjsjYDDoEmsHJJnUsrg==
	caps mds = "allow *"
	caps mgr = "allow *"
	caps mon = "allow *"
	caps osd = "allow *"
`

func TestKeyring(t *testing.T) {
	kr, err := ParseKeyring([]byte(sampleKeyring))
	if err != nil {
		t.Fatal(err)
	}
	e := kr["client.admin"]
	if !e.Key.Valid() || e.Caps["mgr"] != "allow *" || len(e.Caps) != 4 {
		t.Fatalf("entity %+v", e)
	}
	if got := e.Key.String(); got != "AQBsXmdkAAAAABAAhD8sjsjYDDoEmsHJJnUsrg==" {
		t.Errorf("key round trip: %s", got)
	}
	if again, err := ParseKeyring(kr.Marshal()); err != nil || again["client.admin"].Key.String() != e.Key.String() {
		t.Errorf("marshal round trip: %v %+v", err, again)
	}
	for _, bad := range []string{"key = x\n", "[a]\nkey = notbase64!\n", "[a]\ncaps mon = \"allow *\"\n", "[a\n"} {
		if _, err := ParseKeyring([]byte(bad)); !errors.Is(err, ErrKeyring) {
			t.Errorf("%q: %v, want ErrKeyring", bad, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	k, _ := NewKey()
	other, _ := NewKey()
	for _, n := range []int{0, 1, 15, 16, 17, 100} {
		body := bytes.Repeat([]byte{7}, n)
		enc, err := k.sealRaw(func(e *messages.Encoder) { e.Raw(body) })
		if err != nil {
			t.Fatal(err)
		}
		d, err := k.openRaw(enc)
		if err != nil || !bytes.Equal(d.Rest(), body) {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if _, err := other.openRaw(enc); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("%d bytes opened with another key: %v", n, err)
		}
	}
}

// principal returns a Client that holds a ticket for service, sealed with
// secret id 7 of the service (what a mon would have given it).
func principal(t *testing.T, service uint32, caps string, secret Key) *Client {
	t.Helper()
	key, _ := NewKey()
	session, _ := NewKey()
	c := NewClient(messages.AuthName{Type: 8, ID: "admin"}, key, service)
	c.globalID = 4242
	blob, err := SealTicket(ServiceTicketInfo{SessionKey: session, Ticket: Ticket{Name: c.name, GlobalID: 4242, Caps: caps}}, 7, secret)
	if err != nil {
		t.Fatal(err)
	}
	c.tickets[service] = &ServiceTicket{Service: service, SessionKey: session, Blob: blob}
	return c
}

// TestAuthorizerChallenge: the service challenges, the principal answers,
// both sides then hold the same session key; a replayed first authorizer,
// a wrong service secret and a wrong answer are refused.
func TestAuthorizerChallenge(t *testing.T) {
	secret, _ := NewKey()
	secrets := func(svc uint32, id uint64) (Key, bool) { return secret, svc == ServiceMgr && id == 7 }
	c := principal(t, ServiceMgr, "allow r", secret)
	a, err := c.Authorizer(ServiceMgr)
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.Clone(a.Bytes)
	var ch Challenge
	_, reply, challenged, err := VerifyAuthorizer(secrets, ServiceMgr, a.Bytes, &ch)
	if err != nil || !challenged {
		t.Fatalf("first authorizer: challenged %v, %v", challenged, err)
	}
	if err := a.AddChallenge(reply); err != nil {
		t.Fatal(err)
	}
	v, reply, challenged, err := VerifyAuthorizer(secrets, ServiceMgr, a.Bytes, &ch)
	if err != nil || challenged {
		t.Fatalf("answered authorizer: challenged %v, %v", challenged, err)
	}
	if err := a.VerifyReply(reply); err != nil {
		t.Fatal(err)
	}
	if v.Ticket.Name.ID != "admin" || v.Ticket.Caps != "allow r" || !bytes.Equal(v.SessionKey.Secret, a.SessionKey.Secret) {
		t.Fatalf("verified %+v", v)
	}
	// The first authorizer again, on a fresh challenge: challenged, not let in.
	var fresh Challenge
	if _, _, challenged, err := VerifyAuthorizer(secrets, ServiceMgr, first, &fresh); err != nil || !challenged {
		t.Fatalf("replayed authorizer: challenged %v, %v", challenged, err)
	}
	ch.value++ // the answer no longer matches
	if _, _, _, err := VerifyAuthorizer(secrets, ServiceMgr, a.Bytes, &ch); !errors.Is(err, ErrDenied) {
		t.Fatalf("wrong answer: %v", err)
	}
	wrong, _ := NewKey()
	if _, _, _, err := VerifyAuthorizer(func(uint32, uint64) (Key, bool) { return wrong, true }, ServiceMgr, a.Bytes, nil); !errors.Is(err, ErrDenied) {
		t.Fatalf("wrong service secret: %v", err)
	}
	if _, _, _, err := VerifyAuthorizer(secrets, ServiceOSD, a.Bytes, nil); !errors.Is(err, ErrDenied) {
		t.Fatalf("another service: %v", err)
	}
	if _, err := c.Authorizer(ServiceOSD); !errors.Is(err, ErrNoTicket) {
		t.Fatalf("authorizer without a ticket: %v", err)
	}
}

// TestSignature: the two signature forms differ, cover every field, and
// are stable for the same key and fields.
func TestSignature(t *testing.T) {
	k, _ := NewKey()
	f := msgr.SignFields{HeaderCRC: 1, FrontCRC: 2, MiddleCRC: 3, DataCRC: 4, FrontLen: 5, MiddleLen: 6, DataLen: 7, Seq: 8}
	seen := map[uint64]string{}
	for _, v2 := range []bool{false, true} {
		a, _ := Signature(k, v2, f)
		b, _ := Signature(k, v2, f)
		if a != b {
			t.Fatal("signature not deterministic")
		}
		seen[a] = "base"
	}
	if len(seen) != 2 {
		t.Fatal("legacy and v2 signatures agree")
	}
	g := f
	g.Seq++
	if a, _ := Signature(k, true, f); func() uint64 { b, _ := Signature(k, true, g); return b }() == a {
		t.Error("v2 signature does not cover the seq")
	}
	if a, _ := Signature(k, false, f); func() uint64 { b, _ := Signature(k, false, g); return b }() != a {
		t.Error("the legacy signature covers the seq (it must not)")
	}
}

// TestHandleReplyErrors: a refusal, garbage and a reply sealed with
// another key are errors, never panics.
func TestHandleReplyErrors(t *testing.T) {
	key, _ := NewKey()
	c := NewClient(messages.AuthName{Type: 8, ID: "admin"}, key, ServiceMon)
	if _, _, err := c.HandleReply(-1, 1, nil); !errors.Is(err, ErrDenied) {
		t.Fatalf("refusal: %v", err)
	}
	e := messages.NewEncoder(nil)
	e.U8(1)
	e.U64(99)
	next, done, err := c.HandleReply(0, 5, e.Bytes())
	if err != nil || done || len(next) == 0 {
		t.Fatalf("challenge: %v %v %d", err, done, len(next))
	}
	// A session key reply sealed with someone else's key.
	other, _ := NewKey()
	r := messages.NewEncoder(nil)
	r.U16(reqAuthSessionKey)
	r.S32(0)
	if err := encodeServiceTicketReply(r, other, []GrantedTicket{{Service: ServiceAuth, SessionKey: other, Validity: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.HandleReply(0, 5, r.Bytes()); !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("tickets under another key: %v", err)
	}
}

func FuzzVerifyAuthorizer(f *testing.F) {
	secret, _ := NewKey()
	c := principalForFuzz(secret)
	a, _ := c.Authorizer(ServiceMgr)
	f.Add(a.Bytes)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ch Challenge
		_, _, _, _ = VerifyAuthorizer(func(uint32, uint64) (Key, bool) { return secret, true }, ServiceMgr, b, &ch)
	})
}

func FuzzHandleReply(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, true)
	f.Add([]byte{0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, b []byte, starting bool) {
		key, _ := NewKey()
		c := NewClient(messages.AuthName{Type: 8, ID: "admin"}, key, ServiceMon|ServiceMgr)
		c.starting = starting
		_, _, _ = c.HandleReply(0, 1, b)
	})
}

func FuzzParseKeyring(f *testing.F) {
	f.Add([]byte(sampleKeyring))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ParseKeyring(b) })
}

func FuzzParseCaps(f *testing.F) {
	f.Add("allow *")
	f.Add(`allow r, allow command "pg stat"`)
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := ParseCaps(s); err == nil {
			_ = c.Allows("x", "rw")
		}
	})
}

func principalForFuzz(secret Key) *Client {
	key, _ := NewKey()
	session, _ := NewKey()
	c := NewClient(messages.AuthName{Type: 8, ID: "admin"}, key, ServiceMgr)
	blob, _ := SealTicket(ServiceTicketInfo{SessionKey: session, Ticket: Ticket{GlobalID: 0}}, 1, secret)
	c.tickets[ServiceMgr] = &ServiceTicket{Service: ServiceMgr, SessionKey: session, Blob: blob}
	return c
}

func TestCaps(t *testing.T) {
	for _, tc := range []struct {
		caps, prefix, perm string
		ok                 bool
	}{
		{"allow *", "x", "rwx", true},
		{"allow r", "pg stat", "r", true},
		{"allow r", "cephprobe warn", "w", false},
		{"allow rw", "cephprobe warn", "w", true},
		{`allow r, allow command "mgr fail"`, "mgr fail", "rw", true},
		{"allow profile osd", "pg stat", "r", true},
		{"allow profile osd", "pg repair", "rw", false},
		{"", "pg stat", "r", false},
		{"allow r", "x", "", true},
	} {
		c, err := ParseCaps(tc.caps)
		if err != nil {
			t.Fatalf("%q: %v", tc.caps, err)
		}
		if got := c.Allows(tc.prefix, tc.perm); got != tc.ok {
			t.Errorf("%q allows %q (%s) = %v, want %v", tc.caps, tc.prefix, tc.perm, got, tc.ok)
		}
	}
	if _, err := ParseCaps("allow module foo with bar"); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown grant: %v", err)
	}
	if _, err := ParseCaps("deny *"); !errors.Is(err, ErrMalformed) {
		t.Errorf("deny: %v", err)
	}
}
