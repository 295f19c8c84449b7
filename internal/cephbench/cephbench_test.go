package cephbench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/cephconf"
	"gomgr/modules"
	"gomgr/registry"
)

// envChild makes the test binary play `gomgr mgr -c CONF -i NAME --modules
// DIR`, with the probe run in-process.
const envChild = "CEPHBENCH_TEST_MGR"

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		if err := mgrMain(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "mgr:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func mgrMain(args []string) error {
	fs := flag.NewFlagSet("mgr", flag.ContinueOnError)
	conf := fs.String("c", "", "")
	name := fs.String("i", "", "")
	dir := fs.String("modules", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := cephconf.Load(*conf)
	if err != nil {
		return err
	}
	mons, err := c.MonAddrs("mgr." + *name)
	if err != nil {
		return err
	}
	lg := logrus.New()
	lg.SetLevel(logrus.WarnLevel)
	log := logrus.NewEntry(lg)
	srcs := []registry.Source{modules.NewSource(modules.Config{Dirs: []string{*dir}, Logger: log})}
	s, err := host.Start(context.Background(), host.Config{Name: *name, MonAddrs: mons, Addr: "127.0.0.1:0",
		Sources: srcs, Logger: log})
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Close(ctx)
}

// TestInteropRun measures both managers on a real cluster, briefly: the
// probe loads in gpython and in ceph-mgr, and every change is sampled.
func TestInteropRun(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envChild, "1")
	var log strings.Builder
	res, err := Run(context.Background(), Options{Exe: exe, Changes: 2, Rounds: 2, Settle: 100 * time.Millisecond, Log: &log})
	t.Logf("%s", log.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Mgr != Gomgr || res[1].Mgr != CephMgr {
		t.Fatalf("results: %+v", res)
	}
	for _, r := range res {
		b, _ := json.Marshal(r)
		t.Logf("%s", b)
		if r.Samples != 4 || len(r.Epochs) != 4 || r.Rounds != 2 {
			t.Errorf("%s: %d samples in %d rounds, want 4 in 2", r.Mgr, r.Samples, r.Rounds)
		}
		for i, s := range r.Epochs {
			// A notify after the commit, within a few seconds even on a
			// loaded machine.
			if s.LatencyMs <= 0 || s.LatencyMs > 5000 || (i > 0 && s.Epoch <= r.Epochs[i-1].Epoch) {
				t.Errorf("%s: sample %+v", r.Mgr, s)
			}
		}
		// A manager stopped between turns is failed at once (mgr fail),
		// not after the mon's beacon grace of 30 s.
		if r.StartS > 20 {
			t.Errorf("%s: active after %.1f s", r.Mgr, r.StartS)
		}
		if r.P50Ms <= 0 || r.P50Ms > r.P90Ms || r.P90Ms > r.MaxMs {
			t.Errorf("%s: p50 %v p90 %v max %v", r.Mgr, r.P50Ms, r.P90Ms, r.MaxMs)
		}
	}
	if !strings.HasPrefix(res[1].Version, "ceph version 16.2") {
		t.Errorf("ceph-mgr version %q", res[1].Version)
	}
	if res[0].P50VsGomgr != 1 {
		t.Errorf("gomgr p50 vs itself: %v", res[0].P50VsGomgr)
	}
}

// TestProbeIsPython: the probe parses as CPython 3 (ceph-mgr's) and
// carries Ceph's package layout.
func TestProbeIsPython(t *testing.T) {
	dir := t.TempDir()
	ceph := t.TempDir()
	for _, lib := range cephLibs {
		if err := os.WriteFile(filepath.Join(ceph, lib), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeProbe(dir, ceph); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"benchprobe/__init__.py", "benchprobe/module.py", "mgr_module.py", "mgr_util.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	out, err := exec.Command("python3", "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())",
		filepath.Join(dir, ProbeName, "module.py")).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 does not parse the probe: %v\n%s", err, out)
	}
	if err := writeProbe(t.TempDir(), t.TempDir()); !errors.Is(err, ErrOptions) {
		t.Errorf("no mgr_module.py: %v, want ErrOptions", err)
	}
}

func TestRecordJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want record
		ok   bool
	}{
		{`[12, 1700000000123456789, [0]]`, record{Epoch: 12, NotifyNs: 1700000000123456789, Out: []int{0}}, true},
		{`[13, 1700000000123456789, []]`, record{Epoch: 13, NotifyNs: 1700000000123456789, Out: []int{}}, true},
		{`[13, 1]`, record{}, false},
		{`{"epoch": 1}`, record{}, false},
		{`[13, "x", []]`, record{}, false},
	} {
		var r record
		err := json.Unmarshal([]byte(tc.in), &r)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if tc.ok && fmt.Sprint(r) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.in, r, tc.want)
		}
		if !tc.ok && !errors.Is(err, ErrProbe) {
			t.Errorf("%s: %v, want ErrProbe", tc.in, err)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{}, {Exe: "x", Changes: 3}, {Exe: "x", OSD: 2}} {
		if err := o.defaults(); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: %v, want ErrOptions", o, err)
		}
	}
	o := Options{Exe: "x"}
	if err := o.defaults(); err != nil || o.Changes != 20 || o.Settle != time.Second || o.Rounds != 1 {
		t.Errorf("defaults: %+v %v", o, err)
	}
}
