package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/registry"
)

// fakeMod is an in-process Module whose behaviour a test sets through hooks.
type fakeMod struct {
	info registry.Info

	onStart   func(ctx context.Context, h registry.Host) error
	onNotify  func(ctx context.Context, evs []registry.Event) error
	onCommand func(ctx context.Context, cmd registry.Command) (registry.CommandResult, error)
	onStop    func(ctx context.Context) error

	mu     sync.Mutex
	got    []registry.Event
	host   registry.Host
	gotCh  chan registry.Event // optional: every delivered event, non-blocking
	failed atomic.Pointer[error]

	starts, stops atomic.Int32
	inCall        atomic.Int32
	overlap       atomic.Bool // two calls at once: the registry broke the Module contract
}

var _ registry.Module = (*fakeMod)(nil)

func (m *fakeMod) enter() func() {
	if m.inCall.Add(1) > 1 {
		m.overlap.Store(true)
	}
	return func() { m.inCall.Add(-1) }
}

func (m *fakeMod) Info() registry.Info { return m.info }

func (m *fakeMod) Start(ctx context.Context, h registry.Host) error {
	defer m.enter()()
	m.starts.Add(1)
	m.mu.Lock()
	m.host = h
	m.mu.Unlock()
	if m.onStart != nil {
		return m.onStart(ctx, h)
	}
	return nil
}

func (m *fakeMod) Notify(ctx context.Context, evs []registry.Event) error {
	defer m.enter()()
	m.mu.Lock()
	m.got = append(m.got, evs...)
	m.mu.Unlock()
	if m.gotCh != nil {
		for _, ev := range evs {
			select {
			case m.gotCh <- ev:
			default:
			}
		}
	}
	if m.onNotify != nil {
		return m.onNotify(ctx, evs)
	}
	return nil
}

func (m *fakeMod) Command(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	defer m.enter()()
	if m.onCommand != nil {
		return m.onCommand(ctx, cmd)
	}
	return registry.CommandResult{Stdout: fmt.Sprint(cmd.Args["prefix"])}, nil
}

func (m *fakeMod) Stop(ctx context.Context) error {
	defer m.enter()()
	m.stops.Add(1)
	if m.onStop != nil {
		return m.onStop(ctx)
	}
	return nil
}

func (m *fakeMod) Failed() error {
	if p := m.failed.Load(); p != nil {
		return *p
	}
	return nil
}

func (m *fakeMod) fail(err error) { m.failed.Store(&err) }

func (m *fakeMod) events() []registry.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]registry.Event(nil), m.got...)
}

func (m *fakeMod) ids() []string {
	var out []string
	for _, ev := range m.events() {
		out = append(out, ev.Kind+"/"+ev.ID)
	}
	return out
}

func (m *fakeMod) getHost() registry.Host {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.host
}

// fakeSource opens fakeMods from factories; each Open makes a new instance,
// as a real Source loads code afresh.
type fakeSource struct {
	kind string
	mu   sync.Mutex
	make map[string]func() (*fakeMod, error)
	open map[string][]*fakeMod
}

var _ registry.Source = (*fakeSource)(nil)

func newSource(kind string) *fakeSource {
	return &fakeSource{kind: kind, make: map[string]func() (*fakeMod, error){}, open: map[string][]*fakeMod{}}
}

// add registers a module; setup configures each new instance.
func (s *fakeSource) add(name string, info registry.Info, setup func(*fakeMod)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info.Name = name
	s.make[name] = func() (*fakeMod, error) {
		m := &fakeMod{info: info}
		if setup != nil {
			setup(m)
		}
		return m, nil
	}
}

func (s *fakeSource) addBroken(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.make[name] = func() (*fakeMod, error) { return nil, err }
}

func (s *fakeSource) Kind() string { return s.kind }

func (s *fakeSource) Scan() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.make {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (s *fakeSource) Open(ctx context.Context, name string) (registry.Module, error) {
	s.mu.Lock()
	f, ok := s.make[name]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("no such module")
	}
	m, err := f()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.open[name] = append(s.open[name], m)
	s.mu.Unlock()
	return m, nil
}

// last is the newest instance of a module.
func (s *fakeSource) last(name string) *fakeMod {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.open[name]
	if len(l) == 0 {
		return nil
	}
	return l[len(l)-1]
}

func (s *fakeSource) instances(name string) []*fakeMod {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*fakeMod(nil), s.open[name]...)
}

// quietLogger discards logs unless -v.
func quietLogger() *logrus.Entry {
	l := logrus.New()
	if !testing.Verbose() {
		l.SetOutput(io.Discard)
	}
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l)
}

// newReg builds a Registry over src, loads it and closes it at cleanup.
func newReg(t testing.TB, cfg registry.Config, srcs ...registry.Source) *registry.Registry {
	t.Helper()
	cfg.Sources = srcs
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	reg, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := reg.Close(ctx); err != nil && !errors.Is(err, registry.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	if err := reg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return reg
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling interval, not a wait for an event
	}
}

func status(t testing.TB, reg *registry.Registry, name string) registry.Status {
	t.Helper()
	for _, s := range reg.Modules() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("module %q not listed", name)
	return registry.Status{}
}

func stateIs(reg *registry.Registry, name string, want registry.ModuleState) func() bool {
	return func() bool {
		for _, s := range reg.Modules() {
			if s.Name == name {
				return s.State == want
			}
		}
		return false
	}
}

func runnable(kinds ...string) registry.Info {
	return registry.Info{Kind: "go", CanRun: true, NotifyTypes: kinds}
}
