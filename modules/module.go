package modules

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-python/gpython/py"
	"github.com/sirupsen/logrus"

	"gomgr/registry"
)

// hostCallTimeout bounds one host call a module makes (get_store, ...),
// so a slow store cannot hold the owner goroutine forever.
const hostCallTimeout = 30 * time.Second

// job is one piece of work posted to a module's owner goroutine.
type job struct {
	what string
	fn   func() error
	done chan error // buffered: the poster may have gone (deadline)
}

// stuckInfo records a call that overran its deadline and still runs.
type stuckInfo struct {
	what  string
	since time.Time
}

// pyModule is one Python module: one gpython context driven by one owner
// goroutine. Every field under "owner" is touched only by that goroutine;
// other goroutines post jobs on jobs and read the atomics.
type pyModule struct {
	name    string
	path    string
	allowOS bool
	log     logrus.FieldLogger
	info    registry.Info // fixed once Open returns

	jobs     chan job
	stopping chan struct{} // closed by Stop after shutdown(): waits in serve raise SystemExit
	quit     chan struct{} // closed by Stop: the owner loop ends when idle
	exited   chan struct{} // closed when the owner goroutine returns

	started   atomic.Bool
	stopped   atomic.Bool
	serving   atomic.Bool   // serve() was posted
	serveDone chan struct{} // closed when serve() returns
	failed    atomic.Pointer[error]
	stuck     atomic.Pointer[stuckInfo]
	stopOnce  sync.Once

	// owner
	host registry.Host
	pctx py.Context
	cls  *py.Type
	// standbyCls is module.py's StandbyModule (a MgrStandbyModule), what
	// runs when the Host says Standby; nil: the module's class runs there
	// too if it is STANDBY_OK.
	standbyCls *py.Type
	inst       py.Object
	src        sources
	cacheMu    sync.Mutex // cache: the owner, and ReleaseValues from any goroutine
	cache      map[string]cachedValue
	inServe    bool
	nested     int
	baseCtx    context.Context
	cancel     context.CancelFunc
	notifyFn   py.Object
}

// cachedValue is one get() result converted for one Value version.
type cachedValue struct {
	version uint64
	obj     py.Object
}

// ReleaseValues drops the converted get() results; the next get() of a
// name converts again. A module process calls it when the values went
// unused (modules/isolate): the objects of a 1,000-OSD map are megabytes.
func (m *pyModule) ReleaseValues() {
	m.cacheMu.Lock()
	clear(m.cache)
	m.cacheMu.Unlock()
}

var _ registry.Module = (*pyModule)(nil)

func newPyModule(name, path string, allowOS bool, log logrus.FieldLogger) *pyModule {
	ctx, cancel := context.WithCancel(context.Background())
	m := &pyModule{
		name:      name,
		path:      path,
		allowOS:   allowOS,
		log:       log.WithField("module", name),
		jobs:      make(chan job),
		stopping:  make(chan struct{}),
		quit:      make(chan struct{}),
		exited:    make(chan struct{}),
		serveDone: make(chan struct{}),
		src:       sources{},
		cache:     map[string]cachedValue{},
		baseCtx:   ctx,
		cancel:    cancel,
	}
	go m.loop()
	return m
}

// loop is the owner goroutine: it alone touches the gpython context.
func (m *pyModule) loop() {
	defer close(m.exited)
	defer m.cancel()
	for {
		select {
		case j := <-m.jobs:
			m.run(j)
		case <-m.quit:
			if m.pctx != nil {
				_ = m.pctx.Close()
			}
			return
		}
	}
}

// run executes one job on the owner goroutine. A Go panic inside gpython
// (bad input it does not check) becomes the job's error; a Go stack
// overflow cannot be recovered (see doc.go).
func (m *pyModule) run(j job) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				// No stack: the Go frames say nothing to a module author.
				err = fmt.Errorf("modules: %s: %s: %w: the interpreter failed (gpython Go panic): %v", m.name, j.what, ErrPython, r)
			}
		}()
		return j.fn()
	}()
	// Whatever overran its deadline has now returned.
	m.stuck.Store(nil)
	j.done <- err
}

