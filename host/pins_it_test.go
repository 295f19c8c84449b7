package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/plugins"
	"gomgr/registry"
)

// buildOsdwatch builds the example Go plugin into dir.
func buildOsdwatch(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "osdwatch")
	if out, err := exec.Command("go", "build", "-o", p, "gomgr/examples/modules/go/osdwatch").CombinedOutput(); err != nil {
		t.Skipf("cannot build the example plugin: %v\n%s", err, out)
	}
	return p
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPluginPinInMon: a Go plugin's pin lives in the mon and holds for
// every mgr. mgr x pins the binary at the first enable. mgr y, whose
// binary is swapped after it loaded the module, takes over and refuses it
// (module failed, naming both hashes), also after a disable and enable;
// the operator's `config-key rm` of the pin, written to the cluster log,
// makes y retry, pin its binary and run the module. mgr z, started with
// the old binary, cannot load the module; it takes over, and the next
// `config-key rm` makes it load and run its binary. On the way,
// config-key set of the plugin's declared int option is checked.
func TestPluginPinInMon(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	entry := logrus.NewEntry(log)
	md := startMon(t, mon.DefaultConfig(), entry)
	ctx := context.Background()
	monc := dialMon(t, md.Addr(), entry)
	run := func(args map[string]any) monclient.CommandResult {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res, err := monc.Command(cctx, args, nil)
		if err != nil {
			t.Fatalf("%v: %v", args["prefix"], err)
		}
		return res
	}
	pin := func() string {
		res := run(map[string]any{"prefix": "config-key get", "key": plugins.PinKey("osdwatch")})
		if res.Retval != 0 {
			return ""
		}
		return string(res.Out)
	}
	unpin := func() {
		t.Helper()
		if res := run(map[string]any{"prefix": "config-key rm", "key": plugins.PinKey("osdwatch")}); res.Retval != 0 {
			t.Fatalf("config-key rm: %+v", res)
		}
	}

	dirX, dirY, dirZ := t.TempDir(), t.TempDir(), t.TempDir()
	binX := buildOsdwatch(t, dirX)
	orig, err := os.ReadFile(binX)
	if err != nil {
		t.Fatal(err)
	}
	origSum := sha256File(t, binX)
	binY, binZ := filepath.Join(dirY, "osdwatch"), filepath.Join(dirZ, "osdwatch")
	for _, p := range []string{binY, binZ} {
		if err := os.WriteFile(p, orig, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := func(name, dir string) *host.Standby {
		t.Helper()
		// OpenIdle: the process started to list the module stops soon, so
		// that enabling it later starts the binary on disk.
		src := plugins.NewSource(plugins.Config{Dir: dir, SocketDir: t.TempDir(), Logger: entry,
			BackoffBase: 20 * time.Millisecond, OpenIdle: 200 * time.Millisecond})
		return startMgr(t, host.Config{Name: name, MonAddrs: []string{md.Addr()}, Sources: []registry.Source{src}, Logger: entry})
	}
	modState := func(s *host.Standby) registry.Status {
		for _, st := range s.Registry().Modules() {
			if st.Name == "osdwatch" {
				return st
			}
		}
		return registry.Status{}
	}
	refused := func(s *host.Standby, state registry.ModuleState, binary, pinned, what string) {
		t.Helper()
		var st registry.Status
		testutil.Eventually(t, 20*time.Second, what, func() bool {
			st = modState(s)
			return st.State == state
		})
		for _, want := range []string{"plugin binary changed since it was pinned", binary, pinned, "config-key rm mgr/plugins/osdwatch/sha256"} {
			if !strings.Contains(st.Error, want) {
				t.Fatalf("%s: error %q does not name %q", what, st.Error, want)
			}
		}
		if got := pin(); got != pinned {
			t.Fatalf("%s: the pin changed to %q", what, got)
		}
	}
	failover := func(from, to *host.Standby) {
		t.Helper()
		testutil.Eventually(t, 10*time.Second, to.Name()+" a standby in the mgrmap", func() bool {
			mm := from.MgrMap()
			return mm != nil && len(mm.Standbys) == 1 && mm.Standbys[0].Name == to.Name()
		})
		if err := from.Close(ctx); err != nil {
			t.Logf("close %s: %v", from.Name(), err)
		}
		testutil.Eventually(t, 10*time.Second, to.Name()+" active", to.IsActive)
	}

	x := start("x", dirX)
	testutil.Eventually(t, 10*time.Second, "x active", x.IsActive)
	if res := run(map[string]any{"prefix": "mgr module enable", "module": "osdwatch"}); res.Retval != 0 {
		t.Fatalf("enable: %+v", res)
	}
	testutil.Eventually(t, 20*time.Second, "osdwatch running on x", func() bool { return modState(x).State == registry.StateRunning })
	if got := pin(); got != origSum {
		t.Fatalf("pin in the mon = %q, want %s", got, origSum)
	}

	// Options of the plugin: config-key set is checked as config set is.
	if res := run(map[string]any{"prefix": "config-key set", "key": "mgr/osdwatch/history", "val": "lots"}); res.Retval == 0 ||
		!strings.HasPrefix(res.Status, "error parsing value: ") {
		t.Fatalf("config-key set of a non-int int option: %+v", res)
	}
	if res := run(map[string]any{"prefix": "config-key set", "key": "mgr/osdwatch/history", "val": "0"}); res.Retval == 0 ||
		!strings.Contains(res.Status, "below the minimum 1") {
		t.Fatalf("config-key set below the minimum: %+v", res)
	}
	if res := run(map[string]any{"prefix": "config-key set", "key": "mgr/osdwatch/history", "val": "50"}); res.Retval != 0 {
		t.Fatalf("config-key set of a valid value: %+v", res)
	}

	// y loads the module, then its binary is swapped (one more byte);
	// x goes away and y takes over.
	y := start("y", dirY)
	testutil.Eventually(t, 10*time.Second, "osdwatch loaded on y", func() bool { return modState(y).State == registry.StateStandby })
	if err := os.WriteFile(binY+".new", append(orig, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(binY+".new", binY); err != nil {
		t.Fatal(err)
	}
	swappedSum := sha256File(t, binY)
	time.Sleep(400 * time.Millisecond) // past OpenIdle: y's listing process has stopped
	failover(x, y)
	refused(y, registry.StateFailed, swappedSum, origSum, "the swapped binary refused on the new active")

	// A disable and an enable (from any client) do not re-pin.
	if res := run(map[string]any{"prefix": "mgr module disable", "module": "osdwatch"}); res.Retval != 0 {
		t.Fatalf("disable: %+v", res)
	}
	testutil.Eventually(t, 10*time.Second, "osdwatch disabled on y", func() bool { return modState(y).State == registry.StateDisabled })
	if res := run(map[string]any{"prefix": "mgr module enable", "module": "osdwatch", "force": true}); res.Retval != 0 {
		t.Fatalf("enable: %+v", res)
	}
	refused(y, registry.StateFailed, swappedSum, origSum, "the swapped binary refused after disable and enable")

	// The operator trusts y's binary: the failed module is retried.
	unpin()
	testutil.Eventually(t, 20*time.Second, "osdwatch running on y", func() bool { return modState(y).State == registry.StateRunning })
	if got := pin(); got != swappedSum {
		t.Fatalf("pin after the operator's re-trust = %q, want %s", got, swappedSum)
	}

	// z has the old binary: it cannot load the module; it takes over.
	z := start("z", dirZ)
	refused(z, registry.StateUnloadable, origSum, swappedSum, "the old binary refused on z")
	failover(y, z)
	refused(z, registry.StateUnloadable, origSum, swappedSum, "the old binary refused on the new active z")
	unpin()
	testutil.Eventually(t, 20*time.Second, "osdwatch running on z", func() bool { return modState(z).State == registry.StateRunning })
	if got := pin(); got != origSum {
		t.Fatalf("pin after the second re-trust = %q, want %s", got, origSum)
	}

	res := run(map[string]any{"prefix": "log last", "num": 100, "format": "json"})
	var entries []struct {
		Priority string `json:"priority"`
		Message  string `json:"message"`
	}
	if err := json.Unmarshal(res.Out, &entries); err != nil {
		t.Fatal(err)
	}
	var logged []string
	for _, e := range entries {
		if strings.Contains(e.Message, "Go plugin osdwatch") {
			logged = append(logged, e.Priority+" "+e.Message)
		}
	}
	want := []string{
		"[INF] Go plugin osdwatch pinned to sha256 " + origSum,
		"[WRN] Go plugin osdwatch unpinned (was sha256 " + origSum + ")",
		"[INF] Go plugin osdwatch pinned to sha256 " + swappedSum,
		"[WRN] Go plugin osdwatch unpinned (was sha256 " + swappedSum + ")",
		"[INF] Go plugin osdwatch pinned to sha256 " + origSum,
	}
	if len(logged) != len(want) {
		t.Fatalf("cluster log:\n%s", strings.Join(logged, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(logged[i], w) {
			t.Fatalf("cluster log line %d = %q, want %q", i, logged[i], w)
		}
	}
}
