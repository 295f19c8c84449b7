package monclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/cephx"
	"gomgr/internal/logging"
	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// Config configures a Client.
type Config struct {
	// MonAddrs are the mons' msgr v1 addresses ("127.0.0.1:6789"); the
	// client hunts through them in turn until one answers.
	MonAddrs []string
	// Name is this entity (its type matters to the mon: client, mgr, osd).
	Name   wire.EntityName
	AuthID string // "admin" for a client, the daemon's id otherwise
	// Handler gets every message the mon pushes (maps, digests, log,
	// config) on the client's dispatch goroutine, in order. It must not
	// block for long. The client has read a MonMap before the Handler
	// sees it.
	Handler func(p messages.Payload)
	// OnSession, if set, is called after each new session is authenticated
	// and its subscriptions renewed (a mgr beacons at once, so that the mon
	// does not take a lost session for a dead mgr). It must not block.
	OnSession func()
	Logger    *logrus.Entry
	// Timeout bounds connecting and each command (default 10 s).
	Timeout time.Duration
	// FailFast ends Connect as soon as every mon has closed or refused the
	// connection once (a CLI with no cluster to talk to), instead of
	// hunting until the Timeout (a daemon waiting for its mon to start).
	FailFast bool
	// Cephx, if set, authenticates with cephx as this principal (its name,
	// key and the services it wants tickets for) instead of auth none;
	// AuthID is then the principal's.
	Cephx *cephx.Client
	// RotatingSecrets asks the mon for the principal's rotating service
	// secrets after each authentication and when they near expiry: a
	// daemon that is a service (a mgr) verifies its clients with them.
	RotatingSecrets bool
}

// CommandResult is what a mon command returns.
type CommandResult struct {
	Retval int    // 0 or a negative errno (EINVAL, ENOENT, ...)
	Out    []byte // output data (JSON or text)
	Status string // the status line (outs)
}

// Client is gomgr's MonClient. Safe from any goroutine.
type Client struct {
	cfg Config
	log *logrus.Entry
	ms  *msgr.Messenger
	bad logging.Once // message types that did not decode, logged once each
	// Counters for Stats.
	nSubs, nCmds, nHunts atomic.Uint64

	mu       sync.Mutex
	conn     *msgr.Connection
	addr     string        // the mon conn talks to
	next     int           // index of the next mon address to try
	authed   chan struct{} // closed when the current session is authenticated
	lost     chan struct{} // closed when the current session is reset
	hunting  bool          // a hunt is under way: resets are its business
	authErr  error         // why the current session's auth failed
	mapped   chan struct{} // closed once a MonMap has arrived
	monmap   *messages.MonMap
	globalID uint64
	// rotatingAsked: the rotating secrets were asked for in this
	// authentication; its answer completes it.
	rotatingAsked bool
	subs          map[string]messages.SubscribeItem
	tid           uint64
	waiting       map[uint64]*pending
	closed        bool
}

// pending is a command waiting for its ack; it is sent again on a new
// session, as Ceph's MonClient resends its commands after hunting.
type pending struct {
	msg *messages.MonCommand
	ack chan *messages.MonCommandAck
}

// New makes a client without connecting: the caller can keep the client
// where its Handler will look for it before any message arrives.
func New(cfg Config) (*Client, error) {
	if len(cfg.MonAddrs) == 0 {
		return nil, fmt.Errorf("%w: no mon address", ErrInvalid)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.AuthID == "" {
		cfg.AuthID = "admin"
	}
	c := &Client{cfg: cfg, log: cfg.Logger.WithField("monc", cfg.MonAddrs[0]), mapped: make(chan struct{}),
		subs: map[string]messages.SubscribeItem{}, waiting: map[uint64]*pending{}}
	ms, err := msgr.New(msgr.Config{Name: cfg.Name, Workers: 1, Dispatcher: c,
		DefaultPolicy: msgr.LossyClient(), Logger: c.log, BackoffMax: time.Second})
	if err != nil {
		return nil, fmt.Errorf("monclient: messenger: %w", err)
	}
	if err := ms.Start(); err != nil {
		return nil, fmt.Errorf("monclient: messenger: %w", err)
	}
	c.ms = ms
	return c, nil
}

// Dial is New and Connect.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Connect hunts for a mon that answers, authenticates, and waits for the
// MonMap (the fsid every command carries). It gives up after the Timeout.
func (c *Client) Connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if err := c.hunt(ctx); err != nil {
		return err
	}
	select {
	case <-c.mapped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("monclient: no monmap from %s: %w", c.Addr(), ErrUnreachable)
	}
}

