package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Defaults for the zero values of Config.
const (
	DefaultQueueLen        = 1024
	DefaultBatchMax        = 256
	DefaultNotifyDeadline  = 5 * time.Second
	DefaultCommandDeadline = 30 * time.Second
	DefaultStartDeadline   = 10 * time.Second
	DefaultStopDeadline    = 10 * time.Second
	DefaultPollInterval    = time.Second
	// Defaults of RestartPolicy.
	DefaultRestartLimit       = 5
	DefaultRestartWindow      = 60 * time.Second
	DefaultRestartBackoffBase = 100 * time.Millisecond
	DefaultRestartBackoffCap  = 5 * time.Second
)

// RestartPolicy is how the registry restarts a module whose process
// crashed (Module.Failed wraps ErrCrashed): from a freshly opened instance,
// after BackoffBase*2^(n-1) (capped at BackoffCap) following the n-th
// crash within Window; the Limit-th crash within Window (a failed reopen
// or restart counts as one) holds it failed, with MGR_MODULE_ERROR, until
// Enable retries it or it is disabled. Zero fields take the defaults.
type RestartPolicy struct {
	// Limit is K (default 5); negative: never restart, as a Limit of 1.
	Limit       int
	Window      time.Duration // default 60s
	BackoffBase time.Duration // default 100ms
	BackoffCap  time.Duration // default 5s
}

// Backoff is the delay before the restart that follows the n-th crash
// (n from 1): BackoffBase*2^(n-1), at most BackoffCap. Plugins use the
// same rule for their own restarts.
func (p RestartPolicy) Backoff(n int) time.Duration {
	d := p.BackoffBase
	for i := 1; i < n && d < p.BackoffCap; i++ {
		d *= 2
	}
	return min(d, p.BackoffCap)
}

func (p *RestartPolicy) defaults() {
	switch {
	case p.Limit == 0:
		p.Limit = DefaultRestartLimit
	case p.Limit < 0:
		p.Limit = 1
	}
	setDefault(&p.Window, DefaultRestartWindow)
	setDefault(&p.BackoffBase, DefaultRestartBackoffBase)
	setDefault(&p.BackoffCap, DefaultRestartBackoffCap)
}

// Config configures a Registry. Only Sources is needed in practice: State
// and Store default to an empty MemState and MemStore.
type Config struct {
	// Sources find and open modules; a name provided by two Sources is
	// taken from the first.
	Sources []Source
	// State answers the modules' get(), servers, metadata and counters.
	State State
	// Store holds get_store/set_store keys, and module options unless
	// Options is set.
	Store Store
	// Options, if set, holds module options apart from Store, as Ceph
	// keeps them in its config database and the module store in
	// config-keys. Keys are the same ("mgr/<module>/<option>").
	Options Store
	// Cluster, if set, serves the calls that act on the cluster (see
	// ClusterHost).
	Cluster Cluster
	// MgrID is what get_mgr_id() returns.
	MgrID string
	// Logger receives the registry's lines (component=registry) and the
	// modules' (module=<name>); nil discards them.
	Logger *logrus.Entry
	// QueueLen bounds each module's event queue.
	QueueLen int
	// BatchMax bounds the events handed to one Module.Notify call.
	BatchMax int
	// NotifyDeadline, CommandDeadline, StartDeadline and StopDeadline bound
	// one Notify, Command, Open+Start and Stop call. A call still running
	// StopDeadline after its own deadline is abandoned.
	NotifyDeadline  time.Duration
	CommandDeadline time.Duration
	StartDeadline   time.Duration
	StopDeadline    time.Duration
	// PollInterval is how often Module.Failed is polled, stuck calls are
	// looked for and queue drops are logged.
	PollInterval time.Duration
	// AlwaysOn modules are enabled whatever SetEnabled says, as Ceph's
	// always_on_modules (added to the modules that declare Info.AlwaysOn).
	AlwaysOn []string
	// HealthSink, if set, receives the aggregate health checks each time they
	// change, from one goroutine, in order. It must not call back into the
	// Registry's Close.
	HealthSink func(map[string]HealthCheck)
	// ObserveNotify, if set, is called for every delivered event with the
	// time from NotifyAll to the return of the Notify call that carried it
	// (for a latency histogram). Called on the module's goroutine: keep it cheap.
	ObserveNotify func(module string, d time.Duration)
	// Restart is how a module whose process crashed is restarted (see
	// RestartPolicy and ErrCrashed).
	Restart RestartPolicy
}

