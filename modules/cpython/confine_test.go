package cpython_test

import (
	"os"
	"os/user"
	"strings"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/modules/isolate"
	"gomgr/registry"
)

// runTicker starts the CPython module ticker with ic and returns its pid.
func runTicker(t *testing.T, ic isolate.Config) (*registry.Registry, int) {
	t.Helper()
	reg, _ := newRegistryWith(t, registry.Config{}, ic)
	if err := reg.Enable(bg(t, 30*time.Second), "ticker"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "ticker running", func() bool { return status(reg, "ticker").State == registry.StateRunning })
	pid := status(reg, "ticker").PID
	if pid == 0 {
		t.Fatal("no pid for a running CPython module")
	}
	return reg, pid
}

// TestPythonChildConfined: a python3 module process has no_new_privs (from
// the confined spawner thread: python3 itself is not changed), at most
// 4096 open files and no core dumps.
func TestPythonChildConfined(t *testing.T) {
	reg, pid := runTicker(t, isolate.Config{})
	if got := testutil.StatusField(t, pid, "NoNewPrivs"); got != "1" {
		t.Errorf("NoNewPrivs = %q", got)
	}
	if got := testutil.Limit(t, pid, "Max open files"); got != "4096 4096" {
		t.Errorf("Max open files = %q", got)
	}
	if got := testutil.Limit(t, pid, "Max core file size"); got != "0 0" {
		t.Errorf("Max core file size = %q", got)
	}
	if res := command(t, reg, map[string]any{"prefix": "ticker seen"}); res.Retval != 0 {
		t.Fatalf("ticker seen: %+v", res)
	}
}

// TestPythonChildAsUser: with a module user, a root manager runs python3
// as that user.
func TestPythonChildAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	reg, pid := runTicker(t, isolate.Config{User: "nobody"})
	if got, want := testutil.StatusField(t, pid, "Uid"), strings.Repeat(nobody.Uid+"\t", 3)+nobody.Uid; got != want {
		t.Errorf("Uid = %q, want %q", got, want)
	}
	if got := testutil.StatusField(t, pid, "NoNewPrivs"); got != "1" {
		t.Errorf("NoNewPrivs = %q", got)
	}
	if res := command(t, reg, map[string]any{"prefix": "ticker seen"}); res.Retval != 0 {
		t.Fatalf("ticker seen: %+v", res)
	}
}
