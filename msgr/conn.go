package msgr

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/msgr/internal/netpoll"
	"gomgr/msgr/wire"
)

// State is a connection's place in the v1 state machine.
type State int32

// Connection states (Ceph's AsyncConnection/ProtocolV1, folded).
const (
	StateNone       State = iota
	StateConnecting       // dialling and the client half of the handshake
	StateAccepting        // the server half of the handshake
	StateOpen             // session established, tagged frames flow
	StateStandby          // lossless session without a socket: waiting to reconnect or for the peer
	StateClosed           // for good
)

var stateNames = [...]string{"none", "connecting", "accepting", "open", "standby", "closed"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// holdKind is why a connection stopped reading right after a message
// header (admitHeader).
type holdKind uint8

const (
	holdNone   holdKind = iota
	holdAuth            // over MaxPreAuthBytes: waits for SetAuthenticated, HandshakeTimeout at most
	holdBudget          // no room in MaxPartialBytes: waits for a release
)

// sentMsg is a message put on the wire of a lossless session and not yet
// acked: a resend after a fault re-encodes it with the same seq.
type sentMsg struct {
	m   *Message
	seq uint64
}

// coalesceMax is the payload size up to which a message is copied into the
// connection's write arena instead of getting iovecs of its own (Ceph's
// ASYNC_COALESCE_THRESHOLD).
const coalesceMax = 256

type outPrio struct {
	prio int
	q    []*Message
	head int
}

// Connection is one session with a peer (Ceph's AsyncConnection). Its
// socket, parser, buffers, sequence numbers and timers belong to its event
// loop's goroutine; the methods below that say "any goroutine" only touch the
// out queue (under outMu) or atomics, and post to the loop.
type Connection struct {
	m        *Messenger
	loop     *loop                // loop-owned view of the owning loop
	home     atomic.Pointer[loop] // where other goroutines post; changes only when a handshake migrates
	id       uint64
	outgoing bool           // we dialled it (Connect), so we reconnect it
	target   netip.AddrPort // where to (re)connect; invalid if unknown
	key      string         // key in Messenger.conns; "" while only accepting

	// Read by any goroutine.
	state    atomic.Int32
	peerAddr atomic.Pointer[wire.EntityAddr]
	peerType atomic.Uint32
	peerNum  atomic.Int64
	features atomic.Uint64
	kaAck    atomic.Int64 // unix nanos of the last KEEPALIVE2_ACK stamp
	authed   atomic.Bool  // SetAuthenticated, dialled, or Config.TrustPeers
	authInfo atomic.Pointer[any]

	// Out queue: any goroutine, under outMu.
	outMu       sync.Mutex
	outQ        []*outPrio // highest priority first
	outN        int
	outClosed   bool
	flushPosted atomic.Bool

	// Everything below is owned by the loop goroutine.
	policy        Policy
	fd            int
	tcpUp         bool
	interest      uint32
	parser        wire.Parser
	onFrameFn     func(*wire.Frame) error
	wiov          [][]byte
	arena         []byte    // encoded frames (and small payloads) that wiov points into
	region        int       // start of the arena bytes not yet in wiov
	sent          []sentMsg // written, not yet acked (lossless)
	resend        []sentMsg // requeued by a fault, go out before new messages
	outSeq        uint64
	inSeq         uint64
	ackedIn       uint64
	connectSeq    uint32
	peerGlobalSeq uint32
	globalSeq     uint32
	backoff       time.Duration
	tmr           timer
	lastRead      time.Time
	lastKA        time.Time
	hsDeadline    time.Time
	reconnectAt   time.Time
	ackPending    bool
	kaWanted      bool
	kaAcks        []wire.Timespec
	throttled     bool
	hold          holdKind  // reading stopped at a message header (admitHeader)
	holdClaim     int64     // that message's size
	holdUntil     time.Time // holdAuth: when to give up on the peer
	stash         []byte    // what was read past that header, fed first on resuming
	reserved      int64     // MaxPartialBytes budget taken by the message being read
	waitMode      bool
	sockPeer      netip.AddrPort
	pendConnect   wire.Connect // server: connect being processed (survives a loop migration)
	pendAuth      []byte       // server: its authorizer
	authState     any          // server: Auth's state for this handshake (the challenge)
	authReply     []byte       // server: the accepted authorizer's reply, in each connect_reply
	authz         ClientAuthorizer
	signer        Signer // signs and checks messages once the session is authenticated
	migrateTo     *loop  // set by serverGotConnect, acted on by feed once parsing stopped
}

// Send queues m for the peer and wakes the connection's loop. Safe from any
// goroutine. m must not be modified afterwards. Messages of higher
// Priority go first; equal priorities keep their order. A lossless session
// delivers m exactly once even across socket faults; a lossy one may drop it.
func (c *Connection) Send(m *Message) error {
	if m == nil {
		return fmt.Errorf("%w: nil message", ErrProtocol)
	}
	if m.Len() > c.m.cfg.MaxMessageSize {
		return fmt.Errorf("%w: %d bytes, max %d", ErrTooLarge, m.Len(), c.m.cfg.MaxMessageSize)
	}
	c.outMu.Lock()
	if c.outClosed {
		c.outMu.Unlock()
		return ErrClosed
	}
	prio := int(m.Priority)
	var q *outPrio
	for i, p := range c.outQ {
		if p.prio == prio {
			q = p
			break
		}
		if p.prio < prio {
			q = &outPrio{prio: prio}
			c.outQ = append(c.outQ, nil)
			copy(c.outQ[i+1:], c.outQ[i:])
			c.outQ[i] = q
			break
		}
	}
	if q == nil {
		q = &outPrio{prio: prio}
		c.outQ = append(c.outQ, q)
	}
	q.q = append(q.q, m)
	c.outN++
	c.outMu.Unlock()
	if !c.flushPosted.Swap(true) {
		c.post(task{c: c, kind: taskFlush})
	}
	return nil
}

// SetAuthenticated tells the messenger that the peer proved who it is (the
// application accepted its MAuth, its MMgrOpen, ...): its messages may now
// be as large as Config.MaxConnPartialBytes, not just MaxPreAuthBytes, and
// a connection held at a larger one reads on. Dialled connections, and all
// of them with Config.TrustPeers, start authenticated. It lasts as long as
// the Connection: a lossless session resumed on a new socket keeps it, as
// it keeps its sequence numbers. Safe from any goroutine.
func (c *Connection) SetAuthenticated() {
	if !c.authed.Swap(true) {
		c.post(task{c: c, kind: taskRetry})
	}
}

// Authenticated reports whether the peer counts as authenticated (see
// SetAuthenticated). Safe from any goroutine.
func (c *Connection) Authenticated() bool { return c.authed.Load() }

// SendKeepalive sends a KEEPALIVE2 now (if open). Safe from any goroutine.
func (c *Connection) SendKeepalive() { c.post(task{c: c, kind: taskKeepalive}) }

// MarkDown closes the connection for good, dropping whatever is queued,
// without a reset event (Ceph's mark_down). Safe from any goroutine.
func (c *Connection) MarkDown() {
	c.outMu.Lock()
	c.outClosed = true
	c.outMu.Unlock()
	c.post(task{c: c, kind: taskMarkDown})
}

// PeerAddr is the peer's address (for accepted connections, the one it
// announced). Safe from any goroutine.
func (c *Connection) PeerAddr() wire.EntityAddr {
	if a := c.peerAddr.Load(); a != nil {
		return *a
	}
	return wire.EntityAddr{}
}

// PeerType is the peer's entity type. Safe from any goroutine.
func (c *Connection) PeerType() uint8 { return uint8(c.peerType.Load()) }

// PeerName is the peer's entity name; the number is -1 until a message from
// it arrives (v1's handshake carries only the type). Safe from any goroutine.
func (c *Connection) PeerName() wire.EntityName {
	return wire.EntityName{Type: c.PeerType(), Num: c.peerNum.Load()}
}

// Features are the feature bits negotiated with the peer (0 before the
// first handshake). Safe from any goroutine.
func (c *Connection) Features() uint64 { return c.features.Load() }

// State is the connection's current state. Safe from any goroutine.
func (c *Connection) State() State { return State(c.state.Load()) }

// IsConnected reports whether the session is open. Safe from any goroutine.
func (c *Connection) IsConnected() bool { return c.State() == StateOpen }

// LastKeepaliveAck is the timestamp of the last KEEPALIVE2_ACK (zero if
// none). Safe from any goroutine.
func (c *Connection) LastKeepaliveAck() time.Time {
	n := c.kaAck.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Messenger returns the owning messenger. Safe from any goroutine.
func (c *Connection) Messenger() *Messenger { return c.m }

func (c *Connection) String() string {
	return fmt.Sprintf("conn(%d %s %s)", c.id, c.PeerAddr(), c.State())
}

func (c *Connection) logger() *logrus.Entry {
	return c.m.log.WithFields(logrus.Fields{"conn": c.id, "peer": c.PeerAddr().String()})
}

func (c *Connection) setState(s State) { c.state.Store(int32(s)) }

// ---- loop side ----

// post queues t on the connection's loop. Any goroutine.
func (c *Connection) post(t task) { c.home.Load().post(t) }

func (c *Connection) runTask(l *loop, t task) {
	if h := c.home.Load(); h != l {
		h.post(t) // the handshake migrated after this was queued
		return
	}
	k, fn := t.kind, t.fn
	switch k {
	case taskFlush:
		c.flushPosted.Store(false)
		switch c.State() {
		case StateOpen:
			c.flush()
		case StateStandby:
			// Ceph: a send on a standby client connection reconnects.
			if c.canReconnect() && c.reconnectAt.IsZero() && !c.queueEmpty() {
				c.startConnect()
			}
		case StateClosed:
			c.dropOutQ()
		}
	case taskConnect:
		if c.State() == StateNone {
			c.startConnect()
		}
	case taskAdopt:
		if fn != nil {
			fn()
		}
	case taskMarkDown:
		c.closeForGood(nil, false)
	case taskUnthrottle:
		if c.throttled {
			c.throttled = false
			if c.fd >= 0 {
				c.lastRead = c.loop.now // the time we did not read is not the peer's silence
				c.updateInterest()
				if c.reserved > 0 {
					c.armTimer() // the stall deadline counts again
				}
			}
		}
	case taskRetry:
		c.retryHold()
	case taskKeepalive:
		if c.State() == StateOpen {
			c.kaWanted = true
			c.flush()
		}
	}
}

func (c *Connection) canReconnect() bool {
	return !c.policy.Server && c.target.IsValid() && c.target.Port() != 0
}

func (c *Connection) queueEmpty() bool {
	if len(c.resend) > 0 {
		return false
	}
	c.outMu.Lock()
	n := c.outN
	c.outMu.Unlock()
	return n == 0
}

func (c *Connection) dropOutQ() {
	c.outMu.Lock()
	c.outQ, c.outN = nil, 0
	c.outMu.Unlock()
}

// attach registers fd with the loop's poller. Loop only.
func (c *Connection) attach(fd int) error {
	c.fd = fd
	c.interest = c.wantInterest()
	c.loop.fds[fd] = c
	if err := c.loop.poller.Add(fd, c.interest); err != nil {
		delete(c.loop.fds, fd)
		c.fd = -1
		_ = netpoll.Close(fd)
		return err
	}
	return nil
}

// detach unregisters the socket without closing it (it is moving). Loop only.
func (c *Connection) detach() int {
	fd := c.fd
	if fd >= 0 {
		_ = c.loop.poller.Del(fd)
		delete(c.loop.fds, fd)
	}
	c.fd = -1
	return fd
}

func (c *Connection) wantInterest() uint32 {
	var w uint32
	if !c.throttled && c.hold == holdNone {
		w |= netpoll.In
	}
	if len(c.wiov) > 0 || !c.tcpUp {
		w |= netpoll.Out
	}
	return w
}

func (c *Connection) updateInterest() {
	if c.fd < 0 {
		return
	}
	if w := c.wantInterest(); w != c.interest {
		if err := c.loop.poller.Mod(c.fd, w); err != nil {
			c.fault(err)
			return
		}
		c.interest = w
	}
}

func (c *Connection) handleEvent(ev netpoll.Event) {
	if (c.throttled || c.hold != holdNone) && ev.Hangup() { // cannot be masked: would spin while not reading
		c.fault(ErrPeerClosed)
		return
	}
	if ev.Writable() {
		if !c.tcpUp {
			if err := netpoll.SockError(c.fd); err != nil {
				c.fault(err)
				return
			}
			c.tcpUp = true
			_ = netpoll.SetNoDelay(c.fd, true)
			c.setBuffers()
		}
		c.flush()
		if c.fd < 0 {
			return
		}
	}
	if ev.Readable() && c.tcpUp {
		c.handleRead()
	}
}

func (c *Connection) setBuffers() {
	if n := c.m.cfg.SocketBufferSize; n > 0 {
		_ = netpoll.SetBuffers(c.fd, n, n)
	}
}

// maxReadsPerWake caps reads per readiness report so one busy connection
// cannot starve the rest of its loop (level-triggered: the rest is reported
// again on the next wait).
const maxReadsPerWake = 4

func (c *Connection) handleRead() {
	dq := c.m.dq
	buf := c.loop.rbuf
	for i := 0; i < maxReadsPerWake; i++ {
		if c.hold != holdNone {
			break // held at a message header (the rest waits in the stash)
		}
		if c.State() == StateOpen && dq.overLimit() && dq.park(c) {
			c.throttled = true
			c.m.stats.Throttled.Add(1)
			c.updateInterest()
			break
		}
		if c.m.inject() {
			c.fault(fmt.Errorf("%w (read)", ErrInjected))
			return
		}
		// Inside a message with at least a buffer's worth to come: read
		// straight into it, not through buf (one copy less).
		dst := c.parser.Direct(len(buf))
		if dst == nil {
			dst = buf
		}
		n, err := netpoll.Read(c.fd, dst)
		if err != nil {
			if netpoll.IsAgain(err) {
				break
			}
			c.fault(err)
			return
		}
		if n == 0 {
			c.fault(ErrPeerClosed)
			return
		}
		c.m.stats.BytesIn.Add(uint64(n))
		c.lastRead = c.loop.now
		if &dst[0] != &buf[0] {
			c.parser.Filled(n)
		} else if !c.feed(buf[:n]) {
			return
		}
		if n < len(dst) {
			break
		}
	}
	if c.ackPending || len(c.kaAcks) > 0 {
		c.flush()
	}
}

// feed runs the parser over b; false means c no longer owns a socket
// (closed, faulted, migrated or replaced) and the caller must stop.
func (c *Connection) feed(b []byte) bool {
	n, err := c.parser.Feed(b, c.onFrameFn)
	if err == nil {
		return c.fd >= 0
	}
	switch {
	case errors.Is(err, errMigrated):
		to := c.migrateTo
		c.migrateTo = nil
		if n != len(b) {
			// v1 clients wait for the reply; bytes here are a protocol violation.
			c.m.stats.BadFrames.Add(1)
			c.logger().Warn("bytes after connect before the reply; closing")
			c.closeForGood(nil, false)
			return false
		}
		c.migrate(to)
		return false
	case errors.Is(err, errReplaced), errors.Is(err, errGone):
		return false
	case errors.Is(err, errHeld):
		// Keep what came after the header (one read at most) and stop
		// reading until retryHold admits the message. The socket stays.
		if rest := b[n:]; len(rest) > 0 {
			c.stash = append([]byte(nil), rest...)
		}
		c.updateInterest()
		return c.fd >= 0
	}
	if errors.Is(err, ErrRefused) && c.policy.Lossy {
		// As ProtocolV1: a lossy session the peer refused (bad
		// authorizer, features) is reset, not retried; its owner hears
		// of it and may come back with fresh credentials.
		c.closeForGood(err, true)
		return false
	}
	var pe *wire.ParseError
	if errors.As(err, &pe) {
		c.m.stats.BadFrames.Add(1)
		c.logger().WithError(err).Warn("malformed input; closing connection")
		if c.State() == StateAccepting || c.State() == StateConnecting {
			// Nothing of a session to keep: a bad handshake is not retried
			// by the acceptor; a client faults and backs off.
			c.fault(err)
			return false
		}
		c.fault(err)
		return false
	}
	if c.fd >= 0 {
		c.fault(err)
	}
	return false
}

// onFrame handles one frame; it stops the parser (errGone) as soon as the
// connection lost its socket, since a fault resets the parser it runs in.
func (c *Connection) onFrame(f *wire.Frame) error {
	err := c.onFrame1(f)
	// The parser reuses f and would keep the last message's segments
	// reachable until the next frame completes: up to a max-size message
	// per quiet connection.
	f.Front, f.Middle, f.Data, f.Authorizer = nil, nil, nil, nil
	if err == nil && c.fd < 0 {
		return errGone
	}
	return err
}

func (c *Connection) onFrame1(f *wire.Frame) error {
	switch f.Kind {
	case wire.KindMsgHeader:
		return c.admitHeader(&f.Header)
	case wire.KindMsg:
		err := c.handleMsg(f)
		c.releasePartial() // after: its bytes count against the dispatch throttle now
		return err
	case wire.KindAck:
		c.trimSent(f.Seq)
	case wire.KindKeepalive:
	case wire.KindKeepalive2:
		c.kaAcks = append(c.kaAcks, f.Stamp)
	case wire.KindKeepalive2Ack:
		c.kaAck.Store(time.Unix(int64(f.Stamp.Sec), int64(f.Stamp.Nsec)).UnixNano())
	case wire.KindClose:
		return ErrPeerClosed
	case wire.KindBanner:
	case wire.KindAddrPair:
		return c.clientGotAddrs(f)
	case wire.KindAddr:
		return c.serverGotAddr(f)
	case wire.KindConnect:
		c.pendConnect = f.Connect
		c.pendAuth = append(c.pendAuth[:0], f.Authorizer...)
		return c.serverGotConnect()
	case wire.KindConnectReply:
		return c.clientGotReply(f)
	case wire.KindSeq:
		if c.outgoing && c.State() == StateConnecting {
			return c.clientGotSeq(f.Seq)
		}
		return c.serverGotSeq(f.Seq)
	default:
		return fmt.Errorf("%w: unexpected %v", ErrProtocol, f.Kind)
	}
	return nil
}

func (c *Connection) handleMsg(f *wire.Frame) error {
	h := &f.Header
	if f.Footer.Flags&wire.FooterComplete == 0 {
		return nil // sender aborted it; Ceph drops it too
	}
	if h.Seq <= c.inSeq {
		c.m.stats.Duplicates.Add(1)
		return nil
	}
	if err := c.checkSignature(h, &f.Footer); err != nil {
		return err
	}
	c.inSeq = h.Seq
	c.ackPending = true
	c.peerNum.Store(h.Src.Num)
	m := &Message{Type: h.Type, Priority: h.Priority, Version: h.Version,
		CompatVersion: h.CompatVersion, Tid: h.Tid, Seq: h.Seq, Src: h.Src,
		DataOff: h.DataOff, Front: f.Front, Middle: f.Middle, Data: f.Data}
	c.m.stats.MsgsIn.Add(1)
	if fd := c.m.fast; fd != nil && fd.CanFastDispatch(m) {
		fd.FastDispatch(c, m)
		return nil
	}
	c.m.dq.enqueue(c, m)
	return nil
}

func (c *Connection) trimSent(seq uint64) {
	i := 0
	for i < len(c.sent) && c.sent[i].seq <= seq {
		c.sent[i] = sentMsg{}
		i++
	}
	c.sent = c.sent[i:]
	if len(c.sent) == 0 {
		c.sent = nil
	}
}

// flush writes as much as the socket takes, refilling from the queues, and
// keeps write interest only while bytes remain. Loop only.
func (c *Connection) flush() {
	if c.fd < 0 || !c.tcpUp {
		return
	}
	budget := 4 << 20
	for budget > 0 {
		if len(c.wiov) == 0 {
			c.fill()
			if len(c.wiov) == 0 {
				break
			}
		}
		if c.m.inject() {
			c.fault(fmt.Errorf("%w (write)", ErrInjected))
			return
		}
		iov := c.wiov
		if len(iov) > 512 {
			iov = iov[:512]
		}
		n, err := netpoll.Writev(c.fd, iov, &c.loop.iov)
		if err != nil {
			if netpoll.IsAgain(err) {
				break
			}
			c.fault(err)
			return
		}
		c.m.stats.BytesOut.Add(uint64(n))
		budget -= n
		if !c.advance(n, len(iov)) {
			break // socket buffer full
		}
	}
	if len(c.wiov) == 0 {
		c.fill() // budget spent with more queued: keep write interest so we come back
	}
	c.updateInterest()
}

// advance drops n written bytes from wiov; it reports whether all of the
// first k buffers were written.
func (c *Connection) advance(n, k int) bool {
	i := 0
	for i < k && n >= len(c.wiov[i]) {
		n -= len(c.wiov[i])
		c.wiov[i] = nil
		i++
	}
	all := i == k
	if i < k && n > 0 {
		c.wiov[i] = c.wiov[i][n:]
	}
	rest := copy(c.wiov, c.wiov[i:])
	for j := rest; j < len(c.wiov); j++ {
		c.wiov[j] = nil
	}
	c.wiov = c.wiov[:rest]
	return all
}

// fill encodes control frames and messages into the arena and wiov: small
// frames are coalesced into one buffer, large payloads go out as their own
// iovecs, never copied. Loop only, open state, wiov empty.
func (c *Connection) fill() {
	if c.State() != StateOpen {
		return
	}
	if len(c.wiov) == 0 { // everything that pointed into the arena is written
		if cap(c.arena) > 256<<10 {
			c.arena = nil // do not keep a burst's buffer on an idle connection
		}
		c.arena = c.arena[:0]
	}
	c.region = len(c.arena)
	if c.ackPending && c.inSeq > c.ackedIn {
		c.arena = wire.AppendAck(c.arena, c.inSeq)
		c.ackedIn = c.inSeq
	}
	c.ackPending = false
	for _, ts := range c.kaAcks {
		c.arena = wire.AppendKeepalive2Ack(c.arena, ts)
	}
	c.kaAcks = c.kaAcks[:0]
	if c.kaWanted {
		now := time.Now()
		c.arena = wire.AppendKeepalive2(c.arena, wire.Timespec{Sec: uint32(now.Unix()), Nsec: uint32(now.Nanosecond())})
		c.kaWanted = false
		c.lastKA = c.loop.now
	}
	const maxMsgs, maxBytes = 128, 1 << 20
	n, bytes, resent := 0, 0, 0
	for n < maxMsgs && bytes < maxBytes && len(c.resend) > 0 {
		r := c.resend[0]
		c.resend[0] = sentMsg{}
		c.resend = c.resend[1:]
		c.encode(r.m, r.seq)
		n++
		resent++
		bytes += r.m.Len()
	}
	if len(c.resend) == 0 {
		c.resend = nil
	}
	if n < maxMsgs && bytes < maxBytes && len(c.resend) == 0 {
		c.outMu.Lock()
		for n < maxMsgs && bytes < maxBytes && c.outN > 0 {
			var p *outPrio
			for _, q := range c.outQ {
				if q.head < len(q.q) {
					p = q
					break
				}
			}
			m := p.q[p.head]
			p.q[p.head] = nil
			p.head++
			if p.head == len(p.q) {
				p.q, p.head = p.q[:0], 0
			}
			c.outN--
			c.outSeq++
			c.encode(m, c.outSeq)
			n++
			bytes += m.Len()
		}
		c.outMu.Unlock()
	}
	c.emitRegion()
	if n > 0 {
		c.m.stats.MsgsOut.Add(uint64(n))
		if resent > 0 {
			c.m.stats.Resent.Add(uint64(resent))
		}
	}
}

// encode appends one MSG frame (tag, header, segments, footer) and records
// it as sent on a lossless session.
func (c *Connection) encode(m *Message, seq uint64) {
	if !c.policy.Lossy {
		c.sent = append(c.sent, sentMsg{m: m, seq: seq})
	}
	src := m.Src // a sender speaking for several entities sets it
	if src.Type == 0 {
		src = c.m.cfg.Name
	}
	h := wire.Header{Seq: seq, Tid: m.Tid, Type: m.Type, Priority: m.Priority, Version: m.Version,
		FrontLen: uint32(len(m.Front)), MiddleLen: uint32(len(m.Middle)), DataLen: uint32(len(m.Data)),
		DataOff: m.DataOff, Src: src, CompatVersion: m.CompatVersion}
	f := wire.FooterFor(m.Front, m.Middle, m.Data)
	c.arena = wire.AppendMessageHead(c.arena, &h)
	if c.signs() {
		if err := c.sign(&h, c.arena[len(c.arena)-wire.MsgHeadLen:], &f); err != nil {
			// The peer would refuse it unsigned; the session's key is broken.
			c.logger().WithError(err).Error("message not signed: sent unsigned")
		}
	}
	if m.Len() <= coalesceMax {
		c.arena = append(c.arena, m.Front...)
		c.arena = append(c.arena, m.Middle...)
		c.arena = append(c.arena, m.Data...)
	} else {
		c.emitRegion()
		for _, seg := range [...][]byte{m.Front, m.Middle, m.Data} {
			if len(seg) > 0 {
				c.wiov = append(c.wiov, seg)
			}
		}
	}
	c.arena = wire.AppendFooter(c.arena, &f)
}

// emitRegion adds the arena bytes encoded since the last call to wiov. The
// slice is capped, so later appends (even ones that move the arena) never
// touch what it covers.
func (c *Connection) emitRegion() {
	if end := len(c.arena); end > c.region {
		c.wiov = append(c.wiov, c.arena[c.region:end:end])
		c.region = end
	}
}

// closeSocket drops the socket and everything tied to it; unacked messages of
// a lossless session are requeued for the next socket. Loop only.
func (c *Connection) closeSocket() {
	if c.fd >= 0 {
		fd := c.detach()
		_ = netpoll.Close(fd)
	}
	c.tcpUp = false
	for i := range c.wiov {
		c.wiov[i] = nil
	}
	c.wiov = c.wiov[:0]
	c.arena, c.region = c.arena[:0], 0
	c.parser.Reset() // drops a message being received with its buffer
	c.releasePartial()
	c.hold, c.holdClaim, c.stash = holdNone, 0, nil
	c.ackPending, c.kaWanted = false, false
	c.kaAcks = c.kaAcks[:0]
	if c.policy.Lossy {
		c.sent = nil
	} else if len(c.sent) > 0 {
		c.resend = append(c.sent, c.resend...)
		c.sent = nil
	}
}

// fault handles a socket failure as ProtocolV1::fault does. Loop only.
func (c *Connection) fault(err error) {
	st := c.State()
	if st == StateClosed {
		return
	}
	c.m.stats.Faults.Add(1)
	if !errors.Is(err, ErrInjected) {
		c.logger().WithError(err).WithField("state", st.String()).Debug("fault")
	}
	c.closeSocket()
	if c.key == "" { // a handshake that never became a session
		c.closeForGood(nil, false)
		return
	}
	if c.policy.Lossy && !(st == StateConnecting && c.outgoing) {
		c.m.stats.Resets.Add(1)
		c.closeForGood(nil, true)
		return
	}
	if !c.canReconnect() {
		c.setState(StateStandby)
		c.reconnectAt = time.Time{}
		c.armTimer()
		return
	}
	if st == StateOpen {
		c.connectSeq++
	}
	if c.policy.Standby && !c.waitMode && c.queueEmpty() {
		c.setState(StateStandby)
		c.reconnectAt = time.Time{}
		c.armTimer()
		return
	}
	var delay time.Duration
	switch {
	case c.waitMode:
		delay = c.m.cfg.BackoffMax
	case st == StateOpen:
		delay = 0 // first fault of an open session: reconnect at once
	default:
		if c.backoff == 0 {
			c.backoff = c.m.cfg.BackoffInitial
		} else {
			c.backoff = min(2*c.backoff, c.m.cfg.BackoffMax)
		}
		delay = c.backoff
	}
	c.setState(StateStandby)
	c.reconnectAt = c.loop.now.Add(delay)
	if delay == 0 {
		c.reconnectAt = time.Time{}
		c.startConnect()
		return
	}
	c.armTimer()
}

// closeForGood ends the connection: socket, queues, registration. reset
// tells the dispatcher (HandleReset). Loop only.
func (c *Connection) closeForGood(err error, reset bool) {
	if c.State() == StateClosed {
		return
	}
	if err != nil {
		c.logger().WithError(err).Info("closing connection")
	}
	c.closeSocket()
	c.setState(StateClosed)
	c.loop.delTimer(&c.tmr)
	c.outMu.Lock()
	c.outClosed = true
	c.outQ, c.outN = nil, 0
	c.outMu.Unlock()
	c.sent, c.resend = nil, nil
	c.m.unregister(c)
	c.loop.nconns.Add(-1)
	c.m.stats.Connections.Add(-1)
	if reset {
		c.m.dq.event(c, evReset)
	}
}

// resetSession forgets the session (the peer lost it): queued and unacked
// messages are dropped and the dispatcher hears HandleRemoteReset.
func (c *Connection) resetSession() {
	c.dropOutQ()
	c.sent, c.resend = nil, nil
	c.inSeq, c.ackedIn, c.outSeq = 0, 0, 0
	c.connectSeq = 0
	c.m.stats.RemoteReset.Add(1)
	c.m.dq.event(c, evRemoteReset)
}

// armTimer schedules the connection's one timer for its next deadline.
func (c *Connection) armTimer() {
	var at time.Time
	cfg := &c.m.cfg
	switch c.State() {
	case StateConnecting, StateAccepting:
		at = c.hsDeadline
	case StateOpen:
		if cfg.IdleTimeout > 0 {
			at = c.lastRead.Add(cfg.IdleTimeout)
		}
		if cfg.KeepaliveInterval > 0 {
			if k := c.lastKA.Add(cfg.KeepaliveInterval); at.IsZero() || k.Before(at) {
				at = k
			}
		}
		if d := c.stallDeadline(); !d.IsZero() && (at.IsZero() || d.Before(at)) {
			at = d
		}
	case StateStandby:
		at = c.reconnectAt
	}
	if at.IsZero() {
		c.loop.delTimer(&c.tmr)
		return
	}
	c.loop.addTimer(&c.tmr, at)
}

func (c *Connection) onTimer() {
	now := c.loop.now
	cfg := &c.m.cfg
	switch c.State() {
	case StateConnecting, StateAccepting:
		if !c.hsDeadline.IsZero() && !now.Before(c.hsDeadline) {
			c.fault(fmt.Errorf("%w: handshake not complete after %v", ErrTimeout, cfg.HandshakeTimeout))
			return
		}
	case StateOpen:
		if c.hold == holdAuth && !now.Before(c.holdUntil) {
			c.m.stats.Oversized.Add(1)
			c.logger().WithField("claim", c.holdClaim).WithField("cap", cfg.MaxPreAuthBytes).
				Warn("unauthenticated peer sent a message over the pre-auth cap and did not authenticate; closing")
			c.closeForGood(nil, true)
			return
		}
		if d := c.stallDeadline(); c.reserved > 0 && !d.IsZero() && !now.Before(d) {
			c.m.stats.Stalls.Add(1)
			err := fmt.Errorf("%w: nothing read for %v inside a message of %d bytes", ErrTimeout, now.Sub(c.lastRead), c.reserved)
			c.logger().WithError(err).Warn("peer stalled mid-message; dropping it")
			c.fault(err)
			return
		}
		if cfg.IdleTimeout > 0 && now.Sub(c.lastRead) >= cfg.IdleTimeout {
			c.fault(fmt.Errorf("%w: idle for %v", ErrTimeout, now.Sub(c.lastRead)))
			return
		}
		if cfg.KeepaliveInterval > 0 && now.Sub(c.lastKA) >= cfg.KeepaliveInterval {
			c.kaWanted = true
			c.lastKA = now
			c.flush()
			if c.State() != StateOpen {
				return
			}
		}
	case StateStandby:
		if !c.reconnectAt.IsZero() && !now.Before(c.reconnectAt) {
			c.reconnectAt = time.Time{}
			c.startConnect()
			return
		}
	}
	c.armTimer()
}

// ---- messages being received: caps and holds ----

// admitHeader decides, once a message's header has arrived, whether its
// segments are read now. A claim over the connection's cap could never be
// read: the connection faults (is closed, if lossy) with a warning, as for
// one over MaxMessageSize. Otherwise admit reserves or holds. Loop only.
func (c *Connection) admitHeader(h *wire.Header) error {
	claim := int64(h.FrontLen) + int64(h.MiddleLen) + int64(h.DataLen)
	if lim := c.m.cfg.MaxConnPartialBytes; claim > int64(lim) {
		c.m.stats.Oversized.Add(1)
		c.logger().WithField("claim", claim).WithField("cap", lim).Warn("message over the per-connection cap; closing")
		return fmt.Errorf("%w: message of %d bytes, per-connection cap %d", ErrTooLarge, claim, lim)
	}
	return c.admit(claim)
}

// admit reserves claim bytes of the messenger's budget for the message
// about to be read, or holds the connection (errHeld: no more reading)
// until the peer is authenticated or the budget has room; retryHold comes
// back here. Nothing is allocated for a held message. Loop only.
func (c *Connection) admit(claim int64) error {
	cfg := &c.m.cfg
	if claim > int64(cfg.MaxPreAuthBytes) && !c.authed.Load() {
		if c.hold != holdAuth {
			c.m.stats.AuthWaits.Add(1)
			c.holdUntil = c.loop.now.Add(cfg.HandshakeTimeout)
		}
		c.hold, c.holdClaim = holdAuth, claim
		c.armTimer()
		return errHeld
	}
	if claim > 0 && !c.m.reservePartial(c, claim) {
		if c.hold != holdBudget {
			c.m.stats.PartialWaits.Add(1)
		}
		c.hold, c.holdClaim = holdBudget, claim
		return errHeld
	}
	c.hold, c.holdClaim, c.reserved = holdNone, 0, claim
	// Arm the stall deadline only if the timer is not due sooner anyway: a
	// heap operation per message would cost more than the check.
	if st := cfg.StallTimeout; st > 0 && claim > 0 {
		if at := c.loop.now.Add(st); c.tmr.index < 0 || c.tmr.when.After(at) {
			c.loop.addTimer(&c.tmr, at)
		}
	}
	return nil
}

// retryHold admits the message c is held at, if it now may be read, and
// reads on: first the stash, then the socket. Loop only.
func (c *Connection) retryHold() {
	if c.hold == holdNone || c.fd < 0 || c.State() != StateOpen {
		return // a stale wake-up: closed, or admitted already
	}
	if c.hold == holdAuth && !c.authed.Load() {
		return
	}
	if err := c.admit(c.holdClaim); err != nil {
		return // held again (errHeld is admit's only error)
	}
	c.lastRead = c.loop.now // the hold was ours, not the peer's silence
	if s := c.stash; len(s) > 0 {
		c.stash = nil
		if !c.feed(s) {
			return
		}
	}
	c.updateInterest()
	if c.ackPending || len(c.kaAcks) > 0 {
		c.flush()
	}
}

// releasePartial gives back the budget of the message c was reading (it
// is complete, or dropped with the socket). Loop only.
func (c *Connection) releasePartial() {
	if c.reserved > 0 {
		c.m.releasePartial(c.reserved)
		c.reserved = 0
	}
}

// stallDeadline is when a connection stuck inside a message is given up:
// one held for authentication has HandshakeTimeout to get it; one reading
// a message gets StallTimeout between bytes, not counting the time the
// dispatch throttle kept us from reading.
func (c *Connection) stallDeadline() time.Time {
	switch {
	case c.hold == holdAuth:
		return c.holdUntil
	case c.reserved > 0 && !c.throttled && c.m.cfg.StallTimeout > 0:
		return c.lastRead.Add(c.m.cfg.StallTimeout)
	}
	return time.Time{}
}
