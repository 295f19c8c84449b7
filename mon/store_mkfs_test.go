package mon

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gomgr/clustermap"
)

// listing is every path under dir with its size, to tell that a refused
// open changed nothing.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel+":"+info.Mode().String()+":"+strings.Repeat("x", int(min(info.Size(), 1)))+":"+info.ModTime().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// refused opens dir and wants ErrStoreCorrupt with every one of words in
// the message, and dir as it was.
func refused(t *testing.T, now time.Time, dir string, cfg Config, words ...string) {
	t.Helper()
	before := listing(t, dir)
	_, err := Open(now, dir, cfg)
	if !errors.Is(err, ErrStoreCorrupt) {
		t.Fatalf("open: %v, want ErrStoreCorrupt", err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("open: %v: does not say %q", err, w)
		}
	}
	if after := listing(t, dir); !slices.Equal(before, after) {
		t.Fatalf("the refused open changed the directory:\n%q\nwas\n%q", after, before)
	}
}

// storeWithIncs makes a store whose osdmap is a full map plus a few
// incrementals, and a config-key.
func storeWithIncs(t *testing.T, now time.Time, cfg Config) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	m, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustCmd(t, m, now, map[string]any{"prefix": "config-key set", "key": "mgr/x/k", "val": "v"}, "")
	if _, err := m.OSDBoot(now, OSDBoot{ID: 0, UUID: "u0", PublicAddrs: clustermap.V1Addr("127.0.0.1:6800", 1)}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		now = now.Add(time.Second)
		verb := "osd out"
		if i%2 == 1 {
			verb = "osd in"
		}
		mustCmd(t, m, now, map[string]any{"prefix": verb, "ids": []any{"0"}}, "")
	}
	incs, err := m.store.List(objOSDMapIncPrefix)
	if err != nil || len(incs) < 3 {
		t.Fatalf("%d incrementals stored (%v), want 3 or more", len(incs), err)
	}
	return dir, incs
}

