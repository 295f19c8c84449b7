package pycheck

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

const envDirs = "PYCHECK_DIRS"

func pySource(dirs []string) registry.Source {
	return modules.NewSource(modules.Config{Dirs: dirs})
}

// TestMain: a child opens its module with the Python engine, from the
// directories the parent passed down.
func TestMain(m *testing.M) {
	if isolate.MaybeRunChild(func() registry.Source {
		return pySource(filepath.SplitList(os.Getenv(envDirs)))
	}) {
		return
	}
	os.Exit(m.Run())
}

// healthy is a module that reads the OSD map and logs in notify, and
// reports what it saw.
const healthy = `from mgr_module import MgrModule

seen = {"n": 0, "epoch": 0}


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    COMMANDS = [{"cmd": "seen", "desc": "what notify saw", "perm": "r"}]

    def notify(self, notify_type, notify_id):
        m = self.get("osd_map")
        seen["n"] = seen["n"] + 1
        seen["epoch"] = m["epoch"]
        if notify_id == "log":
            self.log.info("epoch %d" % m["epoch"])
        if notify_id == "health":
            self.set_health_checks({"PY_CHECK": {"severity": "warning", "summary": "from python", "count": 1, "detail": ["d"]}})

    def handle_command(self, inbuf, cmd):
        return 0, "%d %d" % (seen["n"], seen["epoch"]), ""
`

func dirs(t testing.TB) []string {
	broken, err := filepath.Abs(filepath.Join("..", "..", "..", "testdata", "broken"))
	if err != nil {
		t.Fatal(err)
	}
	extra := t.TempDir()
	if err := os.MkdirAll(filepath.Join(extra, "healthy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(extra, "healthy", "module.py"), []byte(healthy), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{broken, extra}
}

func newSource(t testing.TB, cfg isolate.Config) *isolate.Source {
	d := dirs(t)
	l := logrus.New()
	l.SetOutput(io.Discard)
	cfg.Logger = l
	cfg.Env = append(cfg.Env, envDirs+"="+strings.Join(d, string(os.PathListSeparator)), "GORACE=atexit_sleep_ms=0")
	return isolate.NewSource(pySource(d), cfg)
}

type host struct {
	mu     sync.Mutex
	osdMap *registry.Value
	logs   []string
	health map[string]registry.HealthCheck
}

func (h *host) MgrID() string { return "x" }
func (h *host) Get(name string) (*registry.Value, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if name != "osd_map" {
		return nil, registry.ErrNoData
	}
	return h.osdMap, nil
}
func (h *host) ListServers() []registry.Server                    { return nil }
func (h *host) GetServer(string) (registry.Server, bool)          { return registry.Server{}, false }
func (h *host) Metadata(string, string) (map[string]string, bool) { return nil, false }
func (h *host) Counter(string, string, string) []registry.Sample  { return nil }
func (h *host) Latest(string, string, string) (registry.Sample, bool) {
	return registry.Sample{}, false
}
func (h *host) PerfSchema(string, string) map[string]registry.PerfCounter { return nil }
func (h *host) ModuleOption(context.Context, string) (any, error) {
	return nil, registry.ErrUnknownOption
}
func (h *host) SetModuleOption(context.Context, string, *string) error {
	return registry.ErrUnknownOption
}
func (h *host) StoreGet(context.Context, string) (string, bool, error)         { return "", false, nil }
func (h *host) StoreSet(context.Context, string, *string) error                { return nil }
func (h *host) StorePrefix(context.Context, string) (map[string]string, error) { return nil, nil }
func (h *host) SetHealthChecks(c map[string]registry.HealthCheck) {
	h.mu.Lock()
	h.health = c
	h.mu.Unlock()
}
func (h *host) Log(level, msg string) {
	h.mu.Lock()
	h.logs = append(h.logs, level+": "+msg)
	h.mu.Unlock()
}

var _ registry.Host = (*host)(nil)

func newHost(epoch int64) *host {
	return &host{osdMap: registry.NewValue(uint64(epoch), map[string]any{"epoch": epoch, "osds": []any{}})}
}

func open(t testing.TB, s *isolate.Source, name string, h registry.Host) *isolate.Module {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mod, err := s.Open(ctx, name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	m := mod.(*isolate.Module)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Stop(ctx)
		select {
		case <-m.Exited():
		default:
			t.Errorf("%s: process not reaped", name)
		}
		if err := syscall.Kill(m.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s: pid %d still there: %v", name, m.Pid(), err)
		}
	})
	if h != nil {
		if err := m.Start(ctx, h); err != nil {
			t.Fatalf("Start(%s): %v", name, err)
		}
	}
	return m
}

func notify(m registry.Module, d time.Duration, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return m.Notify(ctx, []registry.Event{{Kind: "osd_map", ID: id}})
}

func seen(t *testing.T, m registry.Module) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := m.Command(ctx, registry.Command{Args: map[string]any{"prefix": "seen"}})
	if err != nil {
		t.Fatalf("seen: %v", err)
	}
	return res.Stdout
}