// ModuleState is where a module is in its life, as `module ls` shows it.
type ModuleState string

// Module states.
const (
	StateDisabled   ModuleState = "disabled"   // loaded, not enabled
	StateStarting   ModuleState = "starting"   // enabled, Open/Start running
	StateRunning    ModuleState = "running"    // receiving events and commands
	StateFailed     ModuleState = "failed"     // Start or serve() failed, or abandoned
	StateStopped    ModuleState = "stopped"    // stopped by the registry after a deadline overrun, or by Close
	StateUnloadable ModuleState = "unloadable" // Source.Open failed
	StateCannotRun  ModuleState = "cannot-run" // can_run() said no
	StateStandby    ModuleState = "standby"    // enabled; runs on the active only (registry in the standby role)
	StateRestarting ModuleState = "restarting" // its process crashed; a fresh instance starts after a backoff
)

// Stats are one module's counters since the registry was created; they
// survive disable and enable.
type Stats struct {
	Delivered     uint64        `json:"delivered"`      // events handed to Notify
	Batches       uint64        `json:"batches"`        // Notify calls
	Dropped       uint64        `json:"dropped"`        // distinct events refused by a full queue
	Coalesced     uint64        `json:"coalesced"`      // repeats of an event already queued, refused by a full queue
	Discarded     uint64        `json:"discarded"`      // queued events thrown away when the module stopped
	Errors        uint64        `json:"errors"`         // Notify calls that returned an error
	Commands      uint64        `json:"commands"`       // Command calls
	CommandErrors uint64        `json:"command_errors"` // Command calls that returned an error
	Overruns      uint64        `json:"overruns"`       // calls past their deadline
	QueueDepth    int           `json:"queue_depth"`
	LastLatency   time.Duration `json:"last_latency_ns"` // NotifyAll to Notify's return, last event
}

// Status is one line of `module ls`.
type Status struct {
	Name        string      `json:"name"`
	Kind        string      `json:"kind"`
	Version     string      `json:"version,omitempty"`
	Enabled     bool        `json:"enabled"`
	State       ModuleState `json:"state"`
	Error       string      `json:"error,omitempty"` // why it failed, cannot run or cannot load
	CanRun      bool        `json:"can_run"`
	AlwaysOn    bool        `json:"always_on"`
	StandbyOK   bool        `json:"standby_ok,omitempty"` // also runs on a standby (SetStandby)
	NotifyTypes []string    `json:"notify_types,omitempty"`
	Options     []Option    `json:"module_options,omitempty"`
	// PID is the process of a running module that has one of its own
	// (ProcessModule), else 0.
	PID int `json:"pid,omitempty"`
	Stats
}

// ModuleCommand is one COMMANDS entry and the module that serves it.
type ModuleCommand struct {
	Module string `json:"module"`
	CommandDesc
}

// Registry discovers modules, runs the enabled ones and routes events and
// commands to them. See the package documentation for its concurrency
// contract.
type Registry struct {
	cfg      Config
	base     *logrus.Entry // the application's logger
	log      *logrus.Entry // base with component=registry
	alwaysOn map[string]bool

	loadMu sync.Mutex // one Load at a time

	mu      sync.Mutex // guards everything below, and entry fields marked so
	entries map[string]*entry
	wanted  map[string]bool // enabled names no Source has provided yet
	standby bool            // the standby role: see SetStandby
	loaded  bool
	closed  bool

	// active is what NotifyAll reads without a lock: rebuilt under mu.
	active atomic.Pointer[[]*runner]

	dirty   chan struct{} // health may have changed
	quit    chan struct{}
	superWG sync.WaitGroup
	bgWG    sync.WaitGroup // prewarm opens
}

