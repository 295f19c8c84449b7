package cephx

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"gomgr/messages"
)

// Client is a principal's side of cephx: its name and key, the services
// it wants tickets for, the tickets it holds and, for a daemon that is a
// service itself (a mgr), the rotating secrets it verifies its clients'
// tickets with. It is CephxClientHandler with its TicketManager. Safe from
// any goroutine.
type Client struct {
	name messages.AuthName
	key  Key
	want uint32
	now  func() time.Time

	mu        sync.Mutex
	globalID  uint64
	challenge uint64 // the mon's server challenge; 0 before it came
	starting  bool
	tickets   map[uint32]*ServiceTicket
	rotating  RotatingSecrets
}

// NewClient makes a principal: name (client.admin, mgr.x), its key, and
// the services it wants tickets for (ServiceMon|ServiceOSD|...).
func NewClient(name messages.AuthName, key Key, want uint32) *Client {
	return &Client{name: name, key: key, want: want | ServiceAuth, now: time.Now, starting: true,
		tickets: map[uint32]*ServiceTicket{}}
}

// Name is the principal's name.
func (c *Client) Name() messages.AuthName { return c.name }

// Reset starts a new exchange with a mon (a new session): the next reply
// is the mon's server challenge. The service tickets are asked for again
// (a restarted mon may have new service secrets); the AUTH ticket stays,
// to be sent as the old ticket.
func (c *Client) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.starting, c.challenge = true, 0
	for svc := range c.tickets {
		if svc != ServiceAuth {
			delete(c.tickets, svc)
		}
	}
}

// HandleReply takes an MAuthReply for cephx (its result, global id and
// result bufferlist) and returns the auth payload of the next MAuth to
// send, or done once the principal has every ticket it needs.
func (c *Client) HandleReply(result int32, globalID uint64, bl []byte) (next []byte, done bool, err error) {
	if result < 0 {
		return nil, false, fmt.Errorf("%w: the mon answered %d", ErrDenied, result)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if globalID != 0 && globalID != c.globalID {
		c.globalID = globalID
	}
	d := messages.NewDecoder(bl)
	if c.starting {
		d.U8()
		c.challenge = d.U64()
		if err := d.Err(); err != nil {
			return nil, false, fmt.Errorf("%w: server challenge: %v", ErrMalformed, err)
		}
		c.starting = false
		if t := c.tickets[ServiceAuth]; t != nil {
			t.Expires = time.Unix(1, 0) // must authenticate afresh
		}
		next, err := c.buildRequest()
		return next, false, err
	}
	typ := d.U16()
	status := d.S32()
	if err := d.Err(); err != nil {
		return nil, false, fmt.Errorf("%w: response header: %v", ErrMalformed, err)
	}
	if status < 0 {
		return nil, false, fmt.Errorf("%w: request %#x: status %d", ErrDenied, typ, status)
	}
	now := c.now()
	switch typ {
	case reqAuthSessionKey:
		ts, err := parseServiceTicketReply(d, c.key, c.prevKey, now)
		if err != nil {
			return nil, false, fmt.Errorf("%w: the mon's tickets do not open with %s's key: %w", ErrDenied, c.name, err)
		}
		c.store(ts)
		// The connection secret and extra tickets after this are msgr
		// v2's; on v1 Ceph asks for the tickets in a second request too.
	case reqPrincipalSessionKey:
		auth := c.tickets[ServiceAuth]
		if auth == nil {
			return nil, false, fmt.Errorf("%w: service tickets before the auth ticket", ErrMalformed)
		}
		ts, err := parseServiceTicketReply(d, auth.SessionKey, c.prevKey, now)
		if err != nil {
			return nil, false, fmt.Errorf("service tickets: %w", err)
		}
		c.store(ts)
	case reqRotatingKey:
		rd, err := c.key.open(d)
		if err != nil {
			return nil, false, fmt.Errorf("rotating secrets: %w", err)
		}
		r := decodeRotating(rd)
		if err := rd.Err(); err != nil {
			return nil, false, fmt.Errorf("%w: rotating secrets: %v", ErrMalformed, err)
		}
		c.rotating = r
		return nil, true, nil
	default:
		return nil, false, fmt.Errorf("%w: unknown response type %#x", ErrMalformed, typ)
	}
	if c.needTickets(now) == 0 {
		return nil, true, nil
	}
	next, err = c.buildRequest()
	return next, false, err
}

func (c *Client) prevKey(service uint32) Key {
	if t := c.tickets[service]; t != nil {
		return t.SessionKey
	}
	return Key{}
}

func (c *Client) store(ts []ServiceTicket) {
	for i := range ts {
		c.tickets[ts[i].Service] = &ts[i]
	}
}

// need is validate_tickets' need: wanted services without a ticket, or
// whose ticket is due for renewal.
func (c *Client) need(now time.Time) uint32 {
	var need uint32
	for s := uint32(1); s <= c.want; s <<= 1 {
		if c.want&s == 0 {
			continue
		}
		t := c.tickets[s]
		if t == nil || (!t.Expires.IsZero() && !now.Before(t.RenewAfter)) {
			need |= s
		}
	}
	return need
}

// needTickets is _need_tickets: service tickets are worth a request
// unless only the mgr's is missing (Ceph avoids a loop during upgrades).
func (c *Client) needTickets(now time.Time) uint32 {
	n := c.need(now)
	if n == ServiceMgr {
		return 0
	}
	return n
}

// NeedRenewal reports whether a request for tickets is due (the mon
// session renews them before they expire).
func (c *Client) NeedRenewal() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.starting && c.needTickets(c.now()) != 0
}

// Request is the payload of an MAuth asking for the tickets due.
func (c *Client) Request() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buildRequest()
}

