// Package benchstat holds the statistics the benchmark engines share
// (sim/simbench, internal/cephbench, msgr/msgrbench, plugins' Bench), so
// that their figures are computed the same way. It holds no state.
package benchstat

import (
	"cmp"
	"math"
	"slices"
)

// Percentile is the nearest-rank percentile p (0..100) of xs; 0 when xs is
// empty. xs is not modified.
func Percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return PercentileSorted(s, p)
}

// PercentileSorted is Percentile of xs already sorted in ascending order,
// without Percentile's copy: for sample sets too large to copy for each
// percentile (a load generator's millions of latencies).
func PercentileSorted[T cmp.Ordered](sorted []T, p float64) T {
	var zero T
	if len(sorted) == 0 {
		return zero
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
