package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
)

// cephModuleTree is where Debian's ceph-mgr-modules-core installs Ceph's modules.
const cephModuleTree = "/usr/share/ceph/mgr"

// crashMeta is a crash report as ceph-crash posts it.
const crashMeta = `{"crash_id": "2026-12-05T10:00:00.000000Z_0b7d3a4e-1111-2222-3333-444455556666",
 "timestamp": "2026-12-05T10:00:00.000000Z", "process_name": "ceph-osd", "entity_name": "osd.0",
 "ceph_version": "16.2.15", "utsname_hostname": "h", "utsname_sysname": "Linux",
 "utsname_release": "6.1", "utsname_version": "#1", "utsname_machine": "x86_64",
 "os_name": "Debian", "os_id": "debian", "os_version_id": "12", "os_version": "12",
 "assert_condition": "false", "assert_func": "f", "assert_file": "x.cc", "assert_line": 1,
 "backtrace": ["a", "b"]}`

// cephModuleCommands are the module commands compared between the real
// ceph-mgr and gomgr running Ceph's modules: status, iostat, crash.
var cephModuleCommands = [][]string{
	{"osd", "status"},
	{"crash", "ls"}, {"crash", "stat"}, {"crash", "ls-new"},
	{"crash", "info", "2026-12-05T10:00:00.000000Z_0b7d3a4e-1111-2222-3333-444455556666"},
}

// moduleOutputs runs each command under who. With want, it polls each
// until it prints what want holds (daemon metadata and crash reports reach
// a fresh mgr a moment after it is active), and returns the last output.
func moduleOutputs(t *testing.T, c *cephcluster.Cluster, who string, want map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, cmd := range cephModuleCommands {
		k := strings.Join(cmd, " ")
		deadline := time.Now().Add(30 * time.Second)
		for {
			b, err := c.Ceph(context.Background(), cmd...)
			s := string(b)
			if cmd[0] == "osd" {
				s = osdStatusShape(s)
			}
			if err == nil {
				out[k] = s
				if want == nil || s == want[k] {
					break
				}
			}
			if time.Now().After(deadline) {
				if err != nil {
					t.Fatalf("%s under %s: %v", k, who, err)
				}
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return out
}

// osdStatusShape keeps what `osd status` prints that does not change by
// itself: the header, and each OSD's id, host and state (its usage and
// rates move with every report).
func osdStatusShape(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			b.WriteString(line + "\n")
			continue
		}
		if f[0] == "ID" {
			b.WriteString(strings.Join(f, " ") + "\n")
			continue
		}
		fmt.Fprintf(&b, "%s %s %s\n", f[0], f[1], f[len(f)-1])
	}
	return b.String()
}

// TestCephModulesAsCephMgr runs Ceph's own status, iostat and crash
// modules, unmodified, under the real ceph-mgr and then under gomgr on the
// same cluster, and compares what their commands print.
func TestCephModulesAsCephMgr(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
	meta := filepath.Join(t.TempDir(), "meta")
	if err := os.WriteFile(meta, []byte(crashMeta), 0o644); err != nil {
		t.Fatal(err)
	}
	real := c.StartCephMgr(t, "y")
	waitActive(t, c, "y", 60*time.Second)
	pollErr(t, 30*time.Second, "crash post under ceph-mgr", func() error {
		_, err := c.Ceph(context.Background(), "crash", "post", "-i", meta)
		return err
	})
	want := moduleOutputs(t, c, "ceph-mgr", nil)
	real.Kill()
	c.MustCeph(t, "mgr", "fail", "y")

	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", cephModuleTree)
	waitActive(t, c, "x", 60*time.Second)
	got := moduleOutputs(t, c, "gomgr", want)
	for _, cmd := range cephModuleCommands {
		k := strings.Join(cmd, " ")
		if got[k] != want[k] {
			t.Errorf("%s differs\ngomgr:\n%q\nceph-mgr:\n%q", k, got[k], want[k])
		}
	}
	c.CheckAlive(t)
}
