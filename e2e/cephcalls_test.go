package e2e_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// cephTreeWith is Ceph's module tree, linked entry by entry, with the
// modules of e2e/testdata/cephtree beside them: a mgr_module_path that
// ceph-mgr and gomgr both load.
func cephTreeWith(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(cephModuleTree)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(cephModuleTree, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	own, err := filepath.Abs(filepath.Join("testdata", "cephtree"))
	if err != nil {
		t.Fatal(err)
	}
	ents, err = os.ReadDir(own)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(own, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cephTreeOf is a module tree with Ceph's mgr_module.py and mgr_util.py
// and only the named modules of e2e/testdata/cephtree: a Ceph tree (its
// modules run on CPython) without Ceph's own modules.
func cephTreeOf(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"mgr_module.py", "mgr_util.py"} {
		if err := os.Symlink(filepath.Join(cephModuleTree, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		own, err := filepath.Abs(filepath.Join("testdata", "cephtree", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(own, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type progressEvent struct {
	Message    string  `json:"message"`
	Progress   float64 `json:"progress"`
	AddToCephS bool    `json:"add_to_ceph_s"`
}

// progressEvents is the progress section of `ceph status`, from the mon.
func progressEvents(c *cephcluster.Cluster) (map[string]progressEvent, error) {
	var st struct {
		Progress map[string]progressEvent `json:"progress_events"`
	}
	err := cephJSON(c, &st, "status")
	return st.Progress, err
}

// progressRoundTrip sets an event through the progress module and waits
// for it in `ceph status`, then completes it and waits for it to go.
func progressRoundTrip(t *testing.T, c *cephcluster.Cluster, who string) progressEvent {
	t.Helper()
	id := "ev-" + who
	testutil.Poll(t, 30*time.Second, "progressprobe set under "+who, func() error {
		_, err := c.Ceph(context.Background(), "progressprobe", "set", id, "probe event under "+who, "0.25")
		return err
	})
	var got progressEvent
	testutil.Poll(t, 30*time.Second, "the event in ceph status under "+who, func() error {
		evs, err := progressEvents(c)
		if err != nil {
			return err
		}
		ev, ok := evs[id]
		// The progress module may report the new event at 0 first.
		if !ok || math.Abs(ev.Progress-0.25) > 0.001 {
			return fmt.Errorf("progress events %v", evs)
		}
		got = ev
		return nil
	})
	c.MustCeph(t, "progressprobe", "complete", id)
	testutil.Poll(t, 30*time.Second, "the event gone from ceph status under "+who, func() error {
		evs, err := progressEvents(c)
		if err != nil {
			return err
		}
		if _, ok := evs[id]; ok {
			return fmt.Errorf("still there: %v", evs)
		}
		return nil
	})
	return got
}

// tellOSD has callprobe send `version` to osd.0 with send_command.
func tellOSD(t *testing.T, c *cephcluster.Cluster, who string) string {
	t.Helper()
	var out []byte
	testutil.Poll(t, 30*time.Second, "callprobe tell 0 version under "+who, func() (err error) {
		out, err = c.Ceph(context.Background(), "callprobe", "tell", "0", "version")
		return err
	})
	return string(out)
}

// TestCephModuleCalls: under the real ceph-mgr and then under gomgr, a
// module drives Ceph's progress module with self.remote(), and the event
// shows in the mon's `ceph status` the same way, then goes; a module
// sends a command to an OSD with send_command and gets the same answer;
// get("modified_config_options") lists the same options the daemons set.
func TestCephModuleCalls(t *testing.T) {
	tree := cephTreeWith(t)
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Global: map[string]string{"mgr_module_path": tree}})
	real := c.StartCephMgr(t, "y")
	waitActive(t, c, "y", 60*time.Second)
	c.MustCeph(t, "mgr", "module", "enable", "progressprobe")
	c.MustCeph(t, "mgr", "module", "enable", "callprobe")
	want := progressRoundTrip(t, c, "ceph-mgr")
	wantTell := tellOSD(t, c, "ceph-mgr")
	var wantConfig []byte
	testutil.Poll(t, 30*time.Second, "modified_config_options under ceph-mgr", func() (err error) {
		wantConfig, err = c.Ceph(context.Background(), "callprobe", "get", "modified_config_options")
		if err == nil && !strings.Contains(string(wantConfig), "osd_objectstore") {
			err = fmt.Errorf("not yet the OSD's options: %s", wantConfig)
		}
		return err
	})
	// gomgr's CLI drives the real ceph-mgr: a module command in an
	// MMgrCommand, the session opened as Ceph's clients open it.
	if out, errs, code := cli(t, nil, "-c", c.Conf, "callprobe", "get", "modified_config_options"); code != 0 || out != string(wantConfig) {
		t.Errorf("gomgr's CLI to ceph-mgr: %d %q %s, ceph's %q", code, out, errs, wantConfig)
	}
	real.Kill()
	c.MustCeph(t, "mgr", "fail", "y")

	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", tree)
	waitActive(t, c, "x", 60*time.Second)
	if got := tellOSD(t, c, "gomgr"); got != wantTell || !strings.Contains(got, `"version"`) {
		t.Errorf("osd.0 version through send_command: gomgr %q, ceph-mgr %q", got, wantTell)
	}
	testutil.Poll(t, 30*time.Second, "modified_config_options under gomgr as under ceph-mgr", func() error {
		got, err := c.Ceph(context.Background(), "callprobe", "get", "modified_config_options")
		if err == nil && string(got) != string(wantConfig) {
			err = fmt.Errorf("gomgr %s, ceph-mgr %s", got, wantConfig)
		}
		return err
	})
	got := progressRoundTrip(t, c, "gomgr")
	// The progress module writes the message with the event's age and a
	// bar: compare it with the age and the mgr's name masked.
	age := regexp.MustCompile(`\([0-9]+s\)`)
	want.Message = age.ReplaceAllString(strings.Replace(want.Message, "ceph-mgr", "gomgr", 1), "(Ns)")
	got.Message = age.ReplaceAllString(got.Message, "(Ns)")
	if got != want || !strings.HasPrefix(got.Message, "probe event under gomgr (Ns)") {
		t.Errorf("event under gomgr %+v, under ceph-mgr %+v", got, want)
	}
	c.CheckAlive(t)
}
