package cpython_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
	"gomgr/modules"
	"gomgr/modules/cpython"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

const testModules = "testdata/modules"

func bg(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func status(reg *registry.Registry, name string) registry.Status {
	for _, s := range reg.Modules() {
		if s.Name == name {
			return s
		}
	}
	return registry.Status{}
}

// newRegistry runs testdata/modules's CPython modules (those with the
// marker) in a registry with short deadlines.
func newRegistry(t *testing.T, cfg registry.Config) (*registry.Registry, *registry.MemState) {
	t.Helper()
	return newRegistryWith(t, cfg, isolate.Config{})
}

// newRegistryWith is newRegistry with the child processes' isolate.Config.
func newRegistryWith(t *testing.T, cfg registry.Config, ic isolate.Config) (*registry.Registry, *registry.MemState) {
	t.Helper()
	state := registry.NewMemState()
	src := cpython.NewSource(cpython.Config{Dirs: []string{testModules}, Select: cpython.AsksForCPython, Isolate: ic})
	cfg.Sources = []registry.Source{src}
	cfg.State, cfg.Store, cfg.MgrID = state, registry.NewMemStore(), "x"
	reg, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reg.Close(context.Background()); err != nil && !errors.Is(err, registry.ErrClosed) {
			t.Error(err)
		}
	})
	if err := reg.Load(bg(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	return reg, state
}

func command(t *testing.T, reg *registry.Registry, args map[string]any) registry.CommandResult {
	t.Helper()
	res, err := reg.HandleCommand(bg(t, 20*time.Second), registry.Command{Args: args})
	if err != nil {
		t.Fatalf("%v: %v", args["prefix"], err)
	}
	return res
}

// TestCephModulesLoad opens modules of Ceph's own tree, as installed, each
// in its own python3, and reads their declarations as ceph-mgr does.
func TestCephModulesLoad(t *testing.T) {
	src := cpython.NewSource(cpython.Config{Dirs: []string{cpython.DefaultMgrModulePath}})
	names, err := src.Scan()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"status", "iostat", "crash", "selftest", "prometheus"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Fatalf("%s not among %v", want, names)
		}
		m, err := src.Open(bg(t, 30*time.Second), want)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		in := m.Info()
		if !in.CanRun || len(in.Commands) == 0 || in.Name != want {
			t.Errorf("%s: %+v", want, in)
		}
		if err := m.Stop(bg(t, 10*time.Second)); err != nil {
			t.Errorf("%s stop: %v", want, err)
		}
	}
}

// TestPyO3SideBySide: two modules importing bcrypt (PyO3) run at once,
// each in its own interpreter; in ceph-mgr's sub-interpreters the second
// import fails.
func TestPyO3SideBySide(t *testing.T) {
	reg, _ := newRegistry(t, registry.Config{})
	for _, name := range []string{"hash_a", "hash_b"} {
		if err := reg.Enable(bg(t, 30*time.Second), name); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"hash_a", "hash_b"} {
		testutil.Eventually(t, 30*time.Second, name+" running", func() bool { return status(reg, name).State == registry.StateRunning })
		res := command(t, reg, map[string]any{"prefix": name + " check", "password": "s3cret"})
		if res.Retval != 0 || res.Stdout != "True $2b$" {
			t.Fatalf("%s: %+v", name, res)
		}
	}
}

// TestRuntimeChoice: only the modules with the marker are CPython's.
func TestRuntimeChoice(t *testing.T) {
	src := cpython.NewSource(cpython.Config{Dirs: []string{testModules}, Select: cpython.AsksForCPython})
	names, err := src.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "caller,crasher,hash_a,hash_b,spin,ticker" {
		t.Fatalf("CPython modules %s", got)
	}
	if cpython.AsksForCPython(testModules, "plain") || !cpython.IsCephTree(cpython.DefaultMgrModulePath) || cpython.IsCephTree(testModules) {
		t.Fatal("runtime markers misread")
	}
}

// TestNoPython: without an interpreter the modules list as unable to run,
// with the reason.
func TestNoPython(t *testing.T) {
	src := cpython.NewSource(cpython.Config{Dirs: []string{testModules}, Select: cpython.AsksForCPython,
		Python: "/nonexistent/python3"})
	m, err := src.Open(context.Background(), "ticker")
	if err != nil {
		t.Fatal(err)
	}
	if in := m.Info(); in.CanRun || !strings.Contains(in.CanRunError, "python3 not found") {
		t.Fatalf("info %+v", in)
	}
}

// TestStuckNotifyKilled: a notify() that never returns is killed at its
// deadline and the module is stopped with MGR_MODULE_STUCK.
func TestStuckNotifyKilled(t *testing.T) {
	reg, _ := newRegistry(t, registry.Config{NotifyDeadline: 500 * time.Millisecond})
	if err := reg.Enable(bg(t, 30*time.Second), "spin"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "spin running", func() bool { return status(reg, "spin").State == registry.StateRunning })
	start := time.Now()
	reg.NotifyAll("osd_map", "1")
	testutil.Eventually(t, 20*time.Second, "MGR_MODULE_STUCK", func() bool {
		_, ok := reg.HealthChecks()[registry.CheckModuleStuck]
		return ok
	})
	t.Logf("stuck notify stopped after %s", time.Since(start).Round(time.Millisecond))
	if st := status(reg, "spin"); st.State != registry.StateStopped || !strings.Contains(st.Error, "deadline") {
		t.Fatalf("status %+v", st)
	}
}

