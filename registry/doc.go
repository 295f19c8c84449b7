// Package registry is gomgr's module host, after Ceph's PyModuleRegistry
// and ActivePyModules, usable by any Go program (issue #7): it discovers
// modules through Sources (Python modules, Go plugins: the registry does
// not know which), starts and stops them at runtime, fans events out to
// them, routes their commands, hands each a Host bound to the application's
// State and Store, and aggregates their health checks.
//
// A few lines host modules in any program:
//
//	st := registry.NewMemState()
//	reg, _ := registry.New(registry.Config{Sources: srcs, State: st})
//	_ = reg.Load(ctx)                   // open every module, as Ceph imports all at start
//	_ = reg.Enable(ctx, "hello")        // or SetEnabled(ctx, names) on each map change
//	st.Set("jobs", map[string]any{...}) // what get("jobs") returns
//	reg.NotifyAll("jobs", "")           // kinds and names are the application's
//	res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "hello"}})
//	_ = reg.Close(ctx)
//
// # What it owns
//
// The Registry owns the module table (one entry per module name: its
// Source, declaration, enabled flag, state, counters and health checks),
// guarded by one mutex that is never held while module code runs. Each
// started module has a runner: a bounded event queue and one goroutine,
// the only one that calls that Module's Start, Notify, Command, Stop and
// Failed, never concurrently, as the Module contract requires. A
// supervisor goroutine pushes health changes to Config.HealthSink, finds
// calls stuck past their deadline, and logs queue drops at most once a
// second per module.
//
// # Concurrency contract
//
// Safe from any goroutine, at any time: every exported method of Registry,
// MemState and MemStore, and every Host method.
//
// Never blocks on a module: NotifyAll (a short lock per module queue),
// Enable (the module starts on its own goroutine; events sent after Enable
// returns are queued for it), Modules, Stats, Commands, HealthChecks.
//
// Blocks: Load (opens modules, bounded by StartDeadline each);
// Disable, SetEnabled, SetStandby and Close (wait for the modules they stop: any call
// in flight, then Stop with StopDeadline; a module that does not stop in
// time is abandoned and ErrStopTimeout returned); HandleCommand (waits for
// the module to finish a Notify in flight, then for the command, bounded
// by ctx and CommandDeadline).
//
// Order: each module receives its events in NotifyAll order, in batches of
// at most BatchMax, filtered by its NOTIFY_TYPES (none when empty, as
// Ceph). Events from concurrent NotifyAll callers are ordered as they
// reach each queue, so two concurrent calls may reach two modules in
// different orders: serialize NotifyAll if that matters. Commands run
// between batches. There is no order across modules: a slow module never
// delays another.
//
// Overflow: a module's queue holds QueueLen events. When it is full, an
// event whose (kind, id) is already queued and not yet delivered is
// coalesced into it (the module reads the latest state anyway); a new
// event is dropped. Both are counted in Stats and logged.
//
// # Failure isolation
//
// A Notify or Command error is logged with the module's text (a Python
// traceback) and counted; the module keeps running. A Start error marks the
// module failed and stops it. Module.Failed non-nil (serve raised, the
// plugin crashed; polled on the module's goroutine after every call and
// every PollInterval) marks it failed: it gets no more events (counted as
// discarded) or commands until Failed turns nil again (a plugin that
// restarted) or it is disabled, which calls Stop, as Ceph keeps a failed
// module until it is disabled. Both raise MGR_MODULE_ERROR while the module
// stays enabled.
//
// A crash is different: when Failed wraps ErrCrashed (an isolated Python
// module's process died: kill -9, stack overflow, memory limit), the
// runner stops the dead instance and, after Config.Restart's backoff
// (100ms doubling to 5s by default; state "restarting", commands refused
// with ErrNotRunning, events discarded, no health check), opens and starts
// a fresh one on the same goroutine with a new Host. The Limit-th crash
// within the Window (5 in 60s by default; a failed reopen or Start counts)
// holds it failed with MGR_MODULE_ERROR and the last crash's reason (exit
// status or signal, stderr's crash line or last lines). Enable of an
// enabled module that has failed, held or otherwise, retries it with a
// fresh instance and a fresh count. Go plugins restart their own process
// inside their Module (Failed is non-nil meanwhile, then nil again) with
// the same rule (RestartPolicy.Backoff, their own limits).
//
// A call past its deadline (its context done, or ErrStuck) raises
// MGR_MODULE_STUCK and the registry stops the module; if Stop hangs too,
// or a call has not returned StopDeadline after its deadline, the module
// is marked failed (MGR_MODULE_ERROR) and abandoned. Panics in Source and
// Module methods are recovered (ErrPanic). An enabled module whose can_run
// is false raises MGR_MODULE_DEPENDENCY.
//
// Disabling a module clears its checks; Disable then Enable restarts a
// failed or stopped module with a freshly opened instance (a Module is
// started once; the new instance's declaration replaces the old one).
// Right after Disable, a spare instance is opened in the background (as
// Load keeps one of every module), so enabling again costs Start, not Open
// (a process launch for a plugin). Rescan retries unloadable and
// cannot-run modules. Close calls Stop also
// on modules that were opened but never started, so that what Open
// acquired (a plugin process) is released.
//
// # Host
//
// Each started module gets its own Host: State reads pass through;
// get_store keys and module options live in Store under
// "mgr/<module>/<key>", as Ceph's config-keys; options are validated
// against the module's Option declarations (ParseOption) and read back
// typed, or as their default when unset; Log goes to Config.Logger with
// field module=<name>.
package registry