// entry is one module name. Fields not marked are fixed at creation.
type entry struct {
	name string
	src  Source
	kind string

	// guarded by Registry.mu
	info     Info
	openErr  error
	fresh    Module        // opened and never started, reused by the next start
	warming  chan struct{} // closed when a spare being opened (prewarm) is ready
	alwaysOn bool
	enabled  bool
	run      *runner
	state    ModuleState
	err      string // last failure, full text
	overrun  string // last deadline overrun while enabled, for health
	checks   map[string]HealthCheck

	st counters

	// owned by the supervisor goroutine
	loggedDrops uint64
	lastDropLog time.Time
}

type counters struct {
	delivered, batches, dropped, coalesced, discarded atomic.Uint64
	errors, commands, commandErrors, overruns         atomic.Uint64
	lastLatency                                       atomic.Int64
}

// New checks cfg and starts the registry's supervisor goroutine. It does
// no IO: call Load to discover modules.
func New(cfg Config) (*Registry, error) {
	if cfg.QueueLen < 0 || cfg.BatchMax < 0 || cfg.NotifyDeadline < 0 || cfg.CommandDeadline < 0 ||
		cfg.StartDeadline < 0 || cfg.StopDeadline < 0 || cfg.PollInterval < 0 {
		return nil, fmt.Errorf("registry: negative limit in config")
	}
	for i, s := range cfg.Sources {
		if s == nil {
			return nil, fmt.Errorf("registry: source %d is nil", i)
		}
	}
	setDefault(&cfg.QueueLen, DefaultQueueLen)
	setDefault(&cfg.BatchMax, DefaultBatchMax)
	setDefault(&cfg.NotifyDeadline, DefaultNotifyDeadline)
	setDefault(&cfg.CommandDeadline, DefaultCommandDeadline)
	setDefault(&cfg.StartDeadline, DefaultStartDeadline)
	setDefault(&cfg.StopDeadline, DefaultStopDeadline)
	setDefault(&cfg.PollInterval, DefaultPollInterval)
	if cfg.Restart.Window < 0 || cfg.Restart.BackoffBase < 0 || cfg.Restart.BackoffCap < 0 {
		return nil, fmt.Errorf("registry: negative limit in config")
	}
	cfg.Restart.defaults()
	if cfg.State == nil {
		cfg.State = NewMemState()
	}
	if cfg.Store == nil {
		cfg.Store = NewMemStore()
	}
	if cfg.Options == nil {
		cfg.Options = cfg.Store
	}
	log := cfg.Logger
	if log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		log = logrus.NewEntry(l)
	}
	r := &Registry{
		cfg:      cfg,
		base:     log,
		log:      log.WithField("component", "registry"),
		alwaysOn: make(map[string]bool),
		entries:  make(map[string]*entry),
		wanted:   make(map[string]bool),
		dirty:    make(chan struct{}, 1),
		quit:     make(chan struct{}),
	}
	for _, n := range cfg.AlwaysOn {
		r.alwaysOn[n] = true
	}
	r.active.Store(&[]*runner{})
	r.superWG.Add(1)
	go r.supervise()
	return r, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Load asks every Source for its modules and opens each one not yet open
