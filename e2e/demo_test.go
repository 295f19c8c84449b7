package e2e_test

import (
	"bufio"
	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type moduleLs struct {
	Enabled  []string `json:"enabled_modules"`
	Disabled []struct {
		Name string `json:"name"`
	} `json:"disabled_modules"`
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// lastStatusLine is the demo's latest one-line status.
func lastStatusLine(p *proc) string {
	lines := strings.Split(strings.TrimSpace(p.out.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "| modules") {
			return lines[i]
		}
	}
	return ""
}

// alive reports whether pid runs (exists and is not a zombie); the other
// e2e tests use it too.
func alive(pid int) bool { return procstat.Alive(pid) }

// TestDemoDrivenByCLI runs `gomgr demo` and drives it as an operator would:
// status, module ls, disable and enable of an example module (the demo's
// status line shows it), a module's own command, errors, a metrics scrape
// parsed with the Prometheus text parser, and Ctrl-C leaving nothing behind.
func TestDemoDrivenByCLI(t *testing.T) {
	// The demo writes its mon address under TMPDIR: the CLI finds it with no flags.
	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp}
	demo, banner := start(t, env, true, "demo", "--addr", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
		"--plugins", pluginDir, "--osds", "6", "--fail-every", "0", "--status-every", "300ms")
	if !strings.Contains(banner, "gomgr demo") {
		t.Fatalf("banner: %q", banner)
	}

	var out string
	testutil.Eventually(t, 30*time.Second, "status with an active mgr and 6 OSDs up", func() bool {
		o, _, code := cli(t, env, "status")
		out = o
		return code == 0 && strings.Contains(o, "(active)") && strings.Contains(o, "6 up")
	})
	var ls moduleLs
	testutil.Eventually(t, 30*time.Second, "the example modules enabled and running", func() bool {
		cliJSON(t, env, &ls, "mgr", "module", "ls")
		line := lastStatusLine(demo)
		return strings.Contains(line, "hello:running") && strings.Contains(line, "osdwatch:running")
	})
	for _, m := range []string{"hello", "status", "alerts", "iostat", "osdwatch"} {
		if !contains(ls.Enabled, m) {
			t.Fatalf("%s not enabled: %+v", m, ls)
		}
	}
	// The table says what each module runs on and its state.
	testutil.Eventually(t, 10*time.Second, "module ls with kinds and states", func() bool {
		o, _, _ := cli(t, env, "mgr", "module", "ls")
		return regexp.MustCompile(`(?m)^hello +on +python +running$`).MatchString(o) &&
			regexp.MustCompile(`(?m)^osdwatch +on +go +running$`).MatchString(o)
	})

	// Help lists the modules' commands, as ceph -h does; CMD -h shows the
	// signatures of the commands that begin so; a wrong command says where
	// to look.
	if _, errs, code := cli(t, env, "-h"); code != 0 || !strings.Contains(errs, "alerts status") {
		t.Fatalf("-h: exit %d:\n%s", code, errs)
	}
	_, help, _ := cli(t, env, "help")
	if !strings.Contains(help, "Module commands (from the active manager):") || !regexp.MustCompile(`(?m)^    alerts status +show down OSDs`).MatchString(help) {
		t.Fatalf("help lists no module commands:\n%s", help)
	}
	if o, errs, code := cli(t, env, "alerts", "-h"); code != 0 || !strings.HasPrefix(o, "alerts status ") || !strings.Contains(o, "(alerts)") {
		t.Fatalf("alerts -h: exit %d: %q %s", code, o, errs)
	}
	if _, errs, code := cli(t, env, "nosuch", "thing"); code != 22 || !strings.Contains(errs, "`gomgr help` lists every command") {
		t.Fatalf("a wrong command: exit %d: %s", code, errs)
	}
	// A pool created from the CLI gets PGs the (simulated) OSDs report:
	// pg stat and df show it, its PGs active+clean.
	if _, errs, code := cli(t, env, "osd", "pool", "create", "newpool", "8"); code != 0 {
		t.Fatalf("pool create: exit %d: %s", code, errs)
	}
	testutil.Eventually(t, 30*time.Second, "the new pool's 8 PGs active+clean in pg stat, and the pool in df", func() bool {
		var ps pgStat
		cliJSON(t, env, &ps, "pg", "stat")
		var df struct {
			Pools []struct {
				Name string `json:"name"`
			} `json:"pools"`
		}
		cliJSON(t, env, &df, "df")
		inDF := slices.ContainsFunc(df.Pools, func(p struct {
			Name string `json:"name"`
		}) bool {
			return p.Name == "newpool"
		})
		return inDF && ps.allActiveClean(64+32+16+8)
	})
	// status agrees with df: the new pool, its PGs, and the same object
	// count (the simulated clients keep writing, so both are read until
	// two readings in a row agree).
	testutil.Eventually(t, 30*time.Second, "status and df agree on pools, PGs and objects", func() bool {
		var st struct {
			PGMap struct {
				NumPools   int    `json:"num_pools"`
				NumPGs     int    `json:"num_pgs"`
				NumObjects uint64 `json:"num_objects"`
			} `json:"pgmap"`
		}
		cliJSON(t, env, &st, "status")
		var df struct {
			Pools []struct {
				Stats struct {
					Objects uint64 `json:"objects"`
				} `json:"stats"`
			} `json:"pools"`
		}
		cliJSON(t, env, &df, "df")
		var objects uint64
		for _, p := range df.Pools {
			objects += p.Stats.Objects
		}
		text, _, _ := cli(t, env, "status")
		return st.PGMap.NumPools == 4 && st.PGMap.NumPGs == 120 && objects > 0 && st.PGMap.NumObjects == objects &&
			strings.Contains(text, "pools:   4 pools, 120 pgs") && strings.Contains(text, "120 active+clean") &&
			regexp.MustCompile(`objects: \S+ objects, \S+ \S+\n    usage: `).MatchString(text)
	})
	if _, errs, code := cli(t, env, "alerts", "status", "extra"); code != 22 ||
		strings.TrimSpace(errs) != `Error: Invalid command: unexpected argument "extra" for "alerts status"` {
		t.Fatalf("a wrong argument: exit %d: %s", code, errs)
	}

	// Disable and enable at runtime: the demo's status line follows.
	if _, errs, code := cli(t, env, "mgr", "module", "disable", "hello"); code != 0 {
		t.Fatalf("disable: exit %d: %s", code, errs)
	}
	testutil.Eventually(t, 10*time.Second, "hello gone from the status line", func() bool {
		return !strings.Contains(lastStatusLine(demo), "hello:")
	})
	cliJSON(t, env, &ls, "mgr", "module", "ls")
	if contains(ls.Enabled, "hello") {
		t.Fatalf("hello still enabled: %+v", ls)
	}
	if _, errs, code := cli(t, env, "mgr", "module", "enable", "hello"); code != 0 {
		t.Fatalf("enable: exit %d: %s", code, errs)
	}
	testutil.Eventually(t, 10*time.Second, "hello running again", func() bool {
		return strings.Contains(lastStatusLine(demo), "hello:running")
	})

	// A module's own command, routed to the active mgr.
	var alerts map[string]any
	cliJSON(t, env, &alerts, "alerts", "status")
	if _, ok := alerts["down"]; !ok {
		t.Fatalf("alerts status: %v", alerts)
	}
	out, _, code := cli(t, env, "osdwatch", "status")
	if code != 0 || out == "" {
		t.Fatalf("osdwatch status: exit %d %q", code, out)
	}

	// Clear errors and exit codes.
	if _, errs, code := cli(t, env, "frobnicate", "now"); code != 22 || !strings.Contains(errs, "no valid command") {
		t.Fatalf("unknown command: exit %d %q", code, errs)
	}
	if _, errs, code := cli(t, env, "mgr", "module", "enable"); code != 22 || !strings.Contains(errs, "missing required argument") {
		t.Fatalf("missing argument: exit %d %q", code, errs)
	}
	if _, errs, code := cli(t, env, "mgr", "module", "enable", "nosuchmodule"); code == 0 {
		t.Fatalf("enabling a missing module succeeded: %q", errs)
	}
	if _, errs, code := cli(t, []string{"GOMGR_MON=127.0.0.1:1"}, "status", "--connect-timeout", "1s"); code != 1 || !strings.Contains(errs, "cannot reach") {
		t.Fatalf("no cluster: exit %d %q", code, errs)
	}
	if _, _, code := cli(t, env, "status", "-f", "yaml"); code != 2 {
		t.Fatalf("bad format: exit %d", code)
	}

	// Metrics: the active's URL is in the MgrMap's services.
	var services map[string]string
	testutil.Eventually(t, 10*time.Second, "the prometheus service in the MgrMap", func() bool {
		cliJSON(t, env, &services, "mgr", "services")
		return services["prometheus"] != ""
	})
	var families map[string]*dto.MetricFamily
	var missing []string
	testutil.Eventually(t, 30*time.Second, "every metric family, PG stats included", func() bool {
		resp, err := http.Get(services["prometheus"])
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err = parser.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("metrics do not parse: %v", err)
		}
		missing = missing[:0]
		for _, name := range []string{"gomgr_module_state", "gomgr_module_notify_latency_seconds", "gomgr_msgr_total",
			"gomgr_module_queue_depth", "ceph_osd_up", "ceph_pg_total", "ceph_pool_bytes_used"} {
			if families[name] == nil {
				missing = append(missing, name)
			}
		}
		return len(missing) == 0
	})
	if f := families["ceph_osd_up"]; f != nil && len(f.Metric) != 6 {
		t.Errorf("ceph_osd_up has %d series, want 6", len(f.Metric))
	}

	// Ctrl-C: everything stops and no process is left behind.
	kids := procstat.DescendantPIDs(demo.cmd.Process.Pid)
	if len(kids) == 0 {
		t.Fatal("the demo has no module or plugin processes")
	}
	if err := demo.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-demo.done:
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop within 30 s of Ctrl-C")
	}
	if c := demo.cmd.ProcessState.ExitCode(); c != 0 {
		t.Fatalf("demo exit code %d", c)
	}
	testutil.Eventually(t, 10*time.Second, "every child process gone", func() bool {
		for _, k := range kids {
			if alive(k) {
				return false
			}
		}
		return true
	})
	emptyDir(t, tmp)
}

