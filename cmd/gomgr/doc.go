// Command gomgr is the one binary of gomgr: the demo, the daemons (mon,
// mgr, sim), the operator CLI and the benchmarks. It only parses flags and
// wires packages together; the logic lives in the packages.
//
// # Commands
//
// Each file registers its commands (a path of words, its flags, a run
// function) in an init function; main finds the longest registered path
// that prefixes the arguments. Words that are no command of gomgr's go to
// the cluster, as with ceph.
//
// # Child roles
//
// gomgr also runs its own executable as helper processes: a Python
// module's process, the load generator of `bench msgr`, the mgr and the
// simulated cluster of `bench mgr`, the plugin of `bench plugins`. Each is
// a child role, listed in one table (childRoles, roles.go) and named by
// the process's argv[0]: gomgr-module, gomgr-msgr-client, gomgr-simbench,
// gomgr-bench-plugin. main looks argv[0] up before anything else; a name
// that is no role's is gomgr itself. Launchers start a role with
// childCommand (this executable, argv[0] set to the role), or, where a
// package starts the process, by handing it the role's name
// (msgrbench.Options.Argv0, simbench.Options.RoleArgv0); go-plugin, which
// runs a plugin file with no arguments, gets a link of that name
// (plugins.Bench). The name rather than an argument or a variable: it is
// the one thing every launcher can set, and a role's own children do not
// inherit it.
//
// An embedder's binary has no such table: it calls isolate.MaybeRunChild
// first thing in main, which serves a module when isolate's variables say
// so (examples/embed).
package main
