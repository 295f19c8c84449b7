package spawn

import (
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// Confined spawner threads: like OnThread's, and no_new_privs is set on
// each (prctl PR_SET_NO_NEW_PRIVS) before it starts anything.
//
// Why threads: a child inherits no_new_privs from the thread that forks
// it and keeps it across execve, so it cannot gain privileges (a setuid
// program, file capabilities), nor can anything it runs. Go has no
// SysProcAttr field to set it between fork and exec, and python3 is not
// ours to change; the flag is per thread, so setting it on these threads
// only, which run nothing but process starts, leaves the rest of the
// manager (its other threads, children started with OnThread such as
// Ceph's daemons in tests) as it is. It cannot spread: Go never clones a
// new thread from a locked one (it asks its template thread to), and these
// threads never exit.
var (
	confinedOnce sync.Once
	confinedWork chan func()
	confinedErr  error
)

// confinedThread makes the goroutine's thread a confined spawner, for good.
func confinedThread(errs chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread lives as long as the process
	if unix.Gettid() == unix.Getpid() {
		// The main thread: its flags are the ones tools show as the
		// manager's (/proc/PID/status). Hold it idle, unchanged, so that
		// the replacement runs on another thread.
		go confinedThread(errs)
		select {}
	}
	err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
	errs <- err
	if err != nil {
		select {} // held: a thread without the flag must not serve
	}
	for f := range confinedWork {
		f()
	}
}

// OnConfinedThread runs f on one of the confined spawner threads and
// waits for it: every process f starts runs with no_new_privs, and dies
// with its parent's thread as OnThread's do. It returns f's error, or an
// error without running f if no_new_privs could not be set (a kernel older
// than 3.5). Safe from any goroutine.
func OnConfinedThread(f func() error) error {
	confinedOnce.Do(func() {
		confinedWork = make(chan func())
		errs := make(chan error, threads)
		for range threads {
			go confinedThread(errs)
		}
		for range threads {
			if err := <-errs; err != nil && confinedErr == nil {
				confinedErr = os.NewSyscallError("prctl(PR_SET_NO_NEW_PRIVS)", err)
			}
		}
	})
	if confinedErr != nil {
		return confinedErr
	}
	var err error
	done := make(chan struct{})
	confinedWork <- func() {
		defer close(done)
		err = f()
	}
	<-done
	return err
}
