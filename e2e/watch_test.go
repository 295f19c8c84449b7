package e2e_test

import (
	"gomgr/internal/testutil"
	"regexp"
	"testing"
	"time"
)

// TestWatchClusterLog: `gomgr -w` prints the cluster log as it grows, as
// ceph -w does: who logged, the priority, the message.
func TestWatchClusterLog(t *testing.T) {
	monData := t.TempDir()
	_, monAddr := start(t, nil, true, "mon", "--addr", "127.0.0.1:0", "--data", monData, "--log-level", "warning")
	env := monEnv(monAddr, monData)
	w, _ := start(t, env, false, "-w")
	line := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000 client\.admin \[INF\] a watched line$`)
	// The watcher subscribes a moment after it starts: log until it shows.
	testutil.Eventually(t, 20*time.Second, "the line in gomgr -w", func() bool {
		if _, errs, code := cli(t, env, "log", "a watched line"); code != 0 {
			t.Fatalf("log: exit %d: %s", code, errs)
		}
		return line.MatchString(w.out.String())
	})
}
