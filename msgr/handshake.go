package msgr

import (
	"bytes"
	"fmt"
	"time"

	"gomgr/msgr/internal/netpoll"
	"gomgr/msgr/wire"
)

var bannerBytes = []byte(wire.Banner)

// The v1 handshake, as ProtocolV1 runs it.
//
//	client                                  server
//	banner                      ->
//	                            <-  banner, server addr, client addr as seen
//	client addr, connect(+auth) ->
//	                            <-  reply(+auth) [READY | SEQ + le64 in_seq |
//	                                 RETRY_SESSION | RETRY_GLOBAL | RESETSESSION |
//	                                 WAIT | FEATURES | BADPROTOVER]
//	(after SEQ) le64 in_seq     ->
//	tagged frames both ways

func (c *Connection) resetParser() {
	c.parser.Reset()
	c.parser.MaxMessageLen = c.m.cfg.MaxMessageSize
}

func (c *Connection) expect(kinds ...wire.Kind) error {
	return c.parser.Expect(kinds...)
}

// startConnect dials the target and starts the client half. Loop only.
func (c *Connection) startConnect() {
	if c.State() == StateClosed {
		return
	}
	if c.State() != StateNone {
		c.m.stats.Reconnects.Add(1)
	}
	c.setState(StateConnecting)
	c.hsDeadline = c.loop.now.Add(c.m.cfg.HandshakeTimeout)
	c.globalSeq = c.m.nextGlobalSeq(0)
	fd, err := netpoll.Dial(c.target)
	if err != nil && !netpoll.IsInProgress(err) {
		c.fault(err)
		return
	}
	c.tcpUp = false
	c.authz, c.signer = nil, nil // a fresh authorizer for each connect
	c.resetParser()
	_ = c.expect(wire.KindBanner, wire.KindAddrPair)
	c.wiov = append(c.wiov[:0], bannerBytes)
	if err := c.attach(fd); err != nil {
		c.fault(err)
		return
	}
	c.armTimer()
}

func (c *Connection) sendConnect() error {
	cm := wire.Connect{
		Features:        c.m.cfg.Features,
		HostType:        uint32(c.m.cfg.Name.Type),
		GlobalSeq:       c.globalSeq,
		ConnectSeq:      c.connectSeq,
		ProtocolVersion: wire.ProtoVersion(c.m.cfg.Name.Type, c.PeerType(), true),
	}
	if c.policy.Lossy {
		cm.Flags = wire.ConnectLossy
	}
	if c.authz == nil && c.m.cfg.Auth != nil {
		a, err := c.m.cfg.Auth.ClientAuthorizer(c.PeerType())
		if err != nil {
			return fmt.Errorf("%w: %v", ErrAuth, err)
		}
		c.authz = a
	}
	var auth []byte
	if c.authz != nil {
		auth = c.authz.Bytes()
		cm.AuthorizerProtocol, cm.AuthorizerLen = c.authz.Protocol(), uint32(len(auth))
	}
	b := wire.AppendConnect(make([]byte, 0, wire.ConnectLen+len(auth)), &cm)
	c.wiov = append(c.wiov, append(b, auth...))
	if err := c.expect(wire.KindConnectReply); err != nil {
		return err
	}
	c.flush()
	return nil
}

func (c *Connection) clientGotAddrs(f *wire.Frame) error {
	peer := f.Addrs[0]
	if peer.IsBlank() {
		if ap, ok := c.PeerAddr().AddrPort(); ok {
			peer.IP = ap.Addr().AsSlice()
		}
	}
	c.peerAddr.Store(&peer)
	me := c.m.learnAddr(f.Addrs[1])
	c.wiov = append(c.wiov, wire.AppendAddr(make([]byte, 0, wire.AddrLen), &me))
	return c.sendConnect()
}

