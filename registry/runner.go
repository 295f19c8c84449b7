package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// callKind names the Module method a runner is inside, for the watchdog.
type callKind int32

const (
	callNone callKind = iota
	callStart
	callNotify
	callCommand
	callStop
)

var callNames = [...]string{"", "start", "notify", "command", "stop"}

// errDeadline is the cause of a call context whose own deadline passed, so
// that a caller's cancellation is not blamed on the module.
var errDeadline = errors.New("registry: call deadline")

// runner is one started module: its queue and the goroutine that alone
// calls its Module methods (Start, Notify, Command, Stop, Failed).
type runner struct {
	reg   *Registry
	e     *entry
	name  string
	wants atomic.Pointer[map[string]struct{}] // NOTIFY_TYPES, read by NotifyAll; nil or empty: none
	host  *modHost
	// standby: started in the registry's standby role, so it wants no
	// notifications and its Host says Standby.
	standby bool

	mu sync.Mutex // guards q
	q  queue

	wake     chan struct{} // cap 1: the queue went from empty to non-empty
	cmds     chan *cmdReq  // unbuffered: a command is taken between batches
	stopOnce sync.Once
	stopCh   chan struct{} // closed by requestStop
	done     chan struct{} // closed when loop returns

	// The call in flight, for the supervisor's watchdog.
	callStart atomic.Int64 // unix ns, 0 when idle
	callLimit atomic.Int64 // its deadline, ns
	callKind  atomic.Int32
	// abandoned is set by whoever gave up waiting for this runner: it must
	// not touch the entry again, only release its module.
	abandoned atomic.Bool

	// live is the started module, for other modules' remote calls; nil
	// before Start succeeds and from Stop on.
	live atomic.Pointer[liveModule]

	stopCalled bool // loop goroutine only
	failedNow  bool // loop goroutine only: Module.Failed was non-nil at the last poll
	// loop goroutine only: a crash (Failed wraps ErrCrashed) to restart
	// from, the crash times within Config.Restart.Window, and held: the
	// module crashed too often and stays failed.
	crashed error
	crashes []time.Time
	held    bool
}

type liveModule struct{ mod Module }

type cmdReq struct {
	ctx   context.Context
	cmd   Command
	reply chan cmdReply // cap 1
}

type cmdReply struct {
	res CommandResult
	err error
}

func newRunner(r *Registry, e *entry) *runner {
	run := &runner{
		reg:    r,
		e:      e,
		name:   e.name,
		q:      newQueue(r.cfg.QueueLen),
		wake:   make(chan struct{}, 1),
		cmds:   make(chan *cmdReq),
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}
	run.standby = r.standby // Registry.mu held by the caller (startLocked)
	run.wants.Store(run.wantSet(e.info.NotifyTypes))
	run.host = newHost(r, run, e.name, e.info.Options)
	return run
}

// wantSet is the kinds a runner is fed: none in the standby role.
func (run *runner) wantSet(kinds []string) *map[string]struct{} {
	if run.standby {
		kinds = nil
	}
	return wantSet(kinds)
}

func wantSet(kinds []string) *map[string]struct{} {
	m := make(map[string]struct{}, len(kinds))
	for _, k := range kinds {
		m[k] = struct{}{}
	}
	return &m
}

// enqueue adds ev to the queue without waiting for the module.
func (run *runner) enqueue(ev Event) {
	run.mu.Lock()
	res := run.q.push(ev)
	run.mu.Unlock()
	switch res {
	case pushed:
		select {
		case run.wake <- struct{}{}:
		default:
		}
	case coalesced:
		run.e.st.coalesced.Add(1)
	case dropped:
		run.e.st.dropped.Add(1)
	}
}

func (run *runner) depth() int {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.q.n
}

// discard empties the queue of a module that is stopping, counting what it
// never got.
func (run *runner) discard() {
	run.mu.Lock()
	n := run.q.clear()
	run.mu.Unlock()
	run.e.st.discarded.Add(uint64(n))
}

func (run *runner) requestStop() { run.stopOnce.Do(func() { close(run.stopCh) }) }

