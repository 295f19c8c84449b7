package jsontree_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"gomgr/internal/jsontree"
)

// osdMap is a Ceph-shaped osdmap of n OSDs: the tree the mgr parses per epoch.
func osdMap(n int) map[string]any {
	osds := make([]any, n)
	for i := range osds {
		osds[i] = map[string]any{"osd": i, "uuid": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
			"up": 1, "in": 1, "weight": 1.0, "primary_affinity": 1.0, "up_from": 5, "state": []any{"exists", "up"},
			"public_addr": "127.0.0.1:6800/1", "public_addrs": map[string]any{"addrvec": []any{map[string]any{"type": "v1", "addr": "127.0.0.1:6800", "nonce": 1}}}}
	}
	return map[string]any{"epoch": 42, "fsid": "6b1a6b39-2f47-4c1b-9d0d-1d2a3b4c5d6e", "osds": osds, "pools": []any{}}
}

func TestParseShapes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`1`, int64(1)},
		{`9007199254740993`, int64(9007199254740993)},
		{`1.5`, 1.5},
		{`18446744073709551615`, json.Number("18446744073709551615")},
		{`{"a":[1,"x",null,true]}`, map[string]any{"a": []any{int64(1), "x", nil, true}}},
	} {
		got, err := jsontree.Parse([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `[1,]`, `01`} {
		if _, err := jsontree.Parse([]byte(bad)); !errors.Is(err, jsontree.ErrSyntax) {
			t.Errorf("%q: %v, want ErrSyntax", bad, err)
		}
	}
}

// FuzzParse checks Parse against encoding/json (ParseStd): the same trees,
// and an error for the same inputs.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1.5,-0,1e3,"x\u00e9\n",null,true,false],"c":{}}`,
		`12345678901234567890`, `-9223372036854775808`, `9223372036854775808`, `1e400`, `0.1E-2`,
		`"\ud83d\ude00 \ud800 é"`, "\"\xff\"", ` [ ] `, `{"a":1,"a":2}`, `[1,]`, `01`, `-`, `1.`, `"\u12"`,
	} {
		f.Add([]byte(s))
	}
	raw, _ := json.Marshal(osdMap(3))
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := jsontree.Parse(data)
		want, werr := jsontree.ParseStd(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: Parse err %v, encoding/json err %v", data, err, werr)
		}
		if err != nil {
			if !errors.Is(err, jsontree.ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Parse %#v, encoding/json %#v", data, got, want)
		}
	})
}

// BenchmarkParseOSDMap compares the two on a 1,000-OSD osdmap.
func BenchmarkParseOSDMap(b *testing.B) {
	raw, _ := json.Marshal(osdMap(1000))
	for _, impl := range []struct {
		name string
		fn   func([]byte) (any, error)
	}{{"jsontree", jsontree.Parse}, {"encoding_json", jsontree.ParseStd}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := impl.fn(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
