package registry

import "errors"

var (
	// ErrNoData is returned by State.Get for a name it does not know.
	ErrNoData = errors.New("registry: no such data")
	// ErrStuck is returned by Module.Notify or Command when the module's code
	// is still running after ctx ended and cannot be stopped in place.
	ErrStuck = errors.New("registry: module code did not stop at its deadline")
	// ErrUnknownOption is returned for an option the module did not declare.
	ErrUnknownOption = errors.New("registry: unknown module option")
	// ErrInvalidOption is returned for a value its declaration refuses.
	ErrInvalidOption = errors.New("registry: invalid option value")
)

// Errors of the registry itself (added with the Registry implementation).
var (
	// ErrUnknownModule is returned for a name no Source provides.
	ErrUnknownModule = errors.New("registry: unknown module")
	// ErrAlwaysOn is returned by Disable for an always-on module.
	ErrAlwaysOn = errors.New("registry: module is always on")
	// ErrUnknownCommand is returned by HandleCommand for a prefix no module declares.
	ErrUnknownCommand = errors.New("registry: unknown command")
	// ErrNotEnabled is returned by HandleCommand when the command's module is disabled.
	ErrNotEnabled = errors.New("registry: module not enabled")
	// ErrNotRunning is returned by HandleCommand when the command's module
	// is enabled but not running (failed, stopped, cannot run, unloadable).
	ErrNotRunning = errors.New("registry: module not running")
	// ErrStopTimeout is returned by Disable, SetEnabled and Close when a
	// module did not stop in time and was abandoned.
	ErrStopTimeout = errors.New("registry: module did not stop in time")
	// ErrPanic wraps a panic raised by a Source or Module method.
	ErrPanic = errors.New("registry: module panicked")
	// ErrStandby is returned by HandleCommand on a registry in the standby
	// role: modules answer commands on the active mgr only.
	ErrStandby = errors.New("registry: standby: commands run on the active mgr")
	// ErrCrashed is wrapped by a Module's Failed when the module's process
	// ended on its own (a crash, a kill -9, a memory limit): the instance is
	// dead but a fresh one may run. The registry then restarts the module
	// from a freshly opened instance with backoff, and holds it failed after
	// Config.Restart.Limit crashes within Config.Restart.Window. A module
	// that only raised (serve(), notify()) does not wrap it.
	ErrCrashed = errors.New("registry: module process crashed")
	// ErrNotSupported is returned for a call the application does not
	// serve (a command to a daemon without a Config.Cluster).
	ErrNotSupported = errors.New("registry: not supported by this host")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("registry: closed")
)

// ErrBadArgs is a command line that does not fit the command's signature.
var ErrBadArgs = errors.New("registry: bad command arguments")