// hunt tries each mon in turn until one session authenticates. A mon that
// refuses the authentication ends the hunt: the others would refuse too.
func (c *Client) hunt(ctx context.Context) error {
	// One mon that does not answer must not use up the whole timeout.
	per := max(c.cfg.Timeout/time.Duration(2*len(c.cfg.MonAddrs)), 500*time.Millisecond)
	var last error
	closed := 0 // mons in a row that closed or refused the connection
	c.nHunts.Add(1)
	c.mu.Lock()
	c.hunting = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.hunting = false
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		addr := c.cfg.MonAddrs[c.next%len(c.cfg.MonAddrs)]
		c.next++
		c.mu.Unlock()
		actx, cancel := context.WithTimeout(ctx, per)
		err := c.session(actx, addr)
		cancel()
		if err == nil || errors.Is(err, ErrAuth) || errors.Is(err, ErrClosed) {
			return err
		}
		last = err
		if errors.Is(err, errSessionClosed) {
			closed++
		} else {
			closed = 0
		}
		if c.cfg.FailFast && closed >= len(c.cfg.MonAddrs) {
			return last
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("monclient: no mon answered (%v): %w", last, ErrUnreachable)
		default:
		}
	}
}

// session opens a session with one mon and waits for its auth reply; then
// it renews the subscriptions and resends the commands still waiting.
func (c *Client) session(ctx context.Context, addr string) error {
	if c.cfg.FailFast {
		// The messenger retries a refused connect until the deadline; a
		// CLI wants to hear at once that nothing listens there.
		var d net.Dialer
		probe, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("monclient: nothing accepts connections at %s: %w", addr, errSessionClosed)
		}
		probe.Close()
	}
	conn, err := c.ms.Connect(addr, wire.EntityMon)
	if err != nil {
		return fmt.Errorf("monclient: connect %s: %w", addr, err)
	}
	authed, lost := make(chan struct{}), make(chan struct{})
	c.mu.Lock()
	old := c.conn
	c.conn, c.addr, c.authed, c.lost, c.authErr = conn, addr, authed, lost, nil
	c.mu.Unlock()
	if old != nil && old != conn {
		old.MarkDown()
	}
	protocol := messages.AuthNone
	name := messages.AuthName{Type: uint32(c.cfg.Name.Type), ID: c.cfg.AuthID}
	if c.cfg.Cephx != nil {
		protocol = messages.AuthCephX
		name = c.cfg.Cephx.Name()
		c.cfg.Cephx.Reset()
	}
	hello := &messages.Auth{AuthPayload: messages.EncodeAuthHello(messages.AuthHello{
		Protocols: []uint32{uint32(protocol)},
		Name:      name,
		GlobalID:  c.GlobalID(),
	})}
	if err := conn.Send(messages.Encode(hello)); err != nil {
		return fmt.Errorf("monclient: auth: %w", err)
	}
	select {
	case <-authed:
	case <-lost:
		return fmt.Errorf("monclient: %s closed or refused the session: %w", addr, errSessionClosed)
	case <-ctx.Done():
		conn.MarkDown()
		return fmt.Errorf("monclient: no auth reply from %s: %w", addr, ErrUnreachable)
	}
	c.mu.Lock()
	if err := c.authErr; err != nil {
		c.mu.Unlock()
		conn.MarkDown()
		return err
	}
	subs := maps.Clone(c.subs)
	subs[messages.SubMonMap] = c.monmapSub()
	// In tid order, as they were first sent.
	resend := make([]*msgr.Message, 0, len(c.waiting))
	for _, tid := range slices.Sorted(maps.Keys(c.waiting)) {
		m := messages.Encode(c.waiting[tid].msg)
		m.Tid = tid
		resend = append(resend, m)
	}
	c.mu.Unlock()
	if err := c.sendSub(subs); err != nil {
		return err
	}
	for _, msg := range resend {
		if err := conn.Send(msg); err != nil {
			return fmt.Errorf("monclient: resend command: %w", err)
		}
	}
	if c.cfg.OnSession != nil {
		c.cfg.OnSession()
	}
	return nil
}

// monmapSub asks for the monmap after the one held (c.mu held).
func (c *Client) monmapSub() messages.SubscribeItem {
	if c.monmap == nil {
		return messages.SubscribeItem{}
	}
	return messages.SubscribeItem{Start: uint64(c.monmap.Epoch) + 1}
}

// Stats are what the client has sent the mon since it was made.
type Stats struct {
	Subscribes uint64 // MMonSubscribe messages
	Commands   uint64 // mon commands
	Hunts      uint64 // searches for a mon that answers (the first included)
}

// Stats reads the client's counters.
func (c *Client) Stats() Stats {
	return Stats{Subscribes: c.nSubs.Load(), Commands: c.nCmds.Load(), Hunts: c.nHunts.Load()}
}

