package plugins

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

type modState int

const (
	stateOpened modState = iota
	stateStarted
	stateStopped
)

// module is a registry.Module backed by a plugin process that it restarts
// after crashes. The registry's goroutine calls Start, Notify, Command and
// Stop; the current proc's recvLoop and pingLoop, deadline callbacks and
// restart timers call fail and restart. mu guards the fields after it.
type module struct {
	src  *Source
	name string
	path string
	info registry.Info // fixed after Open
	log  logrus.FieldLogger

	mu       sync.Mutex
	state    modState
	cur      *proc // nil while restarting or after giving up
	host     registry.Host
	failed   error       // Failed()
	gaveUp   bool        // CrashLimit reached or binary changed: no more restarts
	crashes  []time.Time // failures within CrashWindow
	idle     *time.Timer // stops the Open process if Start does not come
	restartT *time.Timer
	restarts sync.WaitGroup // scheduled or running restarts
}

var _ registry.Module = (*module)(nil)

// Info implements registry.Module.
func (m *module) Info() registry.Info { return m.info }

// idleStop stops the process Open started when Start did not follow.
func (m *module) idleStop() {
	m.mu.Lock()
	p := m.cur
	if m.state != stateOpened || p == nil {
		m.mu.Unlock()
		return
	}
	m.cur = nil
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), m.src.cfg.KillTimeout)
	defer cancel()
	_ = p.shutdown(ctx)
}

// Start implements registry.Module: it reuses the process Open started
// (or starts one), serves h to it and calls the plugin's Start.
func (m *module) Start(ctx context.Context, h registry.Host) error {
	m.mu.Lock()
	if m.state != stateOpened {
		m.mu.Unlock()
		return fmt.Errorf("plugins: %s: Start called twice or after Stop", m.name)
	}
	if m.idle != nil {
		m.idle.Stop()
	}
	p := m.cur
	m.cur = nil
	m.host = h
	m.state = stateStarted
	m.mu.Unlock()
	if p == nil || p.client.Exited() {
		if p != nil {
			p.kill()
		}
		var err error
		if p, _, err = m.launch(ctx); err != nil {
			m.abortStart()
			return err
		}
	}
	if err := p.start(ctx, h); err != nil {
		p.kill()
		m.abortStart()
		return err
	}
	m.install(p)
	return nil
}

func (m *module) abortStart() {
	m.mu.Lock()
	m.state = stateStopped
	if m.restartT != nil && m.restartT.Stop() {
		m.restarts.Done()
	}
	m.mu.Unlock()
}

// install makes p current, unless the module stopped meanwhile, and
// handles a process that died while it was being started.
func (m *module) install(p *proc) {
	m.mu.Lock()
	if m.state != stateStarted {
		m.mu.Unlock()
		p.kill()
		return
	}
	m.cur = p
	m.failed = nil
	m.mu.Unlock()
	if p.isDead() {
		m.fail(p, p.deadErr)
	}
}

// fail handles the end of p: it kills p and, if p was current, marks the
// module failed and schedules a restart with backoff or gives up after
// CrashLimit failures in CrashWindow. Safe from any goroutine; only the
// first call for a proc counts.
func (m *module) fail(p *proc, err error) {
	m.mu.Lock()
	if m.cur != p {
		m.mu.Unlock()
		p.kill()
		return
	}
	m.cur = nil
	if m.state != stateStarted {
		m.mu.Unlock()
		p.kill()
		return
	}
	n := m.recordFailure()
	cfg := &m.src.cfg
	if errors.Is(err, ErrChecksum) || n >= cfg.CrashLimit {
		m.giveUp(err, n)
		m.mu.Unlock()
		p.kill()
		return
	}
	m.failed = err
	delay := backoff(cfg.BackoffBase, cfg.BackoffCap, n)
	m.scheduleRestart(delay)
	m.mu.Unlock()
	m.log.WithError(err).WithField("restart_in", delay).Warn("plugins: plugin failed, restarting")
	p.kill()
}

// recordFailure adds a failure now and returns the count in the window.
// mu must be held.
func (m *module) recordFailure() int {
	now := time.Now()
	keep := m.crashes[:0]
	for _, t := range m.crashes {
		if now.Sub(t) < m.src.cfg.CrashWindow {
			keep = append(keep, t)
		}
	}
	m.crashes = append(keep, now)
	return len(m.crashes)
}

// giveUp leaves the module failed for good. mu must be held.
func (m *module) giveUp(err error, n int) {
	m.gaveUp = true
	if errors.Is(err, ErrChecksum) {
		m.failed = err
	} else {
		m.failed = fmt.Errorf("%w: %s failed %d times within %s; last: %w",
			ErrCrashLoop, m.name, n, m.src.cfg.CrashWindow, err)
	}
	m.log.WithError(m.failed).Error("plugins: plugin not restarted")
}

// scheduleRestart arms the restart timer. mu must be held.
func (m *module) scheduleRestart(d time.Duration) {
	m.restarts.Add(1)
	m.restartT = time.AfterFunc(d, m.restart)
}

