package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/registry"
)

func TestScan(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"b": 0o755, "a": 0o700, "noexec": 0o644, ".hidden": 0o755} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := NewSource(Config{Dir: dir, SocketDir: t.TempDir()})
	got, err := src.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Scan = %v, want %v", got, want)
	}
	if src.Kind() != "go" {
		t.Fatalf("Kind = %q", src.Kind())
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", ".hidden", "noexec", "subdir", "missing"} {
		if _, err := src.Open(context.Background(), bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", bad, err)
		}
	}
}

func TestDeclareStartNotifyCommand(t *testing.T) {
	e := newEnv(t, Config{}, "good")
	ctx := context.Background()
	m := e.start(t, "good")
	info := m.Info()
	want := registry.Info{
		Name: "good", Kind: "go", Version: "1.2.3",
		NotifyTypes: []string{"osd_map", "count", "crash", "panic", "hang"},
		Options: []registry.Option{
			{Name: "interval", Type: "secs", Default: float64(5), Min: float64(1), Desc: "how often"},
			{Name: "mode", Type: "str", Default: "fast", Enum: []string{"fast", "slow"}},
		},
		CanRun: true,
	}
	info.Commands = nil
	if !reflect.DeepEqual(info, want) {
		t.Fatalf("Info = %+v\nwant %+v", info, want)
	}
	if n := len(m.Info().Commands); n != 5 || m.Info().Commands[1].Cmd != "test get name=name,type=CephString" {
		t.Fatalf("Commands = %+v", m.Info().Commands)
	}

	// Events of undeclared kinds are filtered out by the SDK.
	evs := append(events("count", 1000), events("not_declared", 10)...)
	if err := m.Notify(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if r := command(t, m, map[string]any{"prefix": "test count"}); r.Stdout != "1000" {
		t.Fatalf("count = %+v", r)
	}

	// get() with the version cache: same version -> unchanged, new -> new data.
	e.host.set("osd_map", registry.NewValue(7, map[string]any{"epoch": int64(7), "osds": []any{}}))
	for i := range 2 {
		r := command(t, m, map[string]any{"prefix": "test get", "name": "osd_map"})
		if r.Stdout != `{"data":{"epoch":7,"osds":[]},"version":7}` {
			t.Fatalf("get #%d = %+v", i, r)
		}
	}
	e.host.set("osd_map", registry.NewValue(8, map[string]any{"epoch": int64(8)}))
	if r := command(t, m, map[string]any{"prefix": "test get", "name": "osd_map"}); r.Stdout != `{"data":{"epoch":8},"version":8}` {
		t.Fatalf("get after change = %+v", r)
	}
	if r := command(t, m, map[string]any{"prefix": "test get", "name": "nope"}); r.Retval != -22 || !strings.Contains(r.Stderr, "no such data") {
		t.Fatalf("get missing = %+v", r)
	}

	// A panicking host call fails the plugin's call, not the manager.
	if r := command(t, m, map[string]any{"prefix": "test get", "name": "panic"}); r.Retval != -22 || !strings.Contains(r.Stderr, "panicked") {
		t.Fatalf("get of a panicking host = %+v", r)
	}

	r := command(t, m, map[string]any{"prefix": "test host"})
	for _, line := range []string{
		"mgrid=x err=<nil>", "servers=1 err=<nil>", "server=node1/1 ok=true err=<nil>",
		"metadata=node1 ok=true err=<nil>", "counter=2 err=<nil>", "latest=20 ok=true err=<nil>",
		"schema=wr err=<nil>", "option=5 err=<nil>", "unknown-option-is-ErrUnknownOption=true",
		"set-option err=<nil>", "bad-option-is-ErrInvalidOption=true", "set-store err=<nil>",
		"store=v1 ok=true err=<nil>", "deleted=true err=<nil>", "prefix=2 err=<nil>",
		"missing-is-ErrNoData=true", "health err=<nil>",
	} {
		if !strings.Contains(r.Stdout+"\n", line+"\n") {
			t.Errorf("host API: missing %q in\n%s", line, r.Stdout)
		}
	}
	if hc := e.host.healthChecks(); hc["TEST_WARN"].Summary != "test warning" || hc["TEST_WARN"].Detail[0] != "d1" {
		t.Errorf("health checks = %+v", hc)
	}
	testutil.Eventually(t, 5*time.Second, "log line", func() bool {
		e.host.mu.Lock()
		defer e.host.mu.Unlock()
		return len(e.host.logs) == 1 && e.host.logs[0] == "info: hello from the test plugin"
	})
	if r := command(t, m, map[string]any{"prefix": "nope"}); r.Retval != -22 {
		t.Errorf("unknown command = %+v", r)
	}
	// The plugin's stdout after the handshake reaches logrus with its name.
	testutil.Eventually(t, 5*time.Second, "plugin stdout in logrus", func() bool {
		f, ok := e.hook.find("serve started")
		return ok && f["module"] == "good" && f["stream"] == "stdout"
	})
	// hclog lines keep their fields.
	testutil.Eventually(t, 5*time.Second, "plugin hclog line in logrus", func() bool {
		f, ok := e.hook.find("hclog hello")
		return ok && f["module"] == "good" && f["answer"] == float64(42)
	})
	if m.Failed() != nil {
		t.Fatalf("Failed = %v", m.Failed())
	}
}

func TestCrashRestarts(t *testing.T) {
	for _, tc := range []struct {
		kind, reason string
	}{
		{"crash", "exit status 7"},
		{"panic", "panic: boom from the test plugin"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			e := newEnv(t, Config{}, "good")
			m := e.start(t, "good")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pid := m.pid()
			if err := m.Notify(ctx, events(tc.kind, 1)); err == nil {
				t.Fatal("Notify returned nil for a crashing plugin")
			}
			waitGone(t, pid, 5*time.Second)
			// Failed is set at once; the backoff is 20ms so it may
			// already be cleared by a restart: check the log too.
			testutil.Eventually(t, 10*time.Second, "restart", func() bool { return m.pid() != 0 && m.pid() != pid })
			if f, ok := e.hook.find("plugin failed, restarting"); !ok || !strings.Contains(f["error"].(error).Error(), tc.reason) {
				t.Fatalf("crash not logged with %q: %v", tc.reason, f)
			}
			if tc.kind == "panic" {
				if f, ok := e.hook.find("panic: boom"); !ok || f["module"] != "good" {
					t.Fatalf("panic output not in logrus with the module's name: %v", f)
				}
			}
			if f, _ := e.hook.find("plugin failed, restarting"); !errors.Is(f["error"].(error), ErrCrashed) {
				t.Fatalf("crash error %v does not wrap ErrCrashed", f["error"])
			}
			if err := m.Notify(ctx, events("count", 3)); err != nil {
				t.Fatalf("Notify after restart: %v", err)
			}
			if r := command(t, m, map[string]any{"prefix": "test count"}); r.Stdout != "3" {
				t.Fatalf("count after restart = %+v", r)
			}
			if m.Failed() != nil {
				t.Fatalf("Failed after restart = %v", m.Failed())
			}
		})
	}
}

