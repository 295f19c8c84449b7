// Package e2e holds the end-to-end tests: the gomgr binary built once and
// run as separate processes (mon, mgrs, simulated OSDs, the demo), driven
// through its CLI over loopback, as an operator would.
package e2e
