package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMonMkfs: `gomgr mon --mkfs` makes a cluster in an empty directory
// and refuses one that holds a cluster; the mon then serves it; a data
// directory that lost a map file is refused at start, naming the file.
func TestMonMkfs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "mon.a")
	out, errs, code := cli(t, nil, "mon", "--mkfs", "--data", data, "--log-level", "warning")
	fsid := strings.TrimSpace(out)
	if code != 0 || len(fsid) != 36 {
		t.Fatalf("mkfs: exit %d, out %q, err %q", code, out, errs)
	}
	if _, errs, code := cli(t, nil, "mon", "--mkfs", "--data", data); code == 0 || !strings.Contains(errs, "already holds cluster \""+fsid+"\"") {
		t.Fatalf("mkfs again: exit %d, %q", code, errs)
	}

	mon, monAddr := start(t, nil, true, "mon", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warning")
	env := monEnv(monAddr, data)
	out, errs, code = cli(t, env, "status", "-f", "json")
	var st struct {
		FSID string `json:"fsid"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.FSID != fsid {
		t.Fatalf("status: exit %d, fsid %q (want %s): %s", code, st.FSID, fsid, errs)
	}
	// gomgr's mon requires cephx: the CLI without client.admin's keyring
	// is refused, and says what it needs.
	noKey := []string{"GOMGR_MON=" + monAddr, "GOMGR_KEYRING=", "TMPDIR=" + t.TempDir()}
	if _, errs, code := cli(t, noKey, "status"); code != 1 || !strings.Contains(errs, "requires cephx") || !strings.Contains(errs, "--keyring") {
		t.Fatalf("status without a keyring: exit %d: %s", code, errs)
	}
	if err := mon.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-mon.done

	if err := os.Remove(filepath.Join(data, "osdmap.json")); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := cli(t, nil, "mon", "--addr", "127.0.0.1:0", "--data", data); code == 0 || !strings.Contains(errs, "has no osdmap.json") {
		t.Fatalf("start without osdmap.json: exit %d, %q", code, errs)
	}
}
