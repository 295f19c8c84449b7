package cephx

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"gomgr/messages"
)

// Ticket lifetimes, as Ceph's defaults: auth_mon_ticket_ttl (the AUTH
// ticket) and auth_service_ticket_ttl (service tickets, and the period
// of the rotating secrets).
const (
	AuthTicketTTL    = 12 * time.Hour
	ServiceTicketTTL = time.Hour
)

// errno values of MAuthReply's result.
const (
	eACCES = -13
	eINVAL = -22
)

// serviceNames are the caps sections of each service.
var serviceNames = map[uint32]string{ServiceMon: "mon", ServiceOSD: "osd", ServiceMgr: "mgr", ServiceMDS: "mds", ServiceAuth: "auth"}

// KeyServer is the mon's side of cephx (Ceph's KeyServer with its
// CephxServiceHandler): the entities with their keys and caps, the
// rotating secrets of each service, and each session's MAuth exchange.
// Safe from any goroutine.
type KeyServer struct {
	now func() time.Time

	mu       sync.Mutex
	entities Keyring
	rotating map[uint32]*RotatingSecrets
}

// NewKeyServer serves the entities of kr (the mon's auth database).
func NewKeyServer(kr Keyring) *KeyServer {
	return &KeyServer{now: time.Now, entities: kr, rotating: map[uint32]*RotatingSecrets{}}
}

// Entity returns an entity's key and caps.
func (ks *KeyServer) Entity(name string) (Entity, bool) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	e, ok := ks.entities[name]
	return e, ok
}

// secrets returns service's rotating secrets, rotated so that the current
// one (MaxVer-1) has not expired and a next one is ready. ks.mu held.
func (ks *KeyServer) secrets(service uint32) (*RotatingSecrets, error) {
	now := ks.now()
	r := ks.rotating[service]
	if r == nil {
		r = &RotatingSecrets{Secrets: map[uint64]ExpiringKey{}}
		ks.rotating[service] = r
	}
	for {
		cur, ok := r.Secrets[r.MaxVer-1]
		if ok && now.Before(cur.Expires) && len(r.Secrets) >= 2 {
			return r, nil
		}
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		r.MaxVer++
		exp := now.Add(ServiceTicketTTL)
		if last, ok := r.Secrets[r.MaxVer-1]; ok {
			exp = last.Expires.Add(ServiceTicketTTL)
		}
		r.Secrets[r.MaxVer] = ExpiringKey{Key: k, Expires: exp}
		// Keep the previous, the current and the next.
		for id := range r.Secrets {
			if id+3 <= r.MaxVer {
				delete(r.Secrets, id)
			}
		}
	}
}

// ServiceSecret is the rotating secret id of service, for a service the
// mon process runs itself.
func (ks *KeyServer) ServiceSecret(service uint32, id uint64) (Key, bool) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	r, err := ks.secrets(service)
	if err != nil {
		return Key{}, false
	}
	k, ok := r.Secrets[id]
	return k.Key, ok
}

// grant makes a ticket for service to an entity: a fresh session key and
// the blob sealed with the service's current secret. ks.mu held.
func (ks *KeyServer) grant(service uint32, name messages.AuthName, globalID uint64, e Entity, ttl time.Duration) (GrantedTicket, error) {
	r, err := ks.secrets(service)
	if err != nil {
		return GrantedTicket{}, err
	}
	session, err := NewKey()
	if err != nil {
		return GrantedTicket{}, err
	}
	now := ks.now()
	id := r.MaxVer - 1
	t := Ticket{Name: name, GlobalID: globalID, Created: utimeOf(now), Expires: utimeOf(now.Add(ttl)),
		Caps: e.Caps[serviceNames[service]]}
	blob, err := SealTicket(ServiceTicketInfo{Ticket: t, SessionKey: session}, id, r.Secrets[id].Key)
	if err != nil {
		return GrantedTicket{}, err
	}
	return GrantedTicket{Service: service, SessionKey: session, Validity: ttl, Blob: blob}, nil
}

// Session is one mon session's cephx exchange with one principal.
type Session struct {
	ks        *KeyServer
	name      messages.AuthName
	globalID  uint64
	challenge uint64
	authed    bool
	caps      map[string]string
}

// Start begins a session for name (from the MAuth hello): the returned
// bytes are the server challenge, the first reply's result bufferlist.
func (ks *KeyServer) Start(name messages.AuthName, globalID uint64) (*Session, []byte) {
	s := &Session{ks: ks, name: name, globalID: globalID, challenge: rand.Uint64() | 1}
	e := messages.NewEncoder(nil)
	e.U8(1)
	e.U64(s.challenge)
	return s, e.Bytes()
}

// Authenticated reports whether the principal proved its key.
func (s *Session) Authenticated() bool { return s.authed }

// Name is the principal's name.
func (s *Session) Name() messages.AuthName { return s.name }

// GlobalID is the id the mon gave the session.
func (s *Session) GlobalID() uint64 { return s.globalID }

// Caps are the principal's caps for a service ("mon", "mgr").
func (s *Session) Caps(service string) string { return s.caps[service] }

