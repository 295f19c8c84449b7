package logging

import "sync"

// Once tells whether a key is seen for the first time, so that a condition
// a peer can repeat without end (an undecodable message type) is logged
// loudly once and quietly after. The zero value is ready; safe from any
// goroutine.
type Once struct {
	mu   sync.Mutex
	seen map[string]bool
}

// First reports whether key has not been seen before, and marks it seen.
func (o *Once) First(key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[key] {
		return false
	}
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	o.seen[key] = true
	return true
}