func TestPythonHealthy(t *testing.T) {
	s := newSource(t, isolate.Config{})
	h := newHost(7)
	m := open(t, s, "healthy", h)
	if info := m.Info(); info.Kind != "python" || len(info.NotifyTypes) != 1 || len(info.Commands) != 1 {
		t.Errorf("Info = %+v", info)
	}
	for i := 0; i < 5; i++ {
		if err := notify(m, 5*time.Second, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := notify(m, 5*time.Second, "log"); err != nil {
		t.Fatal(err)
	}
	if err := notify(m, 5*time.Second, "health"); err != nil {
		t.Fatal(err)
	}
	if got := seen(t, m); got != "7 7" {
		t.Errorf("seen = %q", got)
	}
	// Seven get()s of one version: its JSON crossed once.
	if st := s.Stats(); st.Gets != 7 || st.JSONSent != 1 || st.Unchanged != 6 {
		t.Errorf("stats = %+v", st)
	}
	h.mu.Lock()
	h.osdMap = registry.NewValue(8, map[string]any{"epoch": int64(8)})
	logs, health := strings.Join(h.logs, ";"), h.health
	h.mu.Unlock()
	if logs != "info: epoch 7" {
		t.Errorf("logs = %q", logs)
	}
	if c := health["PY_CHECK"]; c.Summary != "from python" || c.Severity != "warning" {
		t.Errorf("health = %+v", health)
	}
	if err := notify(m, 5*time.Second, ""); err != nil {
		t.Fatal(err)
	}
	if got := seen(t, m); got != "8 8" {
		t.Errorf("seen after a new version = %q", got)
	}
	if st := s.Stats(); st.JSONSent != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// TestPythonBroken runs each broken module of modules/testdata/broken
// under isolate next to a healthy one: the broken one is reported with a
// clear reason, the healthy one keeps getting notifications.
func TestPythonBroken(t *testing.T) {
	s := newSource(t, isolate.Config{MemoryLimitBytes: 512 << 20})
	good := open(t, s, "healthy", newHost(1))

	t.Run("load errors", func(t *testing.T) {
		for name, want := range map[string]string{
			"syntax_error": "SyntaxError",
			"import_error": "ImportError: No module named 'no_such_module_anywhere'",
		} {
			_, err := s.Open(context.Background(), name)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), name+"/module.py") {
				t.Errorf("Open(%s) = %v, want %q", name, err, want)
			}
		}
	})
	t.Run("cannot_run", func(t *testing.T) {
		m := open(t, s, "cannot_run", nil)
		if i := m.Info(); i.CanRun || i.CanRunError != "needs a library gpython does not have" {
			t.Errorf("Info = %+v", i)
		}
	})
	t.Run("raise_notify", func(t *testing.T) {
		m := open(t, s, "raise_notify", newHost(1))
		err := notify(m, 5*time.Second, "")
		if err == nil || !strings.Contains(err.Error(), "ValueError: notify failed on purpose") || !strings.Contains(err.Error(), "line 10, in notify") {
			t.Errorf("Notify = %v", err)
		}
		if err := m.Failed(); err != nil {
			t.Errorf("Failed = %v", err)
		}
		if err := notify(m, 5*time.Second, ""); err == nil {
			t.Error("second Notify did not raise")
		}
	})
	t.Run("raise_serve", func(t *testing.T) {
		m := open(t, s, "raise_serve", newHost(1))
		deadline := time.Now().Add(10 * time.Second)
		for m.Failed() == nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if err := m.Failed(); err == nil || !strings.Contains(err.Error(), "KeyError: 'no_such_key'") {
			t.Errorf("Failed = %v", err)
		}
	})

	// Recursion and allocation get a long deadline: the process must end
	// on its own (stack limit) or by the memory watchdog, not by the deadline.
	runaway := []struct {
		name, want string
		deadline   time.Duration
		is         error
	}{
		{"spin_notify", "notify exceeded 500ms deadline; module process killed", 500 * time.Millisecond, registry.ErrStuck},
		{"recursion", "stack overflow (infinite recursion?)", 30 * time.Second, isolate.ErrExited},
		{"allocation", "memory limit exceeded", 30 * time.Second, isolate.ErrMemoryLimit},
	}
	for _, tt := range runaway {
		t.Run(tt.name, func(t *testing.T) {
			m := open(t, s, tt.name, newHost(1))
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- notify(m, tt.deadline, "") }()
			n := 0
			for {
				select {
				case err := <-done:
					took := time.Since(start)
					if !errors.Is(err, tt.is) {
						t.Errorf("Notify = %v, want %v", err, tt.is)
					}
					f := m.Failed()
					if f == nil || !strings.Contains(f.Error(), tt.want) {
						t.Errorf("Failed = %v, want %q", f, tt.want)
					}
					t.Logf("%s: seen after %v (%d notifies to the healthy module meanwhile): %v", tt.name, took.Round(time.Millisecond), n, f)
					if err := notify(good, 5*time.Second, ""); err != nil {
						t.Errorf("healthy module after %s: %v", tt.name, err)
					}
					return
				default:
				}
				if err := notify(good, 5*time.Second, ""); err != nil {
					t.Fatalf("healthy module while %s ran: %v", tt.name, err)
				}
				n++
			}
		})
	}
	if err := good.Failed(); err != nil {
		t.Errorf("healthy module failed: %v", err)
	}
}

// The per-notify cost of isolation for a Python module whose notify calls
// get() (an unchanged version) and does a little work.
func BenchmarkPythonNotify(b *testing.B) {
	d := dirs(b)
	run := func(b *testing.B, m registry.Module) {
		ctx := context.Background()
		evs := []registry.Event{{Kind: "osd_map"}}
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if err := m.Notify(ctx, evs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifies/s")
	}
	b.Run("InProcess", func(b *testing.B) {
		m, err := pySource(d).Open(context.Background(), "healthy")
		if err != nil {
			b.Fatal(err)
		}
		defer m.Stop(context.Background())
		if err := m.Start(context.Background(), newHost(1)); err != nil {
			b.Fatal(err)
		}
		run(b, m)
	})
	b.Run("Isolated", func(b *testing.B) {
		s := newSource(b, isolate.Config{})
		m := open(b, s, "healthy", newHost(1))
		run(b, m)
		rss, _ := m.RSS()
		b.ReportMetric(float64(rss)/(1<<20), "child_rss_MiB")
		b.ReportMetric(float64(m.StartupTime().Microseconds())/1000, "startup_ms")
	})
}
