package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Decoders and the Parser wrap them with %w, so test with
// errors.Is.
var (
	ErrShort      = errors.New("wire: input too short")
	ErrBadBanner  = errors.New("wire: bad banner")
	ErrBadAddr    = errors.New("wire: bad address")
	ErrUnknownTag = errors.New("wire: unknown tag")
	ErrHeaderCRC  = errors.New("wire: bad header crc")
	ErrFrontCRC   = errors.New("wire: bad front crc")
	ErrMiddleCRC  = errors.New("wire: bad middle crc")
	ErrDataCRC    = errors.New("wire: bad data crc")
	ErrTooLarge   = errors.New("wire: length over limit")
	ErrUnexpected = errors.New("wire: bytes arrived while nothing was expected")
	ErrBadExpect  = errors.New("wire: invalid expectation")
)

// ParseError is what a Parser returns for bad input: the sentinel (Err), the
// item being read and the stream offset of its first byte. After a
// ParseError the Parser is broken and returns the same error until Reset.
type ParseError struct {
	State  string // what was being read, e.g. "msg header"
	Offset int64  // stream offset of the first byte of the frame in error
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%v (reading %s at stream offset %d)", e.Err, e.State, e.Offset)
}

func (e *ParseError) Unwrap() error { return e.Err }

var _ error = (*ParseError)(nil)
