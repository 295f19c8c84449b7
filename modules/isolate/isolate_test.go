package isolate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
	"gomgr/registry"
)

func quietLogger() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func testSourceCfg(cfg Config) *Source {
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	// The race runtime sleeps 1s at exit by default, for its reports.
	cfg.Env = append(cfg.Env, "GORACE=atexit_sleep_ms=0")
	return NewSource(goSource{}, cfg)
}

// open opens and starts name, and stops it at the end of the test,
// checking that no process is left behind.
func open(t testing.TB, s *Source, name string, h registry.Host) *Module {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mod, err := s.Open(ctx, name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	m := mod.(*Module)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Stop(ctx)
		checkGone(t, m)
	})
	if h != nil {
		if err := m.Start(ctx, h); err != nil {
			t.Fatalf("Start(%s): %v", name, err)
		}
	}
	return m
}

// checkGone checks that the module's process has been reaped: no process,
// no zombie.
func checkGone(t testing.TB, m *Module) {
	t.Helper()
	select {
	case <-m.Exited():
	default:
		t.Errorf("module %s (pid %d): process not reaped", m.name, m.Pid())
		return
	}
	if err := syscall.Kill(m.Pid(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("module %s: pid %d still exists (kill 0: %v)", m.name, m.Pid(), err)
	}
}

func notify(m *Module, d time.Duration, kinds ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	evs := make([]registry.Event, len(kinds))
	for i, k := range kinds {
		evs[i] = registry.Event{Kind: k, ID: "id" + k}
	}
	return m.Notify(ctx, evs)
}

func command(m *Module, d time.Duration, args map[string]any) (registry.CommandResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return m.Command(ctx, registry.Command{Args: args, Inbuf: "in"})
}

func TestInfoNotifyCommand(t *testing.T) {
	s := testSourceCfg(Config{})
	if s.Kind() != "gotest" {
		t.Errorf("Kind = %q", s.Kind())
	}
	if names, err := s.Scan(); err != nil || len(names) != 4 || names[0] != "ok" {
		t.Errorf("Scan = %v, %v", names, err)
	}
	h := newFakeHost()
	m := open(t, s, "ok", h)

	want := (&goModule{name: "ok"}).Info()
	got := m.Info()
	if got.Name != "ok" || got.Version != "1.0" || !got.CanRun || len(got.Options) != 4 || len(got.Commands) != 1 {
		t.Fatalf("Info = %+v", got)
	}
	for i, o := range got.Options {
		w := want.Options[i]
		if o.Name != w.Name || o.Default != w.Default || o.Min != w.Min || o.Max != w.Max || o.Runtime != w.Runtime || len(o.Enum) != len(w.Enum) {
			t.Errorf("option %d = %#v, want %#v", i, o, w)
		}
	}
	if got.NotifyTypes[1] != "spin" || got.Commands[0].Cmd != "count" {
		t.Errorf("Info = %+v", got)
	}

	queued := time.Unix(1700000000, 123456789)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Notify(ctx, []registry.Event{{Kind: "osd_map", ID: "1"}, {Kind: "mon_map", ID: "2", Queued: queued}}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if err := notify(m, 5*time.Second, "osd_map"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	res, err := command(m, 5*time.Second, map[string]any{"prefix": "count"})
	if err != nil || res.Stdout != "3 osd_map/idosd_map -6795364578871345152" {
		// Zero Queued crosses as zero: time.Time{}.UnixNano() overflows the same way on both sides.
		if err != nil || !strings.HasPrefix(res.Stdout, "3 osd_map/idosd_map") {
			t.Errorf("count = %+v, %v", res, err)
		}
	}

	// Command args keep their Go types (int64, float64, bool, lists, maps).
	res, err = command(m, 5*time.Second, map[string]any{
		"prefix": "echo", "n": int64(1) << 60, "f": 2.5, "b": true, "l": []any{"a", int64(1)}, "nil": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := "b:bool,f:float64,l:[]interface {},n:int64,nil:<nil>,prefix:string"
	if res.Retval != -22 || res.Stderr != "in" || !strings.HasSuffix(res.Stdout, wantTypes) || !strings.Contains(res.Stdout, `"n":1152921504606846976`) {
		t.Errorf("echo = %+v", res)
	}
	if err := m.Failed(); err != nil {
		t.Errorf("Failed = %v", err)
	}
	if err := m.Stop(context.Background()); err != nil {
		t.Errorf("Stop: %v", err)
	}
	checkGone(t, m)
	if want := fmt.Sprintf("exit status %d", exitStopped); m.status != want {
		t.Errorf("%s after Stop, want %s", m.status, want)
	}
	if err := m.Failed(); err != nil {
		t.Errorf("Failed after Stop = %v", err)
	}
	// The registry's first queued time survives.
	h.mu.Lock()
	logs := strings.Join(h.logs, ";")
	h.mu.Unlock()
	if logs != "info: started ok" {
		t.Errorf("logs = %q", logs)
	}
}

func TestQueuedTimeCrosses(t *testing.T) {
	var e enc
	q := time.Unix(1700000000, 123456789)
	e.events([]registry.Event{{Kind: "a", ID: "b", Queued: q}, {Kind: "c"}})
	d := dec{b: e.b}
	evs := d.events()
	if d.err != nil || len(evs) != 2 || !evs[0].Queued.Equal(q) || !evs[1].Queued.IsZero() {
		t.Fatalf("events = %+v, %v", evs, d.err)
	}
}

// TestSpinKilledAtDeadline: `while True: pass` in notify. The parent kills
// the process at the deadline; the other module keeps answering meanwhile.
func TestSpinKilledAtDeadline(t *testing.T) {
	s := testSourceCfg(Config{})
	spin := open(t, s, "ok", newFakeHost())
	other := open(t, s, "other", newFakeHost())

	const deadline = 500 * time.Millisecond
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- notify(spin, deadline, "spin") }()

	var slowest time.Duration
	answered := 0
	for {
		select {
		case err := <-done:
			took := time.Since(start)
			if !errors.Is(err, registry.ErrStuck) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Notify error = %v, want ErrStuck and DeadlineExceeded", err)
			}
			if took < deadline || took > deadline+3*time.Second {
				t.Errorf("Notify returned after %v, deadline %v", took, deadline)
			}
			f := spin.Failed()
			if f == nil || !strings.Contains(f.Error(), "notify exceeded 500ms deadline; module process killed") || !errors.Is(f, ErrKilled) {
				t.Errorf("Failed = %v", f)
			}
			checkGone(t, spin)
			if answered < 3 {
				t.Errorf("other module answered %d notifies while one spun", answered)
			}
			t.Logf("other module: %d notifies answered while the spinning one ran, slowest %v", answered, slowest)
			// Later calls fail at once with the reason.
			if err := notify(spin, time.Second, "osd_map"); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Errorf("Notify after kill = %v", err)
			}
			if err := other.Failed(); err != nil {
				t.Errorf("other failed: %v", err)
			}
			return
		default:
		}
		t0 := time.Now()
		if err := notify(other, 2*time.Second, "osd_map"); err != nil {
			t.Fatalf("other module: %v", err)
		}
		if d := time.Since(t0); d > slowest {
			slowest = d
		}
		answered++
	}
}

// TestFrozenChild: a stopped (SIGSTOP) process answers nothing; the call
// still returns at its deadline and the process is killed.
func TestFrozenChild(t *testing.T) {
	s := testSourceCfg(Config{})
	m := open(t, s, "ok", newFakeHost())
	if err := syscall.Kill(m.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal is asynchronous: wait until the process is stopped.
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := procstat.ReadState(m.Pid())
		if err != nil {
			t.Fatal(err)
		}
		if st == 'T' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process state %q after SIGSTOP", st)
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	err := notify(m, 300*time.Millisecond, "osd_map")
	if !errors.Is(err, registry.ErrStuck) || time.Since(start) > 3*time.Second {
		t.Fatalf("Notify = %v after %v", err, time.Since(start))
	}
	checkGone(t, m)
}

func TestCommandDeadline(t *testing.T) {
	s := testSourceCfg(Config{})
	m := open(t, s, "ok", newFakeHost())
	_, err := command(m, 300*time.Millisecond, map[string]any{"prefix": "spin"})
	if !errors.Is(err, registry.ErrStuck) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Command error = %v", err)
	}
	if f := m.Failed(); f == nil || !strings.Contains(f.Error(), "command exceeded 300ms deadline") {
		t.Errorf("Failed = %v", f)
	}
	checkGone(t, m)
}

// A module that gives up on its own code with ErrStuck is killed too.
func TestInnerErrStuckKills(t *testing.T) {
	s := testSourceCfg(Config{})
	m := open(t, s, "ok", newFakeHost())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.Notify(ctx, []registry.Event{{Kind: "stuck"}})
	if !errors.Is(err, registry.ErrStuck) || ctx.Err() != nil {
		t.Fatalf("Notify error = %v (ctx %v)", err, ctx.Err())
	}
	if !m.waitExit(5 * time.Second) {
		t.Fatal("process not killed")
	}
	if f := m.Failed(); !errors.Is(f, ErrKilled) || !strings.Contains(f.Error(), "notify: gotest: notify still running") {
		t.Errorf("Failed = %v", f)
	}
}

// TestChildDies covers code that kills its own process: the parent sees it
// at once, well before the call's deadline, with a reason.
func TestChildDies(t *testing.T) {
	tests := []struct {
		kind string
		cfg  Config
		want []string
		is   error
	}{
		{kind: "recurse", want: []string{"stack overflow (infinite recursion?)", "goroutine stack exceeds 67108864-byte limit"}, is: ErrExited},
		{kind: "alloc", cfg: Config{MemoryLimitBytes: 256 << 20}, want: []string{"memory limit exceeded", "> 256.0 MiB); module process killed"}, is: ErrMemoryLimit},
		{kind: "panic", want: []string{"module process exited (exit status 2): panic: module exploded"}, is: ErrExited},
		{kind: "exit", want: []string{"module process exited (exit status 7)"}, is: ErrExited},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s := testSourceCfg(tt.cfg)
			m := open(t, s, "ok", newFakeHost())
			other := open(t, s, "other", newFakeHost())
			start := time.Now()
			err := notify(m, 30*time.Second, tt.kind)
			took := time.Since(start)
			if err == nil || !errors.Is(err, tt.is) {
				t.Fatalf("Notify error = %v, want %v", err, tt.is)
			}
			if took > 20*time.Second {
				t.Errorf("death seen after %v", took)
			}
			f := m.Failed()
			if f == nil {
				t.Fatal("Failed = nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(f.Error(), w) {
					t.Errorf("Failed = %q, want it to contain %q", f, w)
				}
			}
			t.Logf("%s: seen after %v: %v", tt.kind, took.Round(time.Millisecond), f)
			checkGone(t, m)
			if err := notify(other, 5*time.Second, "osd_map"); err != nil {
				t.Errorf("other module after %s: %v", tt.kind, err)
			}
		})
	}
}

