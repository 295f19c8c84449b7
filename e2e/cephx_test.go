package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// TestCephxCluster runs gomgr as the mgr of a real Ceph 16.2 cluster with
// cephx required everywhere (Ceph's default): gomgr authenticates with its
// mgr key, the real OSDs connect to it with cephx authorizers and signed
// messages and report their PG stats, the real ceph CLI reaches its
// modules and its own commands; a client whose mgr caps do not allow a
// command is refused with EACCES, and one with a wrong key gets nothing.
// The real daemons must still run at the end.
func TestCephxCluster(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 1, Pools: []string{"p1"}, Cephx: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.MgrKeyring(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	tree := cephTreeOf(t, "callprobe")
	mgr, _ := start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", "e2e/testdata/modules"+string(os.PathListSeparator)+tree,
		"--log-level", "info")

	var dump mgrDump
	testutil.Poll(t, 30*time.Second, "gomgr active and available", func() error {
		if err := cephJSON(c, &dump, "mgr", "dump"); err != nil {
			return err
		}
		if dump.ActiveName != "x" || !dump.Available {
			return fmt.Errorf("active %q available %v", dump.ActiveName, dump.Available)
		}
		return nil
	})
	// The OSD's session with gomgr: its PG stats (MPGStats) make pg stat.
	testutil.Poll(t, 60*time.Second, "the OSD's PG stats at gomgr (ceph pg stat)", func() error {
		var raw pgStat
		if err := cephJSON(c, &raw, "pg", "stat"); err != nil {
			return err
		}
		if !raw.allActiveClean(8) {
			return fmt.Errorf("pg stat: %+v", raw.Summary)
		}
		return nil
	})
	// A module's command, through the mon (MMgrCommand) and ceph tell.
	c.MustCeph(t, "mgr", "module", "enable", "cephprobe")
	var view probeOSDMap
	testutil.Poll(t, 20*time.Second, "cephprobe osdmap from the ceph CLI", func() error {
		if err := cephJSON(c, &view, "cephprobe", "osdmap"); err != nil {
			return err
		}
		if view.Epoch == 0 || len(view.OSDs) != 1 {
			return fmt.Errorf("cephprobe osdmap: %+v", view)
		}
		return nil
	})
	// (Polled: the CLI answers EACCES itself while it has no MgrMap.)
	testutil.Poll(t, 20*time.Second, "ceph tell mgr cephprobe osdmap", func() error {
		out, err := c.Ceph(ctx, "tell", "mgr", "cephprobe", "osdmap")
		if err == nil && !strings.Contains(string(out), `"epoch"`) {
			err = fmt.Errorf("no epoch in %s", out)
		}
		return err
	})

	// A module's send_command to the OSD: gomgr presents its cephx
	// authorizer to the real OSD, which answers as it answers the CLI.
	c.MustCeph(t, "mgr", "module", "enable", "callprobe")
	var viaMgr, direct map[string]any
	testutil.Poll(t, 20*time.Second, "callprobe tell 0 version", func() error {
		return cephJSON(c, &viaMgr, "callprobe", "tell", "0", "version")
	})
	if err := cephJSON(c, &direct, "tell", "osd.0", "version"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(viaMgr, direct) || viaMgr["version"] == nil {
		t.Errorf("osd.0 version: through gomgr's send_command %v, from the CLI %v", viaMgr, direct)
	}

	// gomgr's own CLI on the real cluster, from its ceph.conf alone: a mon
	// command to the real mon, a module command to gomgr, with cephx.
	out, errs, code := cli(t, nil, "-c", c.Conf, "osd", "dump", "-f", "json")
	var ours, theirs struct {
		Epoch int    `json:"epoch"`
		FSID  string `json:"fsid"`
	}
	if err := json.Unmarshal([]byte(out), &ours); code != 0 || err != nil || ours.Epoch == 0 {
		t.Fatalf("gomgr -c %s osd dump: %d %v %s %s", c.Conf, code, err, out, errs)
	}
	if err := cephJSON(c, &theirs, "osd", "dump"); err != nil || theirs.FSID != ours.FSID || theirs.Epoch < ours.Epoch {
		t.Errorf("osd dump: gomgr's CLI %+v, ceph's %+v (%v)", ours, theirs, err)
	}
	if out, errs, code = cli(t, nil, "-c", c.Conf, "cephprobe", "osdmap"); code != 0 || !strings.Contains(out, `"epoch"`) {
		t.Errorf("gomgr -c %s cephprobe osdmap: %d %s %s", c.Conf, code, out, errs)
	}

	// A gpython module's mon_command and cluster_log on the real mon.
	var pools, theirPools []string
	if err := cephJSON(c, &theirPools, "osd", "pool", "ls"); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := cli(t, nil, "-c", c.Conf, "cephprobe", "mon", "osd", "pool", "ls"); code != 0 ||
		json.Unmarshal([]byte(out), &pools) != nil || !reflect.DeepEqual(pools, theirPools) {
		t.Errorf("cephprobe mon osd pool ls: %d %q %s; ceph osd pool ls: %v", code, out, errs, theirPools)
	}
	if out, errs, err := c.CephOutput(ctx, "cephprobe", "mon", "no", "such", "command"); err != nil ||
		strings.TrimSpace(string(out)) != "MonCommandFailed" || !strings.HasPrefix(string(errs), "no such command failed: ") {
		t.Errorf("a failing mon command: %q %q %v", out, errs, err)
	}
	c.MustCeph(t, "cephprobe", "clog", "cephprobe-clog-line")
	testutil.Poll(t, 20*time.Second, "the module's line in the cluster log", func() error {
		out, err := c.Ceph(ctx, "log", "last", "20")
		if err == nil && !strings.Contains(string(out), "cephprobe-clog-line") {
			err = fmt.Errorf("not in: %s", out)
		}
		return err
	})

	// A client whose mgr caps allow reads only: pg stat yes, a write no.
	ro := filepath.Join(c.Dir, "ceph.client.ro.keyring")
	c.MustCeph(t, "auth", "get-or-create", "client.ro", "mon", "allow r", "mgr", "allow r", "-o", ro)
	testutil.Poll(t, 20*time.Second, "client.ro pg stat", func() error {
		_, err := c.Ceph(ctx, "-n", "client.ro", "pg", "stat")
		return err
	})
	testutil.Poll(t, 20*time.Second, "client.ro refused a write command by gomgr", func() error {
		_, errs, err := c.CephOutput(ctx, "-n", "client.ro", "cephprobe", "warn", "yes")
		if err == nil {
			t.Fatal("client.ro ran a write command")
		}
		if !strings.Contains(string(errs), "access denied") {
			return fmt.Errorf("%v: %s", err, errs)
		}
		return nil
	})

	// A wrong key for client.admin: the mon refuses it.
	bad := filepath.Join(c.Dir, "bad.keyring")
	if err := os.WriteFile(bad, []byte("[client.admin]\n\tkey = AQBsXmdkAAAAABAAhD8sjsjYDDoEmsHJJnUsrg==\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 15*time.Second)
	defer cancelShort()
	if _, err := c.Ceph(short, "--keyring", bad, "--connect-timeout", "5", "pg", "stat"); err == nil {
		t.Fatal("a wrong key was let in")
	}
	if !alive(mgr.cmd.Process.Pid) {
		t.Fatal("gomgr died")
	}
}
