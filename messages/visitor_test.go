package messages

import (
	"errors"
	"reflect"
	"sync"
	"testing"
)

// TestDencEncodeAllocs checks that the visitor allocates nothing per field:
// encoding a pg_stat_t (no maps) into a buffer with room costs nothing.
func TestDencEncodeAllocs(t *testing.T) {
	s := testPGStat()
	e := NewEncoder(make([]byte, 0, 4096))
	if n := testing.AllocsPerRun(100, func() {
		e.buf = e.buf[:0]
		s.Encode(e)
	}); n != 0 {
		t.Fatalf("%v allocations per pg_stat_t encode, want 0", n)
	}
}

// TestDencEncodeShared encodes one payload from several goroutines: under
// -race this fails if encoding writes through a field pointer.
func TestDencEncodeShared(t *testing.T) {
	ps := []Payload{benchPGStats(), &MgrBeacon{Modules: testModules(), CommandDescs: []CommandDesc{{Cmd: "x"}},
		Clients: []MgrClient{{Name: "b"}, {Name: "a"}}}, &MgrConfigure{StatsPeriod: 5}}
	for _, p := range ps {
		want := Encode(p)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if diff := diffMessage(want, Encode(p)); diff != "" {
					t.Errorf("%T: %s", p, diff)
				}
			}()
		}
		wg.Wait()
	}
}

func TestDencContainers(t *testing.T) {
	type pair struct {
		K int32
		V string
	}
	dencPair := func(c Denc, p *pair) {
		c.S32(&p.K)
		c.String(&p.V)
	}
	tests := []struct {
		name    string
		in      []byte
		slice   []pair
		m       map[int32]string
		wantErr error
	}{
		{"empty", []byte{0, 0, 0, 0}, nil, nil, nil},
		{"one", []byte{1, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 'x'}, []pair{{7, "x"}}, map[int32]string{7: "x"}, nil},
		// A slice keeps the element cut short; a map only whole entries.
		{"second cut short", []byte{2, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 'x', 8, 0, 0, 0, 5, 0, 0, 0},
			[]pair{{7, "x"}, {8, ""}}, map[int32]string{7: "x"}, ErrTruncated},
		{"hostile count", []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}, nil, nil, ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.in)
			var s []pair
			DencSlice(d.Denc(), &s, 8, dencPair)
			if !errors.Is(d.Err(), tc.wantErr) || !reflect.DeepEqual(s, tc.slice) {
				t.Errorf("slice: %+v, %v; want %+v, %v", s, d.Err(), tc.slice, tc.wantErr)
			}
			d = NewDecoder(tc.in)
			var m map[int32]string
			DencMap(d.Denc(), &m, 8, Denc.S32, Denc.String)
			if !errors.Is(d.Err(), tc.wantErr) || !reflect.DeepEqual(m, tc.m) {
				t.Errorf("map: %+v, %v; want %+v, %v", m, d.Err(), tc.m, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			e := NewEncoder(nil)
			DencSlice(e.Denc(), &s, 8, dencPair)
			if string(e.Bytes()) != string(tc.in) {
				t.Errorf("slice re-encoded as %x, want %x", e.Bytes(), tc.in)
			}
			e = NewEncoder(nil)
			DencMap(e.Denc(), &m, 8, Denc.S32, Denc.String)
			if string(e.Bytes()) != string(tc.in) {
				t.Errorf("map re-encoded as %x, want %x", e.Bytes(), tc.in)
			}
		})
	}
}

// TestDencSetAndSorted checks the std::set and std::map orders encoding
// imposes, without reordering the caller's slice.
func TestDencSetAndSorted(t *testing.T) {
	set := []int32{3, 1, 3, 2}
	e := NewEncoder(nil)
	DencSet(e.Denc(), &set, 4, Denc.S32)
	var got []int32
	d := NewDecoder(e.Bytes())
	DencSlice(d.Denc(), &got, 4, Denc.S32)
	if !reflect.DeepEqual(got, []int32{1, 2, 3}) || !reflect.DeepEqual(set, []int32{3, 1, 3, 2}) {
		t.Fatalf("set encoded as %v (input now %v)", got, set)
	}
	pools := []PoolStatEntry{{Pool: 2}, {Pool: 1}, {Pool: 2, Stat: RawStruct{V: 1}}}
	e = NewEncoder(nil)
	DencSorted(e.Denc(), &pools, 14, func(a, b PoolStatEntry) int { return int(a.Pool - b.Pool) }, elem[PoolStatEntry])
	var back []PoolStatEntry
	d = NewDecoder(e.Bytes())
	DencSlice(d.Denc(), &back, 14, elem[PoolStatEntry])
	if d.Err() != nil || back[0].Pool != 1 || back[1].Stat.V != 0 || back[2].Stat.V != 1 || pools[0].Pool != 2 {
		t.Fatalf("sorted: %+v, %v (input now %+v)", back, d.Err(), pools)
	}
}
