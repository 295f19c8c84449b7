package msgr

import (
	"encoding/binary"
	"fmt"

	"gomgr/msgr/wire"
)

// Auth adds authentication to the v1 handshake: authorizers in connect
// and connect_reply (cephx), the challenge round trip, and the session
// key that then signs each message. Config.Auth nil is auth none. Its
// methods run on event loops and must not block.
type Auth interface {
	// ClientAuthorizer is what to present to a peer of type peerType on
	// connecting; nil and no error: present nothing.
	ClientAuthorizer(peerType uint8) (ClientAuthorizer, error)
	// VerifyAuthorizer checks what a connecting peer presented (protocol
	// 0 and no bytes when it presented nothing). challenge says the peer
	// can answer a challenge (it has CEPHX_V2); state is this handshake's
	// to keep the challenge in. An error refuses the peer
	// (BADAUTHORIZER).
	VerifyAuthorizer(peerType uint8, protocol uint32, authorizer []byte, challenge bool, state *any) (AuthResult, error)
}

// ClientAuthorizer is one authorizer, for one connect.
type ClientAuthorizer interface {
	Protocol() uint32
	Bytes() []byte
	// AddChallenge answers the server's challenge: Bytes changes.
	AddChallenge(challenge []byte) error
	// VerifyReply checks the server's proof and returns what signs the
	// session's messages (nil: unsigned).
	VerifyReply(reply []byte) (Signer, error)
}

// AuthResult is a peer's authorizer accepted, or challenged.
type AuthResult struct {
	Reply     []byte // sent back in connect_reply
	Challenge bool   // Reply is a challenge: the peer sends its authorizer again
	Signer    Signer // nil: the session's messages are not signed
	Peer      any    // what the peer proved (its ticket): Connection.AuthInfo
}

// Signer signs and checks messages with a session key.
type Signer interface {
	Sign(features uint64, f SignFields) (uint64, error)
}

// SignFields are what a message signature covers.
type SignFields struct {
	HeaderCRC                    uint32
	FrontCRC, MiddleCRC, DataCRC uint32
	FrontLen, MiddleLen, DataLen uint32
	Seq                          uint64
}

// AuthInfo is what the peer proved when it connected (Auth's
// AuthResult.Peer), or nil.
func (c *Connection) AuthInfo() any {
	if p := c.authInfo.Load(); p != nil {
		return *p
	}
	return nil
}

// signFields is what the signature of the message with header h (whose
// crc is headerCRC) and footer f covers.
func signFields(h *wire.Header, headerCRC uint32, f *wire.Footer) SignFields {
	return SignFields{HeaderCRC: headerCRC, FrontCRC: f.FrontCRC,
		MiddleCRC: f.MiddleCRC, DataCRC: f.DataCRC, FrontLen: h.FrontLen, MiddleLen: h.MiddleLen,
		DataLen: h.DataLen, Seq: h.Seq}
}

// signs reports whether this session's messages are signed. Loop only.
func (c *Connection) signs() bool {
	return c.signer != nil && c.features.Load()&wire.FeatureMsgAuth != 0
}

// sign signs an outgoing message of a signed session: head is its
// encoded head (tag and header, the crc last). Loop only.
func (c *Connection) sign(h *wire.Header, head []byte, f *wire.Footer) error {
	sig, err := c.signer.Sign(c.features.Load(), signFields(h, binary.LittleEndian.Uint32(head[len(head)-4:]), f))
	if err != nil {
		return fmt.Errorf("%w: sign: %v", ErrAuth, err)
	}
	f.Sig = sig
	f.Flags |= wire.FooterSigned
	return nil
}

// checkSignature refuses an incoming message of a signed session whose
// signature does not match. Loop only.
func (c *Connection) checkSignature(h *wire.Header, f *wire.Footer) error {
	if !c.signs() {
		return nil
	}
	// The parser checked the header crc but keeps it not: encode again.
	var head [wire.MsgHeadLen]byte
	b := wire.AppendMessageHead(head[:0], h)
	sig, err := c.signer.Sign(c.features.Load(), signFields(h, binary.LittleEndian.Uint32(b[len(b)-4:]), f))
	if err != nil {
		return fmt.Errorf("%w: check signature: %v", ErrAuth, err)
	}
	if sig != f.Sig {
		return fmt.Errorf("%w: message seq %d type %#x: signature does not match", ErrAuth, h.Seq, h.Type)
	}
	return nil
}
