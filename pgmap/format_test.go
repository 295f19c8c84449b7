package pgmap

import (
	"testing"

	"gomgr/messages"
)

func TestUnits(t *testing.T) {
	for _, c := range []struct {
		v         uint64
		bytes, si string
	}{
		{0, "0 B", "0"},
		{1023, "1023 B", "1.02k"},
		{1024, "1 KiB", "1.02k"},
		{630000, "615 KiB", "630k"},
		{297795608, "284 MiB", "297.80M"},
		{805306368, "768 MiB", "805.31M"},
		{4545, "4.4 KiB", "4.54k"},
		{1610612736, "1.5 GiB", "1.61G"},
		{10239, "10 KiB", "10.24k"},
	} {
		if got := ByteU(c.v); got != c.bytes {
			t.Errorf("byte_u_t(%d) = %q, want %q", c.v, got, c.bytes)
		}
		if got := SIU(c.v); got != c.si {
			t.Errorf("si_u_t(%d) = %q, want %q", c.v, got, c.si)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{cFloat17(0.81), "0.81000000000000005"},
		{cFloat17(0.5), "0.5"},
		{cFloat17(0), "0"},
		{cFloat17(1), "1"},
		{cFloat17(float64(float32(0.3708685636520386))), "0.37086856365203857"},
		{cFloat17(1e-5), "1.0000000000000001e-05"},
		{pyFloat(0), "0.0"},
		{pyFloat(0.004362050163576881), "0.004362050163576881"},
		{pyFloat(1e-5), "1e-05"},
		{weightf(0.0001983642578125), "0.00020"},
		{weightf(-1), "-"},
		{lowPrecision(13.597107), "13.60"},
		{lowPrecision(0.0001), "0"},
		{percentify(37.086857), "37.09"},
		{percentify(0.001), "0"},
		{timespanStr(1500000000), "1.5s"},
		{timespanStr(114e9), "114s"},
		{timespanStr(125e9), "2m"},
		{timespanStr(3 * 86400e9), "3d"},
		{fixedUToString(810, 3), "0.810"},
		{fixedUToString(5, 3), "0.005"},
		{utimeStr(messages.Utime{Sec: 12, Nsec: 2625000}), "12.002625"},
		{pgVecStr([]int32{1, 0x7fffffff}), "[1,NONE]"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestJSONFormatterFlush: Ceph's JSONFormatter flushes what it has and
// keeps its open sections, and appending a stream to a bufferlist adds a
// newline to each non-empty line; `pg stat -f json` shows both.
func TestJSONFormatterFlush(t *testing.T) {
	for _, pretty := range []bool{false, true} {
		f := newJSONFmt(pretty)
		f.openObject("pg_info")
		f.dumpBool("pg_ready", true)
		f.openObject("x")
		f.dumpInt("a", 1)
		f.closeSection()
		out := appendStream(nil, string(f.flush()))
		f.closeSection()
		out = append(out, f.flush()...)
		want := "{\"pg_ready\":true,\"x\":{\"a\":1}\n}"
		if pretty {
			want = "{\n    \"pg_ready\": true,\n    \"x\": {\n        \"a\": 1\n    }\n\n}\n"
		}
		if string(out) != want {
			t.Errorf("pretty %v: %q, want %q", pretty, out, want)
		}
	}
}

func TestTextTable(t *testing.T) {
	var tb textTable
	tb.define("OSD_STAT", alignLeft, alignLeft)
	tb.define("USED", alignLeft, alignRight)
	tb.define("HB_PEERS", alignLeft, alignRight)
	tb.add(2, "73 MiB", "[0,1]")
	tb.endRow()
	tb.add("sum", "285 MiB")
	tb.endRow()
	want := "OSD_STAT  USED     HB_PEERS\n" +
		"2          73 MiB     [0,1]\n" +
		"sum       285 MiB          \n"
	if got := tb.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestPGStateString(t *testing.T) {
	for _, c := range []struct {
		state uint64
		want  string
	}{
		{0, "unknown"},
		{stateActive | stateClean, "active+clean"},
		{stateActive | stateUndersized | stateDegraded, "active+undersized+degraded"},
		{stateStale | stateActive | stateClean | stateScrubbing | stateDeepScrub, "stale+active+clean+scrubbing+deep"},
		{stateLaggy | stateWait | stateActive, "active+laggy+wait"},
	} {
		if got := PGStateString(c.state); got != c.want {
			t.Errorf("%#x: %q, want %q", c.state, got, c.want)
		}
		if c.state == 0 {
			continue
		}
	}
	if b, ok := pgStringState("undersized"); !ok || b != stateUndersized {
		t.Errorf("undersized: %#x %v", b, ok)
	}
	if _, ok := pgStringState("bogus"); ok {
		t.Error("bogus state accepted")
	}
}

// TestUmapOrder: the iteration order of libstdc++'s unordered_map for the
// pg_t keys a real ceph-mgr dumped (`pg dump`, 13 PGs in 13 buckets),
// and across a rehash and erases.
func TestUmapOrder(t *testing.T) {
	m := newUmap[messages.PGID, int](hashPG)
	for ps := uint32(0); ps < 8; ps++ {
		m.Set(messages.PGID{Pool: 1, Seed: ps}, 0)
	}
	for ps := uint32(0); ps < 4; ps++ {
		m.Set(messages.PGID{Pool: 2, Seed: ps}, 0)
	}
	m.Set(messages.PGID{Pool: 3, Seed: 0}, 0)
	var got []string
	for _, k := range m.Keys() {
		got = append(got, k.String())
	}
	want := "1.7 1.6 1.5 1.4 2.0 1.3 3.0 2.1 1.2 2.2 1.1 2.3 1.0"
	if s := join(got); s != want {
		t.Errorf("order %s, want %s", s, want)
	}
	// The 14th key rehashes to 29 buckets; erasing keeps the order of the rest.
	m.Set(messages.PGID{Pool: 3, Seed: 1}, 0)
	if len(m.buckets) != 29 {
		t.Errorf("%d buckets after 14 keys, want 29", len(m.buckets))
	}
	before := m.Keys()
	m.Delete(messages.PGID{Pool: 2, Seed: 0})
	m.Delete(messages.PGID{Pool: 9, Seed: 9})
	after := m.Keys()
	var kept []messages.PGID
	for _, k := range before {
		if k != (messages.PGID{Pool: 2, Seed: 0}) {
			kept = append(kept, k)
		}
	}
	if join(pgStrings(kept)) != join(pgStrings(after)) {
		t.Errorf("erase reordered: %v → %v", before, after)
	}
	c := m.Clone()
	if join(pgStrings(c.Keys())) != join(pgStrings(after)) {
		t.Error("clone reordered")
	}
	// Inserting after erases stays consistent with a fresh rehash.
	for ps := uint32(0); ps < 40; ps++ {
		m.Set(messages.PGID{Pool: 4, Seed: ps}, 0)
		m.Delete(messages.PGID{Pool: 4, Seed: ps / 2})
	}
	if m.Len() != len(m.Keys()) {
		t.Errorf("len %d, %d keys", m.Len(), len(m.Keys()))
	}
}

func pgStrings(ids []messages.PGID) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
