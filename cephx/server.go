package cephx

import (
	"fmt"
	"math/rand/v2"

	"gomgr/messages"
)

// SecretSource gives a service its secret for a ticket: the rotating
// secret id of service.
type SecretSource func(service uint32, id uint64) (Key, bool)

// Verified is an authorizer a service accepted: who the peer is, its
// caps for the service, and the session key both sides now share.
type Verified struct {
	Ticket     Ticket
	SessionKey Key
}

// Challenge is a service's pending challenge on one connection (msgr
// v1's CHALLENGE_AUTHORIZER round trip, against replayed authorizers).
type Challenge struct {
	value uint64
	set   bool
}

// VerifyAuthorizer is cephx_verify_authorizer, the service side of a
// connection: it opens the ticket with the service's secret, checks the
// global id and the sealed nonce and, when ch is not nil, that the
// authorizer answers the challenge in ch. Without an answer it sets a
// fresh challenge in ch and returns challenged with the bytes to send
// back (the client then sends its authorizer again). Otherwise it returns
// the peer's ticket and the reply that proves this service's key.
func VerifyAuthorizer(secrets SecretSource, service uint32, authorizer []byte, ch *Challenge) (v Verified, reply []byte, challenged bool, err error) {
	d := messages.NewDecoder(authorizer)
	d.U8()
	globalID := d.U64()
	svc := d.U32()
	blob := decodeTicketBlob(d)
	if err := d.Err(); err != nil {
		return Verified{}, nil, false, fmt.Errorf("%w: authorizer: %v", ErrMalformed, err)
	}
	if svc != service {
		return Verified{}, nil, false, fmt.Errorf("%w: authorizer for service %#x, this is %#x", ErrDenied, svc, service)
	}
	secret, ok := secrets(service, blob.SecretID)
	if !ok {
		return Verified{}, nil, false, fmt.Errorf("%w: service %#x secret %d", ErrNoSecret, service, blob.SecretID)
	}
	info, err := openTicket(blob, secret)
	if err != nil {
		return Verified{}, nil, false, fmt.Errorf("%w: ticket: %w", ErrDenied, err)
	}
	if info.Ticket.GlobalID != globalID {
		return Verified{}, nil, false, fmt.Errorf("%w: authorizer global id %d, ticket's %d", ErrDenied, globalID, info.Ticket.GlobalID)
	}
	ad, err := info.SessionKey.open(d)
	if err != nil {
		return Verified{}, nil, false, fmt.Errorf("%w: authorize: %w", ErrDenied, err)
	}
	v1 := ad.U8()
	nonce := ad.U64()
	var have bool
	var plusOne uint64
	if v1 >= 2 {
		have, plusOne = ad.Bool(), ad.U64()
	}
	if err := ad.Err(); err != nil {
		return Verified{}, nil, false, fmt.Errorf("%w: authorize: %v", ErrMalformed, err)
	}
	if ch != nil {
		if !have || !ch.set {
			ch.value, ch.set = rand.Uint64(), true
			out, err := info.SessionKey.sealRaw(func(e *messages.Encoder) {
				e.U8(1)
				e.U64(ch.value)
			})
			if err != nil {
				return Verified{}, nil, false, err
			}
			return Verified{}, out, true, nil
		}
		if plusOne != ch.value+1 {
			return Verified{}, nil, false, fmt.Errorf("%w: the authorizer does not answer the challenge", ErrDenied)
		}
	}
	e := messages.NewEncoder(nil)
	err = info.SessionKey.seal(e, func(e *messages.Encoder) {
		e.U8(1)
		e.U64(nonce + 1)
	})
	if err != nil {
		return Verified{}, nil, false, err
	}
	return Verified{Ticket: info.Ticket, SessionKey: info.SessionKey}, e.Bytes(), false, nil
}