func (run *runner) stopRequested() bool {
	select {
	case <-run.stopCh:
		return true
	default:
		return false
	}
}

// loop is the module's goroutine. fresh is a module opened by Load and
// never started, or nil to open a new instance (Stop is final for a Module).
// warming, if not nil, is a spare being opened: it is waited for and used.
func (run *runner) loop(fresh Module, warming <-chan struct{}) {
	defer close(run.done)
	reg := run.reg
	log := reg.log.WithField("module", run.name)

	mod := fresh
	if mod == nil && warming != nil {
		select {
		case <-warming:
		case <-run.stopCh:
		}
		reg.mu.Lock()
		if run.e.run == run {
			mod, run.e.fresh = run.e.fresh, nil
		}
		reg.mu.Unlock()
		if mod != nil && !run.refresh(mod) {
			return
		}
	}
	if mod == nil && run.stopRequested() {
		return
	}
	if mod == nil {
		ctx, cancel := context.WithTimeout(context.Background(), reg.cfg.StartDeadline)
		m, err := safeOpen(ctx, run.e.src, run.name)
		cancel()
		if err != nil {
			log.WithError(err).Error("module failed to load")
			reg.update(run, func(e *entry) {
				e.state, e.err = StateFailed, "load: "+err.Error()
			})
			reg.detach(run)
			return
		}
		mod = m
		if !run.refresh(mod) {
			return
		}
	}
	if run.stopRequested() || run.abandoned.Load() {
		// Never started: keep it for the next Enable, or release it.
		reg.mu.Lock()
		keep := run.e.fresh == nil && !reg.closed
		if keep {
			run.e.fresh = mod
		}
		reg.mu.Unlock()
		if !keep {
			reg.release([]Module{mod})
		}
		return
	}

	over, err := run.invoke(context.Background(), callStart, reg.cfg.StartDeadline, func(ctx context.Context) error {
		return mod.Start(ctx, run.host)
	})
	if run.gone(mod) {
		return
	}
	if err != nil || over {
		reason := "start failed: " + errText(err)
		if over {
			reason = fmt.Sprintf("start ran past its %v deadline: %s", reg.cfg.StartDeadline, errText(err))
		}
		log.Error(reason)
		reg.update(run, func(e *entry) { e.state, e.err = StateFailed, reason })
		run.discard()
		if serr := run.stopModule(mod); serr != nil {
			log.WithError(serr).Warn("module stop after failed start")
		}
		reg.detach(run)
		return
	}
	run.live.Store(&liveModule{mod})
	reg.update(run, func(e *entry) {
		if e.state == StateStarting {
			e.state = StateRunning
		}
	})

	tick := time.NewTicker(reg.cfg.PollInterval)
	defer tick.Stop()
	for {
		if run.stopRequested() {
			run.finish(mod)
			return
		}
		if run.crashed != nil {
			next, ok := run.restart(mod)
			if !ok {
				return
			}
			mod = next
			continue
		}
		select {
		case <-run.stopCh:
			run.finish(mod)
			return
		case req := <-run.cmds:
			if !run.command(mod, req) {
				return
			}
		case <-run.wake:
			if !run.drain(mod) {
				return
			}
		case <-tick.C:
			if !run.checkFailed(mod) {
				return
			}
		}
	}
}

// refresh adopts the declaration of a module opened again (its code may
// have changed since Load). It reports false, having released the module,
// when the module can no longer run.
func (run *runner) refresh(mod Module) bool {
	reg := run.reg
	info := safeInfo(mod)
	info.Name = run.name
	if info.Kind == "" {
		info.Kind = run.e.kind
	}
	reg.mu.Lock()
	current := run.e.run == run
	if current {
		run.e.info = info
		run.wants.Store(run.wantSet(info.NotifyTypes))
		if !info.CanRun {
			run.e.run = nil
			run.e.state = StateCannotRun
		}
		reg.rebuildActiveLocked()
		reg.markDirty()
	}
	reg.mu.Unlock()
	run.host = newHost(reg, run, run.name, info.Options)
	if current && info.CanRun {
		return true
	}
	if current {
		_ = run.stopModule(mod) // release what Open acquired
		return false
	}
	return true // disabled meanwhile: loop keeps it for the next Enable
}

