package plugins

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// The test binary doubles as the plugin (go-plugin's helper-process
// pattern): started by a Source it sees the handshake cookie and serves
// testPlugin; started with GOMGR_PLUGINS_TEST_ROLE=host it is a manager
// that starts one plugin and waits to be killed.
func TestMain(m *testing.M) {
	if ServeBenchPlugin() {
		return
	}
	if os.Getenv(Handshake.MagicCookieKey) == Handshake.MagicCookieValue {
		runTestPlugin()
		return
	}
	if os.Getenv("GOMGR_PLUGINS_TEST_ROLE") == "host" {
		runTestHost()
		return
	}
	// Plugin processes are this race-enabled binary: without this each
	// one sleeps a second at exit (the race runtime's default).
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	os.Exit(m.Run())
}

// testPlugin's behaviour follows its file name (os.Args[0]) and events:
// "crash" exits, "panic" panics, "hang" blocks, others are counted.
type testPlugin struct {
	name string
	h    *Host

	mu    sync.Mutex
	count int
	kinds map[string]int
}

func runTestPlugin() {
	name := filepath.Base(os.Args[0])
	if strings.HasPrefix(name, "garbage") {
		fmt.Println("hello world")
	}
	Serve(&testPlugin{name: name, kinds: map[string]int{}})
}

func (p *testPlugin) Declare() Declaration {
	return Declaration{
		Name:        p.name,
		Version:     "1.2.3",
		NotifyTypes: []string{"osd_map", "count", "crash", "panic", "hang"},
		Options: []registry.Option{
			{Name: "interval", Type: "secs", Default: int64(5), Min: int64(1), Desc: "how often"},
			{Name: "mode", Type: "str", Default: "fast", Enum: []string{"fast", "slow"}},
		},
		Commands: []registry.CommandDesc{
			{Cmd: "test count", Desc: "events seen", Perm: "r"},
			{Cmd: "test get name=name,type=CephString", Desc: "get()", Perm: "r"},
			{Cmd: "test hang", Desc: "never returns", Perm: "r"},
			{Cmd: "test host", Desc: "exercise the host API", Perm: "rw"},
			{Cmd: "test role", Desc: "standby or active", Perm: "r"},
		},
	}
}

func (p *testPlugin) Init(h *Host) error { p.h = h; return nil }

func (p *testPlugin) Serve(ctx context.Context) {
	if strings.HasPrefix(p.name, "crashloop") {
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintln(os.Stderr, "crashloop: giving up")
		os.Exit(3)
	}
	fmt.Println("serve started") // after the handshake: goes to logrus
	Logger("testplugin").Info("hclog hello", "answer", 42)
	<-ctx.Done()
}

func (p *testPlugin) Shutdown() {}

func (p *testPlugin) NotifyBatch(ctx context.Context, evs []registry.Event) error {
	for _, e := range evs {
		switch e.Kind {
		case "crash":
			os.Exit(7)
		case "panic":
			panic("boom from the test plugin")
		case "hang":
			select {}
		}
		p.mu.Lock()
		p.count++
		p.kinds[e.Kind]++
		p.mu.Unlock()
	}
	return nil
}

func (p *testPlugin) HandleCommand(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	switch cmd.Args["prefix"] {
	case "test count":
		p.mu.Lock()
		defer p.mu.Unlock()
		return registry.CommandResult{Stdout: strconv.Itoa(p.count)}, nil
	case "test get":
		name, _ := cmd.Args["name"].(string)
		v, ver, err := p.h.GetVersion(ctx, name)
		if err != nil {
			return registry.CommandResult{}, err
		}
		b, _ := json.Marshal(map[string]any{"version": ver, "data": v})
		return registry.CommandResult{Stdout: string(b)}, nil
	case "test hang":
		select {}
	case "test host":
		return p.exerciseHost(ctx)
	case "test role":
		if p.h.Standby() {
			return registry.CommandResult{Stdout: "standby"}, nil
		}
		return registry.CommandResult{Stdout: "active"}, nil
	}
	return registry.CommandResult{Retval: -22, Stderr: "unknown command"}, nil
}