// (Ceph imports every module at start). A module that fails to open is
// listed as unloadable with its error; one whose can_run is false is
// listed with its reason. Enabled and always-on modules found are started.
// The returned error only reports Sources that could not be scanned.
// Load may be called again to pick up new modules and retry unloadable and
// cannot-run ones (a dependency may have been installed since).
func (r *Registry) Load(ctx context.Context) error {
	r.loadMu.Lock()
	defer r.loadMu.Unlock()
	type job struct {
		src  Source
		name string
	}
	var jobs []job
	var errs []error
	seen := make(map[string]string)
	for _, src := range r.cfg.Sources {
		names, err := safeScan(src)
		if err != nil {
			errs = append(errs, fmt.Errorf("registry: scan %s modules: %w", src.Kind(), err))
			continue
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return ErrClosed
		}
		for _, n := range names {
			if other, dup := seen[n]; dup {
				r.log.WithField("module", n).Warnf("module also provided by the %s source; the %s one is used", src.Kind(), other)
				continue
			}
			seen[n] = src.Kind()
			if e, ok := r.entries[n]; ok {
				if e.src != src {
					r.log.WithField("module", n).Warnf("module also provided by the %s source; the %s one is used", src.Kind(), e.kind)
					continue
				}
				if e.openErr == nil && (e.info.CanRun || e.run != nil) {
					continue // loaded fine; unloadable and cannot-run ones are retried
				}
			}
			jobs = append(jobs, job{src, n})
		}
		r.mu.Unlock()
	}

	type opened struct {
		mod Module
		err error
	}
	res := make([]opened, len(jobs))
	sem := make(chan struct{}, 4) // opening may launch processes: a few at a time
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			octx, cancel := context.WithTimeout(ctx, r.cfg.StartDeadline)
			defer cancel()
			res[i].mod, res[i].err = safeOpen(octx, j.src, j.name)
		}()
	}
	wg.Wait()

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		var mods []Module
		for _, o := range res {
			if o.mod != nil {
				mods = append(mods, o.mod)
			}
		}
		r.release(mods)
		return ErrClosed
	}
	var stale []Module
	defer func() {
		r.mu.Unlock()
		r.release(stale)
	}()
	for i, j := range jobs {
		e := r.entries[j.name]
		if e == nil {
			e = &entry{name: j.name, src: j.src, kind: j.src.Kind()}
			e.enabled = r.wanted[j.name]
			delete(r.wanted, j.name)
			r.entries[j.name] = e
		}
		e.openErr = res[i].err
		if e.openErr == nil {
			if e.fresh != nil {
				stale = append(stale, e.fresh)
			}
			e.fresh = res[i].mod
			e.info = safeInfo(res[i].mod)
			e.info.Name = j.name
			if e.info.Kind == "" {
				e.info.Kind = e.kind
			}
			r.log.WithField("module", j.name).Debugf("loaded %s module", e.kind)
		} else {
			r.log.WithField("module", j.name).WithError(e.openErr).Error("module failed to load")
		}
		e.alwaysOn = r.alwaysOn[j.name] || e.info.AlwaysOn
		if e.alwaysOn {
			e.enabled = true
		}
		e.state = e.idleState()
		if e.enabled && e.run == nil {
			r.startLocked(e)
		}
	}
	r.loaded = true
	r.markDirty()
	return errors.Join(errs...)
}

// Rescan is Load again: it opens modules that appeared since, and retries
// the unloadable and cannot-run ones.
func (r *Registry) Rescan(ctx context.Context) error { return r.Load(ctx) }

// idleState is the state of a module with no runner. Registry.mu held.
func (e *entry) idleState() ModuleState {
	switch {
	case e.openErr != nil:
		return StateUnloadable
	case !e.info.CanRun:
		return StateCannotRun
	case e.enabled && e.state == StateFailed:
		return StateFailed
	case e.enabled && e.state == StateStopped:
		return StateStopped
	default:
		return StateDisabled
	}
}

// Enable enables one module and starts it on a fresh goroutine without
// waiting for Start: events sent after Enable returns are queued for it
// and commands wait for it to start. Enabling an enabled module does
// nothing, unless it has failed (held failed after crashing
// Config.Restart.Limit times, a failed Start, serve() raised): then it is
// retried with a freshly opened instance, and its crash count starts
// again; the failed instance is stopped in the background. An unloadable
// or cannot-run module is recorded as enabled and reported by
// HealthChecks.
func (r *Registry) Enable(ctx context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	e, ok := r.entries[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownModule, name)
	}
	if e.enabled {
		if e.state == StateFailed {
			r.retryLocked(e)
		}
		return nil
	}
	e.enabled = true
	r.startLocked(e)
	r.markDirty()
	return nil
}