// TestOpenRefusesIncrementalGap: an incremental missing before later ones
// is refused, naming it; the newest one missing is not a gap (the store
// cannot tell it from a crash before its write); an old one left over by
// a compaction is ignored.
func TestOpenRefusesIncrementalGap(t *testing.T) {
	now := scenarioStart
	cfg := DefaultConfig()
	dir, incs := storeWithIncs(t, now, cfg)
	slices.Sort(incs) // same width epochs: sorted by name is by epoch
	for _, name := range incs[:len(incs)-1] {
		t.Run(name, func(t *testing.T) {
			d := copyDir(t, dir)
			if err := os.Remove(filepath.Join(d, name)); err != nil {
				t.Fatal(err)
			}
			refused(t, now, d, cfg, name, "restore it")
		})
	}
	d := copyDir(t, dir)
	if err := os.WriteFile(filepath.Join(d, objOSDMapInc(1)), []byte(`{"epoch":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(now, d, cfg); err != nil {
		t.Fatalf("a leftover incremental older than the full map: %v", err)
	}
}

// TestOpenStates: which directories open, which make a new cluster, which
// are refused and what the error says to do.
func TestOpenStates(t *testing.T) {
	now := scenarioStart
	cfg := DefaultConfig()
	intact, _ := storeWithIncs(t, now, cfg)
	m, err := Open(now, intact, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fsid := m.FSID()

	t.Run("restart of an intact store", func(t *testing.T) {
		d := copyDir(t, intact)
		m2, err := Open(now, d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if m2.FSID() != fsid || string(m2.keys["mgr/x/k"]) != "v" || m2.Snapshot().OSDMap.Epoch != m.Snapshot().OSDMap.Epoch {
			t.Fatalf("restart: fsid %s keys %v osdmap e%d", m2.FSID(), m2.keys, m2.Snapshot().OSDMap.Epoch)
		}
	})
	t.Run("new directories make a cluster", func(t *testing.T) {
		for name, prep := range map[string]func(d string) error{
			"missing": func(d string) error { return os.Remove(d) },
			"empty":   func(string) error { return nil },
			"a hidden file, lost+found and a temp file": func(d string) error {
				return errors.Join(os.WriteFile(filepath.Join(d, ".keep"), nil, 0o600), os.Mkdir(filepath.Join(d, "lost+found"), 0o700),
					os.WriteFile(filepath.Join(d, tmpPrefix+"x"), []byte("torn"), 0o600))
			},
		} {
			d := t.TempDir()
			if err := prep(d); err != nil {
				t.Fatal(err)
			}
			m, err := Open(now, d, cfg)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if b, err := os.ReadFile(filepath.Join(d, objFSID)); err != nil || string(b) != m.FSID() {
				t.Fatalf("%s: fsid %q %v, want %s", name, b, err, m.FSID())
			}
			if _, err := os.Stat(filepath.Join(d, mkfsMarker)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s: the mkfs marker outlives the mkfs: %v", name, err)
			}
		}
	})
	t.Run("lost fsid", func(t *testing.T) {
		d := copyDir(t, intact)
		if err := os.Remove(filepath.Join(d, objFSID)); err != nil {
			t.Fatal(err)
		}
		// The error names the files, and the fsid the maps hold.
		refused(t, now, d, cfg, objOSDMap, "no fsid", "printf "+fsid+" > "+filepath.Join(d, objFSID), "empty directory")
		if _, err := Mkfs(now, d, cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), objMgrMap) {
			t.Fatalf("mkfs over a store without its fsid: %v", err)
		}
		// Following the advice brings the cluster back.
		if err := os.WriteFile(filepath.Join(d, objFSID), []byte(fsid), 0o600); err != nil {
			t.Fatal(err)
		}
		if m, err := Open(now, d, cfg); err != nil || m.FSID() != fsid {
			t.Fatalf("after restoring the fsid: %v", err)
		}
	})
	t.Run("config-key files without an fsid", func(t *testing.T) {
		d := t.TempDir()
		if err := os.MkdirAll(filepath.Join(d, keyDir), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, keyDir, keyFileName("k")), []byte(`{"key":"k","val":"dg=="}`), 0o600); err != nil {
			t.Fatal(err)
		}
		refused(t, now, d, cfg, "1 config-keys", "no fsid")
	})
}

// crashedMkfs leaves a directory as an mkfs that crashed after its maps,
// before the fsid: OpenStore marks a new directory, and only the fsid's
// write removes the mark.
func crashedMkfs(t *testing.T, now time.Time, cfg Config) string {
	t.Helper()
	d := t.TempDir()
	if _, err := OpenStore(d); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, mkfsMarker)); err != nil {
		t.Fatalf("a new directory is not marked: %v", err)
	}
	if _, err := Open(now, d, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, mkfsMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the mark outlives the fsid: %v", err)
	}
	// Back to the moment before the fsid.
	if err := os.Remove(filepath.Join(d, objFSID)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, mkfsMarker), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMkfs: Mkfs makes a cluster in a missing or empty directory, starts
// over an mkfs that did not finish (which a plain start refuses, saying
// so), and refuses any other directory, naming what is there.
func TestMkfs(t *testing.T) {
	now := scenarioStart
	cfg := DefaultConfig()
	cfg.FSID = testFSID

	for _, d := range []string{t.TempDir(), filepath.Join(t.TempDir(), "new", "mon.a")} {
		id, err := Mkfs(now, d, cfg)
		if err != nil || id != testFSID {
			t.Fatalf("mkfs in %s: %q %v", d, id, err)
		}
		// It serves from there, on its address.
		run := cfg
		run.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
		m, err := Open(now, d, run)
		if err != nil || m.FSID() != testFSID || m.Snapshot().MonMap.Mons[0].Addr != "127.0.0.1:6789/0" {
			t.Fatalf("start after mkfs: %v", err)
		}
		// A second mkfs is refused, naming the cluster there.
		if _, err := Mkfs(now, d, cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), testFSID) || !strings.Contains(err.Error(), objOSDMap) {
			t.Fatalf("mkfs over a cluster: %v", err)
		}
	}

	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := listing(t, d)
	if _, err := Mkfs(now, d, cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "notes.txt") || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("mkfs in a directory with a file: %v", err)
	}
	if !slices.Equal(before, listing(t, d)) {
		t.Fatal("a refused mkfs changed the directory")
	}
	if _, err := Mkfs(now, "", cfg); !errors.Is(err, ErrInvalid) {
		t.Fatalf("mkfs without a directory: %v", err)
	}

	// A crash mid-mkfs: a plain start refuses it and says what to do;
	// Mkfs starts it over.
	d = crashedMkfs(t, now, DefaultConfig())
	refused(t, now, d, cfg, "did not finish", "--mkfs --data "+d)
	id, err := Mkfs(now, d, cfg)
	if err != nil || id != testFSID {
		t.Fatalf("mkfs over a crashed mkfs: %q %v", id, err)
	}
	if m, err := Open(now, d, cfg); err != nil || m.FSID() != testFSID {
		t.Fatalf("start after mkfs over a crashed one: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d, mkfsMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the mkfs marker outlives the mkfs: %v", err)
	}

	// The marker and files an mkfs never writes: not an mkfs of ours,
	// so not started over.
	d = crashedMkfs(t, now, DefaultConfig())
	if err := os.WriteFile(filepath.Join(d, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, now, d, cfg, "notes.txt", "no fsid")
	if _, err := Mkfs(now, d, cfg); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("mkfs over a crashed mkfs and a stranger's file: %v", err)
	}

	// A crash after the fsid, before the marker went: a whole store.
	d, _ = storeWithIncs(t, now, DefaultConfig())
	if err := os.WriteFile(filepath.Join(d, mkfsMarker), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(now, d, DefaultConfig()); err != nil {
		t.Fatalf("a store with a stale mkfs marker: %v", err)
	}
	if _, err := os.Stat(filepath.Join(d, mkfsMarker)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stale mkfs marker stays: %v", err)
	}
}
