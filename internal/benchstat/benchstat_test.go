package benchstat

import "testing"

// TestPercentile holds the cases simbench and cephbench each tested when
// they had their own copy.
func TestPercentile(t *testing.T) {
	for _, xs := range [][]float64{{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}, {5, 1, 4, 2, 3, 10, 9, 8, 7, 6}} {
		for _, tc := range []struct{ p, want float64 }{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {0, 1}, {10, 1}} {
			if got := Percentile(xs, tc.p); got != tc.want {
				t.Errorf("p%v of %v = %v, want %v", tc.p, xs, got, tc.want)
			}
		}
		if xs[0] != 5 {
			t.Error("Percentile sorted its input in place")
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestPercentileSorted(t *testing.T) {
	xs := []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want uint32
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {0, 1}, {10, 1}} {
		if got := PercentileSorted(xs, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := PercentileSorted([]uint32(nil), 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
}
