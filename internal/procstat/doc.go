// Package procstat reads what the benchmarks, the tests, the metrics and
// isolate's memory watch look at in a process from /proc: its CPU time
// and resident memory (RSS, its peak, and PSS, which adds up across
// processes sharing pages), the same summed over its descendants (a mgr's
// module processes), its state (alive, stopped, a zombie) and parent,
// other fields of its status or of one thread's (NoNewPrivs, CapEff), its
// resource limits and open file descriptors, and the machine's load
// average. It is the one reader of /proc/<pid>/stat, statm, status,
// task/<tid>/status, limits, fd and smaps_rollup for them.
// Nothing here holds state; every function is safe from any goroutine.
package procstat