// Addr is the address of the mon this client talks to.
func (c *Client) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// GlobalID is the id the mon gave this session.
func (c *Client) GlobalID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.globalID
}

// MonMap is the latest MonMap, or nil before the first.
func (c *Client) MonMap() *messages.MonMap {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.monmap
}

// FSID is the cluster's fsid from the MonMap (zero before the first).
func (c *Client) FSID() messages.UUID {
	if mm := c.MonMap(); mm != nil {
		return mm.FSID
	}
	return messages.UUID{}
}

// Gomgr reports whether the mon declared itself a gomgr mon, so gomgr's
// private extensions may be sent to it. A real ceph-mon never does.
func (c *Client) Gomgr() bool {
	mm := c.MonMap()
	return mm != nil && mm.OptionalFeatures&messages.MonFeatureGomgr != 0
}

// Subscribe asks for maps from their start epochs (0: the current one); the
// subscriptions are renewed on reconnect.
func (c *Client) Subscribe(what map[string]messages.SubscribeItem) error {
	c.mu.Lock()
	maps.Copy(c.subs, what)
	c.mu.Unlock()
	return c.sendSub(what)
}

// Advance records that epoch of a subscription arrived, so a reconnect asks
// for the next one.
func (c *Client) Advance(what string, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if it, ok := c.subs[what]; ok && it.Flags&messages.SubscribeOnetime == 0 && epoch+1 > it.Start {
		it.Start = epoch + 1
		c.subs[what] = it
	}
}

func (c *Client) sendSub(what map[string]messages.SubscribeItem) error {
	c.nSubs.Add(1)
	return c.Send(&messages.MonSubscribe{What: what, Hostname: hostname()})
}

// Send sends a message to the mon on the current session.
func (c *Client) Send(p messages.Payload) error {
	return c.SendFrom(wire.EntityName{}, p)
}

// SendFrom sends p on behalf of src (a host's OSDs share one session, as
// the simulator's do); a zero src is this client.
func (c *Client) SendFrom(src wire.EntityName, p messages.Payload) error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrUnreachable
	}
	m := messages.Encode(p)
	m.Src = src
	if err := conn.Send(m); err != nil {
		return fmt.Errorf("monclient: send: %w", err)
	}
	return nil
}

// Command runs a mon command: args is Ceph's cmdmap ({"prefix": "osd dump",
// "format": "json"}). A session lost while it waits sends it again on the
// next one.
func (c *Client) Command(ctx context.Context, args map[string]any, inbuf []byte) (CommandResult, error) {
	js, err := json.Marshal(args)
	if err != nil {
		return CommandResult{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p := &pending{msg: &messages.MonCommand{Paxos: messages.NewPaxos(0), FSID: c.FSID(), Cmd: []string{string(js)}, Inbuf: inbuf},
		ack: make(chan *messages.MonCommandAck, 1)}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return CommandResult{}, ErrClosed
	}
	c.tid++
	c.nCmds.Add(1)
	tid := c.tid
	c.waiting[tid] = p
	conn := c.conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, tid)
		c.mu.Unlock()
	}()
	if conn != nil {
		m := messages.Encode(p.msg)
		m.Tid = tid
		// A send that fails is retried on the next session.
		_ = conn.Send(m)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	select {
	case ack := <-p.ack:
		return CommandResult{Retval: int(ack.R), Out: ack.Outbuf, Status: ack.RS}, nil
	case <-ctx.Done():
		return CommandResult{}, fmt.Errorf("monclient: command %q: no reply from %s: %w", args["prefix"], c.Addr(), ErrUnreachable)
	}
}

// Dispatch implements msgr.Dispatcher.
func (c *Client) Dispatch(conn *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		l := c.log.WithError(err).WithField("type", m.Type)
		if c.bad.First(fmt.Sprint(m.Type)) {
			l.Warn("undecodable message from the mon dropped (further ones of this type are logged at debug level)")
		} else {
			l.Debug("undecodable message from the mon dropped")
		}
		return
	}
	switch p := p.(type) {
	case *messages.AuthReply:
		c.authReply(conn, p)
		return
	case *messages.MonCommandAck:
		c.mu.Lock()
		w := c.waiting[m.Tid]
		c.mu.Unlock()
		if w != nil {
			select {
			case w.ack <- p:
			default: // a resent command answered twice
			}
		}
		return
	case *messages.MonMapMsg:
		mm, err := p.Map()
		if err != nil {
			c.log.WithError(err).Warn("monmap not decodable")
			return
		}
		c.mu.Lock()
		first := c.monmap == nil
		if first || mm.Epoch >= c.monmap.Epoch {
			c.monmap = mm
		}
		c.mu.Unlock()
		if first {
			close(c.mapped)
		}
	}
	if c.cfg.Handler != nil {
		c.cfg.Handler(p)
	}
}

