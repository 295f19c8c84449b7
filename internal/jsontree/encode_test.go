package jsontree_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gomgr/internal/jsontree"
)

// sameAsStd fails t unless Marshal(v) and json.Marshal(v) give the same
// bytes, or both fail.
func sameAsStd(t testing.TB, v any) {
	t.Helper()
	got, err := jsontree.Marshal(v)
	want, werr := json.Marshal(v)
	if (err == nil) != (werr == nil) {
		t.Fatalf("%#v: Marshal err %v, encoding/json err %v", v, err, werr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("%#v:\n Marshal       %s\n encoding/json %s", v, got, want)
	}
}

func TestMarshalMatchesStd(t *testing.T) {
	type named string
	for _, v := range []any{
		nil, true, false, "", int64(0), int64(math.MinInt64), int64(math.MaxInt64),
		"plain", "<a href='x'>&amp;</a>", "\"quoted\" \\ slash/", "\b\f\n\r\t\x00\x01\x1f\x7f",
		"\u2028\u2029", "é ü 日本 \U0001F600", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		0.0, math.Copysign(0, -1), 1.0, -1.5, 0.1, 1e-6, 1e-7, 9.999999e-7, 1e20, 1e21, 123456789e13,
		1e-9, 5e-324, math.MaxFloat64, -math.SmallestNonzeroFloat64, 1e100, 3.14159265358979,
		float32(0), float32(1e-7), float32(1e21), float32(0.1), float32(1e20), float32(math.MaxFloat32), float32(-2.5e-10),
		json.Number("18446744073709551615"), json.Number("-1.5e-3"), json.Number(""), json.Number("1e"), json.Number("01"), json.Number("+1"),
		json.Number("-"), json.Number("1e+"), json.Number("2E-7"), json.Number("0.e1"), json.Number("-0.5x"),
		int(-7), int32(math.MinInt32), uint32(math.MaxUint32), uint64(math.MaxUint64),
		[]any{}, []any(nil), map[string]any{}, map[string]any(nil),
		map[string]any{"b": 1.5, "a": []any{int64(1), "x", nil}, "": nil, "B": true, "é": "e", "a\x00": 1, "<": ">"},
		map[string]any{"\xff": 1, "\ufffd": 2}, // both keys escape to "\ufffd"
		[]string{"a", "<b>"}, []string(nil), []string{},
		map[string]string{"z": "1", "a": "\u2028"}, map[string]string(nil),
		map[string]int64{"z": 1, "a": -2, "m": 0}, map[string]int64(nil),
		[]map[string]any{{"b": 1.0, "a": "x"}, nil, {}}, []map[string]any(nil),
		// Fallbacks to encoding/json.
		named("<x>"), []byte("bytes"), &struct{ A int }{1}, map[int]string{2: "b", 10: "a"},
		[]int{1, 2}, map[string]any{"raw": json.RawMessage(`{ "a" : [1, 2] }`)},
		// Errors.
		math.NaN(), math.Inf(1), math.Inf(-1), float32(math.Inf(-1)), json.Number("x"),
		map[string]any{"a": 1.0, "b": math.NaN()}, []any{"x", make(chan int)}, func() {},
		[]map[string]any{{"a": math.Inf(1)}},
	} {
		sameAsStd(t, v)
	}
}

func TestMarshalErrors(t *testing.T) {
	_, err := jsontree.Marshal(map[string]any{"a": []any{math.Inf(1)}})
	var uve *json.UnsupportedValueError
	if !errors.As(err, &uve) || uve.Str != "+Inf" {
		t.Errorf("Inf: %v, want a wrapped *json.UnsupportedValueError for +Inf", err)
	}
	if _, err := jsontree.Marshal(json.Number("1.")); !errors.Is(err, jsontree.ErrInvalidNumber) {
		t.Errorf("bad number: %v, want ErrInvalidNumber", err)
	}
	var ute *json.UnsupportedTypeError
	if _, err := jsontree.Marshal([]any{make(chan int)}); !errors.As(err, &ute) {
		t.Errorf("chan: %v, want a wrapped *json.UnsupportedTypeError", err)
	}
}

// Objects in a list usually share keys, which Marshal caches per depth;
// lists whose keys change (including late in the order, after a nested
// value is written) must still come out right.
func TestMarshalShapes(t *testing.T) {
	obj := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	nested := obj("p", int64(1), "q", []any{obj("x", 1.5, "y", "<")})
	sameAsStd(t, []any{
		obj("a", nested, "b", int64(1), "c", "x"),
		obj("a", nested, "b", int64(2), "c", "y"),
		obj("a", nested, "b", int64(3), "d", "z"), // misses at the last key
		obj("a", nested, "e", int64(4), "d", "w"), // misses in the middle
		obj("z", nested, "e", int64(5), "d", "v"), // misses at the first key
		obj("a", int64(6)),
		obj("a", nested, "e", int64(7), "d", "u", "f", nil),
		obj("a", nested, "b", int64(8), "d", "t"),
		obj("a", obj("p", int64(1), "r", []any{obj("x", 1.5, "z", "<")}), "b", int64(9), "d", "s"),
		obj(),
		obj("\xff", "k", "\ufffd", "l"),
		obj("\ufffd", "m", "\xff", "n"),
	})
	// An error in a value before the miss is still an error.
	sameAsStd(t, []any{obj("a", int64(1), "b", int64(2)), obj("a", math.NaN(), "c", int64(2))})
	sameAsStd(t, []map[string]any{obj("a", int64(1), "b", map[string]int64{"y": 1, "x": 2}), obj("a", []string{"<"}, "b", map[string]string{"y": "1", "x": "2"})})
}

// A cyclic tree fails (as in encoding/json) rather than overflowing the stack.
func TestMarshalCycle(t *testing.T) {
	m := map[string]any{}
	m["self"] = []any{m}
	if _, err := jsontree.Marshal(m); err == nil {
		t.Fatal("cyclic tree encoded")
	}
}

// Deep trees past the hand-over depth still match encoding/json.
func TestMarshalDeep(t *testing.T) {
	raw := strings.Repeat(`[{"a":`, 3000) + `"<end>"` + strings.Repeat(`}]`, 3000)
	tree, err := jsontree.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	sameAsStd(t, tree)
}

func TestAppend(t *testing.T) {
	got, err := jsontree.Append([]byte("x="), map[string]any{"b": int64(2), "a": "<"})
	if err != nil || string(got) != `x={"a":"\u003c","b":2}` {
		t.Errorf("Append: %s, %v", got, err)
	}
	dst := []byte("keep")
	got, err = jsontree.Append(dst, []any{int64(1), math.NaN()})
	if err == nil || string(got) != "keep" {
		t.Errorf("Append error: %q, %v; want dst unchanged and an error", got, err)
	}
}

// TestMarshalOSDMapProperty parses a generated osdmap with tricky values
// scattered through it and checks Marshal against encoding/json on the
// resulting tree, for several seeds.
func TestMarshalOSDMapProperty(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 1))
		raw, err := json.Marshal(richOSDMap(n, rng))
		if err != nil {
			t.Fatal(err)
		}
		tree, err := jsontree.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsontree.Marshal(tree)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(tree)
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Fatalf("seed %d: differs at byte %d: %.80q vs %.80q", seed, i, got[i:], want[i:])
		}
		// The tree round-trips through its own encoding.
		if !bytes.Equal(got, raw) {
			t.Fatalf("seed %d: Marshal(Parse(raw)) != raw", seed)
		}
	}
}