// TestChurnUnderLimit: a module that allocates a lot but keeps its live
// data under the limit is not killed: the child's soft Go memory limit makes
// the collector work before the parent's hard limit is reached.
func TestChurnUnderLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("the race runtime's shadow memory counts in the resident size")
	}
	s := testSourceCfg(Config{MemoryLimitBytes: 384 << 20, MemoryPoll: 10 * time.Millisecond})
	m := open(t, s, "ok", newFakeHost())
	if err := notify(m, 60*time.Second, "churn"); err != nil {
		t.Fatalf("churn: %v", err)
	}
	rss, err := m.RSS()
	if err != nil || m.Failed() != nil {
		t.Fatalf("rss %d, %v; Failed %v", rss, err, m.Failed())
	}
	t.Logf("resident after churn: %s", fmtBytes(rss))
}

// TestServeFailed: the inner module's Failed() reaches the parent's
// without a call.
func TestServeFailed(t *testing.T) {
	s := testSourceCfg(Config{})
	m := open(t, s, "ok", newFakeHost())
	if err := notify(m, 5*time.Second, "fail"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for m.Failed() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if f := m.Failed(); f == nil || f.Error() != "serve raised: ValueError: bad" {
		t.Errorf("Failed = %v", f)
	}
}

func TestHostCalls(t *testing.T) {
	// The counts below assume the child keeps what it got between calls.
	s := testSourceCfg(Config{ReleaseAfter: time.Hour})
	h := newFakeHost()
	h.setValue("osd_map", registry.NewValue(1, map[string]any{"epoch": int64(1), "ratio": 0.25, "osds": []any{}}))
	m := open(t, s, "ok", h)

	get := func() string {
		t.Helper()
		res, err := command(m, 5*time.Second, map[string]any{"prefix": "get", "name": "osd_map"})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		return res.Stdout
	}
	if got, want := get(), `v1 same=true {"epoch":1,"osds":[],"ratio":0.25} epoch:int64,osds:[]interface {},ratio:float64`; got != want {
		t.Errorf("get = %q, want %q", got, want)
	}
	get()
	st := s.Stats()
	if st.Gets != 4 || st.JSONSent != 1 || st.Unchanged != 3 || st.JSONEncoded != 1 {
		t.Errorf("after 4 gets of one version: %+v", st)
	}
	// A new *Value for the same version is not encoded again.
	h.setValue("osd_map", registry.NewValue(1, map[string]any{"epoch": int64(1)}))
	get()
	if st := s.Stats(); st.JSONEncoded != 1 || st.JSONSent != 1 {
		t.Errorf("same version, new *Value: %+v", st)
	}
	h.setValue("osd_map", registry.NewValue(2, map[string]any{"epoch": int64(2)}))
	if got := get(); !strings.HasPrefix(got, `v2 same=true {"epoch":2}`) {
		t.Errorf("get v2 = %q", got)
	}
	if st := s.Stats(); st.JSONSent != 2 || st.JSONEncoded != 2 || st.Unchanged != 6 {
		t.Errorf("after v2: %+v", st)
	}
	// A second child of the same Source reuses the encoded version.
	m2 := open(t, s, "other", h)
	if err := notify(m2, 5*time.Second, "get"); err == nil {
		t.Errorf("get of an unknown name succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m2.Notify(ctx, []registry.Event{{Kind: "get", ID: "osd_map"}}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.JSONSent != 3 || st.JSONEncoded != 2 {
		t.Errorf("second child: %+v", st)
	}

	res, err := command(m, 5*time.Second, map[string]any{"prefix": "host"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"mgrid=x",
		"servers=[{node1 [{osd 0  }] }]",
		"server={node1 [{osd 0  }] } true",
		"noserver=false",
		"meta=map[hostname:node1 id:osd.0] true",
		"counter=[{1.5 10 0} {2.5 12.25 0}]",
		"latest={2.5 12.25 0} true",
		"schema=map[osd.op_w:{10 writes w 5 1}]",
		"opt=5 int64 <nil>",
		"unknownopt=true",
		"setopt=<nil>",
		"badopt=true",
		"storeset=<nil>",
		"storeget=7 true <nil>",
		"storemissing=false",
		"prefix=map[k1:7] <nil>",
		"storedel=<nil>",
		"nodata=true",
	}, "\n")
	if res.Stdout != want {
		t.Errorf("host calls:\n%s\nwant:\n%s", res.Stdout, want)
	}
	h.mu.Lock()
	if h.options["interval"] != "7" || len(h.store) != 0 {
		t.Errorf("options %v store %v", h.options, h.store)
	}
	h.mu.Unlock()

	// Health checks and logs are applied before the notify that made them returns.
	if err := notify(m, 5*time.Second, "log", "health"); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	hc, logs := h.health, strings.Join(h.logs, ";")
	h.mu.Unlock()
	if c, ok := hc["GOTEST_idhealth"]; !ok || c.Summary != "raised by idhealth" || c.Severity != "warning" || len(c.Detail) != 1 {
		t.Errorf("health = %+v", hc)
	}
	if logs != "info: started ok;info: started other;warning: event idlog" {
		t.Errorf("logs = %q", logs)
	}
}

// TestConcurrentHostCalls: host calls from many goroutines of the child at
// once, while the parent keeps notifying.
// TestIdleValuesReleased: a child lets go of a get() result that went
// unused for ReleaseAfter, and gets it whole again on its next get().
func TestIdleValuesReleased(t *testing.T) {
	s := testSourceCfg(Config{ReleaseAfter: 10 * time.Millisecond})
	h := newFakeHost()
	h.setValue("osd_map", registry.NewValue(1, map[string]any{"epoch": int64(1)}))
	m := open(t, s, "ok", h)
	get := func() {
		t.Helper()
		res, err := command(m, 5*time.Second, map[string]any{"prefix": "get", "name": "osd_map"})
		if err != nil || !strings.HasPrefix(res.Stdout, `v1 same=true {"epoch":1}`) {
			t.Fatalf("get: %+v, %v", res, err)
		}
	}
	get()
	if st := s.Stats(); st.JSONSent != 1 {
		t.Fatalf("first get: %+v", st)
	}
	// Polls back off to 50 ms apart: the child lets the value go in
	// between, and is sent it again.
	testutil.Poll(t, 10*time.Second, "the idle value released", func() error {
		get()
		if st := s.Stats(); st.JSONSent < 2 {
			return fmt.Errorf("get() answered from the child's cache: %+v", st)
		}
		return nil
	})
}

func TestConcurrentHostCalls(t *testing.T) {
	s := testSourceCfg(Config{})
	h := newFakeHost()
	h.setValue("osd_map", registry.NewValue(1, map[string]any{"epoch": int64(1)}))
	m := open(t, s, "ok", h)
	stop := make(chan struct{})
	notified := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				notified <- n
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := m.Notify(ctx, []registry.Event{{Kind: "get", ID: "osd_map"}})
			cancel()
			if err != nil {
				t.Errorf("notify: %v", err)
			}
			n++
		}
	}()
	for round := 0; round < 3; round++ {
		h.setValue("osd_map", registry.NewValue(uint64(round+2), map[string]any{"epoch": int64(round + 2)}))
		res, err := command(m, 20*time.Second, map[string]any{"prefix": "hammer"})
		if err != nil || res.Stdout != "800" {
			t.Fatalf("hammer = %+v, %v", res, err)
		}
	}
	close(stop)
	t.Logf("%d notifies ran meanwhile", <-notified)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.logs) != 1+3*800 || len(h.store) != 8 {
		t.Errorf("%d log lines, store %v", len(h.logs), h.store)
	}
}