// Disable stops one module: it stops receiving events, then its Stop runs
// with StopDeadline after any Notify or Command in flight. Disable waits
// for that, bounded by ctx and the deadlines; a module that does not stop
// in time is abandoned (ErrStopTimeout). Always-on modules refuse
// (ErrAlwaysOn). Other modules are not touched.
func (r *Registry) Disable(ctx context.Context, name string) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	e, ok := r.entries[name]
	if !ok {
		r.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownModule, name)
	}
	if e.alwaysOn {
		r.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrAlwaysOn, name)
	}
	run := r.disableLocked(e)
	r.mu.Unlock()
	err := r.waitStopped(ctx, run)
	if run != nil {
		r.prewarm(e)
	}
	return err
}

// SetEnabled makes the enabled set equal names (plus always-on modules):
// the mgr calls it with each MgrMap's module list. Names no Source
// provides are remembered and started when a later Load finds them.
// Modules that leave the set are stopped concurrently, as Disable.
func (r *Registry) SetEnabled(ctx context.Context, names []string) error {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.wanted = make(map[string]bool)
	for n := range want {
		if _, ok := r.entries[n]; !ok {
			r.wanted[n] = true
		}
	}
	var stopping []*runner
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		switch {
		case want[n] && !e.enabled:
			e.enabled = true
			r.startLocked(e)
		case !want[n] && e.enabled && !e.alwaysOn:
			if run := r.disableLocked(e); run != nil {
				stopping = append(stopping, run)
			}
		}
	}
	r.markDirty()
	r.mu.Unlock()
	err := r.waitStopped(ctx, stopping...)
	for _, run := range stopping {
		r.prewarm(run.e)
	}
	return err
}

// SetStandby switches the registry between the active role (the
// default) and the standby role of a standby mgr, as Ceph's MgrStandby
// runs MgrStandbyModules: there only StandbyOK modules run, serve() only
// (no notifications; commands are refused with ErrStandby), started with
// a Host whose Standby() is true. The enabled modules running in the old
// role are stopped (waited for as SetEnabled does) and started afresh in
// the new one; the enabled set is kept. Safe from any goroutine.
func (r *Registry) SetStandby(ctx context.Context, standby bool) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	if r.standby == standby {
		r.mu.Unlock()
		return nil
	}
	r.standby = standby
	var stopping []*runner
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		if run := e.run; e.enabled && run != nil {
			e.run = nil
			e.checks = nil
			stopping = append(stopping, run)
		}
	}
	r.rebuildActiveLocked()
	r.mu.Unlock()
	err := r.waitStopped(ctx, stopping...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.standby != standby {
		return err // closed, or switched back meanwhile (that call restarts them)
	}
	for _, n := range sortedKeys(r.entries) {
		if e := r.entries[n]; e.enabled && e.run == nil {
			r.startLocked(e)
		}
	}
	r.markDirty()
	return err
}

// Standby reports whether the registry is in the standby role.
func (r *Registry) Standby() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.standby
}

