package pickle

import (
	"bytes"
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// python pickles expr with Debian's python3 at the given protocol.
func python(t testing.TB, expr string, protocol int) []byte {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "-I", "-c",
		"import pickle,sys;sys.stdout.buffer.write(pickle.dumps("+expr+",protocol="+string(rune('0'+protocol))+"))").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	return out
}

// TestLoadsPython: what CPython's pickler writes for plain data decodes to
// the Go values, at protocols 2 to 5 (gomgr's CPython child writes 4;
// before 3, bytes are an object, and before 4 a set).
func TestLoadsPython(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want any
		min  int // the first protocol that writes it as data
	}{
		{"None", nil, 0},
		{"(True, False)", Tuple{true, false}, 0},
		{"[0, 255, 256, 65535, 65536, -1, 2**31, -2**31-1, 2**63-1, -2**63]",
			[]any{int64(0), int64(255), int64(256), int64(65535), int64(65536), int64(-1), int64(1 << 31), int64(-1<<31 - 1), int64(1<<63 - 1), int64(-1 << 63)}, 0},
		{"1.5", 1.5, 0},
		{"'é' * 300", strings.Repeat("é", 300), 0},
		{"b'\\x00\\x01'", []byte{0, 1}, 3},
		{"((20,), {'plus': 2})", Tuple{Tuple{int64(20)}, map[string]any{"plus": int64(2)}}, 0},
		{"{'a': [1, {'b': ()}], 'c': (1, 2, 3, 4)}", map[string]any{"a": []any{int64(1), map[string]any{"b": Tuple{}}}, "c": Tuple{int64(1), int64(2), int64(3), int64(4)}}, 0},
		{"{1, 2}", []any{int64(1), int64(2)}, 4},
		{"(lambda x: [x, x])([1])", []any{[]any{int64(1)}, []any{int64(1)}}, 0}, // a shared list: BINGET
	} {
		for proto := max(2, tc.min); proto <= 5; proto++ {
			got, err := Loads(python(t, tc.expr, proto))
			if err != nil {
				t.Errorf("%s (protocol %d): %v", tc.expr, proto, err)
				continue
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s (protocol %d) = %#v, want %#v", tc.expr, proto, got, tc.want)
			}
		}
	}
}

// TestDumpsPython: what Dumps writes, CPython reads as the same value.
func TestDumpsPython(t *testing.T) {
	v := Tuple{Tuple{int64(20), "x", nil, true, 2.5, []byte("b"), int64(1) << 40}, map[string]any{"plus": int64(-2), "l": []any{}, "d": map[string]any{}}}
	b, err := Dumps(v)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-I", "-c", "import pickle,sys;print(repr(pickle.loads(sys.stdin.buffer.read())))")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "((20, 'x', None, True, 2.5, b'b', 1099511627776), {'d': {}, 'l': [], 'plus': -2})\n"
	if string(out) != want {
		t.Errorf("python3 read %q, want %q", out, want)
	}
	if back, err := Loads(b); err != nil || !reflect.DeepEqual(back, v) {
		t.Errorf("Loads(Dumps) = %#v, %v", back, err)
	}
}

func TestRefused(t *testing.T) {
	for _, expr := range []string{"object()", "{1: 'a'}", "2**64", "ValueError('x')"} {
		if _, err := Loads(python(t, expr, 4)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", expr, err)
		}
	}
	for _, b := range [][]byte{nil, {opProto, 4}, {opMark, opStop}, {opAppend, opStop}, {opBinGet, 7, opStop}, {opLong1, 9, 1}} {
		if _, err := Loads(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("% x: %v, want ErrMalformed", b, err)
		}
	}
	if _, err := Dumps(struct{}{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Dumps(struct{}{}): %v", err)
	}
}

// FuzzLoads: Loads never panics; what it accepts, Dumps writes and Loads
// reads back the same (compared as written again: NaN is not DeepEqual).
func FuzzLoads(f *testing.F) {
	for _, expr := range []string{"((20,), {'plus': 2})", "[[1]*3, {'a': (None, 1.5, b'x')}]", "{1, 2}", "(lambda x: [x, x])([1])"} {
		f.Add(python(f, expr, 4))
		f.Add(python(f, expr, 2))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Loads(b)
		if err != nil {
			return
		}
		out, err := Dumps(v)
		if err != nil {
			t.Fatalf("Dumps(%#v): %v", v, err)
		}
		back, err := Loads(out)
		if err != nil {
			t.Fatalf("Loads(Dumps(%#v)): %v", v, err)
		}
		if again, err := Dumps(back); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("round trip of %#v: %#v, %v", v, back, err)
		}
	})
}
