package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gomgr/registry"
)

// TestMain becomes a module child when the parent re-executes the test
// binary, as go-plugin's tests do.
func TestMain(m *testing.M) {
	if MaybeRunChild(func() registry.Source { return goSource{} }) {
		return
	}
	if os.Getenv(envTestParent) != "" {
		os.Exit(runTestParent())
	}
	os.Exit(m.Run())
}

// envTestParent makes the test binary a manager stand-in for
// TestChildDiesWithParent: it opens a module whose notify spins, prints the
// child's pid and waits to be killed.
const envTestParent = "ISOLATE_TEST_PARENT"

func runTestParent() int {
	s := NewSource(goSource{}, Config{})
	mod, err := s.Open(context.Background(), "ok")
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	m := mod.(*Module)
	if err := m.Start(context.Background(), newFakeHost()); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	go func() { _ = m.Notify(context.Background(), []registry.Event{{Kind: "spin"}}) }()
	fmt.Println("child", m.Pid())
	select {}
}

// goSource is a small in-test Source of Go modules that can be told to
// misbehave, to exercise isolation without the Python engine.
type goSource struct{}

func (goSource) Kind() string { return "gotest" }

func (goSource) Scan() ([]string, error) {
	names := []string{"ok", "other", "openfail", "slowstop"}
	sort.Strings(names)
	return names, nil
}

func (goSource) Open(_ context.Context, name string) (registry.Module, error) {
	switch name {
	case "openfail":
		return nil, errors.New("Traceback: ImportError: No module named 'nope' (module.py, line 3)")
	case "noinfo":
		return nil, nil
	}
	return &goModule{name: name}, nil
}

// goModule's Notify and Command do what the event kind or the command
// prefix says.
type goModule struct {
	name string

	mu     sync.Mutex
	host   registry.Host
	events []registry.Event
	failed error
}

var sink atomic.Int64

func (m *goModule) Info() registry.Info {
	return registry.Info{
		Name:        m.name,
		Kind:        "gotest",
		Version:     "1.0",
		NotifyTypes: []string{"osd_map", "spin"},
		Options: []registry.Option{
			{Name: "interval", Type: "int", Default: int64(5), Min: int64(1), Max: int64(60), Desc: "seconds"},
			{Name: "ratio", Type: "float", Default: 0.5},
			{Name: "mode", Type: "str", Default: "fast", Enum: []string{"fast", "slow"}, Runtime: true},
			{Name: "flag", Type: "bool", Default: true},
		},
		Commands: []registry.CommandDesc{{Cmd: "count", Desc: "events seen", Perm: "r"}},
		CanRun:   true,
		AlwaysOn: m.name == "other",
	}
}

func (m *goModule) Start(_ context.Context, h registry.Host) error {
	m.mu.Lock()
	m.host = h
	m.mu.Unlock()
	h.Log("info", "started "+m.name)
	return nil
}

//go:noinline
func recurse(n int) int {
	var pad [128]byte
	pad[n%128] = byte(n)
	return recurse(n+1) + int(pad[(n+1)%128])
}

func (m *goModule) misbehave(ctx context.Context, what string) error {
	switch what {
	case "spin":
		for {
			sink.Add(1)
		}
	case "recurse":
		sink.Add(int64(recurse(0)))
	case "alloc":
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1 // touch every page so it is resident
			}
			keep = append(keep, b)
			sink.Add(int64(len(keep)))
		}
	case "churn":
		// A well-behaved but hungry module: keep 176 MiB live and churn
		// 2 GiB of garbage through it.
		keep := make([][]byte, 176)
		for i := 0; i < 2048; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			keep[i%len(keep)] = b
		}
		sink.Add(int64(len(keep[0])))
	case "exit":
		os.Exit(7)
	case "panic":
		panic("module exploded")
	case "stuck":
		// As the Python engine does when its code overruns: give up, say so.
		return fmt.Errorf("gotest: notify still running: %w", registry.ErrStuck)
	case "fail":
		m.mu.Lock()
		m.failed = errors.New("serve raised: ValueError: bad")
		m.mu.Unlock()
	case "print":
		fmt.Println("hello from stdout")
		fmt.Fprintln(os.Stderr, "hello from stderr")
	}
	return nil
}

func (m *goModule) Notify(ctx context.Context, events []registry.Event) error {
	for _, ev := range events {
		if err := m.misbehave(ctx, ev.Kind); err != nil {
			return err
		}
		if ev.Kind == "health" {
			m.host.SetHealthChecks(map[string]registry.HealthCheck{
				"GOTEST_" + ev.ID: {Severity: "warning", Summary: "raised by " + ev.ID, Count: 1, Detail: []string{"d"}},
			})
		}
		if ev.Kind == "log" {
			m.host.Log("warning", "event "+ev.ID)
		}
		if ev.Kind == "get" {
			if _, err := m.host.Get(ev.ID); err != nil {
				return err
			}
		}
	}
	m.mu.Lock()
	m.events = append(m.events, events...)
	m.mu.Unlock()
	return nil
}