// prewarm opens a spare instance of a module just disabled, in the
// background, so that enabling it again is as fast as the first time (a
// Module is started once; opening may launch a process). Load keeps one
// instance of every module the same way.
func (r *Registry) prewarm(e *entry) {
	r.mu.Lock()
	if r.closed || e.enabled || e.fresh != nil || e.openErr != nil || !e.info.CanRun {
		r.mu.Unlock()
		return
	}
	r.bgWG.Add(1)
	warming := make(chan struct{})
	e.warming = warming
	r.mu.Unlock()
	go func() {
		defer r.bgWG.Done()
		defer func() {
			r.mu.Lock()
			if e.warming == warming {
				e.warming = nil
			}
			r.mu.Unlock()
			close(warming)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StartDeadline)
		defer cancel()
		m, err := safeOpen(ctx, e.src, e.name)
		if err != nil {
			r.log.WithField("module", e.name).WithError(err).Debug("spare instance not opened")
			return
		}
		info := safeInfo(m)
		info.Name = e.name
		if info.Kind == "" {
			info.Kind = e.kind
		}
		r.mu.Lock()
		keep := !r.closed && e.fresh == nil
		if keep {
			e.fresh = m // a runner started meanwhile may be waiting for it
			if e.run == nil {
				e.info = info
				e.state = e.idleState()
			}
		}
		r.mu.Unlock()
		if !keep {
			r.release([]Module{m})
		}
	}()
}

// disableLocked marks e disabled and detaches its runner, which it returns
// for the caller to stop outside the lock. Registry.mu held.
func (r *Registry) disableLocked(e *entry) *runner {
	if !e.enabled {
		return nil
	}
	e.enabled = false
	run := e.run
	e.run = nil
	e.overrun = ""
	e.checks = nil
	if e.state == StateFailed || e.state == StateStopped {
		e.state = StateDisabled // Ceph forgets a runtime failure on disable
	}
	e.state = e.idleState()
	if e.openErr == nil && e.info.CanRun {
		e.err = ""
	}
	r.rebuildActiveLocked()
	r.markDirty()
	return run
}

// retryLocked restarts an enabled module that failed, with a fresh
// instance; its old runner, if any, is stopped in the background (Close
// waits for it). Registry.mu held.
func (r *Registry) retryLocked(e *entry) {
	old := e.run
	e.run = nil
	e.checks = nil
	e.state = e.idleState()
	r.startLocked(e)
	r.markDirty()
	if old == nil {
		return
	}
	r.bgWG.Add(1)
	go func() {
		defer r.bgWG.Done()
		_ = r.waitStopped(context.Background(), old)
	}()
}

// startLocked starts e if it can run (in the standby role, if it is
// StandbyOK). Registry.mu held.
func (r *Registry) startLocked(e *entry) {
	if e.openErr != nil || !e.info.CanRun || e.run != nil {
		e.state = e.idleState()
		return
	}
	if r.standby && !e.info.StandbyOK {
		e.state = StateStandby
		return
	}
	run := newRunner(r, e)
	fresh := e.fresh
	e.fresh = nil
	e.run = run
	e.state = StateStarting
	e.err = ""
	e.overrun = ""
	r.rebuildActiveLocked()
	go run.loop(fresh, e.warming)
}

// rebuildActiveLocked republishes the runners NotifyAll feeds. Registry.mu held.
func (r *Registry) rebuildActiveLocked() {
	act := make([]*runner, 0, len(r.entries))
	for _, n := range sortedKeys(r.entries) {
		if run := r.entries[n].run; run != nil && len(*run.wants.Load()) > 0 {
			act = append(act, run)
		}
	}
	r.active.Store(&act)
}

// waitStopped asks each runner to stop and waits for them, each bounded by
// the time a well-behaved module needs; laggards are abandoned.
func (r *Registry) waitStopped(ctx context.Context, runs ...*runner) error {
	limit := max(r.cfg.NotifyDeadline, r.cfg.CommandDeadline, r.cfg.StartDeadline) + 2*r.cfg.StopDeadline
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for _, run := range runs {
		if run != nil {
			run.requestStop()
		}
	}
	var errs []error
	expired := false
	for _, run := range runs {
		if run == nil {
			continue
		}
		if !expired {
			select {
			case <-run.done:
				continue
			case <-timer.C:
				expired = true
			case <-ctx.Done():
				expired = true
			}
		}
		select {
		case <-run.done:
			continue
		default:
		}
		run.abandoned.Store(true)
		r.log.WithField("module", run.name).Error("module did not stop in time; abandoned")
		errs = append(errs, fmt.Errorf("%w: %q", ErrStopTimeout, run.name))
	}
	return errors.Join(errs...)
}

