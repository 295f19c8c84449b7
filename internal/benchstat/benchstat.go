// Package benchstat holds the statistics the benchmark engines share
// (sim/simbench, internal/cephbench), so that their figures are computed
// the same way. It holds no state.
package benchstat

import (
	"math"
	"slices"
)

// Percentile is the nearest-rank percentile p (0..100) of xs; 0 when xs is
// empty. xs is not modified.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
