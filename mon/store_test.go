package mon

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomgr/clustermap"
)

func snapJSON(t *testing.T, m *Mon) string {
	t.Helper()
	b, err := json.Marshal(m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustCmd(t *testing.T, m *Mon, now time.Time, args map[string]any, inbuf string) {
	t.Helper()
	r, _, err := m.HandleCommand(now, args, []byte(inbuf))
	if err != nil || r.Retval != 0 {
		t.Fatalf("%v: %+v %v", args, r, err)
	}
}

func TestStoreRestartLosesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
	now := scenarioStart
	m, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fsid := m.FSID()
	if len(fsid) != 36 {
		t.Fatalf("fsid %q", fsid)
	}
	mods := []clustermap.ModuleInfo{{Name: "alerts", CanRun: true}}
	for _, b := range []Beacon{
		{GID: 10, Name: "x", FSID: fsid, AvailableModules: mods},
		{GID: 11, Name: "y", FSID: fsid, AvailableModules: mods},
		{GID: 10, Name: "x", FSID: fsid, Available: true, Addrs: clustermap.V1Addr("127.0.0.1:6804", 7), AvailableModules: mods, Services: map[string]string{"prometheus": "http://h:9283/"}},
	} {
		if _, err := m.Beacon(now, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.OSDBoot(now, OSDBoot{ID: 0, UUID: "u0", PublicAddrs: clustermap.V1Addr("127.0.0.1:6800", 1)}); err != nil {
		t.Fatal(err)
	}
	mustCmd(t, m, now, map[string]any{"prefix": "mgr module enable", "module": "alerts"}, "")
	mustCmd(t, m, now, map[string]any{"prefix": "osd pool create", "pool": "rbd", "pg_num": 8}, "")
	mustCmd(t, m, now, map[string]any{"prefix": "config-key set", "key": "mgr/alerts/interval", "val": "30"}, "")
	mustCmd(t, m, now, map[string]any{"prefix": "config-key set", "key": strings.Repeat("long/", 60)}, "\x00binary")
	mustCmd(t, m, now, map[string]any{"prefix": "config-key set", "key": "gone"}, "x")
	mustCmd(t, m, now, map[string]any{"prefix": "config-key rm", "key": "gone"}, "")
	if _, err := m.SetServices(now, map[string]any{"rgw": map[string]any{"daemons": map[string]any{}}}); err != nil {
		t.Fatal(err)
	}
	want := snapJSON(t, m)
	wantKeys := m.keys
	wantSeq := m.Log().NextSeq()

	// A restart on the same address: everything is there, nothing moved.
	later := now.Add(time.Hour)
	m2, err := Open(later, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := snapJSON(t, m2); got != want {
		t.Fatalf("after restart:\n got %s\nwant %s", got, want)
	}
	if !reflect.DeepEqual(m2.keys, wantKeys) || len(m2.keys) != 2 {
		t.Fatalf("config-keys: got %q want %q", m2.keys, wantKeys)
	}
	if m2.Log().NextSeq() != wantSeq {
		t.Fatalf("log seq went from %d to %d", wantSeq, m2.Log().NextSeq())
	}
	// Epochs only go up: the next change is the next epoch.
	old := m2.Snapshot()
	e, err := m2.Beacon(later, Beacon{GID: 12, Name: "z", FSID: fsid})
	if err != nil || e.MgrMap == nil || e.MgrMap.Epoch != old.MgrMap.Epoch+1 {
		t.Fatalf("beacon after restart: %v %+v", err, e.MgrMap)
	}
	// The active from the stored map gets a full grace from the first tick.
	if _, err := m2.Tick(later); err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Tick(later.Add(cfg.Mgr.BeaconGrace - time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := m2.Snapshot().MgrMap.ActiveName; got != "x" {
		t.Fatalf("active after restart = %q", got)
	}

	// A restart on a new address is a new monmap epoch; a wrong fsid is refused.
	cfg.Addrs = clustermap.V1Addr("127.0.0.1:7000", 0)
	m3, err := Open(later, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if mm := m3.Snapshot().MonMap; mm.Epoch != 2 || mm.Mons[0].Addr != "127.0.0.1:7000/0" {
		t.Fatalf("monmap %+v", mm)
	}
	if m3.Snapshot().MgrMap.Epoch != old.MgrMap.Epoch+1 {
		t.Fatal("mgrmap epoch lost")
	}
	// A new always-on set is a new mgrmap epoch, persisted.
	cfg.Mgr.AlwaysOnModules = []string{"status"}
	m4, err := Open(later, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mm4 := m4.Snapshot().MgrMap
	if mm4.Epoch != old.MgrMap.Epoch+2 || !reflect.DeepEqual(mm4.AlwaysOnModules["pacific"], []string{"status"}) {
		t.Fatalf("always-on change: epoch %d, %v", mm4.Epoch, mm4.AlwaysOnModules)
	}
	m5, err := Open(later, dir, cfg)
	if err != nil || m5.Snapshot().MgrMap.Epoch != mm4.Epoch {
		t.Fatalf("reopen after always-on change: %v", err)
	}
	cfg.FSID = "00000000-0000-0000-0000-000000000000"
	if _, err := Open(later, dir, cfg); !errors.Is(err, ErrFSIDMismatch) {
		t.Fatalf("wrong fsid: %v", err)
	}
}

// TestStoreTornWrites: an interrupted write leaves a temp file next to the
// old version; it is ignored (and removed) and the old version is read.
func TestStoreTornWrites(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	m, err := Open(scenarioStart, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Beacon(scenarioStart, Beacon{GID: 1, Name: "x", FSID: m.FSID()}); err != nil {
		t.Fatal(err)
	}
	mustCmd(t, m, scenarioStart, map[string]any{"prefix": "config-key set", "key": "k", "val": "v"}, "")
	want := snapJSON(t, m)
	// Crash in the middle of the next writes: half-written temp files.
	for _, p := range []string{
		filepath.Join(dir, tmpPrefix+objMgrMap+"-123"),
		filepath.Join(dir, keyDir, tmpPrefix+keyFileName("k")+"-9"),
		filepath.Join(dir, keyDir, tmpPrefix+keyFileName("new")+"-9"),
	} {
		if err := os.WriteFile(p, []byte(`{"epoch": 99, "act`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m2, err := Open(scenarioStart, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := snapJSON(t, m2); got != want {
		t.Fatalf("torn write changed state:\n got %s\nwant %s", got, want)
	}
	if v, ok := m2.ConfigKey("k"); !ok || string(v) != "v" {
		t.Fatalf("config-key k = %q %v", v, ok)
	}
	if _, ok := m2.ConfigKey("new"); ok {
		t.Fatal("a torn config-key write appeared")
	}
	left, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*"))
	left2, _ := filepath.Glob(filepath.Join(dir, keyDir, tmpPrefix+"*"))
	if len(left)+len(left2) != 0 {
		t.Fatalf("temp files left: %v %v", left, left2)
	}
}

// TestStoreCorrupt: a damaged file (not produced by Store, which never
// tears) is a clear error, not a panic or silent reset.
func TestStoreCorrupt(t *testing.T) {
	for _, tc := range []struct {
		file, content string
	}{
		{objMgrMap, `{"epoch": 3, "active_change": "yesterday"}`},
		{objOSDMap, `[1,2,3]`},
		{objMonMap, `{`},
		{filepath.Join(keyDir, "kaGVsbG8"), `{"key":"other","val":""}`},
		{filepath.Join(keyDir, "kaGVsbG8"), `not json`},
	} {
		dir := t.TempDir()
		if _, err := Open(scenarioStart, dir, DefaultConfig()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(scenarioStart, dir, DefaultConfig())
		if !errors.Is(err, ErrStoreCorrupt) && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s %q: got %v", tc.file, tc.content, err)
		}
	}
}

func TestStoreObjects(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if err := st.Put(bad, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Put(%q) = %v", bad, err)
		}
	}
	if _, err := st.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v", err)
	}
	if err := st.Put("obj", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put("obj", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if b, err := st.Get("obj"); err != nil || string(b) != "two" {
		t.Fatalf("Get = %q %v", b, err)
	}
	if _, err := OpenStore(""); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenStore(\"\") = %v", err)
	}
}

func TestConfigWithDefaults(t *testing.T) {
	got := Config{Mgr: MgrConfig{BeaconGrace: 7 * time.Second}}.WithDefaults()
	d := DefaultConfig()
	if got.Mgr.BeaconGrace != 7*time.Second || got.Mgr.TickInterval != d.Mgr.TickInterval ||
		got.OSD.DownGrace != d.OSD.DownGrace || got.OSD.MaxOSDID != d.OSD.MaxOSDID || got.Name != "a" || got.LogSize != d.LogSize {
		t.Fatalf("%+v", got)
	}
	// A zero Config opens and works.
	m, err := Open(scenarioStart, "", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.OSDBoot(scenarioStart, OSDBoot{ID: 5, UUID: "u"}); err != nil {
		t.Fatal(err)
	}
}

// TestStoreClusterLog: the cluster log survives a restart, seqs go on
// from where they were, a torn last line (a crash mid-append) is dropped,
// damage before it is reported, and the file stays bounded.
func TestStoreClusterLog(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
	cfg.LogSize = 10
	now := scenarioStart
	m, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.FSID = m.FSID()
	add := func(m *Mon, n int) {
		for i := 0; i < n; i++ {
			if _, err := m.AddLog(now, clustermap.LogEntry{Name: "osd.3", Channel: "cluster", Priority: clustermap.PrioWarn, Message: "slow op " + strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(m, 7)
	want := m.Log().Last(100, "")
	m2, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := m2.Log().Last(100, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart:\n got %+v\nwant %+v", got, want)
	}
	if m2.Log().NextSeq() != m.Log().NextSeq() {
		t.Fatalf("next seq %d, was %d", m2.Log().NextSeq(), m.Log().NextSeq())
	}

	// Many more than LogSize: the newest LogSize survive, the file stays
	// under 2*LogSize lines.
	add(m2, 35)
	b, err := os.ReadFile(filepath.Join(dir, logFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n >= 2*cfg.LogSize {
		t.Fatalf("log file has %d lines", n)
	}
	want = m2.Log().Last(100, "")
	m3, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := m3.Log().Last(100, ""); !reflect.DeepEqual(got, want) || len(got) != cfg.LogSize {
		t.Fatalf("after compaction and restart: %d entries, want %d", len(got), len(want))
	}

	// A torn last line: dropped, the rest kept.
	f, err := os.OpenFile(filepath.Join(dir, logFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"name":"osd.3","seq":99`)
	f.Close()
	m4, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatalf("torn last line: %v", err)
	}
	if got := m4.Log().Last(100, ""); !reflect.DeepEqual(got, want) {
		t.Fatal("torn last line lost entries")
	}
	add(m4, 1) // appends after the cut, on a line of its own
	want = m4.Log().Last(100, "")
	m5, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatalf("append after a torn line: %v", err)
	}
	if got := m5.Log().Last(100, ""); !reflect.DeepEqual(got, want) {
		t.Fatal("entry appended after a torn line lost")
	}

	// Damage in the middle: refused.
	b, _ = os.ReadFile(filepath.Join(dir, logFile))
	lines := strings.SplitN(string(b), "\n", 3)
	if err := os.WriteFile(filepath.Join(dir, logFile), []byte(lines[0]+"\n{garbage\n"+lines[2]), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(now, dir, cfg); !errors.Is(err, ErrStoreCorrupt) {
		t.Fatalf("damaged log: %v", err)
	}
}

// copyDir copies a data directory (one level of subdirectories).
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// TestOpenRefusesMissingFiles: a data directory that was initialised and
// lost a file it must have is refused, naming the file, and left as it is;
// a new cluster is made only in an empty directory.
func TestOpenRefusesMissingFiles(t *testing.T) {
	now := time.Unix(1700000000, 0)
	cfg := DefaultConfig()
	dir := t.TempDir()
	m, err := Open(now, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustCmd(t, m, now, map[string]any{"prefix": "config-key set", "key": "mgr/x/k", "val": "v"}, "")
	for _, name := range []string{objFSID, objMgrMap, objOSDMap, objMonMap, objFSMap, objServiceMap, keyDir} {
		t.Run(name, func(t *testing.T) {
			d := copyDir(t, dir)
			if err := os.RemoveAll(filepath.Join(d, name)); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadDir(d)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Open(now, d, cfg)
			if !errors.Is(err, ErrStoreCorrupt) || !strings.Contains(err.Error(), name) {
				t.Fatalf("open without %s: %v, want ErrStoreCorrupt naming it", name, err)
			}
			after, err := os.ReadDir(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Fatalf("the refused open changed the directory: %d entries, was %d", len(after), len(before))
			}
		})
	}
	if _, err := Open(now, copyDir(t, dir), cfg); err != nil {
		t.Fatalf("a whole copy does not open: %v", err)
	}
}