// exerciseHost calls every Host method once and reports what it got.
func (p *testPlugin) exerciseHost(ctx context.Context) (registry.CommandResult, error) {
	var out []string
	add := func(f string, a ...any) { out = append(out, fmt.Sprintf(f, a...)) }
	id, err := p.h.MgrID(ctx)
	add("mgrid=%s err=%v", id, err)
	srvs, err := p.h.ListServers(ctx)
	add("servers=%d err=%v", len(srvs), err)
	srv, ok, err := p.h.GetServer(ctx, "node1")
	add("server=%s/%d ok=%v err=%v", srv.Hostname, len(srv.Services), ok, err)
	md, ok, err := p.h.GetMetadata(ctx, "osd", "0")
	add("metadata=%s ok=%v err=%v", md["hostname"], ok, err)
	samples, err := p.h.GetCounter(ctx, "osd", "0", "osd.op_w")
	add("counter=%d err=%v", len(samples), err)
	latest, ok, err := p.h.GetLatest(ctx, "osd", "0", "osd.op_w")
	add("latest=%v ok=%v err=%v", latest.V, ok, err)
	ps, err := p.h.GetPerfSchema(ctx, "osd", "0")
	add("schema=%s err=%v", ps["osd.op_w"].Nick, err)
	v, err := p.h.ModuleOption(ctx, "interval")
	add("option=%v err=%v", v, err)
	_, err = p.h.ModuleOption(ctx, "nope")
	add("unknown-option-is-ErrUnknownOption=%v", errors.Is(err, registry.ErrUnknownOption))
	s := "7"
	err = p.h.SetModuleOption(ctx, "interval", &s)
	add("set-option err=%v", err)
	bad := "x"
	err = p.h.SetModuleOption(ctx, "interval", &bad)
	add("bad-option-is-ErrInvalidOption=%v", errors.Is(err, registry.ErrInvalidOption))
	val := "v1"
	err = p.h.SetStore(ctx, "k1", &val)
	add("set-store err=%v", err)
	got, ok, err := p.h.GetStore(ctx, "k1")
	add("store=%s ok=%v err=%v", got, ok, err)
	err = p.h.SetStore(ctx, "k1", nil)
	_, ok, _ = p.h.GetStore(ctx, "k1")
	add("deleted=%v err=%v", !ok, err)
	m, err := p.h.StorePrefix(ctx, "pre")
	add("prefix=%d err=%v", len(m), err)
	_, err = p.h.Get(ctx, "no_such_thing")
	add("missing-is-ErrNoData=%v", errors.Is(err, registry.ErrNoData))
	err = p.h.SetHealthChecks(ctx, map[string]registry.HealthCheck{
		"TEST_WARN": {Severity: "warning", Summary: "test warning", Count: 1, Detail: []string{"d1"}},
	})
	add("health err=%v", err)
	p.h.Log("info", "hello from the test plugin")
	return registry.CommandResult{Stdout: strings.Join(out, "\n")}, nil
}

var (
	_ Plugin         = (*testPlugin)(nil)
	_ Server         = (*testPlugin)(nil)
	_ BatchNotifier  = (*testPlugin)(nil)
	_ CommandHandler = (*testPlugin)(nil)
)

// runTestHost is a manager process for the SIGKILL test: it starts the
// plugin named by GOMGR_PLUGINS_TEST_PLUGIN in GOMGR_PLUGINS_TEST_DIR,
// prints "PID <plugin pid>" and waits to be killed.
func runTestHost() {
	src := NewSource(Config{
		Dir:       os.Getenv("GOMGR_PLUGINS_TEST_DIR"),
		SocketDir: os.Getenv("GOMGR_PLUGINS_TEST_SOCKETS"),
	})
	ctx := context.Background()
	mod, err := src.Open(ctx, os.Getenv("GOMGR_PLUGINS_TEST_PLUGIN"))
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	if err := mod.Start(ctx, newFakeHost()); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("PID", mod.(*module).pid())
	select {}
}

