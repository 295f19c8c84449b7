package pgmap

import (
	"bytes"
	"os"
	"regexp"
	"testing"
	"time"
)

const cephJSONDir = "../../shared/ceph-json/"

// The files in shared/ceph-json come from another session than the wire
// capture (two OSDs, pool p1 with 4 PGs, fsid c61c2ab8-…), taken with
// `ceph CMD -f json-pretty`: the CLI's extra newline first, then the
// reply. pg_stat, pg_dump and osd_df were taken from a ceph-mgr that had
// just started (pg_ready false): every PG unknown, no OSD stats yet, the
// PGMap at version 2 (two osdmap incrementals: ticks apply nothing before
// the map is ready). Its
// osdmap was a newer epoch than osd_dump.json's (the unknown PGs carry
// its modified stamp, 22:10:58.754242), which the test patches in.

func readCephJSON(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(cephJSONDir + name)
	if err != nil {
		t.Fatalf("shared/ceph-json: %v", err)
	}
	return string(b)
}

func cephJSONState(t *testing.T) *PGMap {
	t.Helper()
	m := New()
	osdmap := cephJSON(t, readCephJSON(t, "osd_dump.json")).(map[string]any)
	osdmap["modified"] = "2026-11-22T22:10:58.754242+0000"
	must(t, m.ApplyOSDTree(cephJSON(t, readCephJSON(t, "osd_tree.json")).(map[string]any)))
	must(t, m.ApplyOSDMap(osdmap, time.Date(2026, 11, 22, 22, 10, 58, 800000000, time.UTC)))
	// Not ready yet, so ticks apply nothing; version 2 is a second osdmap.
	m.Tick(time.Date(2026, 11, 22, 22, 10, 58, 850000000, time.UTC))
	must(t, m.ApplyOSDMap(osdmap, time.Date(2026, 11, 22, 22, 10, 58, 867654000, time.UTC)))
	return m
}

// TestCephJSONFiles requires pg_stat, pg_dump and osd_df to come out as
// the real mgr printed them, byte for byte.
func TestCephJSONFiles(t *testing.T) {
	m := cephJSONState(t)
	for _, c := range []struct {
		file string
		args map[string]any
	}{
		{"pg_stat.json", map[string]any{"prefix": "pg stat", "format": "json-pretty"}},
		{"pg_dump.json", map[string]any{"prefix": "pg dump", "format": "json-pretty"}},
		{"osd_df.json", map[string]any{"prefix": "osd df", "format": "json-pretty"}},
	} {
		out, status, rc, ok := m.Command(c.args)
		if !ok || rc != 0 {
			t.Fatalf("%s: ok %v rc %d", c.file, ok, rc)
		}
		if want := readCephJSON(t, c.file); "\n"+string(out) != want {
			t.Errorf("%s: %s", c.file, firstDiff([]byte(want), append([]byte("\n"), out...)))
		}
		if c.file != "osd_df.json" && !bytes.HasPrefix([]byte(status), []byte("Warning: due to ceph-mgr restart")) {
			t.Errorf("%s: status %q lacks the restart warning", c.file, status)
		}
	}
}

var numberRe = regexp.MustCompile(`-?\d+(\.\d+)?(e[-+]\d+)?`)

// TestCephJSONDFShape: df.json was printed by the mon from an older
// digest (both OSDs' stats), so only its layout can be compared: the same
// keys in the same order and nesting, numbers aside.
func TestCephJSONDFShape(t *testing.T) {
	m, _ := replayGolden(t)
	out, _, _, _ := m.Command(map[string]any{"prefix": "df", "format": "json-pretty"})
	want := readCephJSON(t, "df.json")
	// The golden cluster has three pools; keep the first two of each.
	got := numberRe.ReplaceAllString(string(out), "N")
	w := numberRe.ReplaceAllString(want[1:], "N")
	cut := func(s string) string {
		i := bytes.Index([]byte(s), []byte(`"pools"`))
		return s[:i]
	}
	if cut(got) != cut(w) {
		t.Errorf("df layout: %s", firstDiff([]byte(cut(w)), []byte(cut(got))))
	}
	poolRe := regexp.MustCompile(`(?s)\{\s+"name": "[^"]*",.*?\n        \}`)
	gp, wp := poolRe.FindAllString(got, -1), poolRe.FindAllString(w, -1)
	if len(gp) == 0 || len(wp) == 0 {
		t.Fatalf("no pools: %d %d", len(gp), len(wp))
	}
	norm := regexp.MustCompile(`"name": "[^"]*"`)
	if a, b := norm.ReplaceAllString(gp[0], `"name": "P"`), norm.ReplaceAllString(wp[0], `"name": "P"`); a != b {
		t.Errorf("df pool layout: %s", firstDiff([]byte(b), []byte(a)))
	}
}