func TestCrashLoopGivesUp(t *testing.T) {
	e := newEnv(t, Config{CrashLimit: 3, BackoffBase: 10 * time.Millisecond}, "crashloop")
	m := e.start(t, "crashloop")
	testutil.Eventually(t, 30*time.Second, "giving up", func() bool { return errors.Is(m.Failed(), ErrCrashLoop) })
	err := m.Failed()
	if !strings.Contains(err.Error(), "failed 3 times") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Failed = %v", err)
	}
	if m.pid() != 0 {
		t.Fatalf("a process still runs after giving up: %d", m.pid())
	}
	if err := m.Notify(context.Background(), events("count", 1)); !errors.Is(err, ErrNotRunning) || !errors.Is(err, ErrCrashLoop) {
		t.Fatalf("Notify after giving up = %v", err)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {4, 800 * time.Millisecond}, {6, time.Second}, {60, time.Second}} {
		if got := backoff(100*time.Millisecond, time.Second, tc.n); got != tc.want {
			t.Errorf("backoff(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

func TestHangHitsDeadline(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(context.Context, registry.Module) error
	}{
		{"notify", func(ctx context.Context, m registry.Module) error { return m.Notify(ctx, events("hang", 1)) }},
		{"command", func(ctx context.Context, m registry.Module) error {
			_, err := m.Command(ctx, registry.Command{Args: map[string]any{"prefix": "test hang"}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{}, "good")
			m := e.start(t, "good")
			pid := m.pid()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			err := tc.call(ctx, m)
			if !errors.Is(err, registry.ErrStuck) {
				t.Fatalf("err = %v, want ErrStuck", err)
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Fatalf("returned after %s, deadline was 300ms", d)
			}
			waitGone(t, pid, 5*time.Second)
			testutil.Eventually(t, 10*time.Second, "restart", func() bool { return m.pid() != 0 && m.pid() != pid })
			if f, ok := e.hook.find("plugin failed, restarting"); !ok || !errors.Is(f["error"].(error), registry.ErrStuck) {
				t.Fatalf("stuck failure not logged: %v", f)
			}
			if err := m.Notify(context.Background(), events("count", 1)); err != nil {
				t.Fatalf("Notify after restart: %v", err)
			}
		})
	}
}

func TestSIGSTOPKilled(t *testing.T) {
	e := newEnv(t, Config{PingInterval: 100 * time.Millisecond, PingTimeout: 500 * time.Millisecond, CrashLimit: 1}, "good")
	m := e.start(t, "good")
	pid := m.pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	d := waitGone(t, pid, 5*time.Second)
	t.Logf("SIGSTOP'd plugin killed after %s (ping interval 100ms, timeout 500ms)", d)
	testutil.Eventually(t, 5*time.Second, "failed", func() bool { return m.Failed() != nil })
	if !errors.Is(m.Failed(), ErrUnresponsive) {
		t.Fatalf("Failed = %v, want ErrUnresponsive", m.Failed())
	}
}

// TestStopFrozenBounded: Stop on a SIGSTOP'd process (whose graceful
// go-plugin Kill would wait forever) returns within the bounds.
func TestStopFrozenBounded(t *testing.T) {
	e := newEnv(t, Config{PingInterval: time.Hour, KillTimeout: 300 * time.Millisecond}, "good")
	ctx := context.Background()
	mod, err := e.src.Open(ctx, "good")
	if err != nil {
		t.Fatal(err)
	}
	m := mod.(*module)
	if err := m.Start(ctx, e.host); err != nil {
		t.Fatal(err)
	}
	pid := m.pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_ = m.Stop(ctx) // Shutdown times out: an error is expected
	if d := time.Since(t0); d > 3*time.Second {
		t.Fatalf("Stop took %s with KillTimeout 300ms", d)
	}
	waitGone(t, pid, 5*time.Second)
}

func TestHostSIGKILLLeavesNothing(t *testing.T) {
	dir, sockets := t.TempDir(), t.TempDir()
	linkPlugin(t, dir, "good")
	host, pid := startHostProcess(t, dir, sockets, "good")
	if gone(pid) {
		t.Fatalf("plugin %d not running", pid)
	}
	hostDir := filepath.Join(sockets, itoa(host.Process.Pid))
	if _, err := os.Stat(hostDir); err != nil {
		t.Fatalf("manager's socket dir: %v", err)
	}
	// The plugin unlinked its socket once connected.
	if socks := socketFiles(t, sockets); len(socks) != 0 {
		t.Fatalf("socket files while running: %v", socks)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	d := waitGone(t, pid, 5*time.Second)
	t.Logf("plugin gone %s after the manager's SIGKILL", d)
	if socks := socketFiles(t, sockets); len(socks) != 0 {
		t.Fatalf("stale sockets: %v", socks)
	}
	// The dead manager's (empty) directories go when the next one starts.
	NewSource(Config{Dir: dir, SocketDir: sockets})
	if _, err := os.Stat(hostDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale socket dir %s not removed: %v", hostDir, err)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func socketFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSocket != 0 {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestChecksumMismatch(t *testing.T) {
	e := newEnv(t, Config{})
	p := copyPlugin(t, e.dir, "good")
	ctx := context.Background()
	m := e.start(t, "good") // pins the binary

	// Replace the binary as an operator would (a running executable
	// cannot be written in place): a copy with one more byte, renamed over.
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".new", append(b, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}

	_, err = e.src.Open(ctx, "good")
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "enable the module again") {
		t.Fatalf("Open of a changed binary = %v", err)
	}
	// The running module's restart is refused too, and it stays failed.
	if err := m.Notify(ctx, events("crash", 1)); err == nil {
		t.Fatal("crash not reported")
	}
	testutil.Eventually(t, 10*time.Second, "restart refused", func() bool { return errors.Is(m.Failed(), ErrChecksum) })

	// Enabling again (Repin) trusts the new binary.
	if _, err := e.src.Repin("good"); err != nil {
		t.Fatal(err)
	}
	m2, err := e.src.Open(ctx, "good")
	if err != nil {
		t.Fatalf("Open after Repin: %v", err)
	}
	if err := m2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestGarbageBeforeHandshake(t *testing.T) {
	e := newEnv(t, Config{}, "garbage")
	_, err := e.src.Open(context.Background(), "garbage")
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), `printed "hello world" on stdout before the handshake`) {
		t.Fatalf("Open = %v", err)
	}
}

func TestNotAPlugin(t *testing.T) {
	e := newEnv(t, Config{StartTimeout: 5 * time.Second})
	p := filepath.Join(e.dir, "script")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho not a plugin >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := e.src.Open(context.Background(), "script")
	if !errors.Is(err, ErrHandshake) {
		t.Fatalf("Open = %v", err)
	}
}

func TestNameMustMatchFile(t *testing.T) {
	e := newEnv(t, Config{})
	exe, _ := os.Executable()
	// The test plugin declares its file name; a hard link under another
	// name than the one opened is not possible, so check the rule directly.
	if _, err := infoFromDeclare(declFor("other"), "good"); !errors.Is(err, ErrDeclare) {
		t.Fatalf("mismatched name = %v", err)
	}
	if _, err := infoFromDeclare(declFor(""), "good"); !errors.Is(err, ErrDeclare) {
		t.Fatalf("empty name = %v", err)
	}
	_ = exe
	_ = e
}

func TestEnableDisableWithEvents(t *testing.T) {
	e := newEnv(t, Config{}, "good")
	ctx := context.Background()
	for i := range 4 {
		mod, err := e.src.Open(ctx, "good")
		if err != nil {
			t.Fatalf("round %d: Open: %v", i, err)
		}
		m := mod.(*module)
		if err := m.Start(ctx, e.host); err != nil {
			t.Fatalf("round %d: Start: %v", i, err)
		}
		pid := m.pid()
		sent := 0
		for j := range 50 {
			if err := m.Notify(ctx, events("count", j+1)); err != nil {
				t.Fatalf("round %d: Notify: %v", i, err)
			}
			sent += j + 1
		}
		if r := command(t, m, map[string]any{"prefix": "test count"}); r.Stdout != itoa(sent) {
			t.Fatalf("round %d: count %q, sent %d", i, r.Stdout, sent)
		}
		if err := m.Stop(ctx); err != nil {
			t.Fatalf("round %d: Stop: %v", i, err)
		}
		waitGone(t, pid, 5*time.Second)
		if err := m.Notify(ctx, events("count", 1)); !errors.Is(err, ErrStopped) {
			t.Fatalf("round %d: Notify after Stop = %v", i, err)
		}
	}
	if socks := socketFiles(t, e.sockets); len(socks) != 0 {
		t.Fatalf("sockets left after Stop: %v", socks)
	}
}

func TestOpenIdleStopsProcess(t *testing.T) {
	e := newEnv(t, Config{OpenIdle: 50 * time.Millisecond}, "good")
	ctx := context.Background()
	mod, err := e.src.Open(ctx, "good")
	if err != nil {
		t.Fatal(err)
	}
	m := mod.(*module)
	m.mu.Lock()
	pid := m.cur.pid()
	m.mu.Unlock()
	waitGone(t, pid, 10*time.Second)
	// Start after the idle stop starts a fresh process.
	if err := m.Start(ctx, e.host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAndCheck(t, m) })
	if err := m.Notify(ctx, events("count", 2)); err != nil {
		t.Fatal(err)
	}
}

func TestAutoMTLSOff(t *testing.T) {
	e := newEnv(t, Config{DisableAutoMTLS: true}, "good")
	m := e.start(t, "good")
	if err := m.Notify(context.Background(), events("count", 5)); err != nil {
		t.Fatal(err)
	}
}

// TestFailedDuringBackoff: Failed is set from the crash until the restart,
// and the delay doubles with each failure in the window.
func TestFailedDuringBackoff(t *testing.T) {
	const base = 300 * time.Millisecond
	e := newEnv(t, Config{BackoffBase: base}, "good")
	m := e.start(t, "good")
	ctx := context.Background()
	for i, want := range []time.Duration{base, 2 * base} {
		pid := m.pid()
		_ = m.Notify(ctx, events("crash", 1))
		t0 := time.Now()
		if err := m.Failed(); !errors.Is(err, ErrCrashed) {
			// The ack loop may still be reporting the exit: poll briefly.
			testutil.Eventually(t, 2*time.Second, "Failed", func() bool { return errors.Is(m.Failed(), ErrCrashed) })
		}
		testutil.Eventually(t, 10*time.Second, "restart", func() bool { return m.pid() != 0 && m.pid() != pid })
		if d := time.Since(t0); d < want-50*time.Millisecond {
			t.Fatalf("crash %d: restarted after %s, backoff is %s", i+1, d, want)
		}
		if m.Failed() != nil {
			t.Fatalf("crash %d: Failed after restart = %v", i+1, m.Failed())
		}
	}
}

// TestStopWithNotifyInFlight: Stop while another goroutine keeps notifying
// (the registry never does this, but a Notify must not hang past Stop).
func TestStopWithNotifyInFlight(t *testing.T) {
	e := newEnv(t, Config{}, "good", "other")
	ctx := context.Background()
	a := e.start(t, "good")
	b := e.start(t, "other") // a second plugin from the same Source keeps running
	done := make(chan error, 1)
	go func() {
		for {
			if err := a.Notify(ctx, events("count", 100)); err != nil {
				done <- err
				return
			}
		}
	}()
	testutil.Eventually(t, 10*time.Second, "events flowing", func() bool {
		r, err := a.Command(ctx, registry.Command{Args: map[string]any{"prefix": "test count"}})
		return err == nil && r.Stdout != "0"
	})
	pid := a.pid()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRunning) && !errors.Is(err, ErrStopped) {
			t.Fatalf("Notify after Stop = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Notify still blocked 10s after Stop")
	}
	waitGone(t, pid, 5*time.Second)
	if err := b.Notify(ctx, events("count", 3)); err != nil {
		t.Fatalf("the other plugin: %v", err)
	}
	if r := command(t, b, map[string]any{"prefix": "test count"}); r.Stdout != "3" {
		t.Fatalf("the other plugin counted %q", r.Stdout)
	}
}

type standbyHost struct{ registry.Host }

func (standbyHost) Standby() bool { return true }

// TestStandbyRole: the role a plugin is started in (registry.StandbyHost)
// reaches its Host.Standby.
func TestStandbyRole(t *testing.T) {
	e := newEnv(t, Config{}, "good")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, want := range []string{"active", "standby"} {
		mod, err := e.src.Open(ctx, "good")
		if err != nil {
			t.Fatal(err)
		}
		m := mod.(*module)
		t.Cleanup(func() { stopAndCheck(t, m) })
		var h registry.Host = e.host
		if want == "standby" {
			h = standbyHost{e.host}
		}
		if err := m.Start(ctx, h); err != nil {
			t.Fatal(err)
		}
		res, err := m.Command(ctx, registry.Command{Args: map[string]any{"prefix": "test role"}})
		if err != nil || res.Stdout != want {
			t.Errorf("started as %s: role %+v, %v", want, res, err)
		}
	}
}