func (m *goModule) Command(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	prefix, _ := cmd.Args["prefix"].(string)
	if err := m.misbehave(ctx, prefix); err != nil {
		return registry.CommandResult{}, err
	}
	switch prefix {
	case "count":
		m.mu.Lock()
		n := len(m.events)
		var last registry.Event
		if n > 0 {
			last = m.events[n-1]
		}
		m.mu.Unlock()
		return registry.CommandResult{Stdout: fmt.Sprintf("%d %s/%s %d", n, last.Kind, last.ID, last.Queued.UnixNano())}, nil
	case "echo":
		raw, err := json.Marshal(cmd.Args)
		if err != nil {
			return registry.CommandResult{}, err
		}
		types := make([]string, 0, len(cmd.Args))
		for k, v := range cmd.Args {
			types = append(types, fmt.Sprintf("%s:%T", k, v))
		}
		sort.Strings(types)
		return registry.CommandResult{Retval: -22, Stdout: string(raw) + " " + strings.Join(types, ","), Stderr: cmd.Inbuf}, nil
	case "get":
		name, _ := cmd.Args["name"].(string)
		v1, err := m.host.Get(name)
		if err != nil {
			return registry.CommandResult{}, err
		}
		v2, err := m.host.Get(name)
		if err != nil {
			return registry.CommandResult{}, err
		}
		raw, _ := json.Marshal(v1.Data)
		var types []string
		if mm, ok := v1.Data.(map[string]any); ok {
			for k, v := range mm {
				types = append(types, fmt.Sprintf("%s:%T", k, v))
			}
			sort.Strings(types)
		}
		return registry.CommandResult{Stdout: fmt.Sprintf("v%d same=%v %s %s", v1.Version, v1 == v2, raw, strings.Join(types, ","))}, nil
	case "host":
		return m.hostCalls(ctx)
	case "hammer":
		return m.hammer(ctx)
	case "perf":
		return m.perfCalls()
	}
	return registry.CommandResult{Retval: -22, Stderr: "unknown command " + prefix}, nil
}

// hostCalls exercises every other Host method and reports the results.
func (m *goModule) hostCalls(ctx context.Context) (registry.CommandResult, error) {
	h := m.host
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	add("mgrid=%s", h.MgrID())
	add("servers=%v", h.ListServers())
	s, ok := h.GetServer("node1")
	add("server=%v %v", s, ok)
	_, ok = h.GetServer("nope")
	add("noserver=%v", ok)
	md, ok := h.Metadata("osd", "0")
	add("meta=%v %v", md, ok)
	add("counter=%v", h.Counter("osd", "0", "osd.op_w"))
	l, ok := h.Latest("osd", "0", "osd.op_w")
	add("latest=%v %v", l, ok)
	add("schema=%v", h.PerfSchema("osd", "0"))
	v, err := h.ModuleOption(ctx, "interval")
	add("opt=%v %T %v", v, v, err)
	_, err = h.ModuleOption(ctx, "nope")
	add("unknownopt=%v", errors.Is(err, registry.ErrUnknownOption))
	val := "7"
	add("setopt=%v", h.SetModuleOption(ctx, "interval", &val))
	bad := "x"
	add("badopt=%v", errors.Is(h.SetModuleOption(ctx, "interval", &bad), registry.ErrInvalidOption))
	add("storeset=%v", h.StoreSet(ctx, "k1", &val))
	sv, ok, err := h.StoreGet(ctx, "k1")
	add("storeget=%s %v %v", sv, ok, err)
	_, ok, _ = h.StoreGet(ctx, "missing")
	add("storemissing=%v", ok)
	kv, err := h.StorePrefix(ctx, "k")
	add("prefix=%v %v", kv, err)
	add("storedel=%v", h.StoreSet(ctx, "k1", nil))
	_, err = h.Get("no_such_map")
	add("nodata=%v", errors.Is(err, registry.ErrNoData))
	return registry.CommandResult{Stdout: strings.Join(out, "\n")}, nil
}