// drain delivers the queue in batches, taking commands between batches.
// It reports false when the runner must exit.
func (run *runner) drain(mod Module) bool {
	cfg := &run.reg.cfg
	st := &run.e.st
	for {
		if run.stopRequested() {
			return true
		}
		select {
		case req := <-run.cmds:
			if !run.command(mod, req) {
				return false
			}
		default:
		}
		if run.failedNow {
			run.discard()
			return true
		}
		run.mu.Lock()
		batch := run.q.pop(cfg.BatchMax)
		run.mu.Unlock()
		if len(batch) == 0 {
			return true
		}
		over, err := run.invoke(context.Background(), callNotify, cfg.NotifyDeadline, func(ctx context.Context) error {
			return mod.Notify(ctx, batch)
		})
		end := time.Now()
		st.batches.Add(1)
		st.delivered.Add(uint64(len(batch)))
		var lat time.Duration
		for _, ev := range batch {
			lat = end.Sub(ev.Queued)
			if cfg.ObserveNotify != nil {
				cfg.ObserveNotify(run.name, lat)
			}
		}
		st.lastLatency.Store(int64(lat))
		if run.gone(mod) {
			return false
		}
		if over {
			run.overrun(mod, callNotify, cfg.NotifyDeadline, err)
			return false
		}
		if err != nil {
			st.errors.Add(1)
			run.reg.log.WithField("module", run.name).WithField("events", len(batch)).
				Errorf("module notify failed: %s", errText(err))
		}
		if !run.checkFailed(mod) {
			return false
		}
	}
}

// command runs one command and replies. It reports false when the runner
// must exit.
func (run *runner) command(mod Module, req *cmdReq) bool {
	if err := req.ctx.Err(); err != nil {
		req.reply <- cmdReply{err: fmt.Errorf("registry: module %q: command not run: %w", run.name, err)}
		return true
	}
	if run.failedNow {
		req.reply <- cmdReply{err: fmt.Errorf("%w: module %q has failed", ErrNotRunning, run.name)}
		return true
	}
	cfg := &run.reg.cfg
	var res CommandResult
	over, err := run.invoke(req.ctx, callCommand, cfg.CommandDeadline, func(ctx context.Context) error {
		var err error
		res, err = mod.Command(ctx, req.cmd)
		return err
	})
	run.e.st.commands.Add(1)
	if err != nil || over {
		run.e.st.commandErrors.Add(1)
	}
	switch {
	case over:
		if err == nil {
			err = context.DeadlineExceeded
		}
		req.reply <- cmdReply{res, fmt.Errorf("registry: module %q: command ran past its %v deadline: %w", run.name, cfg.CommandDeadline, err)}
	case err != nil:
		run.reg.log.WithField("module", run.name).Errorf("module command failed: %s", errText(err))
		req.reply <- cmdReply{res, fmt.Errorf("registry: module %q: command failed: %w", run.name, err)}
	default:
		req.reply <- cmdReply{res: res}
	}
	if run.gone(mod) {
		return false
	}
	if over {
		run.overrun(mod, callCommand, cfg.CommandDeadline, err)
		return false
	}
	return run.checkFailed(mod)
}

