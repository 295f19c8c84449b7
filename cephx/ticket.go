package cephx

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"gomgr/messages"
)

// Entity types, as cephx names services (CEPH_ENTITY_TYPE_*).
const (
	ServiceMon    uint32 = 0x01
	ServiceMDS    uint32 = 0x02
	ServiceOSD    uint32 = 0x04
	ServiceClient uint32 = 0x08
	ServiceMgr    uint32 = 0x10
	ServiceAuth   uint32 = 0x20
)

// Request types (CephXRequestHeader).
const (
	reqAuthSessionKey      = 0x0100
	reqPrincipalSessionKey = 0x0200
	reqRotatingKey         = 0x0400
)

// authUIDDefault is CEPH_AUTH_UID_DEFAULT.
const authUIDDefault = ^uint64(0)

// Ticket is Ceph's AuthTicket: who holds it, for how long, and the caps
// the mon granted for the service it is for.
type Ticket struct {
	Name     messages.AuthName
	GlobalID uint64
	Created  messages.Utime
	Expires  messages.Utime
	AllowAll bool
	Caps     string // the entity's caps for the service ("allow *")
	Flags    uint32
}

func (t Ticket) encode(e *messages.Encoder) {
	e.U8(2)
	e.AuthName(t.Name)
	e.U64(t.GlobalID)
	e.U64(authUIDDefault)
	e.Utime(t.Created)
	e.Utime(t.Expires)
	e.U8(1) // AuthCapsInfo
	e.Bool(t.AllowAll)
	caps := messages.NewEncoder(nil)
	if t.Caps != "" {
		caps.String(t.Caps)
	}
	e.Bufferlist(caps.Bytes())
	e.U32(t.Flags)
}

func decodeTicket(d *messages.Decoder) Ticket {
	v := d.U8()
	t := Ticket{Name: d.AuthName(), GlobalID: d.U64()}
	if v >= 2 {
		d.U64() // auid
	}
	t.Created, t.Expires = d.Utime(), d.Utime()
	d.U8() // AuthCapsInfo v1
	t.AllowAll = d.Bool()
	if caps := d.Bufferlist(); len(caps) > 0 {
		cd := messages.NewDecoder(caps)
		t.Caps = cd.String()
		if cd.Err() != nil {
			d.Fail(fmt.Errorf("%w: ticket caps: %v", ErrMalformed, cd.Err()))
		}
	}
	t.Flags = d.U32()
	return t
}

// TicketBlob is CephXTicketBlob: a service ticket sealed with the
// service's rotating secret SecretID, opaque to its holder.
type TicketBlob struct {
	SecretID uint64
	Blob     []byte
}

func (b TicketBlob) encode(e *messages.Encoder) {
	e.U8(1)
	e.U64(b.SecretID)
	e.Bufferlist(b.Blob)
}

func decodeTicketBlob(d *messages.Decoder) TicketBlob {
	d.U8()
	return TicketBlob{SecretID: d.U64(), Blob: bytes.Clone(d.Bufferlist())}
}

// ServiceTicketInfo is CephXServiceTicketInfo, what a TicketBlob seals:
// the ticket and the session key its holder shares with the service.
type ServiceTicketInfo struct {
	Ticket     Ticket
	SessionKey Key
}

// SealTicket makes the blob a service verifies: info sealed with the
// service's secret secretID (the mon's side; tests use it too).
func SealTicket(info ServiceTicketInfo, secretID uint64, secret Key) (TicketBlob, error) {
	blob, err := secret.sealRaw(func(e *messages.Encoder) {
		e.U8(1)
		info.Ticket.encode(e)
		info.SessionKey.encode(e)
	})
	if err != nil {
		return TicketBlob{}, err
	}
	return TicketBlob{SecretID: secretID, Blob: blob}, nil
}

func openTicket(blob TicketBlob, secret Key) (ServiceTicketInfo, error) {
	d, err := secret.openRaw(blob.Blob)
	if err != nil {
		return ServiceTicketInfo{}, err
	}
	d.U8()
	info := ServiceTicketInfo{Ticket: decodeTicket(d)}
	info.SessionKey = decodeKey(d)
	if err := d.Err(); err != nil {
		return ServiceTicketInfo{}, fmt.Errorf("%w: ticket: %v", ErrMalformed, err)
	}
	return info, nil
}

// ServiceTicket is one ticket a principal holds for a service: the
// session key, the sealed blob, and when to renew it.
type ServiceTicket struct {
	Service    uint32
	SessionKey Key
	Blob       TicketBlob
	Expires    time.Time // zero: does not expire
	RenewAfter time.Time
}