// NotifyAll queues event (kind, id) for every running module whose
// NOTIFY_TYPES has kind. Safe from any goroutine; never waits for a
// module: a full queue refuses the event and counts it (Stats.Coalesced
// when the same (kind, id) is already queued, Stats.Dropped otherwise).
func (r *Registry) NotifyAll(kind, id string) {
	act := *r.active.Load()
	if len(act) == 0 {
		return
	}
	ev := Event{Kind: kind, ID: id, Queued: time.Now()}
	for _, run := range act {
		if _, ok := (*run.wants.Load())[kind]; ok || kind == KindConfigNotify {
			run.enqueue(ev)
		}
	}
}

// Modules lists every known module, sorted by name.
func (r *Registry) Modules() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.entries))
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		s := Status{
			Name:        n,
			Kind:        e.kind,
			Version:     e.info.Version,
			Enabled:     e.enabled,
			State:       e.state,
			Error:       e.err,
			CanRun:      e.openErr == nil && e.info.CanRun,
			AlwaysOn:    e.alwaysOn,
			StandbyOK:   e.info.StandbyOK,
			NotifyTypes: append([]string(nil), e.info.NotifyTypes...),
			Options:     append([]Option(nil), e.info.Options...),
			Stats:       e.stats(),
		}
		if e.run != nil {
			if live := e.run.live.Load(); live != nil {
				if pm, ok := live.mod.(ProcessModule); ok {
					s.PID = pm.Pid()
				}
			}
		}
		switch {
		case e.openErr != nil:
			s.Error = e.openErr.Error()
		case !e.info.CanRun:
			s.Error = e.info.CanRunError
		}
		out = append(out, s)
	}
	return out
}

// Stats returns one module's counters.
func (r *Registry) Stats(name string) (Stats, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[name]
	if !ok {
		return Stats{}, fmt.Errorf("%w: %q", ErrUnknownModule, name)
	}
	return e.stats(), nil
}

// stats snapshots e's counters. Registry.mu held (for e.run).
func (e *entry) stats() Stats {
	s := Stats{
		Delivered:     e.st.delivered.Load(),
		Batches:       e.st.batches.Load(),
		Dropped:       e.st.dropped.Load(),
		Coalesced:     e.st.coalesced.Load(),
		Discarded:     e.st.discarded.Load(),
		Errors:        e.st.errors.Load(),
		Commands:      e.st.commands.Load(),
		CommandErrors: e.st.commandErrors.Load(),
		Overruns:      e.st.overruns.Load(),
		LastLatency:   time.Duration(e.st.lastLatency.Load()),
	}
	if e.run != nil {
		s.QueueDepth = e.run.depth()
	}
	return s
}

// Close stops every module (as Disable, concurrently) and the registry's
// goroutines, then closes each Source that has a Close method (what a
// Source keeps for its modules, such as socket directories, outlives
// them). Later calls return ErrClosed; NotifyAll does nothing.
func (r *Registry) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.closed = true
	var runs []*runner
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		if e.run != nil {
			runs = append(runs, e.run)
			e.run = nil
			e.state = StateStopped
		}
	}
	r.rebuildActiveLocked()
	r.mu.Unlock()
	err := r.waitStopped(ctx, runs...)
	r.bgWG.Wait() // spare opens, each bounded by StartDeadline
	r.releaseFresh()
	close(r.quit)
	r.superWG.Wait()
	for _, src := range r.cfg.Sources {
		if c, ok := src.(interface{ Close() error }); ok {
			err = errors.Join(err, c.Close())
		}
	}
	return err
}

// releaseFresh calls Stop on modules opened but never started, so that
// what Open acquired (a plugin process) is released. After Close only.
func (r *Registry) releaseFresh() {
	r.mu.Lock()
	var mods []Module
	for _, n := range sortedKeys(r.entries) {
		if e := r.entries[n]; e.fresh != nil {
			mods = append(mods, e.fresh)
			e.fresh = nil
		}
	}
	r.mu.Unlock()
	r.release(mods)
}

