package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// realCeph runs the real ceph CLI with conf and returns its stdout. With
// auth none the CLI can lose a race for the monmap and be refused ("wrong
// fsid"): callers poll.
func realCeph(conf string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "ceph", append([]string{"-c", conf, "--connect-timeout", "20"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ceph %v: %w: %s", args, err, errb.String())
	}
	return out.Bytes(), nil
}

// cephDaemons lists the ceph-mon and ceph-osd processes below pid.
func cephDaemons(pid int) map[int]string {
	out := map[int]string{}
	for _, p := range procstat.DescendantPIDs(pid) {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "comm"))
		if name := strings.TrimSpace(string(b)); err == nil && (name == "ceph-mon" || name == "ceph-osd") {
			out[p] = name
		}
	}
	return out
}

// TestDemoCeph runs `gomgr demo --ceph` as a user would: it waits for the
// commands the demo prints, runs some of them with the real ceph CLI
// (gomgr active in `ceph mgr dump`, a module's command), then Ctrl-C: the
// demo exits 0 and leaves no directory and no ceph-mon or ceph-osd behind.
func TestDemoCeph(t *testing.T) {
	env := []string{"TMPDIR=" + t.TempDir()}
	demo, banner := start(t, env, true, "demo", "--ceph", "--plugins", pluginDir, "--metrics", "127.0.0.1:0",
		"--log-level", "info")
	if !strings.HasPrefix(banner, "gomgr demo --ceph:") {
		t.Fatalf("banner: %q\n%s", banner, demo.out.String())
	}
	var conf string
	testutil.Eventually(t, 10*time.Second, "the commands to try", func() bool {
		m := regexp.MustCompile(`(?m)^  ceph -c (\S+) -s$`).FindStringSubmatch(demo.out.String())
		if m != nil && strings.Contains(demo.out.String(), "Ctrl-C stops") {
			conf = m[1]
		}
		return conf != ""
	})
	dir := filepath.Dir(conf)
	var runDir string
	if b, err := os.ReadFile(conf); err == nil {
		if m := regexp.MustCompile(`(?m)^run_dir = (\S+)$`).FindSubmatch(b); m != nil {
			runDir = string(m[1])
		}
	}
	if runDir == "" {
		t.Fatalf("no run_dir in %s", conf)
	}

	// The printed commands, with the real CLI.
	testutil.Poll(t, 10*time.Second, "ceph mgr dump shows gomgr active", func() error {
		out, err := realCeph(conf, "mgr", "dump", "-f", "json")
		if err != nil {
			return err
		}
		var d cephMgrDump
		if err := json.Unmarshal(out, &d); err != nil {
			return err
		}
		if d.ActiveName != "x" || !d.Available {
			return fmt.Errorf("mgr dump: %s", out)
		}
		return nil
	})
	for _, args := range [][]string{{"alerts", "status"}, {"tell", "mgr", "alerts", "status"}} {
		testutil.Poll(t, 20*time.Second, strings.Join(args, " "), func() error {
			out, err := realCeph(conf, args...)
			if err != nil {
				return err
			}
			var st map[string]any
			if err := json.Unmarshal(out, &st); err != nil {
				return fmt.Errorf("%w: %q", err, out)
			}
			if _, ok := st["down"]; !ok {
				return fmt.Errorf("%v: %s", args, out)
			}
			return nil
		})
	}
	testutil.Poll(t, 20*time.Second, "ceph osdwatch status (a Go plugin)", func() error {
		out, err := realCeph(conf, "osdwatch", "status")
		if err != nil {
			return err
		}
		if !strings.Contains(string(out), "2 osds: 2 up") {
			return fmt.Errorf("osdwatch status: %q", out)
		}
		return nil
	})

	// Ctrl-C: gomgr and the cluster stop, the directories go.
	daemons := cephDaemons(demo.cmd.Process.Pid)
	if len(daemons) != 3 {
		t.Fatalf("the demo's Ceph daemons: %v, want a mon and two OSDs", daemons)
	}
	if err := demo.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-demo.done:
	case <-time.After(60 * time.Second):
		t.Fatal("demo --ceph did not stop within 60 s of Ctrl-C")
	}
	if c := demo.cmd.ProcessState.ExitCode(); c != 0 {
		t.Fatalf("demo --ceph exit code %d", c)
	}
	for pid, name := range daemons {
		if alive(pid) {
			t.Errorf("%s (pid %d) survived the demo", name, pid)
		}
	}
	for _, d := range []string{dir, runDir} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after the demo: %v", d, err)
		}
	}
	if !strings.Contains(demo.out.String(), "stopping the cluster") {
		t.Errorf("no 'stopping the cluster' in the output:\n%s", tail(demo.out.String(), 2000))
	}
}
