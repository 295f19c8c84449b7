// Package modules runs Python manager modules, written against Ceph's
// mgr_module API, on the embedded gpython interpreter. NewSource is the
// registry.Source of kind "python": it finds <dir>/<name>/module.py and
// opens each as a registry.Module.
//
// # Goroutines and ownership
//
// Each module has one gpython context and one owner goroutine, started by
// Open and ended by Stop. gpython contexts are single-goroutine, so the
// owner alone touches the context, the module instance, the get() cache
// and the Host (from Python calls). Every other goroutine posts a job (a
// closure) on the module's unbuffered job channel and waits for its result
// or its context: Start, Notify, Command and Stop all do. Info and Failed
// read immutable or atomic state and are safe from any goroutine.
//
// # serve() shares the goroutine with notify() and commands
//
// There is no second interpreter for serve(): Start posts serve() as a job
// the owner runs until it returns. While it runs, the owner processes
// other jobs only when serve() blocks in the host's cooperative wait:
// threading.Event().wait(t), time.sleep(t) or self.wait(t). That wait
// runs queued notify and command jobs on the same goroutine (nested calls
// into the same interpreter, as Ceph's threads would interleave) until the
// event is set or the time is up, then returns to serve(). So `self` is
// shared, no lock is needed, and a serve() that never waits delays every
// notify until it does (their callers get registry.ErrStuck at their
// deadline). Waits inside notify() or a command just sleep. Stop posts
// shutdown(); the wait serve() is in then returns, and any later wait in
// serve() raises SystemExit so a loop that ignores shutdown() still ends.
//
// # Runaway code
//
// gpython cannot be interrupted. A Notify or Command whose code is still
// running when its ctx ends returns an error wrapping registry.ErrStuck;
// the owner goroutine stays busy, later calls fail fast with the same
// error, and Failed reports it until the code returns (if ever). Go panics
// inside gpython become errors. Infinite recursion overflows the Go stack,
// a fatal error no recover can catch, and unbounded allocation exhausts the
// process: in-process mode cannot survive either. modules/isolate runs a
// Source in a child process the host can kill; this package keeps no
// process-wide state per manager so that works (the additions to
// gpython's built-in types are made once at init and are the same for
// everyone).
//
// # Values
//
// get(name) converts a registry.Value to Python once per (name, Version)
// per module and returns the same object on later calls (a shared object,
// not a copy: modules must treat it as read-only; a change is visible to
// that module's later get() calls of the same version, never to other
// modules). Data may hold map[string]any, []any, string, bool, nil,
// float64, int, int64, uint64 and json.Number. ReleaseValues drops the
// converted objects (a module process does once they go unused).
//
// # Remote calls
//
// self.remote() and calls from other modules (registry.RemoteModule) carry
// the pickle of (args, kwargs) and a status byte before the pickled result,
// as CPython modules do (modules/cpython), so the two runtimes call each
// other; only plain data crosses (internal/pickle). An incoming call runs
// on the owner goroutine like a command.
//
// # Sandbox
//
// Unless Config.AllowOS names the module, open() and input() are removed
// from its builtins and importing os, tempfile or glob raises ImportError;
// imports resolve only in the module's own directory.
package modules
