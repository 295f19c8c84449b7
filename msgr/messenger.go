package msgr

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/msgr/internal/netpoll"
	"gomgr/msgr/wire"
)

// Config configures a Messenger. Zero fields take the defaults noted.
type Config struct {
	Name  wire.EntityName // my entity name (type and number)
	Nonce uint32          // my address nonce; 0: random

	Workers         int // event loops; default min(GOMAXPROCS, 4)
	DispatchWorkers int // dispatch goroutines; default 1

	Dispatcher    Dispatcher       // required
	DefaultPolicy Policy           // for peer types not in Policies
	Policies      map[uint8]Policy // by peer entity type

	Features          uint64        // advertised; default wire.FeaturesSupported
	Auth              Auth          // authorizers and signatures (cephx); nil: auth none
	MaxMessageSize    int           // front+middle+data; default 64 MiB
	HandshakeTimeout  time.Duration // default 15 s
	KeepaliveInterval time.Duration // KEEPALIVE2 period on open sessions; 0: off
	IdleTimeout       time.Duration // fault a session with no input this long; 0: off
	BackoffInitial    time.Duration // first reconnect delay; default 200 ms
	BackoffMax        time.Duration // reconnect delay cap; default 15 s

	DispatchThrottleBytes int64 // stop reading when this much is queued for dispatch; default 100 MiB
	SocketBufferSize      int   // SO_SNDBUF/SO_RCVBUF; 0: kernel default

	// Messages still being received (doc.go, "Memory"). Their buffers grow
	// as bytes arrive; these caps bound what claims may reserve.
	MaxPartialBytes     int64         // all connections' messages being received; over it a connection waits; default 128 MiB; <0: none
	MaxConnPartialBytes int           // one connection's message; over it the connection is closed; default and at most MaxMessageSize
	MaxPreAuthBytes     int           // the same before SetAuthenticated: over it the connection waits for it; default 64 KiB
	TrustPeers          bool          // accepted connections are authenticated from the start (dialled ones always are)
	StallTimeout        time.Duration // fault a connection that sends nothing this long inside a message; default 30 s; <0: off

	InjectSocketFailures int           // fault ~1 in N socket reads/writes; 0: off
	InjectDelay          time.Duration // random delivery delay up to this; 0: off

	Logger *logrus.Entry // default: logrus standard logger
}

func (cfg *Config) setDefaults() {
	if cfg.Nonce == 0 {
		cfg.Nonce = rand.Uint32() | 1
	}
	if cfg.Workers <= 0 {
		cfg.Workers = min(runtime.GOMAXPROCS(0), 4)
	}
	if cfg.DispatchWorkers <= 0 {
		cfg.DispatchWorkers = 1
	}
	if cfg.Features == 0 {
		cfg.Features = wire.FeaturesSupported
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = wire.DefaultMaxMessageLen
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 15 * time.Second
	}
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = 200 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 15 * time.Second
	}
	if cfg.BackoffMax < cfg.BackoffInitial {
		cfg.BackoffMax = cfg.BackoffInitial
	}
	if cfg.DispatchThrottleBytes == 0 {
		cfg.DispatchThrottleBytes = 100 << 20
	}
	if cfg.MaxPartialBytes == 0 {
		cfg.MaxPartialBytes = 128 << 20
	}
	if cfg.MaxConnPartialBytes <= 0 || cfg.MaxConnPartialBytes > cfg.MaxMessageSize {
		cfg.MaxConnPartialBytes = cfg.MaxMessageSize
	}
	if cfg.MaxPreAuthBytes <= 0 {
		cfg.MaxPreAuthBytes = 64 << 10
	}
	cfg.MaxPreAuthBytes = min(cfg.MaxPreAuthBytes, cfg.MaxConnPartialBytes)
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
}

