// Package procstat reads what the benchmarks and tests look at in a
// process from /proc: its CPU time and resident memory (RSS, its peak, and
// PSS, which adds up across processes sharing pages), the same summed over
// its descendants (a mgr's module processes), other fields of its status
// (NoNewPrivs), and the machine's load average. It is the one reader of
// /proc/<pid>/stat, status and smaps_rollup for them.
// Nothing here holds state; every function is safe from any goroutine.
package procstat
