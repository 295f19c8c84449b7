package plugins

import "errors"

var (
	// ErrChecksum is returned by Open and by restarts when the binary's
	// SHA-256 differs from the hash pinned when the module was enabled.
	// Source.Repin accepts the new binary.
	ErrChecksum = errors.New("plugins: plugin binary changed since it was pinned")
	// ErrHandshake is returned by Open when the process did not complete
	// go-plugin's handshake (it printed something else on stdout first, it
	// exited, it is not a gomgr plugin).
	ErrHandshake = errors.New("plugins: plugin handshake failed")
	// ErrNotFound is returned by Open for a name that is not an executable
	// in the plugin directory.
	ErrNotFound = errors.New("plugins: no such plugin")
	// ErrDeclare is returned by Open when the plugin's declaration is
	// invalid (empty name, a name that differs from its file name).
	ErrDeclare = errors.New("plugins: invalid plugin declaration")
	// ErrCrashed is wrapped by Failed while a crashed plugin is restarting.
	ErrCrashed = errors.New("plugins: plugin process crashed")
	// ErrCrashLoop is wrapped by Failed once a plugin crashed CrashLimit
	// times within CrashWindow: it is not restarted again.
	ErrCrashLoop = errors.New("plugins: plugin crashed too often, not restarted")
	// ErrNotRunning is returned by Notify and Command while no process is
	// running (restarting after a crash, stopped, given up).
	ErrNotRunning = errors.New("plugins: plugin process not running")
	// ErrUnresponsive is wrapped by Failed when the process stopped
	// answering the liveness ping (frozen with SIGSTOP, deadlocked).
	ErrUnresponsive = errors.New("plugins: plugin process unresponsive")
	// ErrStopped is returned by calls on a module after Stop.
	ErrStopped = errors.New("plugins: module stopped")
	// ErrNoCommand is returned to a plugin's host by the SDK when the plugin
	// declared commands but does not implement CommandHandler.
	ErrNoCommand = errors.New("plugins: plugin does not handle commands")
	// ErrNotStarted is returned by SDK host calls made before Start.
	ErrNotStarted = errors.New("plugins: host not connected yet")
)