func (c *Connection) clientGotReply(f *wire.Frame) error {
	r := &f.Reply
	switch r.Tag {
	case wire.TagFeatures, wire.TagBadProtoVer, wire.TagBadAuthorizer:
		c.logger().WithField("tag", r.Tag).Warn("peer refused the session")
		c.m.dq.event(c, evRefused)
		return fmt.Errorf("%w: reply tag %d", ErrRefused, r.Tag)
	case wire.TagResetSession:
		c.resetSession()
		return c.sendConnect()
	case wire.TagRetryGlobal:
		c.globalSeq = c.m.nextGlobalSeq(r.GlobalSeq)
		return c.sendConnect()
	case wire.TagRetrySession:
		c.connectSeq = r.ConnectSeq
		return c.sendConnect()
	case wire.TagChallengeAuthorizer:
		if c.authz == nil {
			return fmt.Errorf("%w: challenged without an authorizer", ErrProtocol)
		}
		if err := c.authz.AddChallenge(f.Authorizer); err != nil {
			return fmt.Errorf("%w: %v", ErrAuth, err)
		}
		return c.sendConnect()
	case wire.TagWait:
		// Connection race lost: the peer's connection to us will win.
		c.waitMode = true
		return fmt.Errorf("%w: peer said WAIT", ErrHandshake)
	case wire.TagReady, wire.TagSeq:
		if c.authz != nil {
			s, err := c.authz.VerifyReply(f.Authorizer)
			if err != nil {
				return fmt.Errorf("%w: the server's authorizer reply: %v", ErrAuth, err)
			}
			c.signer = s
		}
		c.features.Store(c.m.cfg.Features & r.Features)
		c.peerGlobalSeq = r.GlobalSeq
		c.policy.Lossy = r.Flags&wire.ConnectLossy != 0 || c.policy.Lossy
		c.connectSeq++
		if r.Tag == wire.TagSeq {
			return c.expect(wire.KindSeq)
		}
		if err := c.expect(wire.KindOpen); err != nil {
			return err
		}
		c.openSession()
		return nil
	default:
		return fmt.Errorf("%w: unknown reply tag %d", ErrProtocol, r.Tag)
	}
}

// clientGotSeq: the server acked our messages up to seq; answer with ours.
func (c *Connection) clientGotSeq(seq uint64) error {
	c.discardRequeued(seq)
	c.wiov = append(c.wiov, wire.AppendSeq(make([]byte, 0, 8), c.inSeq))
	c.ackedIn = c.inSeq
	if err := c.expect(wire.KindOpen); err != nil {
		return err
	}
	c.openSession()
	return nil
}

func (c *Connection) discardRequeued(seq uint64) {
	i := 0
	for i < len(c.resend) && c.resend[i].seq <= seq {
		c.resend[i] = sentMsg{}
		i++
	}
	c.resend = c.resend[i:]
}

// openSession moves to the open state. Loop only.
func (c *Connection) openSession() {
	c.setState(StateOpen)
	c.backoff = 0
	c.waitMode = false
	c.lastRead, c.lastKA = c.loop.now, c.loop.now
	c.hsDeadline = c.loop.now.Add(0)
	if c.outgoing {
		c.m.dq.event(c, evConnect)
	} else {
		c.m.dq.event(c, evAccept)
	}
	c.armTimer()
	c.flush()
}

// ---- server half ----

// startAccept runs on the loop that got an accepted socket. Loop only.
func (c *Connection) startAccept(fd int) {
	c.setState(StateAccepting)
	c.tcpUp = true
	c.hsDeadline = c.loop.now.Add(c.m.cfg.HandshakeTimeout)
	c.resetParser()
	_ = c.expect(wire.KindBanner, wire.KindAddr, wire.KindConnect)
	me := c.m.Addr()
	seen := wire.AddrFromAddrPort(c.sockPeer, 0)
	b := make([]byte, 0, wire.BannerLen+2*wire.AddrLen)
	b = wire.AppendBanner(b)
	b = wire.AppendAddr(b, &me)
	b = wire.AppendAddr(b, &seen)
	c.wiov = append(c.wiov[:0], b)
	if err := c.attach(fd); err != nil {
		c.closeForGood(err, false)
		return
	}
	c.setBuffers()
	c.armTimer()
	c.flush()
}

func (c *Connection) serverGotAddr(f *wire.Frame) error {
	a := f.Addrs[0]
	if a.IsBlank() {
		// Ceph keeps the announced port and nonce and takes the IP from
		// the socket.
		a.IP = c.sockPeer.Addr().Unmap().AsSlice()
	}
	c.peerAddr.Store(&a)
	return nil
}

func (c *Connection) reply(tag uint8, gseq, cseq uint32) {
	r := wire.ConnectReply{Tag: tag, Features: c.m.cfg.Features, GlobalSeq: gseq,
		ConnectSeq: cseq, ProtocolVersion: wire.ProtoVersion(c.m.cfg.Name.Type, c.PeerType(), false), AuthorizerLen: uint32(len(c.authReply))}
	if c.policy.Lossy {
		r.Flags = wire.ConnectLossy
	}
	b := wire.AppendConnectReply(make([]byte, 0, wire.ConnectReplyLen+len(c.authReply)), &r)
	c.wiov = append(c.wiov, append(b, c.authReply...))
}

