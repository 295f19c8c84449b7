package registry

// pushResult says what a full or non-full queue did with an event.
type pushResult int

const (
	pushed    pushResult = iota
	coalesced            // full, and the same (kind, id) is already queued
	dropped              // full, and the event is new
)

type evKey struct{ kind, id string }

// queue is one module's bounded FIFO of events: a ring that grows up to
// max, with a count of each (kind, id) it holds so a full queue can tell a
// repeat from a new event. Not safe for concurrent use: runner.mu guards it.
type queue struct {
	buf     []Event
	head, n int
	max     int
	keys    map[evKey]int32
}

func newQueue(max int) queue {
	return queue{buf: make([]Event, min(max, 64)), max: max, keys: make(map[evKey]int32)}
}

func (q *queue) push(ev Event) pushResult {
	k := evKey{ev.Kind, ev.ID}
	if q.n == len(q.buf) {
		if len(q.buf) >= q.max {
			if q.keys[k] > 0 {
				return coalesced
			}
			return dropped
		}
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = ev
	q.n++
	q.keys[k]++
	return pushed
}

func (q *queue) grow() {
	nb := make([]Event, min(2*len(q.buf), q.max))
	for i := range q.n {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = nb, 0
}

// pop removes up to max events from the front, oldest first.
func (q *queue) pop(max int) []Event {
	n := min(q.n, max)
	if n == 0 {
		return nil
	}
	out := make([]Event, n)
	for i := range out {
		j := (q.head + i) % len(q.buf)
		out[i] = q.buf[j]
		q.buf[j] = Event{}
		k := evKey{out[i].Kind, out[i].ID}
		if q.keys[k] <= 1 {
			delete(q.keys, k)
		} else {
			q.keys[k]--
		}
	}
	q.head = (q.head + n) % len(q.buf)
	q.n -= n
	return out
}

// clear empties the queue and reports how many events it held.
func (q *queue) clear() int {
	n := q.n
	clear(q.buf)
	clear(q.keys)
	q.head, q.n = 0, 0
	return n
}
