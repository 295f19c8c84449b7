// Package spawn starts child processes so that Pdeathsig keeps its promise.
//
// Pdeathsig fires when the thread that forked the child exits, not when the
// process does, and Go ends a thread when a goroutine locked to it exits. So
// children (Python module processes, Go plugins) are forked from goroutines
// locked to threads that never exit. A few run in parallel so that a slow
// start (a plugin's handshake) does not hold back the others.
package spawn
