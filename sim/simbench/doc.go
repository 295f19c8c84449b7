// Package simbench is the engine behind `gomgr bench mgr`: what a manager
// costs with 1,000 and 10,000 simulated OSDs, and how long after the mon
// commits an osdmap epoch a Python module hears of it.
//
// Every daemon is its own process, so each one's CPU time and RSS can be
// read from /proc/<pid>: the mon (the caller's `gomgr mon`), one mgr and the
// simulated cluster (both run by RunRole in a re-executed child). The mgr
// hosts a small Python module (written to a temp dir) whose notify records
// time.time() per osdmap epoch and whose command returns those times.
//
// The notify latency is the module's time.time_ns() at notify minus the
// epoch's "modified" stamp (set by the mon when it commits the epoch, before
// its store write and publication; same clock). Epochs are committed one at
// a time (`osd set/unset noout`), each after the mgr has the previous one,
// so the samples are single-epoch latencies, not a queue. The mgr's own
// arrival (host.Config.ObserveMap) and the bench's osdmap subscription give
// the mon's and the mgr's shares.
//
// Time is compressed: OSDs report every Options.Period (1 s) where Ceph's
// default mgr_stats_period is 5 s; per-report and per-beacon costs do not
// depend on the period, and the results state the compression.
//
// Ownership: Run owns the child processes it starts and stops them before
// it returns; RunRole owns its daemon and serves queries on stdin from one
// goroutine. Nothing here is shared between goroutines by callers.
package simbench
