package modules

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/registry"
)

func brokenSource() registry.Source {
	return NewSource(Config{Dirs: []string{filepath.Join("testdata", "broken")}})
}

// TestBrokenLoad: modules that cannot load report the Python traceback
// with file and line.
func TestBrokenLoad(t *testing.T) {
	cases := []struct {
		name string
		want []string
	}{
		{"syntax_error", []string{"SyntaxError", "syntax_error/module.py\", line 5", "def notify(self, notify_type, notify_id)"}},
		{"import_error", []string{"import_error/module.py\", line 2, in <module>", "import no_such_module_anywhere", "ImportError: No module named 'no_such_module_anywhere'"}},
	}
	s := brokenSource()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Open(ctxT(t, 5*time.Second), tc.name)
			if !errors.Is(err, ErrLoad) {
				t.Fatalf("err = %v, want ErrLoad", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestBrokenCanRun(t *testing.T) {
	m, err := brokenSource().Open(ctxT(t, 5*time.Second), "cannot_run")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop(ctxT(t, 5*time.Second))
	if i := m.Info(); i.CanRun || i.CanRunError != "needs a library gpython does not have" {
		t.Fatalf("Info = %+v", i)
	}
}

func startBroken(t *testing.T, name string) (registry.Module, *fakeHost) {
	t.Helper()
	m, err := brokenSource().Open(ctxT(t, 5*time.Second), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Stop(ctxT(t, 5*time.Second)) })
	h := newFakeHost(name, m.Info().Options)
	h.set("osd_map", 1, map[string]any{"epoch": int64(7)})
	if err := m.Start(ctxT(t, 5*time.Second), h); err != nil {
		t.Fatal(err)
	}
	return m, h
}

// TestBrokenRaiseNotify: the exception comes back with its traceback; the
// module keeps working (Failed stays nil) and later notifies run.
func TestBrokenRaiseNotify(t *testing.T) {
	m, h := startBroken(t, "raise_notify")
	for i := 0; i < 2; i++ {
		err := m.Notify(ctxT(t, 5*time.Second), []registry.Event{{Kind: "osd_map"}})
		if !errors.Is(err, ErrPython) {
			t.Fatalf("err = %v", err)
		}
		for _, w := range []string{"raise_notify/module.py\", line 10, in notify", "raise ValueError(\"notify failed on purpose\")", "ValueError: notify failed on purpose"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error lacks %q:\n%v", w, err)
			}
		}
	}
	if err := m.Failed(); err != nil {
		t.Errorf("Failed = %v", err)
	}
	if logs := h.logLines(); len(logs) != 2 || logs[0] != "info: epoch 7" {
		t.Errorf("logs = %v", logs)
	}
}

func TestBrokenRaiseCommand(t *testing.T) {
	m, _ := startBroken(t, "raise_command")
	r, err := m.Command(ctxT(t, 5*time.Second), registry.Command{Args: map[string]any{"prefix": "broken go"}})
	if !errors.Is(err, ErrPython) || r.Retval != eio {
		t.Fatalf("res %+v err %v", r, err)
	}
	for _, w := range []string{"line 8, in handle_command", "line 11, in helper", "return cmd[\"missing\"]", "KeyError: 'missing'"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
		}
	}
}

// TestBrokenRaiseServe: serve() raising makes Failed() report it with the
// traceback.
func TestBrokenRaiseServe(t *testing.T) {
	m, _ := startBroken(t, "raise_serve")
	testutil.Eventually(t, 5*time.Second, "Failed", func() bool { return m.Failed() != nil })
	err := m.Failed()
	if !errors.Is(err, ErrServe) {
		t.Fatalf("Failed = %v", err)
	}
	for _, w := range []string{"raise_serve/module.py\", line 8, in serve", "return x[\"no_such_key\"]", "KeyError: 'no_such_key'"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if err := m.Stop(ctxT(t, 5*time.Second)); err != nil {
		t.Errorf("Stop = %v", err)
	}
}

// TestBrokenSpinServeBlocksNotify: a serve() that never waits holds the
// owner goroutine; Notify gives up at its deadline with ErrStuck instead of
// hanging. (The spinning goroutine stays: see doc.go.)
//
// The test body runs in a child copy of the test binary so that the
// goroutine left spinning dies with it and does not slow the other tests.
func TestBrokenSpinNotify(t *testing.T) {
	if os.Getenv("GOMGR_SPIN_CHILD") != "1" {
		runInChild(t, "TestBrokenSpinNotify", "GOMGR_SPIN_CHILD=1")
		return
	}
	m, _ := startBroken(t, "spin_notify")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Notify(ctx, []registry.Event{{Kind: "osd_map"}})
	if !errors.Is(err, registry.ErrStuck) {
		t.Fatalf("err = %v, want ErrStuck", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Notify returned after %v, deadline was 200ms", d)
	}
	// Later calls fail fast, Failed reports it, Stop gives up at its deadline.
	start = time.Now()
	err = m.Notify(context.Background(), []registry.Event{{Kind: "osd_map"}})
	if !errors.Is(err, registry.ErrStuck) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("second Notify = %v after %v", err, time.Since(start))
	}
	if _, err := m.Command(context.Background(), registry.Command{}); !errors.Is(err, registry.ErrStuck) {
		t.Fatalf("Command = %v", err)
	}
	if err := m.Failed(); !errors.Is(err, registry.ErrStuck) || !strings.Contains(err.Error(), "notify") {
		t.Fatalf("Failed = %v", err)
	}
	if err := m.Stop(ctxT(t, 200*time.Millisecond)); !errors.Is(err, registry.ErrStuck) {
		t.Fatalf("Stop = %v", err)
	}
	// Top-level code that never ends: Open gives up at its deadline.
	dir := t.TempDir()
	writeModule(t, dir, "spin_import", "while True:\n    pass\n")
	_, err = NewSource(Config{Dirs: []string{dir}}).Open(ctxT(t, 200*time.Millisecond), "spin_import")
	if !errors.Is(err, registry.ErrStuck) {
		t.Fatalf("Open = %v", err)
	}
}

// runInChild runs one test of this binary in a child process with env set,
// and fails if the child fails. The child is killed at the test's end.
func runInChild(t *testing.T, test, env string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("child %s: %v\n%s", test, err, out)
	}
}