// call posts fn to the owner goroutine and waits for it, or for ctx. When
// ctx ends first the code keeps running (gpython cannot be interrupted):
// the module is marked stuck, later calls fail fast, and the error wraps
// registry.ErrStuck.
func (m *pyModule) call(ctx context.Context, what string, fn func() error) error {
	if s := m.stuck.Load(); s != nil {
		return fmt.Errorf("modules: %s: %s refused: %s has been running since %s: %w",
			m.name, what, s.what, s.since.Format(time.RFC3339), registry.ErrStuck)
	}
	j := job{what: what, fn: fn, done: make(chan error, 1)}
	select {
	case m.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("modules: %s: %s not started by its deadline, the module is busy (serve() not yielding?): %w (%w)",
			m.name, what, registry.ErrStuck, ctx.Err())
	case <-m.exited:
		return fmt.Errorf("modules: %s: %s: %w", m.name, what, ErrStopped)
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		m.stuck.CompareAndSwap(nil, &stuckInfo{what: what, since: time.Now()})
		return fmt.Errorf("modules: %s: %s still running at its deadline: %w (%w)", m.name, what, registry.ErrStuck, ctx.Err())
	}
}

// pyErr wraps a Python exception with its traceback. Owner goroutine only.
func (m *pyModule) pyErr(what string, err error) error {
	return fmt.Errorf("modules: %s: %s: %w\n%s", m.name, what, ErrPython, m.src.traceback(err))
}

// Info implements registry.Module. Safe from any goroutine.
func (m *pyModule) Info() registry.Info { return m.info }

// Failed implements registry.Module: serve() raising, or a call still
// running past its deadline. Safe from any goroutine.
func (m *pyModule) Failed() error {
	if e := m.failed.Load(); e != nil {
		return *e
	}
	if s := m.stuck.Load(); s != nil {
		return fmt.Errorf("modules: %s: %s has been running since %s: %w", m.name, s.what, s.since.Format(time.RFC3339), registry.ErrStuck)
	}
	return nil
}

// Start implements registry.Module: it constructs the module class (on a
// standby Host, module.py's StandbyModule when it has one) with no
// arguments, then runs serve() on the owner goroutine. serve() shares
// the goroutine with notify and commands: they run while serve() waits in
// self.event.wait(t), time.sleep(t) or self.wait(t).
func (m *pyModule) Start(ctx context.Context, h registry.Host) error {
	if h == nil {
		return fmt.Errorf("modules: %s: Start with a nil Host", m.name)
	}
	if m.stopped.Load() {
		return fmt.Errorf("modules: %s: %w", m.name, ErrStopped)
	}
	if !m.started.CompareAndSwap(false, true) {
		return fmt.Errorf("modules: %s: already started", m.name)
	}
	cls := m.cls
	if sh, ok := h.(registry.StandbyHost); ok && sh.Standby() && m.standbyCls != nil {
		cls = m.standbyCls // serve() and shutdown() only: never notified
	}
	err := m.call(ctx, "start", func() error {
		m.host = h
		inst, err := py.Call(cls, nil, nil)
		if err != nil {
			return m.pyErr("__init__", err)
		}
		m.inst = inst
		if cls == m.standbyCls {
			return nil
		}
		if m.notifyFn, err = py.GetAttrString(inst, "notify"); err != nil {
			return m.pyErr("notify", err)
		}
		return nil
	})
	if err != nil {
		m.failed.CompareAndSwap(nil, &err)
		return err
	}
	// serve() runs as a job the caller does not wait for.
	j := job{what: "serve", fn: m.serve, done: make(chan error, 1)}
	select {
	case m.jobs <- j:
		m.serving.Store(true)
		return nil
	case <-ctx.Done():
		err := fmt.Errorf("modules: %s: could not start serve(): %w (%w)", m.name, registry.ErrStuck, ctx.Err())
		m.failed.CompareAndSwap(nil, &err)
		return err
	}
}

// serve runs the module's serve() to its end. Owner goroutine.
func (m *pyModule) serve() error {
	defer close(m.serveDone)
	m.inServe = true
	defer func() { m.inServe = false }()
	fn, err := py.GetAttrString(m.inst, "serve")
	if err == nil {
		_, err = py.Call(fn, nil, nil)
	}
	if err != nil {
		select {
		case <-m.stopping:
			// Stop forced serve() out with SystemExit: not a failure.
			return nil
		default:
		}
		ferr := fmt.Errorf("modules: %s: %w\n%s", m.name, ErrServe, m.src.traceback(err))
		m.failed.CompareAndSwap(nil, &ferr)
		m.log.WithError(ferr).Error("serve() raised")
	}
	return nil
}

// Notify implements registry.Module: notify(kind, id) for each event, in
// order. An exception does not stop the batch; the first is returned.
func (m *pyModule) Notify(ctx context.Context, events []registry.Event) error {
	if !m.started.Load() {
		return fmt.Errorf("modules: %s: %w", m.name, ErrNotStarted)
	}
	if m.stopped.Load() {
		return fmt.Errorf("modules: %s: %w", m.name, ErrStopped)
	}
	return m.call(ctx, "notify", func() error {
		var first error
		for _, e := range events {
			if e.Kind == ConfigNotifyKind {
				if err := m.configNotify(); err != nil && first == nil {
					first = err
				}
				continue
			}
			_, err := py.Call(m.notifyFn, py.Tuple{py.String(e.Kind), py.String(e.ID)}, nil)
			if err != nil && first == nil {
				first = m.pyErr(fmt.Sprintf("notify(%q, %q)", e.Kind, e.ID), err)
			}
		}
		return first
	})
}

