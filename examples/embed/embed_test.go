package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// build compiles the program (with -race when this test runs with it) and
// the throughput plugin into dir. The plugin is built without -race:
// go-plugin v1.8.0's Serve itself races (server.go:493 against yamux's
// DefaultConfig), which would only test go-plugin.
func build(t *testing.T, dir string) (prog, plugins string) {
	t.Helper()
	prog = filepath.Join(dir, "embed")
	plugins = filepath.Join(dir, "plugins")
	args := []string{"build", "-o", prog}
	if raceEnabled {
		args = append(args, "-race")
	}
	for _, b := range [][]string{append(args, "."), {"build", "-o", filepath.Join(plugins, "throughput"), "./plugin"}} {
		if out, err := exec.Command("go", b...).CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(b, " "), err, out)
		}
	}
	return prog, plugins
}

// TestEmbed runs the example as its users would: a separate process, with
// real module processes, checking what it prints, its exit status and
// that no process it started outlives it.
func TestEmbed(t *testing.T) {
	dir := t.TempDir()
	prog, plugins := build(t, dir)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		children int    // module processes before Close (0: not checked)
		stderr   string // in stderr, when wantCode != 0
	}{
		{name: "isolated", args: []string{"-once", "-plugins", plugins}, children: 2},
		{name: "in-process", args: []string{"-once", "-plugins", plugins, "-python-in-process"}, children: 1},
		{name: "no plugin dir", args: []string{"-once"}, wantCode: 1, stderr: `embed: registry: unknown module: "throughput"`},
		{name: "bad flag", args: []string{"-jobs", "0"}, wantCode: 1, stderr: "-jobs and -workers must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, prog, tc.args...)
			cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0 halt_on_error=1")
			cmd.WaitDelay = 5 * time.Second
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if t.Failed() {
					t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				}
			}()
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d", code, tc.wantCode)
			}
			noProcessesFrom(t, dir)
			if tc.wantCode != 0 {
				if !strings.Contains(stderr.String(), tc.stderr) {
					t.Errorf("stderr lacks %q", tc.stderr)
				}
				return
			}
			checkScenario(t, stdout.String(), tc.children)
			// The module's self.log reached the application's logger.
			if s := stderr.String(); !strings.Contains(s, `msg="BACKLOG_LONG raised: 12 pending"`) || !strings.Contains(s, "module=backlog") {
				t.Errorf("backlog's log line is not in stderr")
			}
		})
	}
}

// checkScenario checks the -once output (defaults: 12 jobs, every 5th fails).
func checkScenario(t *testing.T, out string, children int) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	at := 0
	// next returns the rest of the next line that starts with prefix.
	next := func(prefix string) string {
		t.Helper()
		for i := at; i < len(lines); i++ {
			if rest, ok := strings.CutPrefix(lines[i], prefix); ok {
				at = i + 1
				return rest
			}
		}
		t.Fatalf("no line %q after line %d", prefix, at)
		return ""
	}
	type status struct {
		Done, Failed int
		Workers      []struct{ Done int }
	}
	throughput := func(wantDone, wantFailed, wantWorkerJobs int) {
		t.Helper()
		var st status
		if err := json.Unmarshal([]byte(next("command throughput status: ")), &st); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, w := range st.Workers {
			sum += w.Done
		}
		if st.Done != wantDone || st.Failed != wantFailed || len(st.Workers) != 3 || sum != wantWorkerJobs {
			t.Errorf("throughput status %+v, want done %d failed %d, 3 workers with %d jobs", st, wantDone, wantFailed, wantWorkerJobs)
		}
	}

	next("module: backlog python enabled=true ")
	next("module: throughput go enabled=true ")
	// The Python module raised its check from the scheduler's own data.
	if got := next("health: "); got != `BACKLOG_LONG warning "12 jobs pending (max_pending 5)"` {
		t.Errorf("health with a backlog: %s", got)
	}
	if got := next("jobs: "); got != "10 done, 2 failed" {
		t.Errorf("jobs: %s", got)
	}
	// The plugin saw every job_done and job_failed, and read "workers".
	throughput(10, 2, 12)
	if got := next("health: "); got != `JOBS_FAILED warning "2 jobs failed"` {
		t.Errorf("health after the jobs: %s", got)
	}
	var bl struct {
		Alert      bool
		Pending    int
		FailedJobs []string `json:"failed_jobs"`
		Seen       map[string]int
	}
	if err := json.Unmarshal([]byte(next("command backlog status: ")), &bl); err != nil {
		t.Fatal(err)
	}
	// queue_changed: one for the batch, one per job taken, one per job
	// finished, one when the workers started: every event, in order.
	if bl.Alert || bl.Pending != 0 || fmt.Sprint(bl.FailedJobs) != "[job-005 job-010]" ||
		bl.Seen["queue_changed"] != 2+2*12 || bl.Seen["job_failed"] != 2 {
		t.Errorf("backlog status %+v", bl)
	}
	if got := next("disabled throughput: "); got != "disabled" {
		t.Errorf("after Disable: %s", got)
	}
	if got := next("health: "); got != "ok" {
		t.Errorf("health after disabling throughput: %s (its check should go)", got)
	}
	if got := next("command throughput status: error: "); !strings.Contains(got, "module not enabled") {
		t.Errorf("command to a disabled module: %s", got)
	}
	if got := next("enabled throughput: "); got != "running" {
		t.Errorf("after Enable: %s", got)
	}
	// A fresh instance counts jobs 14 to 16 only (15 fails).
	throughput(2, 1, 17)
	var before, after int
	if _, err := fmt.Sscanf(next("closed: "), "%d module processes before Close, %d after", &before, &after); err != nil {
		t.Fatal(err)
	}
	if before != children || after != 0 {
		t.Errorf("module processes: %d before Close, %d after; want %d, 0", before, after, children)
	}
}

// noProcessesFrom fails unless, within a few seconds, no process runs an
// executable under dir (the program, its Python module processes, which
// are the same binary, and the plugin).
func noProcessesFrom(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []string
		ents, err := os.ReadDir("/proc")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err != nil {
				continue
			}
			exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
			if err == nil && strings.HasPrefix(exe, dir+string(os.PathSeparator)) {
				left = append(left, e.Name()+" "+exe)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes left behind: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMinimal runs the program docs/embedding.md quotes.
func TestMinimal(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "minimal")
	args := []string{"build", "-o", prog}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, "./minimal")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, "-modules", "modules")
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0 halt_on_error=1")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	noProcessesFrom(t, dir)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] != "health: 9 jobs pending (max_pending 5)" {
		t.Fatalf("output:\n%s", out)
	}
	var st struct {
		Alert   bool
		Pending int
		Seen    map[string]int
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "backlog status: ")), &st); err != nil {
		t.Fatalf("%v: %s", err, lines[1])
	}
	if !st.Alert || st.Pending != 9 || st.Seen["queue_changed"] != 1 {
		t.Errorf("backlog status %+v", st)
	}
}

// TestMinimalInDocs: docs/embedding.md quotes minimal/main.go whole, so
// the program the page shows is the one TestMinimal runs.
func TestMinimalInDocs(t *testing.T) {
	src, err := os.ReadFile("minimal/main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/embedding.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte("```go\n"+string(src)+"```\n")) {
		t.Error("docs/embedding.md does not quote examples/embed/minimal/main.go as it is: copy it again")
	}
}
