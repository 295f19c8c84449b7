// Package sim simulates Ceph cluster daemons for the demo, tests and
// benchmarks: a deterministic Model (OSDs up or down, pools and PGs, a
// seeded client load that moves counters and usage) and the daemons that
// put it on the wire — OSDs that boot to the mon and report perf counters
// and PG statistics to the active mgr over the real messenger.
//
// The Model has no goroutines and does no IO; whoever owns it calls it from
// one goroutine. The same seed gives the same cluster.
package sim