// TestCrashRestarts: a module process that dies is restarted fresh with
// backoff, its store intact.
func TestCrashRestarts(t *testing.T) {
	reg, _ := newRegistry(t, registry.Config{Restart: registry.RestartPolicy{BackoffBase: 10 * time.Millisecond}})
	if err := reg.Enable(bg(t, 30*time.Second), "crasher"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "crasher running", func() bool { return status(reg, "crasher").State == registry.StateRunning })
	if res := command(t, reg, map[string]any{"prefix": "crasher lives"}); res.Stdout != "1" {
		t.Fatalf("lives %+v", res)
	}
	_, err := reg.HandleCommand(bg(t, 20*time.Second), registry.Command{Args: map[string]any{"prefix": "crasher crash"}})
	if !errors.Is(err, registry.ErrCrashed) && !errors.Is(err, isolate.ErrExited) {
		t.Fatalf("crash command: %v", err)
	}
	testutil.Eventually(t, 30*time.Second, "a second life", func() bool {
		res, err := reg.HandleCommand(bg(t, 20*time.Second), registry.Command{Args: map[string]any{"prefix": "crasher lives"}})
		return err == nil && res.Stdout == "2"
	})
}

// TestServeStopsOnDisable: serve() runs in its own thread, notify() gets
// events, and disable calls shutdown() and waits for serve() to return;
// the process is gone after.
func TestServeStopsOnDisable(t *testing.T) {
	reg, _ := newRegistry(t, registry.Config{})
	if err := reg.Enable(bg(t, 30*time.Second), "ticker"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "ticker running", func() bool { return status(reg, "ticker").State == registry.StateRunning })
	reg.NotifyAll("osd_map", "7")
	var pid int
	testutil.Eventually(t, 10*time.Second, "notify seen while serve() ticks", func() bool {
		res := command(t, reg, map[string]any{"prefix": "ticker seen"})
		_, err := fmt.Sscanf(res.Stderr, "ticking %d", &pid)
		return res.Stdout == "osd_map/7" && err == nil
	})
	if st := status(reg, "ticker"); st.PID != pid {
		t.Fatalf("status pid %d, the module says %d", st.PID, pid)
	}
	if err := reg.Disable(bg(t, 20*time.Second), "ticker"); err != nil {
		t.Fatal(err)
	}
	// Reaped, not a zombie: signal 0 finds no process.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("module process %d after disable: %v", pid, err)
	}
}