// fakeHost is a registry.Host backed by maps.
type fakeHost struct {
	mu     sync.Mutex
	values map[string]*registry.Value
	store  map[string]string
	opts   map[string]string
	health map[string]registry.HealthCheck
	logs   []string
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		values: map[string]*registry.Value{},
		store:  map[string]string{"pre/a": "1", "pre/b": "2", "other": "3"},
		opts:   map[string]string{},
	}
}

func (f *fakeHost) set(name string, v *registry.Value) {
	f.mu.Lock()
	f.values[name] = v
	f.mu.Unlock()
}

func (f *fakeHost) MgrID() string { return "x" }

func (f *fakeHost) Get(name string) (*registry.Value, error) {
	if name == "panic" {
		panic("fake host panics")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.values[name]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", name, registry.ErrNoData)
	}
	return v, nil
}

func (f *fakeHost) ListServers() []registry.Server {
	return []registry.Server{{Hostname: "node1", Services: []registry.ServiceRef{{Type: "osd", ID: "0"}}}}
}

func (f *fakeHost) GetServer(h string) (registry.Server, bool) {
	if h != "node1" {
		return registry.Server{}, false
	}
	return f.ListServers()[0], true
}

func (f *fakeHost) Metadata(t, id string) (map[string]string, bool) {
	if t == "osd" && id == "0" {
		return map[string]string{"hostname": "node1"}, true
	}
	return nil, false
}

func (f *fakeHost) Counter(t, id, path string) []registry.Sample {
	return []registry.Sample{{T: 1, V: 10}, {T: 2, V: 20}}
}

func (f *fakeHost) Latest(t, id, path string) (registry.Sample, bool) {
	return registry.Sample{T: 2, V: 20}, true
}

func (f *fakeHost) PerfSchema(t, id string) map[string]registry.PerfCounter {
	return map[string]registry.PerfCounter{"osd.op_w": {Type: 10, Nick: "wr"}}
}

func (f *fakeHost) ModuleOption(_ context.Context, key string) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if key != "interval" {
		return nil, fmt.Errorf("%w: %s", registry.ErrUnknownOption, key)
	}
	if v, ok := f.opts[key]; ok {
		n, _ := strconv.ParseInt(v, 10, 64)
		return n, nil
	}
	return int64(5), nil
}