// Messenger is Ceph's AsyncMessenger: event loops, a listener, the session
// maps and the dispatch queue. All exported methods are safe from any
// goroutine.
type Messenger struct {
	cfg   Config
	log   *logrus.Entry
	loops []*loop
	dq    *dispatchQueue
	fast  FastDispatcher
	stats Stats

	myAddr atomic.Pointer[wire.EntityAddr]
	nextID atomic.Uint64
	failN  uint64

	mu        sync.Mutex
	conns     map[string]*Connection   // sessions by peer key (Ceph's conns)
	accepting map[*Connection]struct{} // handshakes in progress (accepting_conns)
	deleted   map[*Connection]struct{} // closed, awaiting reaping (deleted_conns)
	globalSeq uint32
	lfd       int
	started   bool
	down      bool
	stopping  atomic.Bool // Shutdown began: accept no session, reply to no connect
	stopOnce  sync.Once
	waitOnce  sync.Once

	// Connections waiting for room in the MaxPartialBytes budget (whose
	// count is stats.PartialBytes).
	partialWait waitList
}

// New creates a messenger; Bind (optional) and Start it next.
func New(cfg Config) (*Messenger, error) {
	cfg.setDefaults()
	if cfg.Dispatcher == nil {
		return nil, ErrNoDispatcher
	}
	m := &Messenger{cfg: cfg, log: cfg.Logger.WithField("me", cfg.Name.String()),
		conns: map[string]*Connection{}, accepting: map[*Connection]struct{}{},
		deleted: map[*Connection]struct{}{}, lfd: -1, failN: uint64(cfg.InjectSocketFailures)}
	m.fast, _ = cfg.Dispatcher.(FastDispatcher)
	blank := wire.EntityAddr{Type: 1, Nonce: cfg.Nonce}
	m.myAddr.Store(&blank)
	for i := 0; i < cfg.Workers; i++ {
		l, err := newLoop(m, i)
		if err != nil {
			for _, l := range m.loops {
				_ = l.poller.Close()
			}
			return nil, err
		}
		m.loops = append(m.loops, l)
	}
	m.dq = newDispatchQueue(m, cfg.DispatchWorkers, cfg.DispatchThrottleBytes)
	return m, nil
}

// Bind listens on addr ("127.0.0.1:0" picks a port; see Addr). Call
// before Start. Safe from any goroutine.
func (m *Messenger) Bind(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrBadAddr, addr, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return ErrStarted
	}
	if m.lfd >= 0 {
		return fmt.Errorf("%w: already bound", ErrBadAddr)
	}
	fd, err := netpoll.Listen(ap, 4096)
	if err != nil {
		return fmt.Errorf("msgr: bind %s: %w", addr, err)
	}
	la, err := netpoll.LocalAddr(fd)
	if err != nil {
		_ = netpoll.Close(fd)
		return fmt.Errorf("msgr: bind %s: %w", addr, err)
	}
	m.lfd = fd
	a := wire.AddrFromAddrPort(la, m.cfg.Nonce)
	a.Type = 1
	m.myAddr.Store(&a)
	return nil
}

// Addr is my address: the bound one, or blank (with the nonce, and the IP
// once learned from a peer) for a client-only messenger. Safe from any
// goroutine.
func (m *Messenger) Addr() wire.EntityAddr { return *m.myAddr.Load() }

// Name is my entity name. Safe from any goroutine.
func (m *Messenger) Name() wire.EntityName { return m.cfg.Name }

// Stats returns the live counters (atomics). Safe from any goroutine.
func (m *Messenger) Stats() *Stats { return &m.stats }

// Start starts the event loops, the listener and the dispatch goroutines.
// Safe from any goroutine; once.
func (m *Messenger) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return ErrStarted
	}
	if m.down {
		return ErrShutdown
	}
	m.started = true
	if m.lfd >= 0 {
		l := m.loops[0]
		l.lfd = m.lfd
		if err := l.poller.Add(m.lfd, netpoll.In); err != nil {
			return fmt.Errorf("msgr: listen: %w", err)
		}
	}
	m.dq.start()
	for _, l := range m.loops {
		go l.run()
	}
	return nil
}

