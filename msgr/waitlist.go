package msgr

import (
	"sync"
	"sync/atomic"
)

// waitList parks connections until a shared budget has room again: the
// dispatch throttle's queued bytes, and the messenger's partial-message
// bytes. mu is a leaf; waiting lets a releaser skip the lock when nobody
// waits.
type waitList struct {
	mu      sync.Mutex
	conns   []*Connection
	waiting atomic.Bool
}

// park queues c unless room() says there is room now, and reports whether
// it did. room runs after the queue is published, so a release that ran
// before did not see c but room sees what it released. c's loop only.
func (w *waitList) park(c *Connection, room func() bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conns = append(w.conns, c)
	w.waiting.Store(true)
	if !room() {
		return true
	}
	w.conns = w.conns[:len(w.conns)-1]
	if len(w.conns) == 0 {
		w.waiting.Store(false)
	}
	return false
}

// wake hands every parked connection a task of kind (each tries again on
// its own loop; those that do not fit park again). Any goroutine.
func (w *waitList) wake(kind taskKind) {
	if !w.waiting.Load() {
		return
	}
	w.mu.Lock()
	ws := w.conns
	w.conns = nil
	w.waiting.Store(false)
	w.mu.Unlock()
	for _, c := range ws {
		c.post(task{c: c, kind: kind})
	}
}