// checkFailed polls Module.Failed. A module that ended on its own (serve()
// raised, its process crashed) is marked failed and gets no more events or
// commands; it keeps its goroutine, and Stop runs when it is disabled, as
// Ceph keeps a failed module until it is disabled. A module whose Failed
// turns nil again (a plugin that restarted its process) runs again.
// Always true: failure does not end the runner.
func (run *runner) checkFailed(mod Module) bool {
	if run.held {
		return true // dead for good until Enable retries or Disable stops it
	}
	ferr := safeFailed(mod)
	log := run.reg.log.WithField("module", run.name)
	switch {
	case ferr != nil && !run.failedNow && errors.Is(ferr, ErrCrashed):
		// The loop restarts it (restart), or holds it failed.
		run.failedNow = true
		run.crashed = ferr
		run.discard()
	case ferr != nil && !run.failedNow:
		run.failedNow = true
		reason := ferr.Error()
		log.Errorf("module failed: %s", reason)
		run.reg.update(run, func(e *entry) { e.state, e.err = StateFailed, reason })
		run.discard()
	case ferr == nil && run.failedNow:
		run.failedNow = false
		log.Info("module recovered")
		run.reg.update(run, func(e *entry) { e.state, e.err = StateRunning, "" })
	}
	return true
}

// restart replaces a module whose process crashed (run.crashed) with a
// freshly opened instance after a backoff, and retries while opening or
// starting it fails; each crash, and each failed reopen, counts against
// Config.Restart. Past its Limit within its Window the module is held
// failed (MGR_MODULE_ERROR) with the crash reason, and keeps its runner
// until Disable or Enable. While it waits, commands are answered
// ErrNotRunning and events discarded. It returns the module the loop goes
// on with, or false when the runner must exit (stop requested, abandoned,
// can no longer run), the module having been stopped.
func (run *runner) restart(mod Module) (Module, bool) {
	reg := run.reg
	pol := &reg.cfg.Restart
	log := reg.log.WithField("module", run.name)
	cause := run.crashed
	run.crashed = nil
	for {
		n := run.recordCrash(time.Now())
		reason := errText(cause)
		if n >= pol.Limit {
			run.held = true
			_ = run.stopModule(mod) // a dead process, or one whose Start failed
			msg := fmt.Sprintf("crashed %d times within %v; not restarted (enable it to retry); last: %s", n, pol.Window, reason)
			log.Error("module " + msg)
			reg.update(run, func(e *entry) { e.state, e.err = StateFailed, msg })
			return mod, true
		}
		delay := pol.Backoff(n)
		log.WithField("restart_in", delay).Warnf("module crashed (%d within %v), restarting: %s", n, pol.Window, reason)
		reg.update(run, func(e *entry) {
			e.state = StateRestarting
			e.err = fmt.Sprintf("crashed (%d within %v), restarting in %v: %s", n, pol.Window, delay, reason)
		})
		if err := run.stopModule(mod); err != nil {
			log.WithError(err).Warn("stopping the crashed module")
		}
		if !run.backoff(mod, delay) {
			return mod, false
		}

		ctx, cancel := context.WithTimeout(context.Background(), reg.cfg.StartDeadline)
		next, err := safeOpen(ctx, run.e.src, run.name)
		cancel()
		if err != nil {
			cause = fmt.Errorf("reopen after crash: %w", err)
			continue
		}
		run.stopCalled = false // next's Stop, from here on
		if !run.refresh(next) || run.stopRequested() || run.abandoned.Load() {
			_ = run.stopModule(next)
			return next, false
		}
		mod = next
		over, err := run.invoke(context.Background(), callStart, reg.cfg.StartDeadline, func(ctx context.Context) error {
			return mod.Start(ctx, run.host)
		})
		if run.gone(mod) {
			return mod, false
		}
		if err != nil || over {
			cause = fmt.Errorf("start after crash: %w", err)
			if over {
				cause = fmt.Errorf("start after crash ran past its %v deadline: %w", reg.cfg.StartDeadline, err)
			}
			continue
		}
		run.failedNow = false
		run.live.Store(&liveModule{mod})
		log.Info("module restarted")
		reg.update(run, func(e *entry) { e.state, e.err = StateRunning, "" })
		return mod, true
	}
}

// recordCrash adds a crash at now and returns the count within the window.
func (run *runner) recordCrash(now time.Time) int {
	keep := run.crashes[:0]
	for _, t := range run.crashes {
		if now.Sub(t) < run.reg.cfg.Restart.Window {
			keep = append(keep, t)
		}
	}
	run.crashes = append(keep, now)
	return len(run.crashes)
}