// Connect returns the session with addr ("ip:port"), creating it (and
// dialling in the background) if there is none. Sends on it queue until the
// handshake completes. Safe from any goroutine.
func (m *Messenger) Connect(addr string, peerType uint8) (*Connection, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || ap.Port() == 0 {
		return nil, fmt.Errorf("%w: %q", ErrBadAddr, addr)
	}
	key := peerKey(wire.AddrFromAddrPort(ap, 0))
	m.mu.Lock()
	if !m.started {
		m.mu.Unlock()
		return nil, ErrNotStarted
	}
	if m.down {
		m.mu.Unlock()
		return nil, ErrShutdown
	}
	if c := m.conns[key]; c != nil && c.State() != StateClosed {
		m.mu.Unlock()
		return c, nil
	}
	c := m.newConn(m.leastLoaded(), true)
	c.target = ap
	c.key = key
	c.peerType.Store(uint32(peerType))
	c.policy = m.policyFor(peerType)
	pa := wire.AddrFromAddrPort(ap, 0)
	c.peerAddr.Store(&pa)
	m.conns[key] = c
	m.mu.Unlock()
	c.post(task{c: c, kind: taskConnect})
	return c, nil
}

// MarkDownAll closes every connection (no reset events). Safe from any
// goroutine.
func (m *Messenger) MarkDownAll() {
	m.mu.Lock()
	cs := make([]*Connection, 0, len(m.conns)+len(m.accepting))
	for _, c := range m.conns {
		cs = append(cs, c)
	}
	for c := range m.accepting {
		cs = append(cs, c)
	}
	m.mu.Unlock()
	for _, c := range cs {
		c.MarkDown()
	}
}

// Shutdown closes all connections and the listener and stops the loops and
// dispatchers; Wait blocks until they are gone. Safe from any goroutine,
// idempotent.
func (m *Messenger) Shutdown() {
	m.stopOnce.Do(func() {
		// Stop accepting first: a peer reconnecting while the sessions
		// go must find no one, not a RESETSESSION from a messenger that
		// is going away (it would reset a session a restarted server may
		// still resume).
		m.stopping.Store(true)
		m.mu.Lock()
		m.down = true
		m.mu.Unlock()
		m.MarkDownAll()
		m.mu.Lock()
		started := m.started
		if !started && m.lfd >= 0 {
			_ = netpoll.Close(m.lfd)
			m.lfd = -1
		}
		m.mu.Unlock()
		for _, l := range m.loops {
			if started {
				l.post(task{kind: taskFunc, fn: func() { l.stopped = true }})
			} else {
				close(l.done)
			}
		}
	})
}

// Wait blocks until Shutdown has finished: loops and dispatch goroutines
// have exited and every socket is closed. Safe from any goroutine except
// a loop or dispatch goroutine of this messenger (it would wait for itself).
func (m *Messenger) Wait() {
	for _, l := range m.loops {
		<-l.done
	}
	m.waitOnce.Do(func() {
		m.dq.stop()
		for _, l := range m.loops {
			_ = l.poller.Close()
		}
	})
}

// ---- internals ----

func (m *Messenger) policyFor(t uint8) Policy {
	if p, ok := m.cfg.Policies[t]; ok {
		return p
	}
	return m.cfg.DefaultPolicy
}

// inject reports whether to fail this socket operation (~1 in N).
func (m *Messenger) inject() bool {
	return m.failN > 0 && rand.Uint64N(m.failN) == 0
}

func (m *Messenger) nextGlobalSeq(gt uint32) uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gt > m.globalSeq {
		m.globalSeq = gt
	}
	m.globalSeq++
	return m.globalSeq
}

// learnAddr fills my blank IP from how a peer sees me and returns the
// address to announce.
func (m *Messenger) learnAddr(seen wire.EntityAddr) wire.EntityAddr {
	m.mu.Lock()
	defer m.mu.Unlock()
	me := *m.myAddr.Load()
	if me.IsBlank() && !seen.IsBlank() {
		me.IP = append([]byte(nil), seen.IP...)
		m.myAddr.Store(&me)
	}
	return me
}

// peerKey identifies a peer: ip:port, or with the nonce for peers that have
// no listening port (clients).
func peerKey(a wire.EntityAddr) string {
	ap, _ := a.AddrPort()
	if a.Port != 0 {
		return ap.String()
	}
	return ap.String() + "/" + strconv.FormatUint(uint64(a.Nonce), 10)
}

