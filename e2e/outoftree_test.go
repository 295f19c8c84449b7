package e2e_test

import (
	"context"
	"encoding/json"
	"gomgr/internal/testutil"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOutOfTree builds examples/outoftree, a plugin in its own Go module
// (issue #14), with a plain `go build` in its directory, as its README
// tells a plugin author to; then runs a mon, a mgr with --plugins and
// simulated OSDs, enables the plugin from the CLI and waits for its
// command to show that osd_map notifications reached it.
func TestOutOfTree(t *testing.T) {
	plugins := filepath.Join(t.TempDir(), "plugins")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The go on PATH, as TestMain uses, and this process's environment
	// (Env nil): GOFLAGS, GOPROXY and the caches apply as for the rest.
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(plugins, "outoftree"), ".")
	build.Dir = filepath.Join(repoRoot(t), "examples", "outoftree")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v (if go.mod or go.sum is stale: go mod tidy there)\n%s", build.Dir, err, out)
	}

	// TMPDIR: the plugin's socket directory goes with the test.
	env := []string{"TMPDIR=" + t.TempDir()}
	monData := t.TempDir()
	mon, monAddr := start(t, env, true, "mon", "--addr", "127.0.0.1:0", "--data", monData, "--log-level", "warning")
	env = append(env, monEnv(monAddr, monData)...)
	mgr, _ := start(t, env, false, "mgr", "--name", "x", "--plugins", plugins, "--log-level", "warning")
	sim, _ := start(t, env, false, "sim", "--osds", "3", "--log-level", "warning")
	// All OSDs up first: the osd down below needs osd.0 to exist.
	testutil.Eventually(t, 30*time.Second, "status with an active mgr and 3 OSDs up", func() bool {
		o, _, code := cli(t, env, "status")
		return code == 0 && strings.Contains(o, "(active)") && strings.Contains(o, "3 up")
	})

	// The mon enables only a module the active mgr lists (no --force, as
	// a user would): the mgr lists it once it has read its declaration.
	testutil.Eventually(t, 30*time.Second, "outoftree listed as a disabled module", func() bool {
		var ls moduleLs
		cliJSON(t, env, &ls, "mgr", "module", "ls")
		return slices.ContainsFunc(ls.Disabled, func(d struct {
			Name string `json:"name"`
		}) bool {
			return d.Name == "outoftree"
		})
	})
	if _, errs, code := cli(t, env, "mgr", "module", "enable", "outoftree"); code != 0 {
		t.Fatalf("enable outoftree: exit %d: %s", code, errs)
	}

	// Notifications come only on map changes and the cluster is quiet now:
	// once the plugin answers, mark an OSD down for a new osd_map epoch.
	var st struct {
		Notifies int   `json:"notifies"`
		Epoch    int64 `json:"last_osd_map_epoch"`
	}
	changed := false
	took := testutil.Eventually(t, 60*time.Second, "outoftree status with an osd_map epoch", func() bool {
		out, _, code := cli(t, env, "outoftree", "status", "-f", "json")
		if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
			return false
		}
		if !changed {
			if _, errs, code := cli(t, env, "osd", "down", "0"); code != 0 {
				t.Fatalf("osd down: exit %d: %s", code, errs)
			}
			changed = true
		}
		return st.Notifies > 0 && st.Epoch > 0
	})
	t.Logf("outoftree: %d notifications, last osd_map epoch %d, %v after enable", st.Notifies, st.Epoch, took.Round(time.Millisecond))

	for name, p := range map[string]*proc{"mon": mon, "mgr": mgr, "sim": sim} {
		if !alive(p.cmd.Process.Pid) {
			t.Errorf("%s (pid %d) is gone", name, p.cmd.Process.Pid)
		}
	}
}
