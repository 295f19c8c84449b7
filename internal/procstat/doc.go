// Package procstat reads what the benchmarks report of a process from
// /proc: its CPU time and resident memory (RSS, and PSS, which adds up
// across processes sharing pages), the same summed over its descendants (a
// mgr's module processes), and the machine's load average.
// Nothing here holds state; every function is safe from any goroutine.
package procstat