// TestCephStandbyModule: on a standby, Ceph's prometheus module runs its
// MgrStandbyModule: serve() only, answering /metrics with nothing, and
// stops with the registry.
func TestCephStandbyModule(t *testing.T) {
	port, err := cephcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	store := registry.NewMemStore()
	for k, v := range map[string]string{"server_addr": "127.0.0.1", "server_port": strconv.Itoa(port)} {
		if err := store.Set(context.Background(), "mgr/prometheus/"+k, &v); err != nil {
			t.Fatal(err)
		}
	}
	src := cpython.NewSource(cpython.Config{Dirs: []string{cpython.DefaultMgrModulePath}})
	reg, err := registry.New(registry.Config{Sources: []registry.Source{src}, State: registry.NewMemState(),
		Store: store, MgrID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := reg.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if err := reg.SetStandby(bg(t, 10*time.Second), true); err != nil {
		t.Fatal(err)
	}
	if err := reg.Load(bg(t, 60*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := reg.SetEnabled(bg(t, 60*time.Second), []string{"prometheus"}); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	testutil.Eventually(t, 30*time.Second, "the standby prometheus answering", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if st := status(reg, "prometheus"); st.State != registry.StateRunning || !st.StandbyOK {
		t.Fatalf("status %+v", st)
	}
}

// TestRemoteCalls: self.remote() between two module processes, with
// Ceph's exceptions for a missing method, a raising one and a module that
// does not run.
func TestRemoteCalls(t *testing.T) {
	reg, _ := newRegistry(t, registry.Config{})
	for _, name := range []string{"caller", "ticker"} {
		if err := reg.Enable(bg(t, 30*time.Second), name); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 30*time.Second, name+" running", func() bool { return status(reg, name).State == registry.StateRunning })
	}
	for _, tc := range []struct{ module, method, out, err string }{
		{"ticker", "add", "{'sum': 22, 'pid': ", ""},
		{"ticker", "nope", "NameError", "Method not found: nope"},
		{"ticker", "boom", "RuntimeError", "Remote method threw exception: Traceback (most recent call last):"},
		{"spin", "add", "ImportError", "Module not found"},
		{"absent", "add", "ImportError", "Module not found"},
	} {
		res := command(t, reg, map[string]any{"prefix": "caller call", "module": tc.module, "method": tc.method})
		if !strings.HasPrefix(res.Stdout, tc.out) || res.Stderr != tc.err {
			t.Errorf("%s.%s: %+v", tc.module, tc.method, res)
		}
	}
}

// TestForkServer: module processes are forked by one python3 that loaded
// what they share; killed, it takes its modules with it, and they come
// back, forked by a new one. Closing the registry ends it.
func TestForkServer(t *testing.T) {
	reg, _ := newRegistry(t, registry.Config{Restart: registry.RestartPolicy{BackoffBase: 10 * time.Millisecond}})
	names := []string{"hash_a", "ticker"}
	for _, n := range names {
		if err := reg.Enable(bg(t, 30*time.Second), n); err != nil {
			t.Fatal(err)
		}
	}
	// server returns the fork server of the modules' processes, which
	// must all be running and have it as their parent.
	old := map[int]bool{}
	server := func() (int, error) {
		ppid := 0
		for _, n := range names {
			st := status(reg, n)
			if st.State != registry.StateRunning || st.PID == 0 || old[st.PID] {
				return 0, fmt.Errorf("%s: %+v", n, st)
			}
			p, err := procstat.ReadPPID(st.PID)
			if err != nil {
				return 0, err
			}
			if ppid != 0 && p != ppid {
				return 0, fmt.Errorf("%s's parent is %d, not %d", n, p, ppid)
			}
			ppid = p
		}
		if ppid == os.Getpid() {
			return 0, errors.New("the modules are the manager's own children")
		}
		return ppid, nil
	}
	var first int
	testutil.Poll(t, 30*time.Second, "modules forked by one server", func() (err error) {
		first, err = server()
		return err
	})
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", first))
	if err != nil || !strings.Contains(string(cmdline), "python3") {
		t.Fatalf("fork server %d: %q, %v", first, cmdline, err)
	}
	for _, n := range names {
		pid := status(reg, n).PID
		old[pid] = true
		// Only the stream, stdout and stderr came from the server.
		if in, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid)); err != nil || in != os.DevNull {
			t.Errorf("%s's stdin is %q, %v", n, in, err)
		}
	}
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var second int
	testutil.Poll(t, 30*time.Second, "modules back, forked by a new server", func() (err error) {
		second, err = server()
		return err
	})
	testutil.Poll(t, 10*time.Second, "the killed server's modules gone with it", func() error {
		for pid := range old {
			if procstat.Alive(pid) {
				return fmt.Errorf("module process %d alive", pid)
			}
		}
		return nil
	})
	if err := reg.Close(bg(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Reaped, not a zombie: signal 0 finds no process.
	if err := syscall.Kill(second, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("fork server %d after Close: %v", second, err)
	}
}

// TestRemoteAcrossRuntimes: a CPython module calls a gpython module's
// method with self.remote() and the other way round, plain data crossing
// as pickles, with Ceph's exceptions for a missing module or method and a
// method that raised.
func TestRemoteAcrossRuntimes(t *testing.T) {
	state := registry.NewMemState()
	reg, err := registry.New(registry.Config{
		Sources: []registry.Source{
			cpython.NewSource(cpython.Config{Dirs: []string{testModules}, Select: cpython.AsksForCPython}),
			modules.NewSource(modules.Config{Dirs: []string{testModules}}),
		},
		State: state, Store: registry.NewMemStore(), MgrID: "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := reg.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if err := reg.Load(bg(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"caller", "ticker", "gpyremote"} {
		if err := reg.Enable(bg(t, 30*time.Second), name); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 30*time.Second, name+" running", func() bool { return status(reg, name).State == registry.StateRunning })
	}
	for _, tc := range []struct{ prefix, module, method, out, err string }{
		// CPython calling gpython.
		{"caller call", "gpyremote", "add", "{'args': (20, 2), 'runtime': 'gpython', 'sum': 22}", ""},
		{"caller call", "gpyremote", "nope", "NameError", "Method not found: nope"},
		{"caller call", "gpyremote", "boom", "RuntimeError", "Remote method threw exception: Traceback (most recent call last):"},
		// gpython calling CPython.
		{"gpyremote call", "ticker", "add", `{"pid": `, ""},
		{"gpyremote call", "ticker", "nope", "NameError", "Method not found: nope"},
		{"gpyremote call", "ticker", "boom", "RuntimeError", "Remote method threw exception: Traceback (most recent call last):"},
		{"gpyremote call", "absent", "add", "ImportError", "Module not found"},
	} {
		res := command(t, reg, map[string]any{"prefix": tc.prefix, "module": tc.module, "method": tc.method})
		if !strings.HasPrefix(res.Stdout, tc.out) || res.Stderr != tc.err {
			t.Errorf("%s %s.%s: %+v", tc.prefix, tc.module, tc.method, res)
		}
	}
}
