package host

import "errors"

var (
	// ErrUnknownDaemon is a report from a daemon that never opened a session.
	ErrUnknownDaemon = errors.New("host: report from unknown daemon")
	// ErrReportMismatch is a report whose values do not match its schema.
	ErrReportMismatch = errors.New("host: report values do not match declared counters")
)

var (
	// ErrBadDaemonName is a daemon name that is not "<type>.<id>".
	ErrBadDaemonName = errors.New("host: bad daemon name")
	// ErrMonCommand is a mon command that failed.
	ErrMonCommand = errors.New("host: mon command failed")
)