func TestOpenError(t *testing.T) {
	s := testSourceCfg(Config{})
	for _, name := range []string{"openfail", "noinfo"} {
		_, err := s.Open(context.Background(), name)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", name)
		}
		t.Logf("Open(%s): %v", name, err)
	}
	_, err := s.Open(context.Background(), "openfail")
	if err.Error() != "Traceback: ImportError: No module named 'nope' (module.py, line 3)" {
		t.Errorf("Open error = %q", err)
	}
	// A command that is not a child at all.
	s2 := testSourceCfg(Config{Command: func(string) *execCmd { return newCmd("/bin/true") }})
	if _, err := s2.Open(context.Background(), "ok"); !errors.Is(err, ErrStart) {
		t.Errorf("Open with /bin/true = %v", err)
	}
	s3 := testSourceCfg(Config{Command: func(string) *execCmd { return newCmd("/nonexistent/binary") }})
	if _, err := s3.Open(context.Background(), "ok"); !errors.Is(err, ErrStart) {
		t.Errorf("Open of a missing binary = %v", err)
	}
	// A child that never answers is killed at Open's deadline.
	s4 := testSourceCfg(Config{Command: func(string) *execCmd { return newCmd("/bin/sleep", "60") }})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s4.Open(ctx, "ok"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Open of a silent child = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v", d)
	}
}