// authReply advances the session's authentication: auth none is done at
// the first reply; cephx goes on (challenge, session key, service tickets)
// until the principal has its tickets, then fetches rotating secrets for
// a service. Later replies renew tickets and secrets.
func (c *Client) authReply(conn *msgr.Connection, p *messages.AuthReply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn != c.conn {
		return
	}
	fail := func(err error) {
		c.authErr = fmt.Errorf("%w by %s: %w", ErrAuth, conn.PeerAddr(), err)
		c.signalAuthed()
	}
	if p.Result != 0 {
		fail(fmt.Errorf("%d %s", p.Result, p.ResultMsg))
		return
	}
	c.globalID = p.GlobalID
	if c.cfg.Cephx == nil {
		c.signalAuthed()
		return
	}
	if p.Protocol != messages.AuthCephX {
		fail(fmt.Errorf("the mon offers auth protocol %d, this client is set up for cephx", p.Protocol))
		return
	}
	next, done, err := c.cfg.Cephx.HandleReply(p.Result, p.GlobalID, p.ResultBL)
	if err != nil {
		fail(err)
		return
	}
	if next != nil {
		c.sendAuth(conn, next)
		return
	}
	// Fresh rotating secrets with every new session (a restarted mon may
	// have made new ones); later, RenewAuth asks when they near expiry.
	establishing := true
	select {
	case <-c.authed:
		establishing = false
	default:
	}
	if done && establishing && c.cfg.RotatingSecrets && !c.rotatingAsked {
		c.rotatingAsked = true
		c.sendAuth(conn, cephx.RotatingRequest())
		return
	}
	c.rotatingAsked = false
	c.signalAuthed()
}

// rotatingMargin: rotating secrets are fetched again this long before
// the newest expires (Ceph's are valid for an hour).
const rotatingMargin = 10 * time.Minute

// sendAuth sends one cephx MAuth on conn (c.mu held; Send does not block).
func (c *Client) sendAuth(conn *msgr.Connection, payload []byte) {
	if err := conn.Send(messages.Encode(&messages.Auth{Protocol: messages.AuthCephX, AuthPayload: payload})); err != nil {
		c.log.WithError(err).Warn("cephx request not sent")
	}
}

// signalAuthed ends the wait of session (c.mu held).
func (c *Client) signalAuthed() {
	select {
	case <-c.authed:
	default:
		close(c.authed)
	}
}

// RenewAuth asks the mon for the tickets due for renewal and, for a
// service, fresh rotating secrets when the newest nears expiry. A daemon
// calls it from its tick; it does nothing without cephx.
func (c *Client) RenewAuth() {
	if c.cfg.Cephx == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || c.authErr != nil {
		return
	}
	select {
	case <-c.authed:
	default:
		return // the session is still authenticating
	}
	if c.cfg.Cephx.NeedRenewal() {
		next, err := c.cfg.Cephx.Request()
		if err != nil {
			c.log.WithError(err).Warn("cephx renewal not built")
			return
		}
		c.sendAuth(c.conn, next)
		return
	}
	if c.cfg.RotatingSecrets && c.cfg.Cephx.RotatingDue(rotatingMargin) {
		c.sendAuth(c.conn, cephx.RotatingRequest())
	}
}

// HandleReset reconnects after the lossy session to the mon is lost (the
// mon restarted or the network failed), hunting with backoff, until Close.
func (c *Client) HandleReset(conn *msgr.Connection) {
	c.mu.Lock()
	current := conn == c.conn && !c.closed
	hunting := c.hunting
	if current && c.lost != nil {
		select {
		case <-c.lost:
		default:
			close(c.lost)
		}
	}
	c.mu.Unlock()
	if current && !hunting {
		go c.reconnect()
	}
}

func (c *Client) reconnect() {
	delay := 50 * time.Millisecond
	for {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		err := c.hunt(ctx)
		cancel()
		if err == nil {
			c.log.Info("reconnected to the mon")
			return
		}
		time.Sleep(delay) // backoff between hunts, not a wait for an event
		delay = min(delay*2, 2*time.Second)
	}
}

func (c *Client) HandleConnect(*msgr.Connection)          {}
func (c *Client) HandleAccept(*msgr.Connection)           {}
func (c *Client) HandleRemoteReset(conn *msgr.Connection) { c.HandleReset(conn) }
func (c *Client) HandleRefused(conn *msgr.Connection)     { c.HandleReset(conn) }

// Close ends the session. Safe more than once.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.ms.Shutdown()
	c.ms.Wait()
}

var _ msgr.Dispatcher = (*Client)(nil)

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return h
}
