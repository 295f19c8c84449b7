// Package spawn starts child processes so that Pdeathsig keeps its promise.
//
// Pdeathsig fires when the thread that forked the child exits, not when the
// process does, and Go ends a thread when a goroutine locked to it exits. So
// children (Python module processes, Go plugins) are forked from goroutines
// locked to threads that never exit. A few run in parallel so that a slow
// start (a plugin's handshake) does not hold back the others.
package spawn

import (
	"runtime"
	"sync"
)

const threads = 4

var (
	once sync.Once
	work chan func()
)

// OnThread runs f on one of the spawner threads and waits for it. Safe from
// any goroutine.
func OnThread(f func()) {
	once.Do(func() {
		work = make(chan func())
		for range threads {
			go func() {
				runtime.LockOSThread() // never unlocked: the thread lives as long as the process
				for f := range work {
					f()
				}
			}()
		}
	})
	done := make(chan struct{})
	work <- func() {
		defer close(done)
		f()
	}
	<-done
}
