package simbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/procstat"
	"gomgr/modules"
	"gomgr/mon"
	"gomgr/registry"
)

// envChild makes the test binary a daemon for Run: the mon (argument
// "mon") or, named roleArgv0, RunRole, as gomgr's binary does.
const (
	envChild  = "SIMBENCH_TEST_CHILD"
	roleArgv0 = "simbench-test-role"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		args := os.Args[1:]
		if filepath.Base(os.Args[0]) == roleArgv0 {
			args = append([]string{"role"}, args...)
		}
		if err := childMain(args); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childMain plays what `gomgr mon` and gomgr's child role gomgr-simbench
// play in the real binary, with the Python module run in-process.
func childMain(args []string) error {
	if len(args) == 0 {
		return errors.New("no role")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	lg := logrus.New()
	lg.SetLevel(logrus.WarnLevel)
	switch args[0] {
	case "mon":
		addr := fs.String("addr", "", "")
		data := fs.String("data", "", "")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		d, err := mon.StartDaemon(mon.DaemonConfig{Addr: *addr, DataDir: *data, Mon: mon.DefaultConfig(), Logger: logrus.NewEntry(lg)})
		if err != nil {
			return err
		}
		fmt.Println(d.Addr())
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		d.Close()
		return nil
	case "role":
		cfg := RegisterFlags(fs)
		dirs := fs.String("modules", "", "")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var srcs []registry.Source
		if *dirs != "" {
			srcs = append(srcs, modules.NewSource(modules.Config{Dirs: []string{*dirs}, Logger: logrus.NewEntry(lg)}))
		}
		return RunRole(context.Background(), *cfg, srcs, os.Stdin, os.Stdout)
	}
	return fmt.Errorf("unknown role %q", args[0])
}

// childPIDs lists this process's live descendants. (Run itself reads
// /proc through procstat: were /proc unreadable, it would have failed.)
func childPIDs() []int { return procstat.DescendantPIDs(os.Getpid()) }

// TestRunSmallCluster runs the whole bench with 12 OSDs: a mon, a mgr with
// the Python module, and the simulated cluster, each its own process.
func TestRunSmallCluster(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // Run's temp dir must be gone afterwards
	var progress strings.Builder
	res, err := Run(context.Background(), Options{Exe: os.Args[0], MonArgs: []string{"mon"}, RoleArgv0: roleArgv0,
		Env: []string{envChild + "=1"}, OSDs: []int{12}, Measure: 2 * time.Second, Changes: 6, ChangeGap: 100 * time.Millisecond,
		Log: &progress})
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}
	if len(res) != 1 {
		t.Fatalf("%d results, want 1", len(res))
	}
	r := res[0]
	t.Logf("%+v", r)
	checks := []struct {
		what string
		ok   bool
	}{
		{"12 OSDs", r.OSDs == 12},
		{"5x compression at a 1 s period", r.ReportPeriodS == 1 && r.TimeCompression == 5},
		{"reports in the 2 s window (12 a second)", r.Reports >= 12 && r.Reports <= 48},
		{"a boot time", r.BootS > 0},
		{"mgr and mon RSS", r.MgrRSSMB > 1 && r.MonRSSMB > 1},
		{"mon beacons counted", r.MonBeacons >= 2*13},
		{"no epochs in the steady window", r.SteadyEpochs == 0},
		{"at least the 6 epochs committed", r.Epochs >= 6},
		{"a latency sample per change", r.NotifySamples >= 6},
		{"ordered percentiles", 0 < r.NotifyP50Ms && r.NotifyP50Ms <= r.NotifyP90Ms && r.NotifyP90Ms <= r.NotifyP99Ms && r.NotifyP99Ms <= r.NotifyMaxMs},
		{"latencies under 10 s", r.NotifyMaxMs < 10000},
		{"the mgr and a plain subscriber heard of epochs", r.MgrArriveP50 > 0 && r.ClientArriveP50 > 0},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: %+v", c.what, r)
		}
	}
	if pids := childPIDs(); len(pids) != 0 {
		t.Errorf("children left running: %v", pids)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestOptionsRejected(t *testing.T) {
	base := Options{Exe: "x", MonArgs: []string{"mon"}, RoleArgv0: "role"}
	for _, tc := range []struct {
		name string
		edit func(o *Options)
	}{
		{"no exe", func(o *Options) { o.Exe = "" }},
		{"no mon args", func(o *Options) { o.MonArgs = nil }},
		{"no role", func(o *Options) { o.RoleArgv0 = "" }},
		{"too few OSDs", func(o *Options) { o.OSDs = []int{2} }},
		{"too many OSDs", func(o *Options) { o.OSDs = []int{10001} }},
		{"sub-second period", func(o *Options) { o.Period = 1500 * time.Millisecond }},
		{"negative changes", func(o *Options) { o.Changes = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			if _, err := Run(context.Background(), o); !errors.Is(err, ErrOptions) {
				t.Fatalf("err = %v, want ErrOptions", err)
			}
		})
	}
}

func TestRunRoleRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  RoleConfig
	}{
		{"no mon", RoleConfig{Role: RoleSim, OSDs: 3, LogLevel: "warning"}},
		{"unknown role", RoleConfig{Role: "osd", Mon: "127.0.0.1:1", LogLevel: "warning"}},
		{"bad log level", RoleConfig{Role: RoleSim, Mon: "127.0.0.1:1", OSDs: 3, LogLevel: "loud"}},
		{"fractional stats period", RoleConfig{Role: RoleMgr, Mon: "127.0.0.1:1", StatsPeriod: 1500 * time.Millisecond, LogLevel: "warning"}},
		{"too many OSDs", RoleConfig{Role: RoleSim, Mon: "127.0.0.1:1", OSDs: 10001, LogLevel: "warning"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RunRole(context.Background(), tc.cfg, nil, strings.NewReader(""), &strings.Builder{})
			if !errors.Is(err, ErrOptions) {
				t.Fatalf("err = %v, want ErrOptions", err)
			}
		})
	}
}

func TestParseTimes(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want map[string]int64
		ok   bool
	}{
		{"empty", `{}`, map[string]int64{}, true},
		{"two", `{"5": 1700000000123456789, "6": 1700000000223456789}`, map[string]int64{"5": 1700000000123456789, "6": 1700000000223456789}, true},
		{"float", `{"5": 1.5}`, nil, false},
		{"bad epoch", `{"x": 1}`, nil, false},
		{"not json", `[1,`, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTimes([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) && tc.ok {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzParseTimes(f *testing.F) {
	f.Add([]byte(`{"5": 1700000000123456789}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseTimes(b)
	})
}
