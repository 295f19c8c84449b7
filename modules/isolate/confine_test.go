package isolate

import (
	"context"
	"errors"
	"gomgr/internal/testutil"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// procStatus reads /proc/<pid>/status (or a task's) as field -> value.
func procStatus(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// procLimits reads /proc/<pid>/limits as name -> "soft hard".
func procLimits(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		// "Max open files            4096                 4096                 files"
		if len(l) < 26 {
			continue
		}
		f := strings.Fields(l[26:])
		if len(f) >= 2 {
			out[strings.TrimSpace(l[:26])] = f[0] + " " + f[1]
		}
	}
	return out
}

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
	if st := procStatus(t, "/proc/"+strconv.Itoa(pid)+"/status"); st["NoNewPrivs"] != "1" {
		t.Errorf("child NoNewPrivs = %q", st["NoNewPrivs"])
	}
	lim := procLimits(t, pid)
	if got := lim["Max open files"]; got != "4096 4096" {
		t.Errorf("child Max open files = %q", got)
	}
	if got := lim["Max core file size"]; got != "0 0" {
		t.Errorf("child Max core file size = %q", got)
	}
	// Not run as another user: RLIMIT_NPROC is the manager's.
	if got, want := lim["Max processes"], selfLimit(t, unix.RLIMIT_NPROC); got != want {
		t.Errorf("child Max processes = %q, want the manager's %q", got, want)
	}
	if err := notify(m, 5*time.Second, "count"); err != nil {
		t.Fatalf("notify: %v", err)
	}

	if procStatus(t, "/proc/self/status")["NoNewPrivs"] != "0" {
		t.Log("the test runs under no_new_privs already: the manager's threads are not checked")
		return
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, task := range tasks {
		if procStatus(t, "/proc/self/task/"+task.Name()+"/status")["NoNewPrivs"] == "1" {
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
	lim := procLimits(t, m.Pid())
	if got := lim["Max open files"]; got != "256 256" {
		t.Errorf("Max open files = %q", got)
	}
	if got, want := lim["Max core file size"], selfLimit(t, unix.RLIMIT_CORE); got != want {
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
	st := procStatus(t, "/proc/"+strconv.Itoa(m.Pid())+"/status")
	for field, id := range map[string]string{"Uid": nobody.Uid, "Gid": nobody.Gid} {
		if want := strings.Repeat(id+"\t", 3) + id; st[field] != want {
			t.Errorf("%s = %q, want %q", field, st[field], want)
		}
	}
	if st["Groups"] != "" {
		t.Errorf("Groups = %q, want none", st["Groups"])
	}
	if st["NoNewPrivs"] != "1" {
		t.Errorf("NoNewPrivs = %q", st["NoNewPrivs"])
	}
	// Setting another user's limits takes CAP_SYS_RESOURCE (this sandbox's
	// root lacks it, as a container's often does: they are skipped then).
	if hasCapSysResource(t) {
		lim := procLimits(t, m.Pid())
		if got := lim["Max processes"]; got != "1024 1024" {
			t.Errorf("Max processes = %q", got)
		}
		if got := lim["Max open files"]; got != "4096 4096" {
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
	eff, err := strconv.ParseUint(procStatus(t, "/proc/self/status")["CapEff"], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return eff&(1<<unix.CAP_SYS_RESOURCE) != 0
}