// emptyDir fails unless dir is empty: a stopped demo leaves no temp dir,
// socket or address file behind.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	var left []string
	_ = filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			t.Errorf("walk %s: %v", p, err)
		}
		if p != dir {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
}

// TestDemoBusyPortsAndBrokenPipe starts the demo on a mon port and a
// metrics port that are taken (as by a first demo), with its output piped
// to a reader that goes away, and stops it as a terminal's Ctrl-C does
// (SIGINT to the whole process group). It starts on free ports, logs at
// the level -h states (a module's info line shows), and leaves nothing
// behind.
func TestDemoBusyPortsAndBrokenPipe(t *testing.T) {
	busy := make([]string, 2)
	for i := range busy {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		busy[i] = l.Addr().String()
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, "demo", "--addr", busy[0], "--metrics", busy[1], "--plugins", pluginDir, "--osds", "3", "--fail-every", "0")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Dir = repoRoot(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if t.Failed() {
			t.Logf("demo stderr:\n%s", tail(stderr.String(), 3000))
		}
	}()
	banner, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`mon at (\S+),`).FindStringSubmatch(banner)
	if m == nil || m[1] == busy[0] {
		t.Fatalf("banner: %q (busy: %s)", banner, busy[0])
	}
	env := []string{"GOMGR_MON=" + m[1], "TMPDIR=" + tmp} // the demo's keyring is under its TMPDIR
	var services map[string]string
	testutil.Eventually(t, 30*time.Second, "the active's metrics on a free port", func() bool {
		cliJSON(t, env, &services, "mgr", "services")
		return services["prometheus"] != "" && !strings.Contains(services["prometheus"], busy[1])
	})
	resp, err := http.Get(services["prometheus"])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	testutil.Eventually(t, 30*time.Second, "hello's info line in the log (the default level)", func() bool {
		return strings.Contains(stderr.String(), "osd_map epoch")
	})
	// The reader of stdout goes away (tee at Ctrl-C), then Ctrl-C.
	if err := stdout.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop within 30 s of Ctrl-C")
	}
	if c := cmd.ProcessState.ExitCode(); c != 0 {
		t.Fatalf("demo exit code %d", c)
	}
	emptyDir(t, tmp)
}