// backoff is the registry's restart rule (registry.RestartPolicy.Backoff),
// which the registry applies to crashed isolated Python modules too.
func backoff(base, maxDelay time.Duration, n int) time.Duration {
	return registry.RestartPolicy{BackoffBase: base, BackoffCap: maxDelay}.Backoff(n)
}

// restart runs on the restart timer's goroutine.
func (m *module) restart() {
	defer m.restarts.Done()
	m.mu.Lock()
	if m.state != stateStarted || m.gaveUp {
		m.mu.Unlock()
		return
	}
	h := m.host
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), m.src.cfg.StartTimeout)
	defer cancel()
	p, info, err := m.launch(ctx)
	if err == nil {
		if info.Version != m.info.Version {
			m.log.WithField("version", info.Version).Warn("plugins: restarted plugin declares another version; keeping the first declaration")
		}
		if err = p.start(ctx, h); err != nil {
			p.kill()
		}
	}
	if err != nil {
		m.mu.Lock()
		if m.state == stateStarted && !m.gaveUp {
			n := m.recordFailure()
			cfg := &m.src.cfg
			if errors.Is(err, ErrChecksum) || n >= cfg.CrashLimit {
				m.giveUp(err, n)
			} else {
				m.failed = fmt.Errorf("%w: %s: restart failed: %w", ErrCrashed, m.name, err)
				m.scheduleRestart(backoff(cfg.BackoffBase, cfg.BackoffCap, n))
			}
		}
		m.mu.Unlock()
		return
	}
	m.log.Info("plugins: plugin restarted")
	m.install(p)
}

// current returns the running proc or an error saying why there is none.
func (m *module) current() (*proc, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.state == stateStopped:
		return nil, fmt.Errorf("%w: %s", ErrStopped, m.name)
	case m.state == stateOpened:
		return nil, fmt.Errorf("%w: %s: not started", ErrNotRunning, m.name)
	case m.cur == nil && m.failed != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrNotRunning, m.name, m.failed)
	case m.cur == nil:
		return nil, fmt.Errorf("%w: %s", ErrNotRunning, m.name)
	}
	return m.cur, nil
}

// Notify implements registry.Module: one batch on the stream, one ack.
func (m *module) Notify(ctx context.Context, events []registry.Event) error {
	p, err := m.current()
	if err != nil {
		return err
	}
	b := &pb.NotifyBatch{Events: make([]*pb.Event, len(events))}
	for i, e := range events {
		b.Events[i] = &pb.Event{Kind: e.Kind, Id: e.ID}
	}
	return p.roundTrip(ctx, b, fmt.Errorf("plugins: %s: notify of %d events: %w", m.name, len(events), registry.ErrStuck))
}

// Command implements registry.Module.
func (m *module) Command(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	p, err := m.current()
	if err != nil {
		return registry.CommandResult{}, err
	}
	args, err := jsonOrNil(cmd.Args)
	if err != nil {
		return registry.CommandResult{}, fmt.Errorf("plugins: %s: command arguments: %w", m.name, err)
	}
	r, err := p.raw.client.Command(ctx, &pb.CommandRequest{ArgsJson: args, Inbuf: cmd.Inbuf})
	if err != nil {
		if c := status.Code(err); ctx.Err() != nil || c == codes.DeadlineExceeded || c == codes.Canceled {
			stuck := fmt.Errorf("plugins: %s: command %v: %w", m.name, cmd.Args["prefix"], registry.ErrStuck)
			m.fail(p, stuck)
			return registry.CommandResult{}, stuck
		}
		if status.Code(err) == codes.Unavailable {
			return registry.CommandResult{}, fmt.Errorf("%w: %s: %w", ErrNotRunning, m.name, err)
		}
		return registry.CommandResult{}, fmt.Errorf("plugins: %s: command: %w", m.name, err)
	}
	return registry.CommandResult{Retval: int(r.GetRetval()), Stdout: r.GetStdout(), Stderr: r.GetStderr()}, nil
}

// Stop implements registry.Module: Shutdown, then a bounded kill; it
// waits (bounded by ctx) for a restart in flight so no process outlives
// Stop.
func (m *module) Stop(ctx context.Context) error {
	m.mu.Lock()
	if m.state == stateStopped {
		m.mu.Unlock()
		return nil
	}
	m.state = stateStopped
	if m.idle != nil {
		m.idle.Stop()
	}
	if m.restartT != nil && m.restartT.Stop() {
		m.restarts.Done()
	}
	p := m.cur
	m.cur = nil
	m.mu.Unlock()
	var err error
	if p != nil {
		err = p.shutdown(ctx)
	}
	done := make(chan struct{})
	go func() {
		m.restarts.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = fmt.Errorf("plugins: %s: stop: restart still in flight: %w", m.name, ctx.Err())
		}
	}
	return err
}

// Failed implements registry.Module: non-nil while the module is down
// after a failure (restarting) and for good after it gave up.
func (m *module) Failed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

// Pid returns the current plugin process id, or 0 (for tests and Bench).
func (m *module) pid() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur == nil {
		return 0
	}
	return m.cur.pid()
}
