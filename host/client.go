package host

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"gomgr/messages"
	"gomgr/monclient"
	"gomgr/msgr"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

// replyWaiter receives the one reply of a command session, or hears that
// the session is gone (the daemon is dead or refused it): the command will
// get no reply, and the caller need not wait for its deadline.
type replyWaiter struct {
	reply chan *messages.MgrCommandReply
	lost  chan struct{}
	once  sync.Once
}

func (w *replyWaiter) Dispatch(_ *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		return
	}
	var r *messages.MgrCommandReply
	switch p := p.(type) {
	case *messages.MgrCommandReply:
		r = p
	case *messages.TellCommandReply:
		r = &p.MgrCommandReply
	default:
		return
	}
	select {
	case w.reply <- r:
	default:
	}
}

func (w *replyWaiter) gone()                              { w.once.Do(func() { close(w.lost) }) }
func (w *replyWaiter) HandleConnect(*msgr.Connection)     {}
func (w *replyWaiter) HandleAccept(*msgr.Connection)      {}
func (w *replyWaiter) HandleReset(*msgr.Connection)       { w.gone() }
func (w *replyWaiter) HandleRemoteReset(*msgr.Connection) { w.gone() }
func (w *replyWaiter) HandleRefused(*msgr.Connection)     { w.gone() }

// Command sends one command to the mgr at addr (a module's COMMANDS, or
// get_command_descriptions) and waits for the reply, as `ceph` does for mgr
// commands. A mgr that refuses the connection or drops it before it
// replies gives ErrMgrUnreachable at once. Safe from any goroutine.
func Command(ctx context.Context, auth msgr.Auth, addr string, args map[string]any, inbuf []byte) (monclient.CommandResult, error) {
	return command(ctx, auth, addr, wire.EntityMgr, args, inbuf)
}

// command sends args to the daemon at addr, of type peer: an MMgrCommand
// to a mgr, an MCommand (Ceph's `ceph tell`) to an OSD, on a session of
// its own, and waits for the reply. A daemon that refuses the connection
// or drops it before it replies gives ErrMgrUnreachable or
// ErrDaemonUnreachable at once.
func command(ctx context.Context, auth msgr.Auth, addr string, peer uint8, args map[string]any, inbuf []byte) (monclient.CommandResult, error) {
	js, err := json.Marshal(args)
	if err != nil {
		return monclient.CommandResult{}, fmt.Errorf("host: command: %w", err)
	}
	who, unreachable := "mgr", ErrMgrUnreachable
	var p messages.Payload = &messages.MgrCommand{Cmd: []string{string(js)}, Inbl: inbuf}
	if peer != wire.EntityMgr {
		who, unreachable = wire.EntityName{Type: peer}.String(), ErrDaemonUnreachable
		p = &messages.TellCommand{MgrCommand: messages.MgrCommand{Cmd: []string{string(js)}, Inbl: inbuf}}
	}
	w := &replyWaiter{reply: make(chan *messages.MgrCommandReply, 1), lost: make(chan struct{})}
	ms, err := msgr.New(msgr.Config{Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, Workers: 1,
		Dispatcher: w, DefaultPolicy: msgr.LossyClient(), Auth: auth})
	if err != nil {
		return monclient.CommandResult{}, fmt.Errorf("host: command: %w", err)
	}
	if err := ms.Start(); err != nil {
		return monclient.CommandResult{}, fmt.Errorf("host: command: %w", err)
	}
	defer func() { ms.Shutdown(); ms.Wait() }()
	conn, err := ms.Connect(addr, peer)
	if err != nil {
		return monclient.CommandResult{}, fmt.Errorf("host: connect to %s %s: %w", who, addr, err)
	}
	m := messages.Encode(p)
	m.Tid = 1
	if err := conn.Send(m); err != nil {
		return monclient.CommandResult{}, fmt.Errorf("host: command: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	select {
	case r := <-w.reply:
		return monclient.CommandResult{Retval: int(r.R), Status: r.RS, Out: r.Outbl}, nil
	case <-w.lost:
		return monclient.CommandResult{}, fmt.Errorf("%w: %s %s", unreachable, who, addr)
	case <-ctx.Done():
		return monclient.CommandResult{}, fmt.Errorf("host: no reply from %s %s: %w", who, addr, ctx.Err())
	}
}

// CommandDescriptions asks the mgr at addr for its modules' COMMANDS.
func CommandDescriptions(ctx context.Context, auth msgr.Auth, addr string) ([]registry.ModuleCommand, error) {
	res, err := Command(ctx, auth, addr, map[string]any{"prefix": "get_command_descriptions"}, nil)
	if err != nil {
		return nil, err
	}
	if res.Retval != 0 {
		return nil, fmt.Errorf("%w: get_command_descriptions: %s", ErrMonCommand, res.Status)
	}
	return parseCephDescriptions(res.Out)
}
