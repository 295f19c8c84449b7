package mon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gomgr/clustermap"
)

// FuzzHandleCommand: any command JSON is answered without a panic, and a
// failed command changes nothing.
func FuzzHandleCommand(f *testing.F) {
	for _, s := range []string{
		`{"prefix":"status","format":"json"}`,
		`{"prefix":"health","detail":"detail"}`,
		`{"prefix":"mgr fail","who":"x"}`,
		`{"prefix":"mgr fail","who":"24098"}`,
		`{"prefix":"mgr module enable","module":"alerts","force":true}`,
		`{"prefix":"mgr module disable","module":"status"}`,
		`{"prefix":"mgr module ls"}`,
		`{"prefix":"mgr metadata","who":"y"}`,
		`{"prefix":"osd pool create","pool":"p","pg_num":8,"size":2}`,
		`{"prefix":"osd down","ids":["0","osd.1"]}`,
		`{"prefix":"osd out","ids":[1]}`,
		`{"prefix":"osd set","key":"noout"}`,
		`{"prefix":"osd dump","epoch":3}`,
		`{"prefix":"config-key set","key":"a","val":"b"}`,
		`{"prefix":"config-key dump","key":"a"}`,
		`{"prefix":"log last","num":5,"channel":"cluster"}`,
		`{"prefix":["status"]}`, `{}`, `[]`, `null`, `{"prefix":"osd in","ids":{"a":1}}`,
	} {
		f.Add([]byte(s), []byte("inbuf"))
	}
	f.Fuzz(func(t *testing.T, cmd, inbuf []byte) {
		m := busyMon(t)
		before := epochs(m)
		keys := len(m.keys)
		r, e, err := m.HandleCommandJSON(scenarioStart, cmd, inbuf)
		if err != nil {
			t.Fatalf("store error without a store: %v", err)
		}
		if r.Retval > 0 {
			t.Fatalf("positive retval %d", r.Retval)
		}
		if r.Retval != 0 && (epochs(m) != before || len(m.keys) != keys || e.MgrMap != nil || e.OSDMap != nil) {
			t.Fatalf("failed command %q (%d %s) changed state", cmd, r.Retval, r.Status)
		}
		if r.Retval != 0 && r.Status == "" {
			t.Fatalf("error %d without a status line for %q", r.Retval, cmd)
		}
	})
}

// FuzzBeacon: any beacon leaves the MgrMap consistent.
func FuzzBeacon(f *testing.F) {
	f.Add(uint64(24098), "x", testFSID, true, "alerts", true)
	f.Add(uint64(1), "y", "bad", false, "", false)
	f.Add(uint64(0), "", testFSID, false, "m", false)
	f.Fuzz(func(t *testing.T, gid uint64, name, fsid string, avail bool, mod string, canRun bool) {
		m := busyMon(t)
		before := epochs(m)
		e, err := m.Beacon(scenarioStart, Beacon{GID: gid, Name: name, FSID: fsid, Available: avail,
			AvailableModules: []clustermap.ModuleInfo{{Name: mod, CanRun: canRun}}})
		if err != nil && epochs(m) != before {
			t.Fatal("rejected beacon changed state")
		}
		mm := m.Snapshot().MgrMap
		if e.MgrMap != nil && e.MgrMap != mm {
			t.Fatal("effects and snapshot disagree")
		}
		seen := map[uint64]bool{mm.ActiveGID: mm.ActiveGID != 0}
		for _, s := range mm.Standbys {
			if seen[s.GID] {
				t.Fatalf("gid %d twice in %+v", s.GID, mm)
			}
			seen[s.GID] = true
		}
	})
}

// FuzzStamp: the stamp decoder never panics and round-trips what it accepts.
func FuzzStamp(f *testing.F) {
	for _, s := range []string{`"2026-11-22T22:10:58.754446+0000"`, `"0.000000"`, `"2026-11-22T22:08:20.635138Z"`, `""`, `7`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s clustermap.Stamp
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var s2 clustermap.Stamp
		if err := json.Unmarshal(out, &s2); err != nil || !s2.Equal(s.Truncate(1000)) {
			t.Fatalf("%s -> %s -> %v (%v)", b, out, s2, err)
		}
	})
}

// FuzzStoreLoad: any content in a map file opens cleanly or fails with an
// error.
func FuzzStoreLoad(f *testing.F) {
	for _, s := range []string{`{"epoch":3}`, `{`, `null`, `{"osds":[null]}`, `{"mons":[]}`, `{"osds":[{"osd":-5,"up":1}]}`} {
		f.Add(objMgrMap, []byte(s))
		f.Add(objOSDMap, []byte(s))
		f.Add(objMonMap, []byte(s))
		f.Add(objOSDMapInc(2), []byte(s))
	}
	f.Add(objOSDMapInc(2), []byte(`{"epoch":2,"map":{"epoch":2},"new_osds":[{"osd":0,"up":1}],"old_osds":[]}`))
	f.Add(objOSDMapInc(2), []byte(`{"epoch":2,"map":{"epoch":2,"fsid":"x"},"new_osds":[{"osd":3},{"osd":1}],"old_osds":[7]}`))
	f.Add(logFile, []byte(`{"seq":1,"message":"a"}`+"\n"+`{"seq":2,"message":"b"}`+"\n"+`{"seq":3`))
	f.Add(logFile, []byte(`{"seq":5}`+"\n"+`{"seq":4}`+"\n"))
	f.Fuzz(func(t *testing.T, name string, content []byte) {
		switch name {
		case objMgrMap, objOSDMap, objMonMap, objFSMap, objServiceMap, objLogSeq, objOSDMapInc(2), logFile:
		default:
			return
		}
		dir := t.TempDir()
		if _, err := Open(scenarioStart, dir, DefaultConfig()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := Open(scenarioStart, dir, DefaultConfig())
		if err != nil {
			return
		}
		_, _ = m.Tick(scenarioStart.Add(time.Minute))
		_ = m.Status(scenarioStart)
		_, _, _ = m.HandleCommand(scenarioStart, map[string]any{"prefix": "osd dump"}, nil)
	})
}
