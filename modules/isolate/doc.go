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
// Parent and child talk over one socketpair passed as fd 3 (the child's
// stdout and stderr stay free for logs, forwarded to logrus with the module's
// name). Frames are length-prefixed and carry a request id, so calls flow in
// both directions at once: the parent calls Start, Notify, Command and Stop;
// the child calls every registry.Host method back. Hot payloads (events,
// get()) use a small hand-written binary encoding, and get() ships the
// Value's own JSON bytes, computed once per version for all children; the
// struct-only replies (servers, counters, perf schemas) are JSON. gob was not
// chosen: its `any` fields need registered types and its per-stream type state
// makes frames depend on each other.
//
// get(name) is cheap when repeated: the child keeps the last *registry.Value
// per name and sends its version; the parent answers "unchanged" or the new
// version's JSON.
//
// # Deadlines and death
//
// When a Notify, Command, Start or Stop context ends before the child
// answers, the parent kills the child with SIGKILL and Failed reports why. A
// child that dies on its own is seen at once (its stream ends, its exit status
// is collected), and Failed reports the exit status and a reason read from its
// stderr ("stack overflow (infinite recursion?)"). The parent polls the
// child's resident memory and kills it over Config.MemoryLimitBytes; the child
// sets a soft Go memory limit below it and a small maximum stack so infinite
// recursion dies fast. The child dies with the parent (Pdeathsig) and exits
// when its stream closes.
//
// # Goroutines
//
// Each proxy owns: one stream reader goroutine (answers are matched to
// waiting callers by id; the child's host calls each run in their own
// goroutine, its logs and health checks are applied in order on the reader),
// one reaper goroutine that alone calls Wait on the process, two goroutines
// forwarding stdout and stderr, and one memory watchdog. Writes to the
// stream are serialised by a mutex. All proxy methods are safe from any
// goroutine; the registry calls Start, Notify, Command and Stop from one.
package isolate