// ConfigNotifyKind is the event kind that calls the module's
// config_notify() instead of notify(): the registry sends it after one of
// the module's options changed (registry.Module has no method for it).
// NOTIFY_TYPES does not filter it.
const ConfigNotifyKind = "config_notify"

func (m *pyModule) configNotify() error {
	fn, err := py.GetAttrString(m.inst, "config_notify")
	if err == nil {
		_, err = py.Call(fn, nil, nil)
	}
	if err != nil {
		return m.pyErr("config_notify()", err)
	}
	return nil
}

// eio is Ceph's -EIO, the retval of a command whose handler raised.
const eio = -5

// Command implements registry.Module: handle_command(inbuf, cmd) with cmd
// the Args dict. A handler that raises gives Retval -EIO, the traceback
// on Stderr, and the error.
func (m *pyModule) Command(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	if !m.started.Load() {
		return registry.CommandResult{}, fmt.Errorf("modules: %s: %w", m.name, ErrNotStarted)
	}
	if m.stopped.Load() {
		return registry.CommandResult{}, fmt.Errorf("modules: %s: %w", m.name, ErrStopped)
	}
	var res registry.CommandResult
	err := m.call(ctx, "handle_command", func() error {
		args, err := toPy(cmd.Args)
		if err != nil {
			return fmt.Errorf("modules: %s: command arguments: %w", m.name, err)
		}
		if cmd.Args == nil {
			args = py.NewStringDict()
		}
		fn, err := py.GetAttrString(m.inst, "handle_command")
		if err != nil {
			return m.pyErr("handle_command", err)
		}
		out, err := py.Call(fn, py.Tuple{py.String(cmd.Inbuf), args}, nil)
		if err != nil {
			perr := m.pyErr("handle_command", err)
			res = registry.CommandResult{Retval: eio, Stderr: m.src.traceback(err)}
			return perr
		}
		res, err = commandResult(out)
		if err != nil {
			return fmt.Errorf("modules: %s: handle_command: %w", m.name, err)
		}
		return nil
	})
	return res, err
}

// commandResult reads (retval, stdout, stderr).
func commandResult(out py.Object) (registry.CommandResult, error) {
	var items []py.Object
	switch x := out.(type) {
	case py.Tuple:
		items = x
	case *py.List:
		items = x.Items
	}
	if len(items) != 3 {
		return registry.CommandResult{}, fmt.Errorf("%w: handle_command must return (retval, stdout, stderr), got %s",
			ErrBadResult, out.Type().Name)
	}
	var rv int
	switch x := items[0].(type) {
	case py.Int:
		rv = int(x)
	case py.Bool:
		if x {
			rv = 1
		}
	default:
		return registry.CommandResult{}, fmt.Errorf("%w: retval must be int, got %s", ErrBadResult, items[0].Type().Name)
	}
	str := func(o py.Object) string {
		if o == py.None {
			return ""
		}
		return pyStr(o)
	}
	return registry.CommandResult{Retval: rv, Stdout: str(items[1]), Stderr: str(items[2])}, nil
}

// Stop implements registry.Module: shutdown(), then serve() must return
// (waits inside serve() raise SystemExit once shutdown() has run), then the
// context is closed. Bounded by ctx; a module still running code at ctx's
// end is left to its goroutine and ErrStuck is returned.
func (m *pyModule) Stop(ctx context.Context) error {
	if !m.stopped.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	if m.started.Load() {
		err := m.call(ctx, "shutdown", func() error {
			if m.inst == nil {
				return nil
			}
			fn, err := py.GetAttrString(m.inst, "shutdown")
			if err == nil {
				_, err = py.Call(fn, nil, nil)
			}
			if err != nil {
				return m.pyErr("shutdown", err)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	m.stopOnce.Do(func() { close(m.stopping) })
	if m.serving.Load() {
		select {
		case <-m.serveDone:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("modules: %s: serve() did not return after shutdown(): %w (%w)", m.name, registry.ErrStuck, ctx.Err()))
		}
	}
	close(m.quit)
	m.cancel()
	select {
	case <-m.exited:
	case <-ctx.Done():
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("modules: %s: interpreter did not exit: %w (%w)", m.name, registry.ErrStuck, ctx.Err()))
		}
	}
	return errors.Join(errs...)
}
