package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin is the gomgr binary built for this run; pluginDir holds the example
// Go plugin.
var bin, pluginDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "gomgr-e2e-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "gomgr")
		pluginDir = filepath.Join(dir, "plugins")
		for _, b := range [][2]string{{bin, "gomgr/cmd/gomgr"}, {filepath.Join(pluginDir, "osdwatch"), "gomgr/examples/modules/go/osdwatch"}} {
			if out, err := exec.Command("go", "build", "-o", b[0], b[1]).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b[1], err, out)
				return 1
			}
		}
		return m.Run()
	}())
}

// proc is a gomgr process started by a test and killed at its end.
type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs bin with args and env; stdout's first line is returned when
// firstLine is set (the mon prints its address).
func start(t *testing.T, env []string, firstLine bool, args ...string) (*proc, string) {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Dir = repoRoot(t)
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		first, _ := r.ReadString('\n')
		lines <- strings.TrimSpace(first)
		_, _ = io.Copy(p.out, r)
	}()
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // the process group: module children too
		<-p.done
		if t.Failed() {
			t.Logf("output of %v:\n%s", args, tail(p.out.String(), 3000))
		}
	})
	if !firstLine {
		return p, ""
	}
	select {
	case l := <-lines:
		return p, l
	case <-time.After(30 * time.Second):
		t.Fatalf("%v printed nothing in 30s", args)
	}
	return p, ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// cli runs one CLI command and returns stdout, stderr and the exit code.
func cli(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// cliJSON runs a command with -f json and decodes its output.
func cliJSON(t *testing.T, env []string, v any, args ...string) {
	t.Helper()
	out, errs, code := cli(t, env, append(args, "-f", "json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v in %q", args, err, out)
	}
}

// monEnv is what the CLI, mgrs and sims need to reach a `gomgr mon` with
// data dir data: its address and client.admin's keyring (a new mon makes
// its keys there).
func monEnv(addr, data string) []string {
	return []string{"GOMGR_MON=" + addr, "GOMGR_KEYRING=" + filepath.Join(data, "keyring")}
}

// pgStat is what `pg stat -f json` says of the PGs (gomgr's and Ceph's).
type pgStat struct {
	Summary struct {
		NumPGs  int `json:"num_pgs"`
		ByState []struct {
			Name string `json:"name"`
			Num  int    `json:"num"`
		} `json:"num_pg_by_state"`
	} `json:"pg_summary"`
}

// allActiveClean reports whether there are n PGs, all active+clean.
func (p pgStat) allActiveClean(n int) bool {
	return p.Summary.NumPGs == n && len(p.Summary.ByState) == 1 && p.Summary.ByState[0].Name == "active+clean"
}