// backoff waits d before a restart, answering commands (ErrNotRunning) and
// discarding events meanwhile. It reports false when the runner must exit.
func (run *runner) backoff(mod Module, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return !run.stopRequested() && !run.abandoned.Load()
		case <-run.stopCh:
			run.discard()
			return false
		case req := <-run.cmds:
			run.command(mod, req) // failedNow: refused without calling mod
		case <-run.wake:
			run.discard()
		}
	}
}

// overrun handles a call past its deadline: a health warning, then the
// module is stopped; if Stop hangs too it is marked failed and abandoned.
func (run *runner) overrun(mod Module, k callKind, limit time.Duration, err error) {
	run.e.st.overruns.Add(1)
	reason := fmt.Sprintf("%s ran past its %v deadline", callNames[k], limit)
	run.reg.log.WithField("module", run.name).Errorf("%s (%s); stopping the module", reason, errText(err))
	run.reg.update(run, func(e *entry) {
		e.overrun = reason
		e.state, e.err = StateStopped, reason+"; stopped by the registry"
	})
	run.discard()
	if serr := run.stopModule(mod); serr != nil {
		run.reg.update(run, func(e *entry) {
			e.state, e.err = StateFailed, reason+"; stop failed: "+serr.Error()
		})
	}
	run.reg.detach(run)
}

// finish handles a requested stop (Disable, Close): the queue is discarded
// and Stop called. The entry has already forgotten this runner.
func (run *runner) finish(mod Module) {
	run.discard()
	if err := run.stopModule(mod); err != nil {
		run.reg.log.WithField("module", run.name).WithError(err).Warn("module stop")
	}
}

// gone reports whether the runner was abandoned while in a call; if so it
// releases the module (once) and the loop must exit.
func (run *runner) gone(mod Module) bool {
	if !run.abandoned.Load() {
		return false
	}
	run.discard()
	_ = run.stopModule(mod)
	return true
}

// stopModule calls Stop once, bounded by StopDeadline.
func (run *runner) stopModule(mod Module) error {
	if run.stopCalled {
		return nil
	}
	run.stopCalled = true
	run.live.Store(nil)
	limit := run.reg.cfg.StopDeadline
	over, err := run.invoke(context.Background(), callStop, limit, mod.Stop)
	if over {
		if err == nil {
			err = context.DeadlineExceeded
		}
		return fmt.Errorf("stop ran past its %v deadline: %w", limit, err)
	}
	return err
}

// invoke runs one Module call with a deadline, recovering panics. over
// reports a call past its own deadline (not the caller's), or ErrStuck.
func (run *runner) invoke(parent context.Context, k callKind, limit time.Duration, fn func(context.Context) error) (over bool, err error) {
	ctx, cancel := context.WithTimeoutCause(parent, limit, errDeadline)
	defer cancel()
	run.callKind.Store(int32(k))
	run.callLimit.Store(int64(limit))
	run.callStart.Store(time.Now().UnixNano())
	err = safeCall(ctx, fn)
	run.callStart.Store(0)
	over = errors.Is(err, ErrStuck) || errors.Is(context.Cause(ctx), errDeadline)
	return over, err
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func safeCall(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return fn(ctx)
}

func safeOpen(ctx context.Context, src Source, name string) (m Module, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("%w: open: %v", ErrPanic, p)
		}
	}()
	m, err = src.Open(ctx, name)
	if err == nil && m == nil {
		err = fmt.Errorf("registry: %s source opened %q as nil", src.Kind(), name)
	}
	return m, err
}

func safeInfo(m Module) (info Info) {
	defer func() {
		if p := recover(); p != nil {
			info = Info{CanRun: false, CanRunError: fmt.Sprintf("%v: info: %v", ErrPanic, p)}
		}
	}()
	return m.Info()
}

func safeFailed(m Module) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: failed: %v", ErrPanic, p)
		}
	}()
	return m.Failed()
}

func safeScan(src Source) (names []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			names, err = nil, fmt.Errorf("%w: scan: %v", ErrPanic, p)
		}
	}()
	return src.Scan()
}
