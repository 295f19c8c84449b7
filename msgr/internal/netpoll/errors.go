package netpoll

import "errors"

// ErrClosed is returned by a Poller used after Close.
var ErrClosed = errors.New("netpoll: poller closed")
