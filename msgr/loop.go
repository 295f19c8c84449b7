package msgr

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"

	"gomgr/msgr/internal/netpoll"
)

type taskKind uint8

const (
	taskFlush      taskKind = iota // Send queued something: write it
	taskConnect                    // start (or restart) an outgoing connection
	taskAdopt                      // an accepted socket or a migrating handshake arrives
	taskMarkDown                   // close the connection for good
	taskUnthrottle                 // dispatch throttle drained: read again
	taskKeepalive                  // send a KEEPALIVE2 now
	taskRetry                      // authenticated, or partial-message budget freed: retry a held message
	taskFunc                       // run fn
)

type task struct {
	c    *Connection
	kind taskKind
	fn   func()
}

// timer is one entry of a loop's timer heap.
type timer struct {
	when  time.Time
	c     *Connection
	fn    func()
	index int // in the heap; -1 when not scheduled
}

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].when.Before(h[j].when) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *timerHeap) Push(x any)        { t := x.(*timer); t.index = len(*h); *h = append(*h, t) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// loop is one event loop: one goroutine that alone owns the poller, the
// read buffer, the timers and every connection assigned to it. Other
// goroutines reach it only through post.
type loop struct {
	m      *Messenger
	id     int
	poller *netpoll.Poller

	// Posted work, any goroutine. notified is set by the first post of a
	// batch and cleared by the loop before it drains: one eventfd write per
	// batch, not per post.
	tmu      sync.Mutex
	tasks    []task
	notified atomic.Bool
	inWait   atomic.Bool // the loop is in (or about to enter) poller.Wait

	nconns atomic.Int64 // connections assigned, for least-loaded placement

	// Loop-owned.
	fds     map[int]*Connection
	timers  timerHeap
	rbuf    []byte
	iov     netpoll.IOV // writev scratch
	evs     []netpoll.Event
	spare   []task
	now     time.Time
	lfd     int // listening socket when this loop accepts, else -1
	stopped bool
	done    chan struct{}
}

const readBufSize = 64 << 10

func newLoop(m *Messenger, id int) (*loop, error) {
	p, err := netpoll.NewPoller()
	if err != nil {
		return nil, err
	}
	return &loop{m: m, id: id, poller: p, fds: make(map[int]*Connection),
		rbuf: make([]byte, readBufSize), lfd: -1, done: make(chan struct{}), now: time.Now()}, nil
}

// post queues t for the loop and wakes it. Safe from any goroutine.
func (l *loop) post(t task) {
	l.tmu.Lock()
	l.tasks = append(l.tasks, t)
	l.tmu.Unlock()
	l.wake()
}

// wake makes sure the loop sees posted tasks: only the first post of a
// batch does anything, and it writes the eventfd only if the loop is (about
// to be) blocked in Wait. A busy loop drains the queue before it waits
// again (run checks notified after publishing inWait, and this checks
// inWait after publishing notified: one of the two sees the other), so
// posts from the loop itself, e.g. a Send from FastDispatch, cost no syscall.
func (l *loop) wake() {
	if !l.notified.Swap(true) && l.inWait.Load() {
		_ = l.poller.Wake()
	}
}

// postHome queues t on l and makes l c's home atomically with respect to
// other posts, so anything posted for c after this lands behind t.
func (l *loop) postHome(c *Connection, t task) {
	l.tmu.Lock()
	l.tasks = append(l.tasks, t)
	c.home.Store(l)
	l.tmu.Unlock()
	l.wake()
}

// addTimer schedules (or reschedules) t at when. Loop only.
func (l *loop) addTimer(t *timer, when time.Time) {
	t.when = when
	if t.index >= 0 {
		heap.Fix(&l.timers, t.index)
		return
	}
	heap.Push(&l.timers, t)
}

// delTimer cancels t. Loop only.
func (l *loop) delTimer(t *timer) {
	if t != nil && t.index >= 0 {
		heap.Remove(&l.timers, t.index)
	}
}

func (l *loop) waitMsec() int {
	if len(l.timers) == 0 {
		return -1
	}
	d := time.Until(l.timers[0].when)
	if d <= 0 {
		return 0
	}
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	return ms
}

func (l *loop) run() {
	defer close(l.done)
	log := l.m.log.WithField("loop", l.id)
	for !l.stopped {
		// First a poll that cannot block (cheap under load); block only
		// when it finds nothing.
		evs, woken, err := l.poller.Wait(0, l.evs)
		if err == nil && len(evs) == 0 && !woken {
			l.inWait.Store(true)
			ms := l.waitMsec()
			if l.notified.Load() {
				ms = 0 // tasks were posted while we were busy
			}
			if ms != 0 {
				evs, _, err = l.poller.Wait(ms, l.evs)
			}
			l.inWait.Store(false)
		}
		l.evs = evs
		if err != nil {
			log.WithError(err).Error("poller failed; loop stops")
			break
		}
		l.now = time.Now()
		for _, ev := range evs {
			if ev.Fd == l.lfd {
				l.m.acceptAll(l)
				continue
			}
			if c := l.fds[ev.Fd]; c != nil {
				c.handleEvent(ev)
			}
		}
		l.runTasks()
		l.runTimers()
	}
	l.shutdown()
}

func (l *loop) runTasks() {
	// Clear before draining so a post racing with the drain wakes us again.
	l.notified.Store(false)
	l.tmu.Lock()
	ts := l.tasks
	l.tasks = l.spare[:0]
	l.tmu.Unlock()
	for i := range ts {
		t := ts[i]
		ts[i] = task{}
		switch t.kind {
		case taskFunc:
			t.fn()
		default:
			t.c.runTask(l, t)
		}
	}
	l.spare = ts[:0]
}

func (l *loop) runTimers() {
	for len(l.timers) > 0 {
		t := l.timers[0]
		if t.when.After(l.now) {
			return
		}
		heap.Pop(&l.timers)
		if t.fn != nil {
			t.fn()
		} else if t.c != nil {
			t.c.onTimer()
		}
	}
}

// shutdown closes every connection the loop owns. Loop only.
func (l *loop) shutdown() {
	for _, c := range l.fds {
		c.closeForGood(nil, false)
	}
	for len(l.timers) > 0 {
		heap.Pop(&l.timers)
	}
	if l.lfd >= 0 {
		_ = l.poller.Del(l.lfd)
		_ = netpoll.Close(l.lfd)
		l.lfd = -1
	}
}
