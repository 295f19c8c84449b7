package cephx

import "errors"

var (
	// ErrBadKey is a key that is not an AES-128 CryptoKey.
	ErrBadKey = errors.New("cephx: bad key")
	// ErrDecrypt is a ciphertext that does not open with the key given:
	// the wrong key, or tampered bytes.
	ErrDecrypt = errors.New("cephx: cannot decrypt (wrong key or corrupt data)")
	// ErrMalformed is a cephx structure that does not decode.
	ErrMalformed = errors.New("cephx: malformed")
	// ErrDenied is the mon refusing to authenticate (a wrong key, an
	// unknown entity) or a peer's authorizer refused.
	ErrDenied = errors.New("cephx: permission denied")
	// ErrNoTicket is an authorizer asked for a service with no ticket.
	ErrNoTicket = errors.New("cephx: no ticket for the service")
	// ErrNoSecret is a ticket sealed with a rotating secret this service
	// does not hold (yet).
	ErrNoSecret = errors.New("cephx: no such service secret")
	// ErrKeyring is a keyring file that cannot be read.
	ErrKeyring = errors.New("cephx: keyring")
)