// buildRequest is build_request: the auth session key while the AUTH
// ticket is missing, else the service tickets needed. c.mu held.
func (c *Client) buildRequest() ([]byte, error) {
	need := c.need(c.now())
	e := messages.NewEncoder(nil)
	if need&ServiceAuth != 0 {
		e.U16(reqAuthSessionKey)
		clientChallenge := rand.Uint64()
		key, err := challengeKey(c.key, c.challenge, clientChallenge)
		if err != nil {
			return nil, err
		}
		e.U8(3)
		e.U64(clientChallenge)
		e.U64(key)
		var old TicketBlob
		if t := c.tickets[ServiceAuth]; t != nil {
			old = t.Blob
		}
		old.encode(e)
		e.U32(need)
		return e.Bytes(), nil
	}
	e.U16(reqPrincipalSessionKey)
	a, err := c.authorizer(ServiceAuth)
	if err != nil {
		return nil, err
	}
	e.Raw(a.Bytes)
	e.U8(1)
	e.U32(need)
	return e.Bytes(), nil
}

// RotatingRequest is the payload of an MAuth asking for this daemon's
// rotating service secrets.
func RotatingRequest() []byte {
	e := messages.NewEncoder(nil)
	e.U16(reqRotatingKey)
	return e.Bytes()
}

// challengeKey is cephx_calc_client_server_challenge: the challenges
// sealed with the principal's key, folded by XOR into 64 bits. The fold
// runs over the sealed bytes as a bufferlist, length word included, as
// Ceph does.
func challengeKey(secret Key, server, client uint64) (uint64, error) {
	e := messages.NewEncoder(nil)
	err := secret.seal(e, func(e *messages.Encoder) {
		e.U64(server)
		e.U64(client)
	})
	if err != nil {
		return 0, err
	}
	b := e.Bytes()
	var k uint64
	for pos := 0; pos+8 <= len(b); pos += 8 {
		k ^= binary.LittleEndian.Uint64(b[pos:])
	}
	return k, nil
}

// GlobalID is the id the mon gave this principal.
func (c *Client) GlobalID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.globalID
}

// Rotating is a copy of the rotating secrets last received.
func (c *Client) Rotating() RotatingSecrets {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := RotatingSecrets{Secrets: make(map[uint64]ExpiringKey, len(c.rotating.Secrets)), MaxVer: c.rotating.MaxVer}
	for id, k := range c.rotating.Secrets {
		out.Secrets[id] = k
	}
	return out
}

// ServiceSecret is the rotating secret id, for the Verifier of a daemon
// that is a service.
func (c *Client) ServiceSecret(id uint64) (Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.rotating.Secrets[id]
	return k.Key, ok
}

// RotatingDue reports whether the rotating secrets should be fetched:
// none yet, or the newest expires within margin.
func (c *Client) RotatingDue(margin time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.rotating.Secrets[c.rotating.MaxVer]
	return !ok || c.now().Add(margin).After(k.Expires)
}

// Authorizer is what a principal presents to a service on connecting:
// its ticket for the service and a nonce sealed with the session key.
// It is CephXAuthorizer.
type Authorizer struct {
	Bytes      []byte
	SessionKey Key
	nonce      uint64
	base       []byte // everything before the sealed CephXAuthorize
}

// Authorizer builds an authorizer for service (ServiceMgr, ServiceOSD).
func (c *Client) Authorizer(service uint32) (*Authorizer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authorizer(service)
}

func (c *Client) authorizer(service uint32) (*Authorizer, error) {
	t := c.tickets[service]
	if t == nil {
		return nil, fmt.Errorf("%w %#x (%s has not authenticated, or lacks caps for it)", ErrNoTicket, service, c.name)
	}
	e := messages.NewEncoder(nil)
	e.U8(1)
	e.U64(c.globalID)
	e.U32(service)
	t.Blob.encode(e)
	a := &Authorizer{SessionKey: t.SessionKey, nonce: rand.Uint64(), base: e.Bytes()}
	if err := a.build(false, 0); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Authorizer) build(haveChallenge bool, challenge uint64) error {
	e := messages.NewEncoder(append([]byte(nil), a.base...))
	plusOne := uint64(0)
	if haveChallenge {
		plusOne = challenge + 1
	}
	err := a.SessionKey.seal(e, func(e *messages.Encoder) {
		e.U8(2)
		e.U64(a.nonce)
		e.Bool(haveChallenge)
		e.U64(plusOne)
	})
	if err != nil {
		return err
	}
	a.Bytes = e.Bytes()
	return nil
}

// AddChallenge answers a service's challenge (msgr v1's
// CHALLENGE_AUTHORIZER): Bytes becomes the authorizer to send again.
func (a *Authorizer) AddChallenge(challenge []byte) error {
	d, err := a.SessionKey.openRaw(challenge)
	if err != nil {
		return fmt.Errorf("authorizer challenge: %w", err)
	}
	d.U8()
	ch := d.U64()
	if err := d.Err(); err != nil {
		return fmt.Errorf("%w: authorizer challenge: %v", ErrMalformed, err)
	}
	return a.build(true, ch)
}

// VerifyReply checks the service's authorizer reply: the nonce plus one,
// sealed with the session key, proves the service holds its secret.
func (a *Authorizer) VerifyReply(reply []byte) error {
	d, err := a.SessionKey.open(messages.NewDecoder(reply))
	if err != nil {
		return fmt.Errorf("authorizer reply: %w", err)
	}
	d.U8()
	if n := d.U64(); d.Err() != nil || n != a.nonce+1 {
		return fmt.Errorf("%w: the service's authorizer reply does not prove its key", ErrDenied)
	}
	return nil
}