func (c *Connection) replyRetry(tag uint8, gseq, cseq uint32) error {
	c.reply(tag, gseq, cseq)
	if err := c.expect(wire.KindConnect); err != nil {
		return err
	}
	c.flush()
	return nil
}

// serverGotConnect decides what to do with a ceph_msg_connect, as
// ProtocolV1::handle_connect_message_2 does. When a session with this peer
// lives on another loop, the handshake first migrates there so the two are
// compared and merged by one goroutine.
func (c *Connection) serverGotConnect() error {
	if c.m.stopping.Load() {
		return ErrClosed
	}
	cm := c.pendConnect
	c.peerType.Store(cm.HostType)
	c.policy = c.m.policyFor(uint8(cm.HostType))
	if miss := c.policy.FeaturesRequired &^ cm.Features; miss != 0 {
		c.logger().WithField("missing", fmt.Sprintf("%#x", miss)).Warn("peer lacks required features")
		return c.replyRetry(wire.TagFeatures, 0, 0)
	}
	if a := c.m.cfg.Auth; a != nil {
		res, err := a.VerifyAuthorizer(uint8(cm.HostType), cm.AuthorizerProtocol, c.pendAuth,
			cm.Features&wire.FeatureCephxV2 != 0, &c.authState)
		if err != nil {
			c.logger().WithError(err).Warn("peer's authorizer refused")
			c.authReply = nil
			return c.replyRetry(wire.TagBadAuthorizer, 0, 0)
		}
		c.authReply = res.Reply
		if res.Challenge {
			return c.replyRetry(wire.TagChallengeAuthorizer, 0, 0)
		}
		c.signer = res.Signer
		if res.Peer != nil {
			// The peer proved who it is in the handshake (cephx).
			c.authInfo.Store(&res.Peer)
			c.authed.Store(true)
		}
	}
	pa := c.PeerAddr()
	if pa.Port != 0 {
		if ap, ok := pa.AddrPort(); ok {
			c.target = ap
		}
	}
	key := peerKey(pa)
	e := c.m.lookup(key)
	if e != nil && e.loop != c.loop {
		c.migrateTo = e.loop
		return errMigrated
	}
	return c.decideConnect(e, key)
}

// migrate moves this accepting connection to loop to. Loop only (the source).
func (c *Connection) migrate(to *loop) {
	c.loop.delTimer(&c.tmr)
	fd := c.detach()
	from := c.loop
	from.nconns.Add(-1)
	to.nconns.Add(1)
	to.postHome(c, task{kind: taskFunc, fn: func() {
		c.loop = to
		if c.State() == StateClosed {
			_ = netpoll.Close(fd)
			return
		}
		if err := c.attach(fd); err != nil {
			c.closeForGood(err, false)
			return
		}
		c.armTimer()
		key := peerKey(c.PeerAddr())
		e := c.m.lookup(key)
		if e != nil && e != c && e.loop != c.loop {
			// The session moved under us (replaced again); let the peer retry.
			c.closeForGood(nil, false)
			return
		}
		if err := c.decideConnect(e, key); err != nil && err != errReplaced {
			c.fault(err)
		}
	}})
}

func (c *Connection) decideConnect(e *Connection, key string) error {
	cm := c.pendConnect
	if e != nil && (e.State() == StateClosed || e == c) {
		e = nil
	}
	if e == nil {
		if cm.ConnectSeq > 0 && c.policy.ResetCheck {
			return c.replyRetry(wire.TagResetSession, 0, 0)
		}
		return c.newSession(key)
	}
	switch {
	case cm.GlobalSeq < e.peerGlobalSeq:
		return c.replyRetry(wire.TagRetryGlobal, e.peerGlobalSeq, 0)
	case e.policy.Lossy:
		e.m.stats.Resets.Add(1)
		e.closeForGood(nil, true)
		return c.newSession(key)
	case cm.ConnectSeq == 0 && e.connectSeq > 0:
		if c.policy.ResetCheck {
			e.resetSession()
		}
		return c.replace(e, true)
	case cm.ConnectSeq < e.connectSeq:
		return c.replyRetry(wire.TagRetrySession, 0, e.connectSeq+1)
	case cm.ConnectSeq == e.connectSeq:
		if st := e.State(); st == StateOpen || st == StateStandby {
			if c.policy.ResetCheck && e.connectSeq == 0 {
				return c.replace(e, false)
			}
			return c.replyRetry(wire.TagRetrySession, 0, e.connectSeq+1)
		}
		if c.peerWins(e) {
			return c.replace(e, false)
		}
		return c.replyRetry(wire.TagWait, 0, 0)
	case c.policy.ResetCheck && e.connectSeq == 0:
		return c.replyRetry(wire.TagResetSession, 0, 0)
	default:
		return c.replace(e, false)
	}
}