// hammer makes host calls from many goroutines at once, as a module's
// serve thread and its notify do.
func (m *goModule) hammer(ctx context.Context) (registry.CommandResult, error) {
	const workers, calls = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				v, err := m.host.Get("osd_map")
				if err != nil {
					errs <- err
					return
				}
				if _, ok := v.Data.(map[string]any); !ok {
					errs <- fmt.Errorf("get: %T", v.Data)
					return
				}
				key := fmt.Sprintf("w%d", w)
				val := fmt.Sprint(i)
				if err := m.host.StoreSet(ctx, key, &val); err != nil {
					errs <- err
					return
				}
				got, ok, err := m.host.StoreGet(ctx, key)
				if err != nil || !ok || got != val {
					errs <- fmt.Errorf("store %s = %q %v %v, want %q", key, got, ok, err, val)
					return
				}
				m.host.Log("debug", key+" "+val)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return registry.CommandResult{}, err
	}
	return registry.CommandResult{Stdout: fmt.Sprint(workers * calls)}, nil
}

func (m *goModule) Stop(ctx context.Context) error {
	if m.name == "slowstop" {
		<-ctx.Done()
		time.Sleep(time.Hour) // shutdown() that never returns
	}
	return nil
}

func (m *goModule) Failed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

var (
	_ registry.Source = goSource{}
	_ registry.Module = (*goModule)(nil)
)

// fakeHost is the parent's registry.Host for one module, recording what
// the module did.
type fakeHost struct {
	mu      sync.Mutex
	values  map[string]*registry.Value
	gets    int
	store   map[string]string
	options map[string]string
	health  map[string]registry.HealthCheck
	logs    []string
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		values:  map[string]*registry.Value{},
		store:   map[string]string{},
		options: map[string]string{},
	}
}

func (h *fakeHost) setValue(name string, v *registry.Value) {
	h.mu.Lock()
	h.values[name] = v
	h.mu.Unlock()
}

func (h *fakeHost) MgrID() string { return "x" }

func (h *fakeHost) Get(name string) (*registry.Value, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gets++
	v, ok := h.values[name]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", name, registry.ErrNoData)
	}
	return v, nil
}

func (h *fakeHost) ListServers() []registry.Server {
	return []registry.Server{{Hostname: "node1", Services: []registry.ServiceRef{{Type: "osd", ID: "0"}}}}
}

func (h *fakeHost) GetServer(hostname string) (registry.Server, bool) {
	if hostname != "node1" {
		return registry.Server{}, false
	}
	return h.ListServers()[0], true
}

func (h *fakeHost) Metadata(svcType, svcID string) (map[string]string, bool) {
	return map[string]string{"hostname": "node1", "id": svcType + "." + svcID}, true
}

func (h *fakeHost) Counter(_, _, _ string) []registry.Sample {
	return []registry.Sample{{T: 1.5, V: 10}, {T: 2.5, V: 12.25}}
}

func (h *fakeHost) Latest(_, _, _ string) (registry.Sample, bool) {
	return registry.Sample{T: 2.5, V: 12.25}, true
}

func (h *fakeHost) PerfSchema(_, _ string) map[string]registry.PerfCounter {
	return map[string]registry.PerfCounter{"osd.op_w": {Type: 10, Description: "writes", Nick: "w", Priority: 5, Units: 1}}
}

func (h *fakeHost) ModuleOption(_ context.Context, key string) (any, error) {
	if key != "interval" {
		return nil, fmt.Errorf("%w: %s", registry.ErrUnknownOption, key)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.options[key]; ok {
		var n int64
		fmt.Sscan(v, &n)
		return n, nil
	}
	return int64(5), nil
}

func (h *fakeHost) SetModuleOption(_ context.Context, key string, value *string) error {
	if key != "interval" {
		return fmt.Errorf("%w: %s", registry.ErrUnknownOption, key)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if value == nil {
		delete(h.options, key)
		return nil
	}
	var n int64
	if _, err := fmt.Sscan(*value, &n); err != nil {
		return fmt.Errorf("%w: %s=%q is not an int", registry.ErrInvalidOption, key, *value)
	}
	h.options[key] = *value
	return nil
}

func (h *fakeHost) StoreGet(_ context.Context, key string) (string, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.store[key]
	return v, ok, nil
}

func (h *fakeHost) StoreSet(_ context.Context, key string, value *string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if value == nil {
		delete(h.store, key)
	} else {
		h.store[key] = *value
	}
	return nil
}

func (h *fakeHost) StorePrefix(_ context.Context, prefix string) (map[string]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]string{}
	for k, v := range h.store {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

func (h *fakeHost) SetHealthChecks(checks map[string]registry.HealthCheck) {
	h.mu.Lock()
	h.health = checks
	h.mu.Unlock()
}

func (h *fakeHost) Log(level, msg string) {
	h.mu.Lock()
	h.logs = append(h.logs, level+": "+msg)
	h.mu.Unlock()
}

var _ registry.Host = (*fakeHost)(nil)