func (m *Messenger) leastLoaded() *loop {
	best := m.loops[0]
	for _, l := range m.loops[1:] {
		if l.nconns.Load() < best.nconns.Load() {
			best = l
		}
	}
	return best
}

// newConn makes a connection on l. Caller holds m.mu or owns the result.
func (m *Messenger) newConn(l *loop, outgoing bool) *Connection {
	c := &Connection{m: m, loop: l, id: m.nextID.Add(1), outgoing: outgoing, fd: -1}
	c.home.Store(l)
	c.tmr.c, c.tmr.index = c, -1
	c.peerNum.Store(-1)
	c.onFrameFn = c.onFrame
	c.parser.EmitHeaders = true // admitHeader decides about each message before it is read
	if outgoing || m.cfg.TrustPeers {
		c.authed.Store(true) // we chose whom to dial
	}
	l.nconns.Add(1)
	m.stats.Connections.Add(1)
	return c
}

// reservePartial reserves n bytes of the MaxPartialBytes budget for the
// message c is about to read, or, when there is no room, queues c for a
// retry once bytes are released and reports false. A message always fits
// when nothing else is reserved, so a cap below the largest message slows
// it down but never wedges it. c's loop only.
func (m *Messenger) reservePartial(c *Connection, n int64) bool {
	if m.tryReservePartial(n) {
		return true
	}
	return !m.partialWait.park(c, func() bool { return m.tryReservePartial(n) })
}

func (m *Messenger) tryReservePartial(n int64) bool {
	lim := m.cfg.MaxPartialBytes
	for {
		cur := m.stats.PartialBytes.Load()
		if lim > 0 && cur > 0 && cur+n > lim {
			return false
		}
		if m.stats.PartialBytes.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// releasePartial gives back n reserved bytes and, if that leaves room,
// has every waiting connection retry (each takes what fits, the others
// queue again). Any loop.
func (m *Messenger) releasePartial(n int64) {
	cur := m.stats.PartialBytes.Add(-n)
	if lim := m.cfg.MaxPartialBytes; lim > 0 && cur >= lim {
		return // nobody would fit: they wait for the next release
	}
	m.partialWait.wake(taskRetry)
}

func (m *Messenger) lookup(key string) *Connection {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conns[key]
}

func (m *Messenger) register(c *Connection, key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.accepting, c)
	c.key = key
	m.conns[key] = c
}

// unregister removes a closed connection from the maps; it sits in deleted
// until its loop reaps it.
func (m *Messenger) unregister(c *Connection) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.accepting, c)
	if c.key != "" && m.conns[c.key] == c {
		delete(m.conns, c.key)
	}
	m.deleted[c] = struct{}{}
	l := c.loop
	l.post(task{kind: taskFunc, fn: func() { m.reap(c) }})
}

func (m *Messenger) reap(c *Connection) {
	m.mu.Lock()
	delete(m.deleted, c)
	m.mu.Unlock()
}

// acceptAll accepts until EAGAIN and hands each socket to the least loaded
// loop. Runs on the listening loop.
func (m *Messenger) acceptAll(l *loop) {
	for {
		fd, peer, err := netpoll.Accept(l.lfd)
		if err != nil {
			if !netpoll.IsAgain(err) {
				m.log.WithError(err).Warn("accept failed")
			}
			return
		}
		m.stats.Accepted.Add(1)
		_ = netpoll.SetNoDelay(fd, true)
		m.mu.Lock()
		if m.down {
			m.mu.Unlock()
			_ = netpoll.Close(fd)
			continue
		}
		to := m.leastLoaded()
		c := m.newConn(to, false)
		c.sockPeer = peer
		pa := wire.AddrFromAddrPort(peer, 0)
		c.peerAddr.Store(&pa)
		m.accepting[c] = struct{}{}
		m.mu.Unlock()
		to.post(task{c: c, kind: taskAdopt, fn: func() { c.startAccept(fd) }})
	}
}
