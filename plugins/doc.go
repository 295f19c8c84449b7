// Package plugins runs gomgr modules written in Go as separate processes,
// with hashicorp/go-plugin over gRPC. It owns three things:
//
//   - the protocol (proto/plugin.proto, generated code committed; `make
//     proto` runs proto/gen.sh): the Plugin service the plugin serves
//     (Declare, Start, a long-lived bidirectional Notify stream carrying
//     batches of events and their acks, Command, Shutdown) and the Host
//     service the manager serves back over go-plugin's GRPCBroker,
//     multiplexed on the same connection (get with an if-not-version
//     shortcut, list_servers, metadata, counters, perf schema, options,
//     store, health checks, log);
//   - the host side: NewSource returns a registry.Source of kind "go" whose
//     modules are the executables in a directory, and whose
//     registry.Module starts, watches, restarts and stops the process;
//   - the SDK a plugin author imports: Serve(p) with the small Plugin
//     interface, the optional Server, Notifier, BatchNotifier and
//     CommandHandler, and the *Host handle.
//
// # Lifecycle (host side)
//
// Open hashes the binary (go-plugin SecureConfig, against the pin; see
// Source), starts the process with Pdeathsig=SIGKILL, completes the
// handshake (AutoMTLS unless Config.DisableAutoMTLS) and reads the
// declaration. Start reuses that process, serves the Host and calls the
// plugin's Start. A process that exits or panics, that does not ack a ping
// within Config.PingTimeout (SIGSTOP), or whose Notify/Command outlives
// the caller's ctx (which then returns an error wrapping registry.ErrStuck)
// is killed with SIGKILL and restarted, with the same Host, after
// BackoffBase*2^(n-1) (capped); Failed() is non-nil from the failure until
// the restart succeeded. After CrashLimit failures within CrashWindow, or
// when the binary changed, Failed() wraps ErrCrashLoop or ErrChecksum and
// the module is not restarted again. Stop calls Shutdown, then go-plugin's
// Kill bounded by KillTimeout, then SIGKILL.
//
// A manager killed with SIGKILL takes its plugins with it (Pdeathsig,
// forked from threads that never exit, see spawn.go; the SDK also exits
// when its parent changes). Their unix sockets live in
// Config.SocketDir/<manager pid>/<per process>: the SDK unlinks its
// socket once the manager is connected (with go-plugin's multiplexing
// nothing dials the path again), each process's directory is removed when
// the process is reaped, and NewSource removes the directories of dead
// managers.
//
// # Concurrency
//
// Source is safe from any goroutine. A Module is driven by the registry's
// goroutine (Start, Notify, Command, Stop, never concurrently, as
// registry.Module requires); Info and Failed are safe from any goroutine.
// Behind each module, per process: one goroutine reads acks from the
// notify stream (and reports the exit), one pings, go-plugin runs its
// own (stdout/stderr readers, process wait), gRPC serves the Host on its
// goroutines, and restart timers run on theirs. module.mu guards the
// module's state (current process, failure count); proc.sendMu serialises
// sends on the stream; proc.mu guards the pending acks. Lock order:
// proc.sendMu before proc.mu; module.mu is never held while calling into
// a process.
//
// In the plugin process, the SDK calls Declare once, Init once at Start,
// Serve on its own goroutine, notifications on one goroutine in order,
// HandleCommand on gRPC's goroutines (concurrently with notifications),
// and Shutdown once. *Host is safe from any goroutine.
//
// Plugin output: hclog lines (go-plugin's and the plugin's, on stderr)
// and the plugin's os.Stdout/os.Stderr after the handshake go to logrus
// with the field module=<name>. A plugin must print nothing on stdout
// before Serve: go-plugin reads the handshake from the first line, and
// Open reports anything else as ErrHandshake quoting the line.
package plugins
