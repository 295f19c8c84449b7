package mon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	MonAddr string
	// Name is this entity (its type matters to the mon: client, mgr, osd).
	Name   wire.EntityName
	AuthID string // "admin"
	// Handler gets every message the mon pushes (maps, digests, log) on the
	// client's dispatch goroutine, in order. It must not block for long.
	Handler func(p messages.Payload)
	Logger  *logrus.Entry
	// Timeout bounds connecting and each command (default 10 s).
	Timeout time.Duration
}

// Client is gomgr's MonClient: one lossy session with the mon, auth none,
// subscriptions renewed after a reconnect, commands matched by tid. Safe
// from any goroutine.
type Client struct {
	cfg ClientConfig
	log *logrus.Entry
	ms  *msgr.Messenger

	mu       sync.Mutex
	conn     *msgr.Connection
	authed   chan struct{} // closed when the current session is authenticated
	globalID uint64
	subs     map[string]messages.SubscribeItem
	tid      uint64
	waiting  map[uint64]chan *messages.MonCommandAck
	closed   bool
}

// Dial connects and authenticates.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.AuthID == "" {
		cfg.AuthID = "admin"
	}
	c := &Client{cfg: cfg, log: cfg.Logger.WithField("monc", cfg.MonAddr),
		subs: map[string]messages.SubscribeItem{}, waiting: map[uint64]chan *messages.MonCommandAck{}}
	ms, err := msgr.New(msgr.Config{Name: cfg.Name, Workers: 1, Dispatcher: c,
		DefaultPolicy: msgr.LossyClient(), Logger: c.log, BackoffMax: time.Second})
	if err != nil {
		return nil, fmt.Errorf("mon: client messenger: %w", err)
	}
	if err := ms.Start(); err != nil {
		return nil, fmt.Errorf("mon: client messenger: %w", err)
	}
	c.ms = ms
	if err := c.connect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connect opens a session and waits for its auth reply.
func (c *Client) connect(ctx context.Context) error {
	conn, err := c.ms.Connect(c.cfg.MonAddr, wire.EntityMon)
	if err != nil {
		return fmt.Errorf("mon: connect %s: %w", c.cfg.MonAddr, err)
	}
	authed := make(chan struct{})
	c.mu.Lock()
	c.conn, c.authed = conn, authed
	c.mu.Unlock()
	hello := &messages.Auth{AuthPayload: messages.EncodeAuthHello(messages.AuthHello{
		Protocols: []uint32{messages.AuthNone},
		Name:      messages.AuthName{Type: uint32(c.cfg.Name.Type), ID: c.cfg.AuthID},
	})}
	if err := conn.Send(messages.Encode(hello)); err != nil {
		return fmt.Errorf("mon: auth: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	select {
	case <-authed:
	case <-ctx.Done():
		conn.MarkDown()
		return fmt.Errorf("mon: no auth reply from %s: %w", c.cfg.MonAddr, ErrUnreachable)
	}
	c.mu.Lock()
	subs := maps.Clone(c.subs)
	c.mu.Unlock()
	if len(subs) > 0 {
		return c.sendSub(subs)
	}
	return nil
}

// GlobalID is the id the mon gave this session.
func (c *Client) GlobalID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.globalID
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
	return c.Send(&messages.MonSubscribe{What: what, Hostname: hostname()})
}

// Send sends a message to the mon on the current session.
func (c *Client) Send(p messages.Payload) error {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrUnreachable
	}
	return conn.Send(messages.Encode(p))
}

// Command runs a mon command: args is Ceph's cmdmap ({"prefix": "osd dump",
// "format": "json"}).
func (c *Client) Command(ctx context.Context, args map[string]any, inbuf []byte) (CommandResult, error) {
	js, err := json.Marshal(args)
	if err != nil {
		return CommandResult{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	ch := make(chan *messages.MonCommandAck, 1)
	c.mu.Lock()
	c.tid++
	tid := c.tid
	c.waiting[tid] = ch
	conn := c.conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, tid)
		c.mu.Unlock()
	}()
	if conn == nil {
		return CommandResult{}, ErrUnreachable
	}
	m := messages.Encode(&messages.MonCommand{Cmd: []string{string(js)}, Inbuf: inbuf})
	m.Tid = tid
	if err := conn.Send(m); err != nil {
		return CommandResult{}, fmt.Errorf("mon: command: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	select {
	case ack := <-ch:
		return CommandResult{Retval: int(ack.R), Out: ack.Outbuf, Status: ack.RS}, nil
	case <-ctx.Done():
		return CommandResult{}, fmt.Errorf("mon: command %q: %w", args["prefix"], ErrUnreachable)
	}
}

// Dispatch implements msgr.Dispatcher.
func (c *Client) Dispatch(conn *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		c.log.WithError(err).Warn("undecodable message from the mon dropped")
		return
	}
	switch p := p.(type) {
	case *messages.AuthReply:
		c.mu.Lock()
		if conn == c.conn && p.Result == 0 {
			c.globalID = p.GlobalID
			select {
			case <-c.authed:
			default:
				close(c.authed)
			}
		}
		c.mu.Unlock()
		return
	case *messages.MonCommandAck:
		c.mu.Lock()
		ch := c.waiting[m.Tid]
		c.mu.Unlock()
		if ch != nil {
			ch <- p
		}
		return
	}
	if c.cfg.Handler != nil {
		c.cfg.Handler(p)
	}
}

// HandleReset reconnects after the lossy session to the mon is lost (the
// mon restarted or the network failed), with backoff, until Close.
func (c *Client) HandleReset(conn *msgr.Connection) {
	c.mu.Lock()
	current := conn == c.conn && !c.closed
	c.mu.Unlock()
	if !current {
		return
	}
	go c.reconnect()
}

func (c *Client) reconnect() {
	delay := 100 * time.Millisecond
	for {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		if err := c.connect(context.Background()); err == nil {
			c.log.Info("reconnected to the mon")
			return
		}
		time.Sleep(delay) // backoff between dial attempts, not a wait for an event
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

// ErrUnreachable is a mon that does not answer in time.
var ErrUnreachable = errors.New("mon: no answer from the mon")

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return h
}
