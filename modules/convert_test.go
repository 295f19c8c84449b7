package modules

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-python/gpython/py"
)

func TestToPy(t *testing.T) {
	cases := []struct {
		in   any
		want string // repr of the Python object
	}{
		{nil, "None"},
		{true, "True"},
		{"s", "'s'"},
		{1.5, "1.5"},
		{int(3), "3"},
		{int64(-4), "-4"},
		{uint64(5), "5"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{json.Number("12"), "12"},
		{json.Number("1.25"), "1.25"},
		{json.Number("123456789012345678901234567890"), "123456789012345678901234567890"},
		{[]any{int64(1), "a", nil}, "[1, 'a', None]"},
		{map[string]any{"k": []any{}}, "{'k': []}"},
		{map[string]string{"h": "x"}, "{'h': 'x'}"},
		{map[string]int64{"n": 2}, "{'n': 2}"},
		{[]map[string]any{{"a": uint8(1)}}, "[{'a': 1}]"},
		{[2]float32{0.5, 1}, "[0.5, 1.0]"},
		{[]int(nil), "[]"},
		{(*int)(nil), "None"},
	}
	for _, tc := range cases {
		o, err := toPy(tc.in)
		if err != nil {
			t.Errorf("toPy(%#v): %v", tc.in, err)
			continue
		}
		r, err := py.ReprAsString(o)
		if err != nil || r != tc.want {
			t.Errorf("toPy(%#v) = %s (%v), want %s", tc.in, r, err, tc.want)
		}
	}
	if _, err := toPy(struct{}{}); err == nil {
		t.Error("toPy(struct) succeeded")
	}
	if _, err := toPy(map[int]any{1: 1}); err == nil {
		t.Error("toPy(map[int]) succeeded")
	}
	if _, err := toPy(json.Number("x")); err == nil {
		t.Error("toPy(bad number) succeeded")
	}
}

func TestFromPyRoundTrip(t *testing.T) {
	in := map[string]any{"a": []any{int64(1), 2.5, "s", true, nil, map[string]any{}}}
	o, err := toPy(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fromPy(o)
	if err != nil || !reflect.DeepEqual(back, in) {
		t.Fatalf("round trip = %#v %v", back, err)
	}
	// Self-reference is an error, not a stack overflow.
	l := py.NewList()
	l.Items = append(l.Items, l)
	if _, err := fromPy(l); err == nil || !strings.Contains(err.Error(), "circular") {
		t.Fatalf("circular: %v", err)
	}
}

// TestGetValueShapes: Values decoded with UseNumber (as an isolate child
// receives them) read the same from Python as native ones.
func TestGetValueShapes(t *testing.T) {
	m, h := startSrc(t, "shapes", `
from mgr_module import MgrModule
import json
class Module(MgrModule):
    def handle_command(self, inbuf, cmd):
        return 0, json.dumps(self.get(cmd["name"])), ""
`)
	native := map[string]any{"epoch": int64(3), "f": 0.5, "u": uint64(1 << 63), "l": []any{"x", false, nil}}
	raw, _ := json.Marshal(native)
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var decoded any
	if err := dec.Decode(&decoded); err != nil {
		t.Fatal(err)
	}
	h.set("native", 1, native)
	h.set("decoded", 1, decoded)
	a := command(t, m, map[string]any{"name": "native"}).Stdout
	b := command(t, m, map[string]any{"name": "decoded"}).Stdout
	want := `{"epoch": 3, "f": 0.5, "l": ["x", false, null], "u": 9223372036854775808}`
	if a != want || b != want {
		t.Fatalf("native %s\ndecoded %s\nwant %s", a, b, want)
	}
}

func TestFormatValue(t *testing.T) {
	cases := []struct {
		obj  py.Object
		spec string
		want string
	}{
		{py.Int(5), "", "5"},
		{py.Int(-5), "+05", "-0005"},
		{py.Int(5), "+", "+5"},
		{py.Int(255), "#x", "0xff"},
		{py.Int(5), "b", "101"},
		{py.Int(1234567), "_", "1_234_567"},
		{py.Float(1.0), "", "1.0"},
		{py.Float(2.5), "8.3f", "   2.500"},
		{py.Float(1234.5), ",.1f", "1,234.5"},
		{py.Float(0.000123), "e", "1.230000e-04"},
		{py.Float(3), "d", ""},
		{py.String("abc"), ".2", "ab"},
		{py.String("abc"), "*^7", "**abc**"},
		{py.Int(3), ".1f", "3.0"},
		{py.Bool(true), "", "True"},
	}
	for _, tc := range cases {
		got, err := formatValue(tc.obj, tc.spec)
		if tc.want == "" {
			if err == nil {
				t.Errorf("format(%v, %q) = %q, want error", tc.obj, tc.spec, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("format(%v, %q) = %q %v, want %q", tc.obj, tc.spec, got, err, tc.want)
		}
	}
	for _, bad := range []string{"{", "}", "{0!x}", "{:.}", "{0}{}", "{}{0}", "{5}", "{missing}"} {
		if _, err := formatString(bad, py.Tuple{py.Int(1)}, nil); err == nil {
			t.Errorf("format %q succeeded", bad)
		}
	}
}

// FuzzJSONLoads: json.loads never panics; what it accepts dumps again.
func FuzzJSONLoads(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x", null, true]}`, `1e400`, `"\u00e9"`, `[]`, `{`, `123456789012345678901234567890`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := jsonLoads(nil, py.Tuple{py.String(s)}, nil)
		if err != nil {
			return
		}
		if _, err := jsonDumps(nil, py.Tuple{o}, nil); err != nil {
			t.Fatalf("dumps(loads(%q)): %v", s, err)
		}
	})
}

// FuzzFormat: str.format's parser never panics on any template.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"{}", "{0:>{1}}", "{a[b].c!r:*^10,.2f}", "{{}}", "{:%}", "{0[", "{!}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = formatString(s, py.Tuple{py.Int(1), py.Float(2.5), py.String("x")}, py.StringDict{"a": py.NewStringDict()})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("format(%q) did not return", s)
		}
	})
}

// FuzzRewriteSource: the source front end never panics, and what it
// returns keeps every line where it was (tracebacks point at the module
// author's lines).
func FuzzRewriteSource(f *testing.F) {
	for _, s := range []string{
		"x = f'{a!r:>{w}} {b[1]}'\n",
		"class A(B):\n    def __init__(self, x=1):\n        super().__init__(x)\n",
		"@dec(1)\ndef f(a=1, *, b: int = 2):\n    return '%(a)s' % {'a': a}\n",
		"@p.setter\ndef p(self, v):\n    pass\n",
		"s = '''a\n{b}'''\n", "f'{", "'%s' % [1]", "@\n", "x = rb'\\''",
		"class K:\n    def __eq__(self, o):\n        return self.k == o.k and o not in (1, 2)\nx = [a for a in b if a != K(1) == c]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := rewriteSource(s)
		if err != nil {
			return
		}
		if a, b := strings.Count(s, "\n"), strings.Count(out, "\n"); a != b {
			t.Fatalf("rewrite of %q has %d lines, not %d: %q", s, b, a, out)
		}
	})
}
