package cephconf

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers match them with errors.Is; messages carry the
// details (file, line, value) through %w wrapping.
var (
	// ErrSyntax: the file is not one that Ceph 16.2 would read. The error
	// is a *SyntaxError.
	ErrSyntax = errors.New("cephconf: syntax error")
	// ErrNotSet: no section searched sets the key.
	ErrNotSet = errors.New("cephconf: not set")
	// ErrInvalid: the value is set but Ceph could not use it (an fsid that
	// is not a UUID, a mon_host that does not parse or resolve).
	ErrInvalid = errors.New("cephconf: invalid value")
	// ErrNoV1Addr: mon_host parses but names no msgr v1 address.
	ErrNoV1Addr = errors.New("cephconf: no msgr v1 mon address")
	// ErrNoKeyring: none of the keyring paths exists.
	ErrNoKeyring = errors.New("cephconf: no keyring")
)

// SyntaxError is where and why Ceph would refuse a ceph.conf.
type SyntaxError struct {
	File string // as given to Load; "" after Parse
	Line int    // 1-based; "\n", "\r\n" and "\r" end a line, as in Ceph
	Col  int    // 1-based, in bytes
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("cephconf: line %d, column %d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("cephconf: %s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) hold.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }
