package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gomgr/registry"
)

func TestRestartPolicyBackoff(t *testing.T) {
	p := registry.RestartPolicy{BackoffBase: 100 * time.Millisecond, BackoffCap: time.Second}
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{50, time.Second},
	} {
		if got := p.Backoff(tc.n); got != tc.want {
			t.Errorf("Backoff(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

// crash makes the newest instance of name fail as a dead process does.
func crash(src *fakeSource, name string, why string) *fakeMod {
	m := src.last(name)
	m.fail(fmt.Errorf("%s: %w", why, registry.ErrCrashed))
	return m
}

// TestCrashRestartsFresh: a module whose Failed wraps ErrCrashed is
// stopped and replaced by a freshly opened instance, which gets the
// events and commands; a Failed without ErrCrashed (serve raised) is not
// restarted.
func TestCrashRestartsFresh(t *testing.T) {
	src := newSource("python")
	info := runnable("ev")
	info.Commands = []registry.CommandDesc{{Cmd: "ping", Perm: "r"}}
	src.add("m", info, func(m *fakeMod) {
		m.onCommand = func(context.Context, registry.Command) (registry.CommandResult, error) {
			return registry.CommandResult{Stdout: "pong"}, nil
		}
	})
	reg := newReg(t, registry.Config{Restart: registry.RestartPolicy{BackoffBase: time.Millisecond}}, src)
	if err := reg.Enable(bg, "m"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", stateIs(reg, "m", registry.StateRunning))
	old := crash(src, "m", "signal: killed")
	waitFor(t, "restarted", func() bool {
		return len(src.instances("m")) == 2 && status(t, reg, "m").State == registry.StateRunning
	})
	if old.stops.Load() != 1 || src.last("m").starts.Load() != 1 {
		t.Errorf("old stops %d, new starts %d", old.stops.Load(), src.last("m").starts.Load())
	}
	if hc := reg.HealthChecks(); len(hc) != 0 {
		t.Errorf("checks after restart: %+v", hc)
	}
	res, err := reg.HandleCommand(bg, registry.Command{Args: map[string]any{"prefix": "ping"}})
	if err != nil || res.Stdout != "pong" {
		t.Errorf("command after restart: %+v, %v", res, err)
	}
	reg.NotifyAll("ev", "after")
	waitFor(t, "event after restart", func() bool { return len(src.last("m").events()) == 1 })

	// An exception from serve() is no crash: held failed, not reopened.
	src.last("m").fail(errors.New("KeyError: 'x'"))
	waitFor(t, "failed", stateIs(reg, "m", registry.StateFailed))
	if n := len(src.instances("m")); n != 2 {
		t.Errorf("%d instances after serve raised, want 2", n)
	}
}

// TestCrashLoopHeld: K crashes within the window hold the module failed
// with MGR_MODULE_ERROR and the last reason; Enable retries it.
func TestCrashLoopHeld(t *testing.T) {
	src := newSource("python")
	src.add("m", runnable("ev"), nil)
	reg := newReg(t, registry.Config{Restart: registry.RestartPolicy{Limit: 3, BackoffBase: time.Millisecond}}, src)
	if err := reg.Enable(bg, "m"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		waitFor(t, "running", stateIs(reg, "m", registry.StateRunning))
		waitFor(t, "instance", func() bool { return len(src.instances("m")) == i })
		crash(src, "m", fmt.Sprintf("crash %d", i))
	}
	waitFor(t, "held failed", stateIs(reg, "m", registry.StateFailed))
	s := status(t, reg, "m")
	if !strings.Contains(s.Error, "crashed 3 times") || !strings.Contains(s.Error, "crash 3") {
		t.Errorf("error %q", s.Error)
	}
	c, ok := reg.HealthChecks()[registry.CheckModuleError]
	if !ok || !strings.Contains(c.Summary, "crash 3") {
		t.Errorf("MGR_MODULE_ERROR = %+v", c)
	}
	if n := len(src.instances("m")); n != 3 {
		t.Errorf("%d instances, want 3 (no restart after the limit)", n)
	}
	waitFor(t, "dead instance stopped", func() bool { return src.last("m").stops.Load() == 1 })

	if err := reg.Enable(bg, "m"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running after Enable", stateIs(reg, "m", registry.StateRunning))
	if hc := reg.HealthChecks(); len(hc) != 0 {
		t.Errorf("checks after Enable: %+v", hc)
	}
	// The count started again: one more crash restarts it.
	crash(src, "m", "again")
	waitFor(t, "restarted", func() bool {
		return len(src.instances("m")) == 5 && status(t, reg, "m").State == registry.StateRunning
	})
}

// TestCrashReopenFails: a reopen that fails counts as a crash; stopping
// during the backoff ends the runner.
func TestCrashReopenFails(t *testing.T) {
	src := newSource("python")
	src.add("m", runnable(), nil)
	reg := newReg(t, registry.Config{Restart: registry.RestartPolicy{Limit: 3, BackoffBase: time.Millisecond}}, src)
	if err := reg.Enable(bg, "m"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", stateIs(reg, "m", registry.StateRunning))
	src.addBroken("m", errors.New("SyntaxError: bad"))
	crash(src, "m", "signal: killed")
	waitFor(t, "held failed", stateIs(reg, "m", registry.StateFailed))
	if s := status(t, reg, "m"); !strings.Contains(s.Error, "reopen after crash: SyntaxError: bad") {
		t.Errorf("error %q", s.Error)
	}

	src.add("m", runnable(), nil)
	if err := reg.Enable(bg, "m"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", stateIs(reg, "m", registry.StateRunning))
	reg2 := newReg(t, registry.Config{Restart: registry.RestartPolicy{BackoffBase: time.Hour}}, src)
	if err := reg2.Enable(bg, "m"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", stateIs(reg2, "m", registry.StateRunning))
	crash(src, "m", "signal: killed")
	waitFor(t, "restarting", stateIs(reg2, "m", registry.StateRestarting))
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if err := reg2.Disable(ctx, "m"); err != nil {
		t.Errorf("Disable during backoff: %v", err)
	}
}
