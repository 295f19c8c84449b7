package plugins

import (
	"runtime"
	"sync"
)

// Pdeathsig fires when the thread that forked the child exits, not when
// the process does; Go ends a thread whose goroutine exits while locked to
// it. So plugin processes are started (go-plugin's Client, which forks and
// then waits for the handshake) on spawner goroutines locked to threads
// that never exit. A few run in parallel so a slow handshake does not
// hold back the others.
const spawners = 4

var (
	spawnOnce sync.Once
	spawnCh   chan func()
)

// onSpawner runs f on one of the spawner threads and waits for it.
func onSpawner(f func()) {
	spawnOnce.Do(func() {
		spawnCh = make(chan func())
		for range spawners {
			go func() {
				runtime.LockOSThread() // never unlocked: the thread lives as long as the process
				for f := range spawnCh {
					f()
				}
			}()
		}
	})
	done := make(chan struct{})
	spawnCh <- func() {
		defer close(done)
		f()
	}
	<-done
}
