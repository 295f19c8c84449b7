package isolate

import "errors"

var (
	// ErrKilled is wrapped by Failed() and by call errors when the host killed
	// the module process (a deadline passed, the memory limit was exceeded).
	ErrKilled = errors.New("isolate: module process killed")
	// ErrExited is wrapped by Failed() when the module process ended on its
	// own: a crash (stack overflow, out of memory, panic, a kill -9 from
	// outside) or an exit. It comes with registry.ErrCrashed, so that the
	// registry restarts the module from a fresh process.
	ErrExited = errors.New("isolate: module process exited")
	// ErrMemoryLimit is wrapped, with ErrKilled, when the process's resident
	// memory went over Config.MemoryLimitBytes (and registry.ErrCrashed:
	// the registry restarts such a module as a crashed one).
	ErrMemoryLimit = errors.New("isolate: module process exceeded its memory limit")
	// ErrClosed is returned by calls on a stream that has been closed.
	ErrClosed = errors.New("isolate: module stream closed")
	// ErrProtocol is returned for a malformed frame or payload.
	ErrProtocol = errors.New("isolate: protocol error")
	// ErrNotChild is returned by ServeChild in a process that the host did
	// not start as a module child.
	ErrNotChild = errors.New("isolate: not started as a module child")
	// ErrStart is wrapped when the module process cannot be started or does
	// not report its module in time.
	ErrStart = errors.New("isolate: cannot start module process")
)
