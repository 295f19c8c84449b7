package msgr

import "errors"

// Sentinel errors. Wrapped with %w; test with errors.Is.
var (
	ErrClosed       = errors.New("msgr: connection closed")
	ErrShutdown     = errors.New("msgr: messenger shut down")
	ErrNotStarted   = errors.New("msgr: messenger not started")
	ErrStarted      = errors.New("msgr: messenger already started")
	ErrBadAddr      = errors.New("msgr: bad address")
	ErrNoDispatcher = errors.New("msgr: no dispatcher configured")
	ErrTooLarge     = errors.New("msgr: message over the size limit")
	ErrProtocol     = errors.New("msgr: protocol error")
	ErrHandshake    = errors.New("msgr: handshake failed")
	ErrTimeout      = errors.New("msgr: timed out")
	ErrInjected     = errors.New("msgr: injected socket failure")
	ErrPeerClosed   = errors.New("msgr: peer closed the connection")
	ErrRefused      = errors.New("msgr: peer refused the session")
	ErrAuth         = errors.New("msgr: authentication failed")
	errMigrated     = errors.New("msgr: connection moved to another loop")    // internal control flow
	errGone         = errors.New("msgr: connection lost its socket")          // internal control flow
	errReplaced     = errors.New("msgr: socket adopted by existing session")  // internal control flow
	errHeld         = errors.New("msgr: connection held at a message header") // internal control flow
)