func TestStopDeadline(t *testing.T) {
	s := testSourceCfg(Config{})
	m := open(t, s, "slowstop", newFakeHost())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := m.Stop(ctx)
	if !errors.Is(err, registry.ErrStuck) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop error = %v", err)
	}
	checkGone(t, m)
}

// TestChildExitsOnStreamClose stands in for the parent's death: the child
// exits by itself when its stream ends.
func TestChildExitsOnStreamClose(t *testing.T) {
	s := testSourceCfg(Config{})
	m := open(t, s, "ok", newFakeHost())
	m.conn.nc.Close() // only our end: the child sees EOF
	if !m.waitExit(5 * time.Second) {
		t.Fatal("child did not exit after its stream closed")
	}
	if want := fmt.Sprintf("exit status %d", exitOrphaned); m.status != want {
		t.Errorf("%s, want %s", m.status, want)
	}
	if m.Failed() == nil {
		t.Error("Failed = nil after the process ended")
	}
}

// TestChildDiesWithParent kills a manager stand-in (another copy of the
// test binary) with SIGKILL while its module spins: the module process must
// not outlive it.
func TestChildDiesWithParent(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envTestParent+"=1", "GORACE=atexit_sleep_ms=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var pid int
	line, err := bufio.NewReader(out).ReadString('\n')
	if _, serr := fmt.Sscanf(line, "child %d", &pid); err != nil || serr != nil {
		t.Fatalf("manager stand-in said %q: %v %v", line, err, serr)
	}
	if !procstat.Alive(pid) {
		t.Fatalf("child %d not running", pid)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for procstat.Alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("module process %d outlived its manager", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOpenFromExitingThread: Pdeathsig follows the forking thread, and a
// goroutine that exits while locked to its thread ends that thread. A
// module opened from such a goroutine must outlive it.
func TestOpenFromExitingThread(t *testing.T) {
	s := testSourceCfg(Config{})
	opened := make(chan *Module, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		mod, err := s.Open(context.Background(), "ok")
		if err != nil {
			t.Error(err)
			opened <- nil
			return
		}
		opened <- mod.(*Module)
	}()
	m := <-opened
	if m == nil {
		return
	}
	t.Cleanup(func() { _ = m.Stop(context.Background()); checkGone(t, m) })
	if err := m.Start(context.Background(), newFakeHost()); err != nil {
		t.Fatal(err)
	}
	// The thread is gone within moments; Pdeathsig, if tied to it, is
	// immediate. Keep talking to the child for a while.
	for i := 0; i < 20; i++ {
		if err := notify(m, 5*time.Second, "osd_map"); err != nil {
			t.Fatalf("notify %d: %v (Failed: %v)", i, err, m.Failed())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNoLeaks: many opens and stops leave no fd and no process behind.
func TestNoLeaks(t *testing.T) {
	s := testSourceCfg(Config{})
	cycle := func() {
		m := open(t, s, "ok", newFakeHost())
		if err := notify(m, 5*time.Second, "osd_map", "print"); err != nil {
			t.Fatal(err)
		}
		if err := m.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkGone(t, m)
	}
	cycle() // warm up lazily opened runtime fds
	before := countFDs(t)
	for i := 0; i < 5; i++ {
		cycle()
	}
	if after := countFDs(t); after > before {
		t.Errorf("fds: %d before, %d after 5 open/stop cycles", before, after)
	}
}

func countFDs(t testing.TB) int {
	n, err := procstat.CountFDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestChildOutputLogged(t *testing.T) {
	l := logrus.New()
	var buf syncBuffer
	l.SetOutput(&buf)
	s := testSourceCfg(Config{Logger: l})
	m := open(t, s, "ok", newFakeHost())
	if err := notify(m, 5*time.Second, "print"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out := buf.String()
		if strings.Contains(out, `msg="hello from stdout" module=ok`) && strings.Contains(out, `msg="hello from stderr" module=ok`) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("log output:\n%s", buf.String())
}

func TestServeChildNotChild(t *testing.T) {
	if err := ServeChild(goSource{}); !errors.Is(err, ErrNotChild) {
		t.Errorf("ServeChild = %v", err)
	}
	if MaybeRunChild(func() registry.Source { t.Fatal("source built"); return nil }) {
		t.Error("MaybeRunChild = true outside a child")
	}
}
