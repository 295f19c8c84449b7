package isolate

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gomgr/internal/procstat"
	"gomgr/internal/testutil"
)

func selfLimit(t *testing.T, res int) string {
	t.Helper()
	var l unix.Rlimit
	if err := unix.Getrlimit(res, &l); err != nil {
		t.Fatal(err)
	}
	s := func(n uint64) string {
		if n == unix.RLIM_INFINITY {
			return "unlimited"
		}
		return strconv.FormatUint(n, 10)
	}
	return s(l.Cur) + " " + s(l.Max)
}

// TestChildConfined: a module process has no_new_privs, at most 4096
// open files and no core dumps, and the manager itself keeps neither:
// only its (at most four) confined spawner threads have the flag.
func TestChildConfined(t *testing.T) {
	m := open(t, testSourceCfg(Config{}), "ok", newFakeHost())
	pid := m.Pid()
	if got := testutil.StatusField(t, pid, "NoNewPrivs"); got != "1" {
		t.Errorf("child NoNewPrivs = %q", got)
	}
	if got := testutil.Limit(t, pid, "Max open files"); got != "4096 4096" {
		t.Errorf("child Max open files = %q", got)
	}
	if got := testutil.Limit(t, pid, "Max core file size"); got != "0 0" {
		t.Errorf("child Max core file size = %q", got)
	}
	// Not run as another user: RLIMIT_NPROC is the manager's.
	if got, want := testutil.Limit(t, pid, "Max processes"), selfLimit(t, unix.RLIMIT_NPROC); got != want {
		t.Errorf("child Max processes = %q, want the manager's %q", got, want)
	}
	if err := notify(m, 5*time.Second, "count"); err != nil {
		t.Fatalf("notify: %v", err)
	}

	me := os.Getpid()
	if testutil.StatusField(t, me, "NoNewPrivs") != "0" {
		t.Log("the test runs under no_new_privs already: the manager's threads are not checked")
		return
	}
	tasks, err := procstat.Tasks(me)
	if err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, tid := range tasks {
		v, err := procstat.ReadTaskStatusField(me, tid, "NoNewPrivs")
		if err != nil {
			t.Fatal(err)
		}
		if v == "1" {
			flagged++
		}
	}
	if flagged == 0 || flagged > 4 {
		t.Errorf("%d of the manager's %d threads have no_new_privs; want the confined spawners only (1 to 4)", flagged, len(tasks))
	}
}

// TestChildLimitsConfig: the limits follow Config.
func TestChildLimitsConfig(t *testing.T) {
	m := open(t, testSourceCfg(Config{MaxOpenFiles: 256, CoreDumps: true}), "ok", nil)
	if got := testutil.Limit(t, m.Pid(), "Max open files"); got != "256 256" {
		t.Errorf("Max open files = %q", got)
	}
	if got, want := testutil.Limit(t, m.Pid(), "Max core file size"), selfLimit(t, unix.RLIMIT_CORE); got != want {
		t.Errorf("Max core file size = %q, want the manager's %q", got, want)
	}
}

// TestChildAsUser: with Config.User, a manager running as root runs its
// module processes as that user (here nobody), with its group only, and
// RLIMIT_NPROC; the module works as before.
func TestChildAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	// The test binary lives in a directory only root may enter: nobody
	// runs a copy.
	dir, err := os.MkdirTemp("", "isolate-user-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "module-child")
	testutil.CopyTestBinary(t, exe)
	s := testSourceCfg(Config{User: "nobody", Command: func(string) *exec.Cmd { return exec.Command(exe) }})
	m := open(t, s, "ok", newFakeHost())
	for field, id := range map[string]string{"Uid": nobody.Uid, "Gid": nobody.Gid} {
		if got, want := testutil.StatusField(t, m.Pid(), field), strings.Repeat(id+"\t", 3)+id; got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if got := testutil.StatusField(t, m.Pid(), "Groups"); got != "" {
		t.Errorf("Groups = %q, want none", got)
	}
	if got := testutil.StatusField(t, m.Pid(), "NoNewPrivs"); got != "1" {
		t.Errorf("NoNewPrivs = %q", got)
	}
	// Setting another user's limits takes CAP_SYS_RESOURCE (this sandbox's
	// root lacks it, as a container's often does: they are skipped then).
	if hasCapSysResource(t) {
		if got := testutil.Limit(t, m.Pid(), "Max processes"); got != "1024 1024" {
			t.Errorf("Max processes = %q", got)
		}
		if got := testutil.Limit(t, m.Pid(), "Max open files"); got != "4096 4096" {
			t.Errorf("Max open files = %q", got)
		}
	} else {
		t.Log("no CAP_SYS_RESOURCE: the limits of another user's process are not set")
	}
	if err := notify(m, 5*time.Second, "count"); err != nil {
		t.Fatalf("notify: %v", err)
	}

	// A user that does not exist: no process starts.
	bad := testSourceCfg(Config{User: "no-such-user-gomgr"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := bad.Open(ctx, "ok"); !errors.Is(err, ErrStart) || !strings.Contains(err.Error(), "module user") {
		t.Fatalf("Open as an unknown user = %v", err)
	}
}

func hasCapSysResource(t *testing.T) bool {
	t.Helper()
	eff, err := strconv.ParseUint(testutil.StatusField(t, os.Getpid(), "CapEff"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return eff&(1<<unix.CAP_SYS_RESOURCE) != 0
}