// parseServiceTicketReply reads CephXServiceTicketReply (the tickets of
// a GET_AUTH_SESSION_KEY or GET_PRINCIPAL_SESSION_KEY answer): each
// ticket's session key and validity sealed with secret, then its blob,
// sealed with the previous session key of that service when encrypted.
func parseServiceTicketReply(d *messages.Decoder, secret Key, prev func(service uint32) Key, now time.Time) ([]ServiceTicket, error) {
	d.U8()
	n := d.Count(8)
	var out []ServiceTicket
	for range n {
		st := ServiceTicket{Service: d.U32()}
		d.U8()
		inner, err := secret.open(d)
		if err != nil {
			return nil, fmt.Errorf("service %#x ticket: %w", st.Service, err)
		}
		inner.U8()
		st.SessionKey = decodeKey(inner)
		validity := inner.Utime()
		if err := inner.Err(); err != nil {
			return nil, fmt.Errorf("%w: service ticket: %v", ErrMalformed, err)
		}
		var blob []byte
		if d.Bool() {
			bd, err := prev(st.Service).open(d)
			if err != nil {
				return nil, fmt.Errorf("service %#x ticket blob: %w", st.Service, err)
			}
			blob = bd.Bufferlist()
			if err := bd.Err(); err != nil {
				return nil, fmt.Errorf("%w: ticket blob: %v", ErrMalformed, err)
			}
		} else {
			blob = d.Bufferlist()
		}
		bd := messages.NewDecoder(blob)
		st.Blob = decodeTicketBlob(bd)
		if err := bd.Err(); err != nil {
			return nil, fmt.Errorf("%w: ticket blob: %v", ErrMalformed, err)
		}
		if v := time.Duration(validity.Sec)*time.Second + time.Duration(validity.Nsec); v > 0 {
			st.Expires = now.Add(v)
			st.RenewAfter = st.Expires.Add(-time.Duration(validity.Sec) * time.Second / 4)
		}
		out = append(out, st)
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: service ticket reply: %v", ErrMalformed, err)
	}
	return out, nil
}

// GrantedTicket is what the mon side puts in a service ticket reply.
type GrantedTicket struct {
	Service    uint32
	SessionKey Key
	Validity   time.Duration
	Blob       TicketBlob
}

// encodeServiceTicketReply is cephx_build_service_ticket_reply without
// ticket encryption.
func encodeServiceTicketReply(e *messages.Encoder, secret Key, tickets []GrantedTicket) error {
	e.U8(1)
	e.U32(uint32(len(tickets)))
	for _, t := range tickets {
		e.U32(t.Service)
		e.U8(1)
		err := secret.seal(e, func(e *messages.Encoder) {
			e.U8(1)
			t.SessionKey.encode(e)
			e.Utime(messages.Utime{Sec: uint32(t.Validity / time.Second), Nsec: uint32(t.Validity % time.Second)})
		})
		if err != nil {
			return err
		}
		e.Bool(false)
		be := messages.NewEncoder(nil)
		t.Blob.encode(be)
		e.Bufferlist(be.Bytes())
	}
	return nil
}

// RotatingSecrets are a service's secrets by id, as the mon rotates them:
// tickets for the service are sealed with one of them.
type RotatingSecrets struct {
	Secrets map[uint64]ExpiringKey
	MaxVer  uint64
}

// ExpiringKey is ExpiringCryptoKey.
type ExpiringKey struct {
	Key     Key
	Expires time.Time
}

func decodeRotating(d *messages.Decoder) RotatingSecrets {
	d.U8()
	r := RotatingSecrets{Secrets: map[uint64]ExpiringKey{}}
	n := d.Count(12)
	for range n {
		id := d.U64()
		d.U8()
		k := decodeKey(d)
		r.Secrets[id] = ExpiringKey{Key: k, Expires: timeOf(d.Utime())}
	}
	r.MaxVer = d.U64()
	return r
}

func (r RotatingSecrets) encode(e *messages.Encoder) {
	e.U8(1)
	ids := make([]uint64, 0, len(r.Secrets))
	for id := range r.Secrets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	e.U32(uint32(len(ids)))
	for _, id := range ids {
		e.U64(id)
		e.U8(1)
		r.Secrets[id].Key.encode(e)
		e.Utime(utimeOf(r.Secrets[id].Expires))
	}
	e.U64(r.MaxVer)
}