// richOSDMap is a Ceph `osd dump`-shaped map of n OSDs, about 1.1 kB of JSON
// each; with rng non-nil, some values are tricky (escapes, odd floats,
// integers beyond int64).
func richOSDMap(n int, rng *rand.Rand) map[string]any {
	str := func(plain string) any {
		if rng == nil || rng.IntN(8) != 0 {
			return plain
		}
		tricky := []string{"<&>", "\u2028", "tab\there", "é日本", "\x01", `"\`, "\U0001F600", ""}
		return plain + tricky[rng.IntN(len(tricky))]
	}
	num := func(plain float64) any {
		if rng == nil || rng.IntN(8) != 0 {
			return plain
		}
		odd := []any{1e-7, 1e21, 123456.789, -0.000001, 5e-324, math.MaxFloat64, uint64(math.MaxUint64), int64(math.MinInt64), 0.0}
		return odd[rng.IntN(len(odd))]
	}
	addrs := func(port int) map[string]any {
		return map[string]any{"addrvec": []any{
			map[string]any{"type": "v2", "addr": fmt.Sprintf("10.0.%d.%d:%d", port%250, port%200, 3300+port%1000), "nonce": 1000 + port},
			map[string]any{"type": "v1", "addr": fmt.Sprintf("10.0.%d.%d:%d", port%250, port%200, 6789+port%1000), "nonce": 1000 + port},
		}}
	}
	osds := make([]any, n)
	xinfo := make([]any, n)
	for i := range osds {
		osds[i] = map[string]any{
			"osd": i, "uuid": str(fmt.Sprintf("%08x-1f2e-4d3c-8b7a-%012x", i, i*7919)),
			"up": 1, "in": 1, "weight": num(1.0), "primary_affinity": num(1.0),
			"last_clean_begin": 0, "last_clean_end": 0, "up_from": 5 + i%17, "up_thru": 40 + i%13,
			"down_at": 0, "lost_at": 0, "state": []any{"exists", str("up")},
			"public_addrs": addrs(i), "cluster_addrs": addrs(i + 1),
			"heartbeat_back_addrs": addrs(i + 2), "heartbeat_front_addrs": addrs(i + 3),
			"public_addr": fmt.Sprintf("10.0.0.%d:6800/%d", i%250, i), "cluster_addr": fmt.Sprintf("10.0.1.%d:6800/%d", i%250, i),
			"heartbeat_back_addr": fmt.Sprintf("10.0.2.%d:6800/%d", i%250, i), "heartbeat_front_addr": fmt.Sprintf("10.0.3.%d:6800/%d", i%250, i),
		}
		xinfo[i] = map[string]any{"osd": i, "down_stamp": str("0.000000"), "laggy_probability": num(0.25),
			"laggy_interval": 0, "features": uint64(4540138320759226367), "old_weight": 0, "last_purged_snaps_scrub": str("2024-05-01T10:00:00.000000+0000"), "dead_epoch": 0}
	}
	return map[string]any{
		"epoch": 4242, "fsid": str("6b1a6b39-2f47-4c1b-9d0d-1d2a3b4c5d6e"), "created": "2024-01-01T00:00:00.000000+0000",
		"flags": "sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit", "crush_version": 77,
		"full_ratio": num(0.95), "backfillfull_ratio": num(0.9), "nearfull_ratio": num(0.85),
		"max_osd": n, "osds": osds, "osd_xinfo": xinfo, "pools": []any{}, "pg_upmap": []any{},
		"blocklist": map[string]any{}, "erasure_code_profiles": map[string]any{"default": map[string]any{"k": "2", "m": "1", "plugin": "jerasure"}},
	}
}

// FuzzMarshal checks Marshal against encoding/json on every tree Parse
// gives: the same bytes, or an error from both.
func FuzzMarshal(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1.5,-0,1e3,"x\u00e9\n",null,true,false],"c":{}}`,
		`12345678901234567890`, `-9223372036854775808`, `1e400`, `1e-7`, `1e21`, `0.000001`, `-0.0`,
		`"\ud83d\ude00 \ud800 é \u2028 <&> \u0000 \b\f"`, "\"\xff\"", `[[],{},[{}]]`,
		`{"z":1,"a":{"é":2,"e":3,"":4},"\u00ff":5,"\ufffd":6}`,
	} {
		f.Add([]byte(s))
	}
	raw, _ := json.Marshal(osdMap(3))
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := jsontree.Parse(data)
		if err != nil {
			return
		}
		sameAsStd(t, tree)
	})
}

// BenchmarkMarshalOSDMap compares Marshal with encoding/json on a parsed
// 10,000-OSD osdmap (about 11 MB of JSON, objects of up to 21 keys).
func BenchmarkMarshalOSDMap(b *testing.B) {
	raw, err := json.Marshal(richOSDMap(10000, nil))
	if err != nil {
		b.Fatal(err)
	}
	tree, err := jsontree.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	for _, impl := range []struct {
		name string
		fn   func(any) ([]byte, error)
	}{{"jsontree", jsontree.Marshal}, {"encoding_json", json.Marshal}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := impl.fn(tree); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleMarshal() {
	tree, _ := jsontree.Parse([]byte(`{"name":"<osd.1>","up":1,"weight":1.0,"addrs":[]}`))
	out, err := jsontree.Marshal(tree)
	fmt.Println(string(out), err)
	// Output: {"addrs":[],"name":"\u003cosd.1\u003e","up":1,"weight":1} <nil>
}
