package main

import (
	"fmt"
	"sync"
	"time"

	"gomgr/registry"
)

// notifier is the one Registry call the scheduler needs.
type notifier interface{ NotifyAll(kind, id string) }

// scheduler is the application: a job queue drained by workers. It knows
// nothing of modules; it publishes its state in a registry.MemState under
// names it chose ("queue", "workers") and says what changed with its own
// notify kinds ("queue_changed", "job_done", "job_failed").
type scheduler struct {
	state  *registry.MemState
	notify notifier
	work   time.Duration // how long one job runs
	failN  int           // every failN-th job fails (0: none)

	mu      sync.Mutex // guards the fields below; held while publishing and notifying
	cond    *sync.Cond // signalled when pending grows or the scheduler stops
	stopped bool
	next    int
	pending []string
	running int
	done    int
	failed  int
	workers []workerInfo
	sent    map[string]int // NotifyAll calls by kind
	wg      sync.WaitGroup // jobs submitted and not finished
	exited  sync.WaitGroup // worker goroutines
}

type workerInfo struct {
	job  string // running job, "" when idle
	done int
}

func newScheduler(st *registry.MemState, n notifier, work time.Duration, failN int) *scheduler {
	s := &scheduler{state: st, notify: n, work: work, failN: failN, sent: make(map[string]int)}
	s.cond = sync.NewCond(&s.mu)
	s.mu.Lock()
	s.publishLocked()
	s.mu.Unlock()
	return s
}

// publishLocked replaces "queue" and "workers" with fresh values (a Value
// must not change once set) and tells the modules. It runs under s.mu so
// that every module sees the events in the order the state changed:
// NotifyAll never blocks on a module, so holding the lock is cheap.
func (s *scheduler) publishLocked(events ...[2]string) {
	ws := make([]any, len(s.workers))
	busy := 0
	for i, w := range s.workers {
		ws[i] = map[string]any{"id": fmt.Sprintf("w%d", i+1), "job": w.job, "done": int64(w.done)}
		if w.job != "" {
			busy++
		}
	}
	s.state.Set("workers", ws)
	s.state.Set("queue", map[string]any{
		"pending": int64(len(s.pending)), "running": int64(s.running),
		"done": int64(s.done), "failed": int64(s.failed), "workers": int64(len(s.workers)),
	})
	for _, ev := range events {
		s.notify.NotifyAll(ev[0], ev[1])
		s.sent[ev[0]]++
	}
	s.notify.NotifyAll("queue_changed", "")
	s.sent["queue_changed"]++
}

// Sent returns how many events of kind the scheduler has sent.
func (s *scheduler) Sent(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[kind]
}

// Submit queues n jobs and returns their ids.
func (s *scheduler) Submit(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, n)
	for i := range ids {
		s.next++
		ids[i] = fmt.Sprintf("job-%03d", s.next)
	}
	s.pending = append(s.pending, ids...)
	s.wg.Add(n)
	s.publishLocked()
	s.cond.Broadcast()
	return ids
}

// Start adds n workers.
func (s *scheduler) Start(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.workers = append(s.workers, workerInfo{})
		s.exited.Add(1)
		go s.worker(len(s.workers) - 1)
	}
	s.publishLocked()
}

// Counts returns how many jobs finished well and badly.
func (s *scheduler) Counts() (done, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done, s.failed
}

// Wait returns when every submitted job has finished.
func (s *scheduler) Wait() { s.wg.Wait() }

// Stop ends the workers once they finish their current job; pending jobs stay.
func (s *scheduler) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.cond.Broadcast()
	s.mu.Unlock()
	s.exited.Wait()
}

func (s *scheduler) worker(w int) {
	defer s.exited.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for len(s.pending) == 0 && !s.stopped {
			s.cond.Wait()
		}
		if s.stopped {
			return
		}
		id := s.pending[0]
		s.pending = s.pending[1:]
		s.running++
		s.workers[w].job = id
		s.publishLocked()

		s.mu.Unlock()
		ok := s.run(id)
		s.mu.Lock()

		s.running--
		s.workers[w].job = ""
		s.workers[w].done++
		kind := "job_done"
		if ok {
			s.done++
		} else {
			s.failed++
			kind = "job_failed"
		}
		s.publishLocked([2]string{kind, id})
		s.wg.Done()
	}
}

// run is the job itself: it takes s.work and fails every failN-th time.
func (s *scheduler) run(id string) bool {
	time.Sleep(s.work)
	var n int
	_, _ = fmt.Sscanf(id, "job-%d", &n)
	return s.failN == 0 || n%s.failN != 0
}
