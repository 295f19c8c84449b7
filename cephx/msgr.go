package cephx

import (
	"fmt"

	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// MsgrAuth is msgr.Auth for cephx: the principal's authorizers for the
// services it connects to and, for a daemon that is a service, the
// verification of the authorizers its peers present.
type MsgrAuth struct {
	// Client holds the tickets; nil: present no authorizer.
	Client *Client
	// Service is this daemon's own service (ServiceMgr) and Secrets its
	// rotating secrets; 0: it accepts no authorizer.
	Service uint32
	Secrets SecretSource
	// Optional lets peers in without an authorizer (auth none allowed
	// beside cephx); otherwise they are refused.
	Optional bool
	// NoSign leaves messages unsigned (cephx_sign_messages = false).
	NoSign bool
}

var _ msgr.Auth = (*MsgrAuth)(nil)

// ClientAuthorizer implements msgr.Auth. Mons get none: a session with a
// mon authenticates with MAuth messages instead.
func (a *MsgrAuth) ClientAuthorizer(peerType uint8) (msgr.ClientAuthorizer, error) {
	if a.Client == nil || peerType == wire.EntityMon {
		return nil, nil
	}
	z, err := a.Client.Authorizer(uint32(peerType))
	if err != nil {
		return nil, err
	}
	return &clientAuthorizer{z: z, sign: !a.NoSign}, nil
}

// VerifyAuthorizer implements msgr.Auth.
func (a *MsgrAuth) VerifyAuthorizer(peerType uint8, protocol uint32, authorizer []byte, challenge bool, state *any) (msgr.AuthResult, error) {
	if protocol != messages.AuthCephX {
		// Auth none: no authorizer, or Ceph's AuthNone one (a name and a
		// global id, nothing to verify).
		if a.Optional && (len(authorizer) == 0 || protocol == messages.AuthNone) {
			return msgr.AuthResult{}, nil
		}
		return msgr.AuthResult{}, fmt.Errorf("%w: %s presented auth protocol %d, cephx is required", ErrDenied, entityTypeName(peerType), protocol)
	}
	if a.Service == 0 || a.Secrets == nil {
		return msgr.AuthResult{}, fmt.Errorf("%w: this daemon accepts no cephx authorizers", ErrDenied)
	}
	var ch *Challenge
	if challenge {
		ch, _ = (*state).(*Challenge)
		if ch == nil {
			ch = &Challenge{}
			*state = ch
		}
	}
	v, reply, challenged, err := VerifyAuthorizer(a.Secrets, a.Service, authorizer, ch)
	if err != nil {
		return msgr.AuthResult{}, err
	}
	if challenged {
		return msgr.AuthResult{Reply: reply, Challenge: true}, nil
	}
	res := msgr.AuthResult{Reply: reply, Peer: v}
	if !a.NoSign {
		res.Signer = signer{v.SessionKey}
	}
	return res, nil
}

type clientAuthorizer struct {
	z    *Authorizer
	sign bool
}

func (c *clientAuthorizer) Protocol() uint32                    { return messages.AuthCephX }
func (c *clientAuthorizer) Bytes() []byte                       { return c.z.Bytes }
func (c *clientAuthorizer) AddChallenge(challenge []byte) error { return c.z.AddChallenge(challenge) }

func (c *clientAuthorizer) VerifyReply(reply []byte) (msgr.Signer, error) {
	if err := c.z.VerifyReply(reply); err != nil {
		return nil, err
	}
	if !c.sign {
		return nil, nil
	}
	return signer{c.z.SessionKey}, nil
}

// signer signs a session's messages with its session key.
type signer struct{ key Key }

func (s signer) Sign(features uint64, f msgr.SignFields) (uint64, error) {
	return Signature(s.key, features&wire.FeatureCephxV2 != 0, f)
}

func entityTypeName(t uint8) string {
	switch t {
	case wire.EntityMon:
		return "a mon"
	case wire.EntityOSD:
		return "an osd"
	case wire.EntityMgr:
		return "a mgr"
	case wire.EntityMDS:
		return "an mds"
	case wire.EntityClient:
		return "a client"
	}
	return fmt.Sprintf("a peer of type %d", t)
}

// NoneAuth is a msgr.Auth for clusters with auth none: it presents Ceph's
// AuthNone authorizer (struct_v, entity name, global id), which an OSD
// requires even then (AuthNoneAuthorizeHandler decodes it), and accepts
// any peer. Mons get none: their sessions authenticate with MAuth.
type NoneAuth struct {
	Name     messages.AuthName
	GlobalID func() uint64 // the session's global id, known once the mon gave it
}

var _ msgr.Auth = NoneAuth{}

// ClientAuthorizer implements msgr.Auth.
func (a NoneAuth) ClientAuthorizer(peerType uint8) (msgr.ClientAuthorizer, error) {
	if peerType == wire.EntityMon {
		return nil, nil
	}
	e := messages.NewEncoder(nil)
	e.U8(1) // struct_v
	e.AuthName(a.Name)
	var gid uint64
	if a.GlobalID != nil {
		gid = a.GlobalID()
	}
	e.U64(gid)
	return noneAuthorizer(e.Bytes()), nil
}

// VerifyAuthorizer implements msgr.Auth: auth none lets every peer in.
func (NoneAuth) VerifyAuthorizer(uint8, uint32, []byte, bool, *any) (msgr.AuthResult, error) {
	return msgr.AuthResult{}, nil
}

// noneAuthorizer is an AuthNone authorizer's bytes.
type noneAuthorizer []byte

func (n noneAuthorizer) Protocol() uint32                      { return messages.AuthNone }
func (n noneAuthorizer) Bytes() []byte                         { return n }
func (noneAuthorizer) AddChallenge([]byte) error               { return ErrDenied }
func (noneAuthorizer) VerifyReply([]byte) (msgr.Signer, error) { return nil, nil }
