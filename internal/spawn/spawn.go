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