// Handle answers one cephx request of the session: the reply's result
// (0 or a negative errno) and its bufferlist. An error says why a request
// was refused, for the log; the reply then carries only the result.
func (s *Session) Handle(payload []byte) (result int32, reply []byte, err error) {
	d := messages.NewDecoder(payload)
	typ := d.U16()
	if d.Err() != nil {
		return eINVAL, nil, fmt.Errorf("%w: request header: %v", ErrMalformed, d.Err())
	}
	s.ks.mu.Lock()
	defer s.ks.mu.Unlock()
	e, ok := s.ks.entities[s.name.String()]
	if !ok {
		return eACCES, nil, fmt.Errorf("%w: no entity %s", ErrDenied, s.name)
	}
	out := messages.NewEncoder(nil)
	out.U16(typ)
	out.S32(0)
	switch typ {
	case reqAuthSessionKey:
		d.U8()
		clientChallenge := d.U64()
		proof := d.U64()
		decodeTicketBlob(d) // an old ticket: a new session key is issued regardless
		if d.Err() != nil {
			return eINVAL, nil, fmt.Errorf("%w: authenticate: %v", ErrMalformed, d.Err())
		}
		want, err := challengeKey(e.Key, s.challenge, clientChallenge)
		if err != nil {
			return eINVAL, nil, err
		}
		if proof != want {
			return eACCES, nil, fmt.Errorf("%w: %s does not hold its key", ErrDenied, s.name)
		}
		t, err := s.ks.grant(ServiceAuth, s.name, s.globalID, e, AuthTicketTTL)
		if err != nil {
			return eINVAL, nil, err
		}
		if err := encodeServiceTicketReply(out, e.Key, []GrantedTicket{t}); err != nil {
			return eINVAL, nil, err
		}
		s.authed, s.caps = true, maps.Clone(e.Caps)
	case reqPrincipalSessionKey:
		secrets := func(svc uint32, id uint64) (Key, bool) {
			r, err := s.ks.secrets(svc)
			if err != nil {
				return Key{}, false
			}
			k, ok := r.Secrets[id]
			return k.Key, ok
		}
		start := d.Offset()
		if _, err := skipAuthorizer(d); err != nil {
			return eINVAL, nil, err
		}
		v, _, _, err := VerifyAuthorizer(secrets, ServiceAuth, payload[start:d.Offset()], nil)
		if err != nil {
			return eACCES, nil, err
		}
		if v.Ticket.GlobalID != s.globalID || v.Ticket.Name != s.name {
			return eACCES, nil, fmt.Errorf("%w: the auth ticket is %s's, not %s's", ErrDenied, v.Ticket.Name, s.name)
		}
		d.U8()
		keys := d.U32()
		if d.Err() != nil {
			return eINVAL, nil, fmt.Errorf("%w: service ticket request: %v", ErrMalformed, d.Err())
		}
		var granted []GrantedTicket
		for _, svc := range []uint32{ServiceMon, ServiceMDS, ServiceOSD, ServiceMgr} {
			if keys&svc == 0 {
				continue
			}
			t, err := s.ks.grant(svc, s.name, s.globalID, e, ServiceTicketTTL)
			if err != nil {
				return eINVAL, nil, err
			}
			granted = append(granted, t)
		}
		if err := encodeServiceTicketReply(out, v.SessionKey, granted); err != nil {
			return eINVAL, nil, err
		}
		s.authed, s.caps = true, maps.Clone(e.Caps)
	case reqRotatingKey:
		if !s.authed {
			return eACCES, nil, fmt.Errorf("%w: rotating secrets before authenticating", ErrDenied)
		}
		svc := uint32(s.name.Type)
		if svc == ServiceClient {
			return eACCES, nil, fmt.Errorf("%w: %s is no service: no rotating secrets", ErrDenied, s.name)
		}
		r, err := s.ks.secrets(svc)
		if err != nil {
			return eINVAL, nil, err
		}
		if err := e.Key.seal(out, r.encode); err != nil {
			return eINVAL, nil, err
		}
	default:
		return eINVAL, nil, fmt.Errorf("%w: request type %#x", ErrMalformed, typ)
	}
	return 0, out.Bytes(), nil
}

// skipAuthorizer reads past an authorizer (its header, ticket and sealed
// part) and returns its length.
func skipAuthorizer(d *messages.Decoder) (int, error) {
	start := d.Offset()
	d.U8()
	d.U64()
	d.U32()
	decodeTicketBlob(d)
	d.Bufferlist()
	if d.Err() != nil {
		return 0, fmt.Errorf("%w: authorizer: %v", ErrMalformed, d.Err())
	}
	return d.Offset() - start, nil
}

// AdminKeyring makes the keyring of a new cluster: a mon key and
// client.admin with every cap, as a cluster's bootstrap makes them.
func AdminKeyring() (Keyring, error) {
	kr := Keyring{}
	for name, caps := range map[string]map[string]string{
		"mon.":         {"mon": "allow *"},
		"client.admin": {"mon": "allow *", "mgr": "allow *", "osd": "allow *", "mds": "allow *"},
	} {
		k, err := NewKey()
		if err != nil {
			return nil, err
		}
		kr[name] = Entity{Key: k, Caps: caps}
	}
	return kr, nil
}

// Add makes (or returns) an entity's key, as `ceph auth get-or-create`.
func (ks *KeyServer) Add(name string, caps map[string]string) (Entity, error) {
	if _, _, ok := strings.Cut(name, "."); !ok {
		return Entity{}, fmt.Errorf("%w: entity name %q is not TYPE.ID", ErrKeyring, name)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if e, ok := ks.entities[name]; ok {
		return e, nil
	}
	k, err := NewKey()
	if err != nil {
		return Entity{}, err
	}
	e := Entity{Key: k, Caps: maps.Clone(caps)}
	ks.entities[name] = e
	return e, nil
}

// Keyring is a copy of the entities, for the mon's store.
func (ks *KeyServer) Keyring() Keyring {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	out := Keyring{}
	for _, n := range slices.Sorted(maps.Keys(ks.entities)) {
		out[n] = ks.entities[n]
	}
	return out
}