// peerWins settles a connection race: the lower address wins, and a server
// always lets the peer's connection in.
func (c *Connection) peerWins(e *Connection) bool {
	if e.policy.Server {
		return true
	}
	p, me := c.PeerAddr(), c.m.Addr()
	if d := bytes.Compare(p.IP, me.IP); d != 0 {
		return d < 0
	}
	if p.Port != me.Port {
		return p.Port < me.Port
	}
	return p.Nonce < me.Nonce
}

// newSession makes this accepting connection the session for key.
func (c *Connection) newSession(key string) error {
	cm := c.pendConnect
	c.connectSeq = cm.ConnectSeq + 1
	c.peerGlobalSeq = cm.GlobalSeq
	c.features.Store(c.m.cfg.Features & cm.Features)
	if cm.Flags&wire.ConnectLossy != 0 {
		c.policy.Lossy = true
	}
	c.m.register(c, key)
	c.reply(wire.TagReady, c.m.nextGlobalSeq(0), c.connectSeq)
	if err := c.expect(wire.KindOpen); err != nil {
		return err
	}
	c.openSession()
	return nil
}

// replace hands this handshake's socket to the existing session e (same
// loop), which resumes with its queues and sequence numbers. c is dropped.
func (c *Connection) replace(e *Connection, resetFromPeer bool) error {
	cm := c.pendConnect
	e.closeSocket()
	fd := c.detach()
	e.parser = c.parser
	e.wiov = append(e.wiov[:0], c.wiov...)
	e.tcpUp = true
	e.throttled = false
	e.sockPeer = c.sockPeer
	pa := c.PeerAddr()
	e.peerAddr.Store(&pa)
	e.policy = c.policy
	if c.target.IsValid() {
		e.target = c.target
	}
	e.connectSeq = cm.ConnectSeq + 1
	e.peerGlobalSeq = cm.GlobalSeq
	e.features.Store(c.m.cfg.Features & cm.Features)
	e.signer, e.authReply = c.signer, c.authReply
	if p := c.authInfo.Load(); p != nil {
		e.authInfo.Store(p)
		e.authed.Store(true)
	}
	e.waitMode = false
	e.reconnectAt = time.Time{}
	// c is gone without a trace: no events, its fd now belongs to e.
	c.setState(StateClosed)
	c.loop.delTimer(&c.tmr)
	c.m.unregister(c)
	c.loop.nconns.Add(-1)
	c.m.stats.Connections.Add(-1)
	if err := e.attach(fd); err != nil {
		e.fault(err)
		return errReplaced
	}
	gs := c.m.nextGlobalSeq(0)
	if cm.Features&wire.FeatureReconnectSeq != 0 && !resetFromPeer {
		e.setState(StateAccepting)
		e.hsDeadline = e.loop.now.Add(e.m.cfg.HandshakeTimeout)
		e.reply(wire.TagSeq, gs, e.connectSeq)
		e.wiov = append(e.wiov, wire.AppendSeq(make([]byte, 0, 8), e.inSeq))
		e.ackedIn = e.inSeq
		if err := e.expect(wire.KindSeq); err != nil {
			e.fault(err)
			return errReplaced
		}
		e.armTimer()
		e.flush()
		return errReplaced
	}
	e.reply(wire.TagReady, gs, e.connectSeq)
	if err := e.expect(wire.KindOpen); err != nil {
		e.fault(err)
		return errReplaced
	}
	e.openSession()
	return errReplaced
}

// serverGotSeq: the client acked our messages up to seq.
func (c *Connection) serverGotSeq(seq uint64) error {
	c.discardRequeued(seq)
	if err := c.expect(wire.KindOpen); err != nil {
		return err
	}
	c.openSession()
	return nil
}
