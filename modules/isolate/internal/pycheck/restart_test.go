package pycheck

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/testutil"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

// recSource is an isolate.Source that remembers the Modules it opened, so
// a test can kill their processes.
type recSource struct {
	*isolate.Source
	mu   sync.Mutex
	mods []*isolate.Module
}

func (s *recSource) Open(ctx context.Context, name string) (registry.Module, error) {
	m, err := s.Source.Open(ctx, name)
	if im, ok := m.(*isolate.Module); ok {
		s.mu.Lock()
		s.mods = append(s.mods, im)
		s.mu.Unlock()
	}
	return m, err
}

func (s *recSource) last() *isolate.Module {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mods[len(s.mods)-1]
}

// restartReg runs the registry over the healthy module alone, isolated.
func restartReg(t *testing.T, pol registry.RestartPolicy) (*registry.Registry, *recSource) {
	t.Helper()
	d := t.TempDir()
	if err := os.MkdirAll(filepath.Join(d, "healthy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "healthy", "module.py"), []byte(healthy), 0o644); err != nil {
		t.Fatal(err)
	}
	l := logrus.New()
	l.SetOutput(io.Discard)
	src := &recSource{Source: isolate.NewSource(pySource([]string{d}), isolate.Config{
		Logger: l,
		Env:    []string{envDirs + "=" + d, "GORACE=atexit_sleep_ms=0"},
	})}
	state := registry.NewMemState()
	state.Set("osd_map", map[string]any{"epoch": int64(1), "osds": []any{}})
	reg, err := registry.New(registry.Config{
		Sources:      []registry.Source{src},
		State:        state,
		Logger:       logrus.NewEntry(l),
		PollInterval: 10 * time.Millisecond,
		Restart:      pol,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := reg.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := reg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := reg.Enable(ctx, "healthy"); err != nil {
		t.Fatal(err)
	}
	return reg, src
}

func answers(reg *registry.Registry) func() bool {
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "seen"}})
		return err == nil
	}
}

func modState(reg *registry.Registry) registry.Status {
	for _, s := range reg.Modules() {
		if s.Name == "healthy" {
			return s
		}
	}
	return registry.Status{}
}

// killRunning kills -9 the process of the running module, once it is not
// the one killed before, and returns its pid.
func killRunning(t *testing.T, reg *registry.Registry, src *recSource, prev int) int {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, "module running in a new process", func() bool {
		return modState(reg).State == registry.StateRunning && src.last().Pid() != prev
	})
	pid := src.last().Pid()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestCrashRestarts: a gpython module whose process is killed with
// SIGKILL is restarted in a new process and answers commands again; no
// MGR_MODULE_ERROR is left behind.
func TestCrashRestarts(t *testing.T) {
	reg, src := restartReg(t, registry.RestartPolicy{BackoffBase: 20 * time.Millisecond})
	testutil.Eventually(t, 20*time.Second, "first answer", answers(reg))
	pid := killRunning(t, reg, src, 0)
	testutil.Eventually(t, 20*time.Second, "answer after kill -9", answers(reg))
	t.Logf("pid %d killed, now %d", pid, src.last().Pid())
	if p := src.last().Pid(); p == pid {
		t.Errorf("still pid %d", p)
	}
	if s := modState(reg); s.State != registry.StateRunning || s.Error != "" {
		t.Errorf("after restart: %s %q", s.State, s.Error)
	}
	if _, ok := reg.HealthChecks()[registry.CheckModuleError]; ok {
		t.Error("MGR_MODULE_ERROR after a restart")
	}
}

// TestCrashLoopHeldFailed: killed K times in a row, the module is held
// failed with MGR_MODULE_ERROR and the exit reason; Enable brings it back.
func TestCrashLoopHeldFailed(t *testing.T) {
	const k = 3
	reg, src := restartReg(t, registry.RestartPolicy{Limit: k, BackoffBase: 10 * time.Millisecond})
	pid := 0
	for range k {
		pid = killRunning(t, reg, src, pid)
	}
	testutil.Eventually(t, 20*time.Second, "held failed", func() bool { return modState(reg).State == registry.StateFailed })
	s := modState(reg)
	t.Logf("held: %s", s.Error)
	if !strings.Contains(s.Error, "crashed 3 times") || !strings.Contains(s.Error, "signal: killed") {
		t.Errorf("error %q", s.Error)
	}
	c, ok := reg.HealthChecks()[registry.CheckModuleError]
	if !ok || c.Severity != registry.SeverityError || !strings.Contains(c.Summary, "signal: killed") {
		t.Errorf("MGR_MODULE_ERROR = %+v", c)
	}
	if answers(reg)() {
		t.Error("a held-failed module answered a command")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reg.Enable(ctx, "healthy"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "answer after Enable", answers(reg))
	if _, ok := reg.HealthChecks()[registry.CheckModuleError]; ok {
		t.Error("MGR_MODULE_ERROR after Enable")
	}
}
