// Package isolate runs each module of a registry.Source in its own child
// process, so that runaway module code (a `while True: pass`, infinite
// recursion, which is a fatal Go stack overflow under gpython, unbounded
// allocation) can be killed by the host and can neither take down the
// manager nor stall other modules.
//
// # Parent and child
//
// NewSource wraps a Source: its Scan is the inner Source's, and its Open
// starts one child process per module (by default the running executable
// again, marked by environment variables) and returns a registry.Module
// proxy. The child is the same program: an embedder calls MaybeRunChild at
// the top of main (tests call it from TestMain); in a child it opens the one
// module with the inner Source, serves it and exits, otherwise it returns
// false at once.
//
// # The stream
//
// The protocol is documented, language-neutral, in docs/module-protocol.md:
// a CPython child (modules/cpython) speaks it too, against this same parent
// code. Parent and child talk over one socketpair passed as fd 3 (the child's
// stdout and stderr stay free for logs, forwarded to logrus with the module's
// name). Frames are length-prefixed and carry a request id, so calls flow in
// both directions at once: the parent calls Start, Notify, Command and Stop;
// the child calls every registry.Host method back. Payloads use a small
// hand-written binary encoding (no reflection on the hot paths: events,
// get(), counters), with typed values so that command arguments and option
// values keep their Go types (int64 stays int64); get() ships the Value's own
// JSON bytes, and servers and perf schemas, which hold only plain structs, are
// JSON. gob was not chosen: its `any` fields need registered types, and its
// per-stream type state makes frames depend on each other, so a frame could
// not be decoded (or fuzzed) alone.
//
// One call is the parent's own, not the Host's: osdmap_calc
// (osdmapcalc.go) computes what Ceph's OSDMap computes with CRUSH
// (calc_pg_upmaps, PG placement) with package crush, for the map the child
// sends, since a module's map is not always the cluster's.
//
// get(name) is cheap when repeated: the child keeps the last *registry.Value
// per name and sends its version; the parent answers "unchanged", or the new
// version's JSON, encoded once per name and version for all the Source's
// children. The child decodes it (parseJSON: integers exact as int64) once
// and keeps the *registry.Value, so the engine's per-version conversion cache
// keeps working, while the module uses it: a Value no get() asked for in
// Config.ReleaseAfter is dropped, with the module's conversions of it
// (ReleaseValues), and the memory goes back to the system. A module process
// holds the cluster's maps only while it works with them; the parent holds
// one encoded copy for all.
//
// # Fork server
//
// With Config.ForkServer, module processes are not started by the manager
// but forked, on request, by one server process that loaded what they
// share (modules/cpython: python3 with Ceph's mgr_module imported), so
// those pages are shared: PSS, not RSS, is what a module costs. The server
// is started at the first Open with a module process's confinement, which
// its children inherit, and restarted after it dies (its children die
// with it and are restarted as crashes). Its children are not ours: the
// server sends a pidfd of each, which kills without a pid race, and
// reports how each ended (forkserver.go; docs/module-protocol.md).
//
// # Deadlines and death
//
// When a Start, Notify, Command or Stop context ends before the child
// answers, the parent kills the child with SIGKILL, Failed reports why
// ("notify exceeded 5s deadline; module process killed") and the call's
// error wraps registry.ErrStuck, ctx.Err() and ErrKilled. The child sees
// its deadlines a little later than the parent (childGrace), so that the
// parent's kill and its reason come first; an inner module that gives up on
// its own code with ErrStuck is killed too. A child that dies on its own is
// seen at once (its stream ends, its exit status is collected), and Failed
// reports the exit status and a reason read from its stderr ("stack
// overflow (infinite recursion?)", "panic: ..."). The parent polls the
// child's resident memory and kills it over Config.MemoryLimitBytes; the
// child sets a Go soft memory limit at 3/4 of it, so a module that only
// churns garbage is collected in time, and a small maximum stack, so
// infinite recursion dies within a second. The inner module's own Failed
// (serve raised) is polled in the child and pushed to the parent.
//
// A Module is one process and is not restarted in place: a process that
// ended on its own or went over its memory limit makes Failed wrap
// registry.ErrCrashed (besides ErrExited or ErrKilled), and the registry
// then opens a fresh Module (a new process) with backoff and holds it
// failed after too many crashes (registry.RestartPolicy). A deadline kill
// wraps registry.ErrStuck instead (the registry stops the module), and an
// exception from serve() or notify() is no crash.
//
// The child dies with the parent (Pdeathsig; children are forked from
// threads that never exit, since the signal follows the forking thread) and
// also exits when its stream ends; it runs in its own process group, so a
// terminal's Ctrl-C reaches only the manager, which stops its modules.
//
// Confinement: children inherit no_new_privs (they are forked from
// spawner threads that set it), get RLIMIT_NOFILE and RLIMIT_CORE (and
// RLIMIT_NPROC when they run as Config.User) before module code runs, and
// run as Config.User when the manager is root. Stop always reaps the process:
// no zombie, no descriptor left behind.
//
// # Goroutines
//
// Per Module, in the parent: one stream reader (it matches answers to
// waiting callers by id, applies the child's logs and health checks in
// stream order, and starts one goroutine per host call, since a Store call
// may block on IO); one reaper, which alone calls Wait and closes Exited
// only after the reader and the output forwarders have drained, so every
// frame and line the child wrote is handled first (a forked module's
// reaper waits for the server's report); two goroutines
// forwarding stdout and stderr to logrus; one memory watchdog. There is no
// writer goroutine: a sender writes on its own goroutine when the stream is
// free, or queues its frame for the goroutine writing (a write that cannot
// finish in writeTimeout closes the stream). Two package-wide spawner
// goroutines, locked to their threads for good, fork the children. In the
// child: one stream
// reader, one goroutine per parent call, one Failed poller, one releaser of
// idle Values. Per fork server: one control reader, one stderr forwarder. All exported
// methods are safe from any goroutine; the registry calls Start, Notify,
// Command and Stop from one.
package isolate
