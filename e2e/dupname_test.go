package e2e_test

import (
	"gomgr/internal/testutil"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type mgrDumpGID struct {
	Epoch      int    `json:"epoch"`
	ActiveName string `json:"active_name"`
	ActiveGID  uint64 `json:"active_gid"`
	Available  bool   `json:"available"`
}

// TestDuplicateMgrName: beside a live mgr.x, a second `gomgr mgr --name x`
// exits non-zero within a few seconds saying the name is taken, the
// mgrmap does not flap (it used to go through dozens of epochs) and the
// first stays active. After kill -9 of the first, x starts again and is
// active: a restart still takes the name over.
func TestDuplicateMgrName(t *testing.T) {
	monData := t.TempDir()
	_, monAddr := start(t, nil, true, "mon", "--addr", "127.0.0.1:0", "--data", monData, "--log-level", "warning")
	env := monEnv(monAddr, monData)
	mgrX := func() *proc {
		p, _ := start(t, env, false, "mgr", "--name", "x", "--log-level", "warning")
		return p
	}
	var mm mgrDumpGID
	first := mgrX()
	testutil.Eventually(t, 20*time.Second, "mgr.x active and available", func() bool {
		cliJSON(t, env, &mm, "mgr", "dump")
		return mm.ActiveName == "x" && mm.Available
	})
	before := mm

	second := mgrX()
	started := time.Now()
	select {
	case <-second.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the second mgr.x still runs after 20 s")
	}
	took := time.Since(started)
	code := second.cmd.ProcessState.ExitCode()
	want := "mgr.x is already running (gid " + strconv.FormatUint(before.ActiveGID, 10) + ")"
	if code == 0 || !strings.Contains(second.out.String(), want) {
		t.Fatalf("second mgr.x: exit %d after %v, output %q; want non-zero and %q", code, took, tail(second.out.String(), 600), want)
	}
	t.Logf("the second mgr.x exited %d after %v", code, took)

	cliJSON(t, env, &mm, "mgr", "dump")
	// A few epochs are the first one's own business (its modules, its
	// services); a flapping map makes several a second.
	if mm.Epoch-before.Epoch > 2 || mm.ActiveGID != before.ActiveGID || !mm.Available {
		t.Fatalf("mgrmap e%d active gid %d available %v; was e%d gid %d", mm.Epoch, mm.ActiveGID, mm.Available, before.Epoch, before.ActiveGID)
	}
	select {
	case <-first.done:
		t.Fatalf("the first mgr.x exited: %s", tail(first.out.String(), 600))
	default:
	}
	out, _, _ := cli(t, env, "log", "last", "50")
	if !strings.Contains(out, "refused: the name belongs to live gid "+strconv.FormatUint(before.ActiveGID, 10)) ||
		!strings.Contains(out, "(MGR_DUPLICATE_NAME)") {
		t.Fatalf("the cluster log does not tell of the duplicate:\n%s", out)
	}
	testutil.Eventually(t, 10*time.Second, "MGR_DUPLICATE_NAME cleared", func() bool {
		out, _, _ := cli(t, env, "health")
		return !strings.Contains(out, "MGR_DUPLICATE_NAME") && !strings.Contains(out, "second daemon")
	})

	// kill -9 and start again: the restarted x is active at once.
	if err := syscall.Kill(-first.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	third := mgrX()
	testutil.Eventually(t, 15*time.Second, "the restarted mgr.x active and available", func() bool {
		cliJSON(t, env, &mm, "mgr", "dump")
		return mm.ActiveName == "x" && mm.ActiveGID != before.ActiveGID && mm.Available
	})
	select {
	case <-third.done:
		t.Fatalf("the restarted mgr.x exited: %s", tail(third.out.String(), 600))
	default:
	}
}
