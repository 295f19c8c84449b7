package msgrbench

import "errors"

// Sentinel errors.
var (
	ErrBadOption = errors.New("msgrbench: bad option")
	ErrClient    = errors.New("msgrbench: client process failed")
	ErrHandshake = errors.New("msgrbench: handshake failed")
)