// release calls Stop on modules that were opened but never started.
func (r *Registry) release(mods []Module) {
	var wg sync.WaitGroup
	for _, m := range mods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StopDeadline)
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = safeCall(ctx, m.Stop)
			}()
			select {
			case <-done:
			case <-ctx.Done(): // a Stop that ignores ctx is abandoned
			}
		}()
	}
	wg.Wait()
}

// markDirty wakes the supervisor to recompute health. Never blocks.
func (r *Registry) markDirty() {
	select {
	case r.dirty <- struct{}{}:
	default:
	}
}

// supervise is the registry's own goroutine: it pushes health changes to
// HealthSink, abandons calls stuck past their deadline and logs drops.
func (r *Registry) supervise() {
	defer r.superWG.Done()
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	var last map[string]HealthCheck
	for {
		select {
		case <-r.quit:
			return
		case <-r.dirty:
		case <-tick.C:
			r.watch()
		}
		if r.cfg.HealthSink == nil {
			continue
		}
		h := r.HealthChecks()
		if last == nil || !reflect.DeepEqual(h, last) {
			last = h
			r.cfg.HealthSink(copyChecks(h))
		}
	}
}

// watch abandons module calls that ran StopDeadline past their own
// deadline without returning, and logs queue drops at most once a second
// per module. Supervisor goroutine only.
func (r *Registry) watch() {
	now := time.Now()
	var logs []func() // logged after unlocking: a slow log writer must not hold the table
	r.mu.Lock()
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		if d := e.st.dropped.Load() + e.st.coalesced.Load(); d != e.loggedDrops && now.Sub(e.lastDropLog) >= time.Second {
			dropped, coalesced := e.st.dropped.Load(), e.st.coalesced.Load()
			logs = append(logs, func() {
				r.log.WithField("module", n).Warnf("module queue full: %d events dropped, %d coalesced so far", dropped, coalesced)
			})
			e.loggedDrops, e.lastDropLog = d, now
		}
		run := e.run
		if run == nil {
			continue
		}
		start := run.callStart.Load()
		if start == 0 {
			continue
		}
		limit := time.Duration(run.callLimit.Load())
		if now.Sub(time.Unix(0, start)) < limit+r.cfg.StopDeadline || run.abandoned.Swap(true) {
			continue
		}
		what := callNames[run.callKind.Load()]
		reason := fmt.Sprintf("%s still running %v after its %v deadline; abandoned", what, r.cfg.StopDeadline, limit)
		logs = append(logs, func() { r.log.WithField("module", n).Error(reason) })
		e.st.overruns.Add(1)
		e.overrun = fmt.Sprintf("%s ran past its %v deadline", what, limit)
		e.state, e.err = StateFailed, reason
		e.run = nil
		r.rebuildActiveLocked()
		r.markDirty()
	}
	r.mu.Unlock()
	for _, l := range logs {
		l()
	}
}

// update records what a runner reports, if it is still e's runner.
func (r *Registry) update(run *runner, fn func(e *entry)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if run.e.run != run {
		return
	}
	fn(run.e)
	r.markDirty()
}

// detach removes a runner that ended on its own (failure, overrun).
func (r *Registry) detach(run *runner) {
	r.update(run, func(e *entry) {
		e.run = nil
		r.rebuildActiveLocked()
	})
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// tracebackHead opens a Python traceback.
const tracebackHead = "Traceback (most recent call last):"

// firstLine is the line of a (possibly multi-line) error that says what
// happened: a Python traceback's last line names the exception.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "\n") {
		return s
	}
	lines := strings.Split(s, "\n")
	if strings.Contains(s, tracebackHead) {
		for i := len(lines) - 1; i >= 0; i-- {
			if l := strings.TrimSpace(lines[i]); l != "" {
				return l
			}
		}
	}
	return strings.TrimSpace(lines[0])
}
