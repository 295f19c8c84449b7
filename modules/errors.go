package modules

import "errors"

var (
	// ErrNoModule is returned by Open for a name no configured directory holds.
	ErrNoModule = errors.New("modules: no such module")
	// ErrLoad wraps a module that cannot be compiled or imported; the
	// error text carries the Python traceback.
	ErrLoad = errors.New("modules: cannot load module")
	// ErrNoClass is returned by Open when module.py defines no MgrModule subclass.
	ErrNoClass = errors.New("modules: module.py defines no MgrModule subclass")
	// ErrPython wraps an exception raised by module code; the error text
	// carries the Python traceback (file and line).
	ErrPython = errors.New("modules: python exception")
	// ErrStopped is returned by calls made after Stop, or after the module's
	// owner goroutine ended.
	ErrStopped = errors.New("modules: module stopped")
	// ErrNotStarted is returned by Notify and Command before Start.
	ErrNotStarted = errors.New("modules: module not started")
	// ErrServe is reported by Failed when serve() raised.
	ErrServe = errors.New("modules: serve() raised")
	// ErrBadResult is returned when a module returns a value of the wrong
	// shape (handle_command not returning (int, str, str), ...).
	ErrBadResult = errors.New("modules: bad return value")
)
