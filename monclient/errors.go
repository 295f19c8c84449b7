package monclient

import (
	"errors"
	"fmt"
)

var (
	// ErrUnreachable is a mon that does not answer in time.
	ErrUnreachable = errors.New("monclient: no answer from the mon")
	// ErrAuth is a mon that refused this client's authentication.
	ErrAuth = errors.New("monclient: authentication refused")
	// ErrInvalid is a request the client cannot send as given.
	ErrInvalid = errors.New("monclient: invalid request")
	// ErrClosed is a client used after Close.
	ErrClosed = errors.New("monclient: closed")
)

// errSessionClosed: the mon closed or refused the connection before the
// session was authenticated (it also wraps ErrUnreachable).
var errSessionClosed = fmt.Errorf("connection refused or closed: %w", ErrUnreachable)
