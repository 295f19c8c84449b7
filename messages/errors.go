package messages

import "errors"

// Sentinel errors. Decoding errors wrap one of these with the field or offset
// that failed, so callers test with errors.Is.
var (
	// ErrTruncated means the input ended before a field did.
	ErrTruncated = errors.New("messages: truncated input")
	// ErrMalformed means a field holds a value the encoding forbids
	// (a bad marker, an impossible length, an unknown address family).
	ErrMalformed = errors.New("messages: malformed input")
	// ErrIncompatible means a struct or message needs a newer decoder than
	// this one (its compat version is above what gomgr understands).
	ErrIncompatible = errors.New("messages: incompatible version")
	// ErrUnknownType means Decode was handed a message type it has no
	// payload for.
	ErrUnknownType = errors.New("messages: unknown message type")
	// ErrNotJSON means a map was asked for as JSON but carries Ceph's binary
	// encoding instead.
	ErrNotJSON = errors.New("messages: map is not in gomgr's JSON form")
)
