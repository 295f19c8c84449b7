package modules

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gomgr/registry"
)

// fakeHost is an in-test registry.Host: data by name, options validated
// against the declarations, a store, and recorded health checks and logs.
type fakeHost struct {
	mu      sync.Mutex
	data    map[string]*registry.Value
	opts    []registry.Option
	store   map[string]string
	health  map[string]registry.HealthCheck
	logs    []string
	servers []registry.Server
	meta    map[string]map[string]string
	samples map[string][]registry.Sample
	schema  map[string]registry.PerfCounter
	module  string
}

func newFakeHost(module string, opts []registry.Option) *fakeHost {
	return &fakeHost{
		module: module, opts: opts,
		data: map[string]*registry.Value{}, store: map[string]string{},
		meta: map[string]map[string]string{}, samples: map[string][]registry.Sample{},
	}
}

var _ registry.Host = (*fakeHost)(nil)

func (h *fakeHost) set(name string, version uint64, data any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.data[name] = registry.NewValue(version, data)
}

func (h *fakeHost) MgrID() string { return "x" }
func (h *fakeHost) Get(name string) (*registry.Value, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.data[name]
	if !ok {
		return nil, registry.ErrNoData
	}
	return v, nil
}
func (h *fakeHost) ListServers() []registry.Server { return h.servers }
func (h *fakeHost) GetServer(hostname string) (registry.Server, bool) {
	for _, s := range h.servers {
		if s.Hostname == hostname {
			return s, true
		}
	}
	return registry.Server{}, false
}
func (h *fakeHost) Metadata(t, id string) (map[string]string, bool) {
	m, ok := h.meta[t+"."+id]
	return m, ok
}
func (h *fakeHost) Counter(t, id, path string) []registry.Sample {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]registry.Sample(nil), h.samples[t+"."+id+"/"+path]...)
}
func (h *fakeHost) Latest(t, id, path string) (registry.Sample, bool) {
	s := h.Counter(t, id, path)
	if len(s) == 0 {
		return registry.Sample{}, false
	}
	return s[len(s)-1], true
}
func (h *fakeHost) PerfSchema(t, id string) map[string]registry.PerfCounter { return h.schema }

func (h *fakeHost) opt(key string) (registry.Option, bool) {
	for _, o := range h.opts {
		if o.Name == key {
			return o, true
		}
	}
	return registry.Option{}, false
}

func (h *fakeHost) ModuleOption(ctx context.Context, key string) (any, error) {
	o, ok := h.opt(key)
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, registry.ErrUnknownOption)
	}
	h.mu.Lock()
	s, set := h.store["mgr/"+h.module+"/"+key]
	h.mu.Unlock()
	if !set {
		return o.Default, nil
	}
	return parseOpt(o, s)
}

func parseOpt(o registry.Option, s string) (any, error) {
	switch o.Type {
	case "int", "uint", "secs", "size":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", o.Name, s, registry.ErrInvalidOption)
		}
		return n, nil
	case "float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", o.Name, s, registry.ErrInvalidOption)
		}
		return f, nil
	case "bool":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", o.Name, s, registry.ErrInvalidOption)
		}
		return b, nil
	}
	return s, nil
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func (h *fakeHost) SetModuleOption(ctx context.Context, key string, value *string) error {
	o, ok := h.opt(key)
	if !ok {
		return fmt.Errorf("%s: %w", key, registry.ErrUnknownOption)
	}
	k := "mgr/" + h.module + "/" + key
	if value == nil {
		return h.StoreSet(ctx, k, nil)
	}
	v, err := parseOpt(o, *value)
	if err != nil {
		return err
	}
	if o.Min != nil && toF(v) < toF(o.Min) || o.Max != nil && toF(v) > toF(o.Max) {
		return fmt.Errorf("%s=%s out of [%v, %v]: %w", key, *value, o.Min, o.Max, registry.ErrInvalidOption)
	}
	return h.StoreSet(ctx, k, value)
}

func (h *fakeHost) StoreGet(ctx context.Context, key string) (string, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.store[key]
	return v, ok, nil
}
func (h *fakeHost) StoreSet(ctx context.Context, key string, value *string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if value == nil {
		delete(h.store, key)
	} else {
		h.store[key] = *value
	}
	return nil
}
func (h *fakeHost) StorePrefix(ctx context.Context, prefix string) (map[string]string, error) {
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
	defer h.mu.Unlock()
	h.health = checks
}
func (h *fakeHost) Log(level, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, level+": "+msg)
}

func (h *fakeHost) healthChecks() map[string]registry.HealthCheck {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.health
}

func (h *fakeHost) logLines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

// writeModule writes <dir>/<name>/module.py.
func writeModule(t testing.TB, dir, name, src string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "module.py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// openSrc opens module source src as module name from a temp dir.
func openSrc(t testing.TB, name, src string, allowOS ...string) (registry.Module, error) {
	t.Helper()
	dir := t.TempDir()
	writeModule(t, dir, name, src)
	s := NewSource(Config{Dirs: []string{dir}, AllowOS: allowOS})
	m, err := s.Open(ctxT(t, 10*time.Second), name)
	if err == nil {
		t.Cleanup(func() { _ = m.Stop(ctxT(t, 5*time.Second)) })
	}
	return m, err
}

// startSrc opens and starts src against a fake host.
func startSrc(t testing.TB, name, src string) (registry.Module, *fakeHost) {
	t.Helper()
	m, err := openSrc(t, name, src)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	h := newFakeHost(name, m.Info().Options)
	if err := m.Start(ctxT(t, 10*time.Second), h); err != nil {
		t.Fatalf("start: %v", err)
	}
	return m, h
}

// command runs a command and fails the test on error.
func command(t testing.TB, m registry.Module, args map[string]any) registry.CommandResult {
	t.Helper()
	res, err := m.Command(ctxT(t, 10*time.Second), registry.Command{Args: args})
	if err != nil {
		t.Fatalf("command %v: %v", args, err)
	}
	return res
}

const moduleFooter = `
from mgr_module import MgrModule
class Module(MgrModule):
    pass
`

// evalPy runs code as a module's top level and returns the Go value of its
// global `result` (or the error, with traceback).
func evalPy(t testing.TB, code string) (any, error) {
	t.Helper()
	m, err := openSrc(t, "probe", code+"\n"+moduleFooter)
	if err != nil {
		return nil, err
	}
	pm := m.(*pyModule)
	var out any
	err = pm.call(ctxT(t, 5*time.Second), "read", func() error {
		mod, err := pm.pctx.GetModule("probe")
		if err != nil {
			return err
		}
		r, ok := mod.Globals["result"]
		if !ok {
			return errors.New("no result")
		}
		out, err = fromPy(r)
		return err
	})
	return out, err
}

func fmtSscan(s string, a ...any) (int, error) { return fmt.Sscan(s, a...) }