func (f *fakeHost) SetModuleOption(_ context.Context, key string, value *string) error {
	if key != "interval" {
		return fmt.Errorf("%w: %s", registry.ErrUnknownOption, key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if value == nil {
		delete(f.opts, key)
		return nil
	}
	if _, err := strconv.ParseInt(*value, 10, 64); err != nil {
		return fmt.Errorf("%w: %s=%q", registry.ErrInvalidOption, key, *value)
	}
	f.opts[key] = *value
	return nil
}

func (f *fakeHost) StoreGet(_ context.Context, key string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.store[key]
	return v, ok, nil
}

func (f *fakeHost) StoreSet(_ context.Context, key string, value *string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if value == nil {
		delete(f.store, key)
	} else {
		f.store[key] = *value
	}
	return nil
}

func (f *fakeHost) StorePrefix(_ context.Context, prefix string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.store {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

func (f *fakeHost) SetHealthChecks(c map[string]registry.HealthCheck) {
	f.mu.Lock()
	f.health = c
	f.mu.Unlock()
}

func (f *fakeHost) healthChecks() map[string]registry.HealthCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.health
}

func (f *fakeHost) Log(level, msg string) {
	f.mu.Lock()
	f.logs = append(f.logs, level+": "+msg)
	f.mu.Unlock()
}

var _ registry.Host = (*fakeHost)(nil)

// linkPlugin puts the test binary into dir under name (a symlink).
func linkPlugin(t testing.TB, dir, name string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.Symlink(exe, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyPlugin puts a copy of the test binary into dir under name.
func copyPlugin(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	testutil.CopyTestBinary(t, p)
	return p
}

// logHook records logrus entries.
type logHook struct {
	mu      sync.Mutex
	entries []*logrus.Entry
}

func (h *logHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h *logHook) Fire(e *logrus.Entry) error {
	h.mu.Lock()
	h.entries = append(h.entries, e)
	h.mu.Unlock()
	return nil
}

// find returns the first entry whose message contains s, with its fields.
func (h *logHook) find(s string) (logrus.Fields, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.entries {
		if strings.Contains(e.Message, s) {
			return e.Data, true
		}
	}
	return nil, false
}

type testEnv struct {
	dir     string
	sockets string
	src     *Source
	hook    *logHook
	host    *fakeHost
}

// newEnv returns a Source over a fresh plugin directory with short
// timeouts, and plugins linked into it under names.
func newEnv(t *testing.T, cfg Config, names ...string) *testEnv {
	t.Helper()
	e := &testEnv{dir: t.TempDir(), sockets: t.TempDir(), hook: &logHook{}, host: newFakeHost()}
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetLevel(logrus.DebugLevel)
	log.AddHook(e.hook)
	cfg.Dir, cfg.SocketDir, cfg.Logger = e.dir, e.sockets, log
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 20 * time.Millisecond
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 200 * time.Millisecond
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = 5 * time.Second // a loaded machine must not fail healthy plugins
	}
	if cfg.KillTimeout == 0 {
		cfg.KillTimeout = 2 * time.Second
	}
	e.src = NewSource(cfg)
	for _, n := range names {
		linkPlugin(t, e.dir, n)
	}
	return e
}

// start opens and starts a plugin and stops it at cleanup.
func (e *testEnv) start(t *testing.T, name string) *module {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mod, err := e.src.Open(ctx, name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	m := mod.(*module)
	t.Cleanup(func() { stopAndCheck(t, m) })
	if err := m.Start(ctx, e.host); err != nil {
		t.Fatalf("Start(%s): %v", name, err)
	}
	return m
}

// stopAndCheck stops m and checks that no process of it is left.
func stopAndCheck(t *testing.T, m *module) {
	t.Helper()
	pid := m.pid()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := m.Stop(ctx); err != nil {
		t.Logf("Stop(%s): %v", m.name, err)
	}
	t.Logf("Stop took %s", time.Since(t0))
	if pid != 0 {
		waitGone(t, pid, 10*time.Second)
	}
}

// gone reports whether pid no longer runs (absent or a zombie).
func gone(pid int) bool { return !procstat.Alive(pid) }

func waitGone(t *testing.T, pid int, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for !gone(pid) {
		if time.Since(start) > d {
			t.Fatalf("process %d still running after %s", pid, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func command(t *testing.T, m registry.Module, args map[string]any) registry.CommandResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := m.Command(ctx, registry.Command{Args: args})
	if err != nil {
		t.Fatalf("Command(%v): %v", args, err)
	}
	return r
}

func events(kind string, n int) []registry.Event {
	evs := make([]registry.Event, n)
	for i := range evs {
		evs[i] = registry.Event{Kind: kind, ID: strconv.Itoa(i)}
	}
	return evs
}

// startHostProcess re-executes the test binary as a manager; it returns
// the manager's command and its plugin's pid.
func startHostProcess(t *testing.T, dir, sockets, plugin string) (*exec.Cmd, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(),
		"GOMGR_PLUGINS_TEST_ROLE=host",
		"GOMGR_PLUGINS_TEST_DIR="+dir,
		"GOMGR_PLUGINS_TEST_SOCKETS="+sockets,
		"GOMGR_PLUGINS_TEST_PLUGIN="+plugin)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("host process: %v", err)
	}
	var pid int
	if _, err := fmt.Sscanf(line, "PID %d", &pid); err != nil || pid <= 0 {
		t.Fatalf("host process said %q", line)
	}
	return cmd, pid
}

func declFor(name string) *pb.DeclareResponse { return &pb.DeclareResponse{Name: name, CanRun: true} }
