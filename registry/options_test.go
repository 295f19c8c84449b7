package registry_test

import (
	"errors"
	"testing"

	"gomgr/registry"
)

func TestParseOption(t *testing.T) {
	cases := []struct {
		opt  registry.Option
		in   string
		want any // nil: invalid
	}{
		{registry.Option{Name: "s"}, "anything", "anything"},
		{registry.Option{Name: "s", Type: "str"}, "  padded ", "padded"},
		{registry.Option{Name: "e", Type: "str", Enum: []string{"a", "b"}}, "b", "b"},
		{registry.Option{Name: "e", Type: "str", Enum: []string{"a", "b"}}, "c", nil},
		{registry.Option{Name: "i", Type: "int"}, "-42", int64(-42)},
		{registry.Option{Name: "i", Type: "int"}, "4.2", nil},
		{registry.Option{Name: "i", Type: "int"}, "", nil},
		{registry.Option{Name: "i", Type: "int", Min: 1, Max: 10}, "10", int64(10)},
		{registry.Option{Name: "i", Type: "int", Min: 1, Max: 10}, "11", nil},
		{registry.Option{Name: "i", Type: "int", Min: 1, Max: 10}, "0", nil},
		{registry.Option{Name: "i", Type: "int", Min: "1"}, "1", int64(1)},
		{registry.Option{Name: "i", Type: "int", Min: 1.0}, "1", int64(1)},
		{registry.Option{Name: "i", Type: "int", Min: "one"}, "1", nil},
		{registry.Option{Name: "i", Type: "int", Enum: []string{"1", "2"}}, "3", nil},
		{registry.Option{Name: "u", Type: "uint"}, "7", int64(7)},
		{registry.Option{Name: "u", Type: "uint"}, "-1", nil},
		{registry.Option{Name: "f", Type: "float"}, "0.5", 0.5},
		{registry.Option{Name: "f", Type: "float", Max: 1}, "1.5", nil},
		{registry.Option{Name: "f", Type: "float"}, "NaN", nil},
		{registry.Option{Name: "f", Type: "float"}, "inf", nil},
		{registry.Option{Name: "b", Type: "bool"}, "true", true},
		{registry.Option{Name: "b", Type: "bool"}, "No", false},
		{registry.Option{Name: "b", Type: "bool"}, "1", true},
		{registry.Option{Name: "b", Type: "bool"}, "maybe", nil},
		{registry.Option{Name: "t", Type: "secs"}, "90", int64(90)},
		{registry.Option{Name: "t", Type: "secs"}, "5m", int64(300)},
		{registry.Option{Name: "t", Type: "secs"}, "2 hours", int64(7200)},
		{registry.Option{Name: "t", Type: "secs"}, "1w", int64(604800)},
		{registry.Option{Name: "t", Type: "secs"}, "1h30m", int64(5400)},
		{registry.Option{Name: "t", Type: "secs"}, "1.5s", nil},
		{registry.Option{Name: "t", Type: "secs"}, "-5", nil},
		{registry.Option{Name: "t", Type: "secs"}, "99999999999999999w", nil},
		{registry.Option{Name: "t", Type: "secs", Max: "1d"}, "25h", nil},
		{registry.Option{Name: "z", Type: "size"}, "4096", int64(4096)},
		{registry.Option{Name: "z", Type: "size"}, "4K", int64(4096)},
		{registry.Option{Name: "z", Type: "size"}, "10MiB", int64(10 << 20)},
		{registry.Option{Name: "z", Type: "size"}, "1g", int64(1 << 30)},
		{registry.Option{Name: "z", Type: "size"}, "8E", nil},
		{registry.Option{Name: "z", Type: "size"}, "K", nil},
		{registry.Option{Name: "z", Type: "size", Min: "1M"}, "512K", nil},
		{registry.Option{Name: "x", Type: "complex"}, "1", nil},
	}
	for _, tc := range cases {
		t.Run(tc.opt.Type+"/"+tc.in, func(t *testing.T) {
			got, err := registry.ParseOption(tc.opt, tc.in)
			if tc.want == nil {
				if !errors.Is(err, registry.ErrInvalidOption) {
					t.Fatalf("ParseOption(%+v, %q) = %v, %v; want ErrInvalidOption", tc.opt, tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseOption(%+v, %q) = %#v, %v; want %#v", tc.opt, tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCoerceOption(t *testing.T) {
	cases := []struct {
		opt  registry.Option
		in   any
		want any
	}{
		{registry.Option{Name: "i", Type: "int"}, 60, int64(60)},
		{registry.Option{Name: "i", Type: "int"}, float64(60), int64(60)}, // JSON numbers
		{registry.Option{Name: "i", Type: "int"}, 60.5, nil},
		{registry.Option{Name: "f", Type: "float"}, 2, 2.0},
		{registry.Option{Name: "b", Type: "bool"}, false, false},
		{registry.Option{Name: "s", Type: "str"}, "x", "x"},
		{registry.Option{Name: "t", Type: "secs"}, "1m", int64(60)},
		{registry.Option{Name: "s", Type: "str"}, []string{"x"}, nil},
	}
	for _, tc := range cases {
		got, err := registry.CoerceOption(tc.opt, tc.in)
		if tc.want == nil {
			if !errors.Is(err, registry.ErrInvalidOption) {
				t.Errorf("CoerceOption(%+v, %#v) = %v, %v; want ErrInvalidOption", tc.opt, tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CoerceOption(%+v, %#v) = %#v, %v; want %#v", tc.opt, tc.in, got, err, tc.want)
		}
	}
}

// FuzzParseOption: any input to any type either parses to a value that
// parses again to itself, or is refused with ErrInvalidOption; never a panic.
func FuzzParseOption(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "5m", "1h30m", "4KiB", "true", "1e308", "9223372036854775807", "8E", "2 hours"} {
		f.Add(s)
	}
	types := []string{"str", "int", "uint", "float", "bool", "secs", "size"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range types {
			o := registry.Option{Name: "o", Type: typ, Min: 0, Max: "1000000"}
			if typ == "str" || typ == "bool" {
				o.Min, o.Max = nil, nil
			}
			v, err := registry.ParseOption(o, s)
			if err != nil {
				if !errors.Is(err, registry.ErrInvalidOption) {
					t.Fatalf("%s %q: unwrapped error %v", typ, s, err)
				}
				continue
			}
			again, err := registry.CoerceOption(o, v)
			if err != nil || again != v {
				t.Fatalf("%s %q: %#v does not round-trip: %#v, %v", typ, s, v, again, err)
			}
		}
	})
}
