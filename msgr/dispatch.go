package msgr

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Dispatcher receives messages. Dispatch runs on a dispatch goroutine; all
// messages of one connection go to the same goroutine, in order.
type Dispatcher interface {
	Dispatch(c *Connection, m *Message)
}

// FastDispatcher is optional: messages for which CanFastDispatch returns
// true are handed to FastDispatch on the event loop, skipping the queue and
// the throttle. FastDispatch must not block.
type FastDispatcher interface {
	CanFastDispatch(m *Message) bool
	FastDispatch(c *Connection, m *Message)
}

// ConnEventHandler is optional: connection events, delivered through the
// dispatch queue in order with the connection's messages.
type ConnEventHandler interface {
	HandleConnect(c *Connection)     // outgoing session opened
	HandleAccept(c *Connection)      // incoming session opened
	HandleReset(c *Connection)       // lossy session lost: queued messages dropped
	HandleRemoteReset(c *Connection) // peer reset the session: its messages in flight are gone
	HandleRefused(c *Connection)     // peer refused the session (features, protocol)
}

type eventKind uint8

const (
	evMsg eventKind = iota
	evConnect
	evAccept
	evReset
	evRemoteReset
	evRefused
)

type dqItem struct {
	c    *Connection
	m    *Message
	kind eventKind
	size int64
}

// prioQ is a FIFO of one priority.
type prioQ struct {
	prio    int
	items   []dqItem
	head    int
	deficit int
}

func (q *prioQ) len() int { return len(q.items) - q.head }

func (q *prioQ) push(it dqItem) { q.items = append(q.items, it) }

func (q *prioQ) pop() dqItem {
	it := q.items[q.head]
	q.items[q.head] = dqItem{}
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return it
}

// shard is one dispatch goroutine's queue: strict priority at or above
// PrioHigh, deficit round robin (weight = priority) below it.
type shard struct {
	mu     sync.Mutex
	cond   *sync.Cond
	strict []*prioQ // sorted by prio, highest first
	fair   []*prioQ
	rr     int
	n      int
	stop   bool
}

func findQ(qs *[]*prioQ, prio int) *prioQ {
	for _, q := range *qs {
		if q.prio == prio {
			return q
		}
	}
	q := &prioQ{prio: prio}
	*qs = append(*qs, q)
	for i := len(*qs) - 1; i > 0 && (*qs)[i].prio > (*qs)[i-1].prio; i-- {
		(*qs)[i], (*qs)[i-1] = (*qs)[i-1], (*qs)[i]
	}
	return q
}

func (s *shard) push(prio int, it dqItem) {
	s.mu.Lock()
	if prio >= PrioHigh {
		findQ(&s.strict, prio).push(it)
	} else {
		findQ(&s.fair, prio).push(it)
	}
	s.n++
	s.mu.Unlock()
	s.cond.Signal()
}

// popLocked takes the next item; s.n > 0.
func (s *shard) popLocked() dqItem {
	s.n--
	for _, q := range s.strict {
		if q.len() > 0 {
			return q.pop()
		}
	}
	// Deficit round robin: each pass adds a priority's weight to its
	// deficit; an item costs PrioHighest. Higher priorities go more often,
	// lower ones are never starved.
	for {
		q := s.fair[s.rr%len(s.fair)]
		if q.len() == 0 {
			q.deficit = 0
			s.rr++
			continue
		}
		if q.deficit >= PrioHighest {
			q.deficit -= PrioHighest
			return q.pop()
		}
		q.deficit += q.prio + 1
		s.rr++
	}
}

// dispatchQueue fans items out to shards by connection, so per-connection
// order holds with several dispatch goroutines.
type dispatchQueue struct {
	m      *Messenger
	shards []*shard
	wg     sync.WaitGroup

	limit  int64
	queued atomic.Int64
	wait   waitList // connections that stopped reading while it was full
}

func newDispatchQueue(m *Messenger, n int, limit int64) *dispatchQueue {
	dq := &dispatchQueue{m: m, limit: limit}
	for i := 0; i < n; i++ {
		s := &shard{}
		s.cond = sync.NewCond(&s.mu)
		dq.shards = append(dq.shards, s)
	}
	return dq
}

func (dq *dispatchQueue) start() {
	for _, s := range dq.shards {
		dq.wg.Add(1)
		go dq.run(s)
	}
}

func (dq *dispatchQueue) stop() {
	for _, s := range dq.shards {
		s.mu.Lock()
		s.stop = true
		s.mu.Unlock()
		s.cond.Broadcast()
	}
	dq.wg.Wait()
}

func (dq *dispatchQueue) enqueue(c *Connection, m *Message) {
	size := int64(m.Len())
	dq.queued.Add(size)
	dq.shards[c.id%uint64(len(dq.shards))].push(int(m.Priority), dqItem{c: c, m: m, kind: evMsg, size: size})
}

func (dq *dispatchQueue) event(c *Connection, k eventKind) {
	dq.shards[c.id%uint64(len(dq.shards))].push(PrioHighest, dqItem{c: c, kind: k})
}

// overLimit reports whether the throttle is full.
func (dq *dispatchQueue) overLimit() bool {
	return dq.limit > 0 && dq.queued.Load() > dq.limit
}

// park parks c until the throttle drains; false means it already has
// (the caller keeps reading). Loop goroutine of c.
func (dq *dispatchQueue) park(c *Connection) bool {
	return dq.wait.park(c, func() bool { return !dq.overLimit() })
}

func (dq *dispatchQueue) release(size int64) {
	if size == 0 {
		return
	}
	if dq.queued.Add(-size) <= dq.limit {
		dq.wait.wake(taskUnthrottle)
	}
}

func (dq *dispatchQueue) run(s *shard) {
	defer dq.wg.Done()
	d := dq.m.cfg.Dispatcher
	eh, _ := d.(ConnEventHandler)
	delay := dq.m.cfg.InjectDelay
	for {
		s.mu.Lock()
		for s.n == 0 && !s.stop {
			s.cond.Wait()
		}
		if s.stop {
			s.mu.Unlock()
			return
		}
		it := s.popLocked()
		s.mu.Unlock()
		if delay > 0 {
			// Injected delivery delay (Ceph's ms_inject_delay_max); order
			// is kept because this goroutine owns the connection's stream.
			time.Sleep(rand.N(delay))
		}
		switch it.kind {
		case evMsg:
			d.Dispatch(it.c, it.m)
			dq.release(it.size)
		case evConnect:
			if eh != nil {
				eh.HandleConnect(it.c)
			}
		case evAccept:
			if eh != nil {
				eh.HandleAccept(it.c)
			}
		case evReset:
			if eh != nil {
				eh.HandleReset(it.c)
			}
		case evRemoteReset:
			if eh != nil {
				eh.HandleRemoteReset(it.c)
			}
		case evRefused:
			if eh != nil {
				eh.HandleRefused(it.c)
			}
		}
	}
}
