package crush

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// UpmapOptions are calc_pg_upmaps' inputs besides the map.
type UpmapOptions struct {
	// MaxDeviation is how many PGs an OSD may be off its target (below 1
	// counts as 1), as the balancer's upmap_max_deviation.
	MaxDeviation int
	// MaxIterations bounds the changes made (the balancer's
	// upmap_max_optimizations, osdmaptool --upmap-max).
	MaxIterations int
	// Pools restricts the work to these pools; empty means all.
	Pools []int64
	// Deterministic turns osd_calc_pg_upmaps_aggressively off, as Ceph's
	// option does: no shuffling, and stop at the first change that does
	// not lower the spread. Ceph's default (false here) shuffles.
	Deterministic bool
	// LocalFallbackRetries is osd_calc_pg_upmaps_local_fallback_retries
	// (0 means Ceph's default, 100).
	LocalFallbackRetries int
	// Seed seeds the shuffles of the aggressive mode; 0 picks one at
	// random, as Ceph (std::random_device) always does.
	Seed uint64
}

// Upmaps is what calc_pg_upmaps leaves in its OSDMap::Incremental.
type Upmaps struct {
	// New is new_pg_upmap_items: the full item list to set per PG.
	New map[PG][]Pair
	// Old is old_pg_upmap_items: PGs whose items are to be removed,
	// sorted.
	Old []PG
	// Changes is calc_pg_upmaps' return value, the number of changes.
	Changes int
}

// Commands are the ceph CLI commands for u, in osdmaptool --upmap's
// order and wording (without its trailing spaces).
func (u *Upmaps) Commands() []string {
	var out []string
	for _, pg := range u.Old {
		out = append(out, "ceph osd rm-pg-upmap-items "+pg.String())
	}
	for _, pg := range slices.SortedFunc(maps.Keys(u.New), ComparePG) {
		var b strings.Builder
		b.WriteString("ceph osd pg-upmap-items " + pg.String())
		for _, p := range u.New[pg] {
			b.WriteString(" " + strconv.Itoa(p.From) + " " + strconv.Itoa(p.To))
		}
		out = append(out, b.String())
	}
	return out
}

// CalcPGUpmaps is OSDMap::calc_pg_upmaps with Ceph's default options:
// propose pg_upmap_items changes that bring every OSD within
// maxDeviation PGs of its weight's share, at most maxIterations of them,
// over pools (all if empty). It does not change o.
func (o *OSDMap) CalcPGUpmaps(maxDeviation, maxIterations int, pools []int64) (*Upmaps, error) {
	return o.CalcPGUpmapsOpts(UpmapOptions{MaxDeviation: maxDeviation, MaxIterations: maxIterations, Pools: pools})
}

// pgSet is a set of PGs; ordered iteration sorts (std::set<pg_t>).
type pgSet map[PG]struct{}

func (s pgSet) sorted() []PG { return slices.SortedFunc(maps.Keys(s), ComparePG) }

type devOSD struct {
	dev float32
	osd int
}

// deviations computes, as Ceph does in float, each OSD's deviation from
// target, the (deviation, osd) order of std::multimap (ties by osd, the
// insertion order), the sum of squares and the largest |deviation|.
func deviations(byOSD map[int]pgSet, weight map[int]float32, pgsPerWeight float32) (map[int]float32, []devOSD, float32, float32) {
	dev := make(map[int]float32, len(byOSD))
	order := make([]devOSD, 0, len(byOSD))
	var stddev, curMax float32
	for _, osd := range slices.Sorted(maps.Keys(byOSD)) {
		target := weight[osd] * pgsPerWeight
		d := float32(len(byOSD[osd])) - target
		dev[osd] = d
		order = append(order, devOSD{d, osd})
		stddev += float32(d * d) // no fused multiply-add: Ceph rounds twice
		if a := float32(math.Abs(float64(d))); a > curMax {
			curMax = a
		}
	}
	slices.SortStableFunc(order, func(a, b devOSD) int {
		switch {
		case a.dev < b.dev:
			return -1
		case a.dev > b.dev:
			return 1
		}
		return 0
	})
	return dev, order, stddev, curMax
}

func clonePGSets(m map[int]pgSet) map[int]pgSet {
	c := make(map[int]pgSet, len(m))
	for k, v := range m {
		c[k] = maps.Clone(v)
	}
	return c
}

func addPG(m map[int]pgSet, osd int, pg PG) {
	if m[osd] == nil {
		m[osd] = pgSet{}
	}
	m[osd][pg] = struct{}{}
}

func delPG(m map[int]pgSet, osd int, pg PG) {
	if m[osd] == nil {
		m[osd] = pgSet{} // std::map::operator[] creates the entry
	}
	delete(m[osd], pg)
}

// CalcPGUpmapsOpts is CalcPGUpmaps with every option of Ceph's
// (src/osd/OSDMap.cc, v16.2.15).
func (o *OSDMap) CalcPGUpmapsOpts(opt UpmapOptions) (*Upmaps, error) {
	res := &Upmaps{New: map[PG][]Pair{}}
	maxDev := max(opt.MaxDeviation, 1)
	maxDevF := float32(uint32(maxDev))
	aggressive := !opt.Deterministic
	fallbackRetries := opt.LocalFallbackRetries
	if fallbackRetries <= 0 {
		fallbackRetries = 100
	}
	seed := opt.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	shuffle := func(n int, swap func(i, j int)) {
		if aggressive {
			rng.Shuffle(n, swap)
		}
	}
	only := map[int64]bool{}
	for _, p := range opt.Pools {
		only[p] = true
	}
	tc := newTreeCache(o.Crush)
	// tmp is the working copy: only its pg_upmap_items change.
	tmp := *o
	tmp.PGUpmapItems = maps.Clone(o.PGUpmapItems)
	var sc scratch

	pgsByOSD, osdWeight, weightTotal, totalPGs, err := tmp.placementStats(tc, only, &sc)
	if err != nil {
		return nil, err
	}
	if weightTotal == 0 {
		return res, nil
	}
	pgsPerWeight := float32(totalPGs) / weightTotal
	maxIter := opt.MaxIterations
	if maxIter <= 0 {
		return res, nil
	}
	osdDeviation, deviationOSD, stddev, curMaxDev := deviations(pgsByOSD, osdWeight, pgsPerWeight)
	if curMaxDev <= maxDevF {
		return res, nil // distribution is almost perfect
	}
	skipOverfull := false
	for ; maxIter > 0; maxIter-- {
		overfull := map[int]bool{}
		moreOverfull := map[int]bool{}
		usingMoreOverfull := false
		var underfull, moreUnderfull []int
		for k := len(deviationOSD) - 1; k >= 0; k-- {
			d := deviationOSD[k]
			if d.dev <= 0 {
				break
			}
			if d.dev > maxDevF {
				overfull[d.osd] = true
			} else {
				moreOverfull[d.osd] = true
			}
		}
		for _, d := range deviationOSD {
			if d.dev >= 0 {
				break
			}
			if d.dev < float32(-maxDev) {
				underfull = append(underfull, d.osd)
			} else {
				moreUnderfull = append(moreUnderfull, d.osd)
			}
		}
		if len(underfull) == 0 && len(overfull) == 0 {
			break
		}
		if len(overfull) == 0 && len(underfull) > 0 {
			overfull = moreOverfull
			usingMoreOverfull = true
		}
		toSkip := pgSet{}
		retried := 0

	retry:
		toUnmap := pgSet{}
		toUpmap := map[PG][]Pair{}
		temp := clonePGSets(pgsByOSD)
		changed := false

		// Fullest first: undo an upmap into it, or add one out of it.
	overfullLoop:
		for k := len(deviationOSD) - 1; k >= 0; k-- {
			if skipOverfull && len(underfull) > 0 {
				break
			}
			osd, dev := deviationOSD[k].osd, deviationOSD[k].dev
			if dev < 0 {
				break
			}
			if !usingMoreOverfull && dev <= maxDevF {
				break
			}
			var pgs []PG
			for _, pg := range pgsByOSD[osd].sorted() {
				if _, skip := toSkip[pg]; !skip {
					pgs = append(pgs, pg)
				}
			}
			shuffle(len(pgs), func(a, b int) { pgs[a], pgs[b] = pgs[b], pgs[a] })
			for _, pg := range pgs {
				items, ok := tmp.PGUpmapItems[pg]
				if !ok {
					continue
				}
				var keep []Pair
				for _, q := range items {
					if q.To == osd {
						delPG(temp, q.To, pg)
						addPG(temp, q.From, pg)
					} else {
						keep = append(keep, q)
					}
				}
				if len(keep) == 0 {
					toUnmap[pg] = struct{}{}
					changed = true
					break overfullLoop
				} else if len(keep) != len(items) {
					toUpmap[pg] = keep
					changed = true
					break overfullLoop
				}
			}
			for _, pg := range pgs {
				if _, ok := tmp.PGUpmap[pg]; ok {
					continue // an admin's pg_upmap: leave it alone
				}
				p := tmp.Pools[pg.Pool]
				var items []Pair
				existing := map[int]bool{}
				if cur, ok := tmp.PGUpmapItems[pg]; ok {
					if len(cur) >= p.Size {
						continue
					}
					items = slices.Clone(cur)
					for _, q := range cur {
						existing[q.From] = true
						existing[q.To] = true
					}
				}
				raw, _, err := tmp.pgToRaw(p, pg, &sc)
				if err != nil {
					return nil, err
				}
				orig := tmp.applyUpmap(p, pg, slices.Clone(raw))
				out, ok := tmp.tryPGUpmap(tc, p, overfull, underfull, moreUnderfull, orig)
				if !ok || len(orig) != len(out) {
					continue
				}
				pos := -1
				var maxD float32
				for i := range out {
					if orig[i] == out[i] || existing[orig[i]] || existing[out[i]] {
						continue
					}
					if osdDeviation[orig[i]] > maxD {
						maxD = osdDeviation[orig[i]]
						pos = i
					}
				}
				if pos != -1 {
					delPG(temp, orig[pos], pg)
					addPG(temp, out[pos], pg)
					toUpmap[pg] = append(items, Pair{From: orig[pos], To: out[pos]})
					changed = true
					break overfullLoop
				}
			}
		}

		if !changed {
			// Emptiest first: undo an upmap that took a PG away from it.
		underfullLoop:
			for _, d := range deviationOSD {
				if !slices.Contains(underfull, d.osd) {
					break
				}
				osd := d.osd
				if float32(math.Abs(float64(d.dev))) < maxDevF {
					break
				}
				type cand struct {
					pg    PG
					items []Pair
				}
				var cands []cand
				for _, pg := range slices.SortedFunc(maps.Keys(tmp.PGUpmapItems), ComparePG) {
					if _, skip := toSkip[pg]; skip {
						continue
					}
					if len(only) > 0 && !only[pg.Pool] {
						continue
					}
					cands = append(cands, cand{pg, tmp.PGUpmapItems[pg]})
				}
				shuffle(len(cands), func(a, b int) { cands[a], cands[b] = cands[b], cands[a] })
				for _, c := range cands {
					var keep []Pair
					for _, q := range c.items {
						if q.From == osd {
							delPG(temp, q.To, c.pg)
							addPG(temp, q.From, c.pg)
						} else {
							keep = append(keep, q)
						}
					}
					if len(keep) == 0 {
						toUnmap[c.pg] = struct{}{}
						changed = true
						break underfullLoop
					} else if len(keep) != len(c.items) {
						toUpmap[c.pg] = keep
						changed = true
						break underfullLoop
					}
				}
			}
		}

		if !changed {
			if !aggressive || !skipOverfull {
				break
			}
			// Overfull OSDs were skipped: start over from the fullest.
			skipOverfull = false
			continue
		}

		// Keep the change only if it lowers the sum of squared deviations.
		newDev, newOrder, newStddev, newMax := deviations(temp, osdWeight, pgsPerWeight)
		if newStddev >= stddev {
			if !aggressive {
				break
			}
			retried++
			if retried >= fallbackRetries {
				// No progress: give overfull and underfull OSDs their turn
				// alternately.
				skipOverfull = !skipOverfull
				continue
			}
			for pg := range toUnmap {
				toSkip[pg] = struct{}{}
			}
			for pg := range toUpmap {
				toSkip[pg] = struct{}{}
			}
			goto retry
		}
		stddev = newStddev
		pgsByOSD, osdDeviation, deviationOSD = temp, newDev, newOrder
		for _, pg := range toUnmap.sorted() {
			delete(tmp.PGUpmapItems, pg)
			if !slices.Contains(res.Old, pg) {
				res.Old = append(res.Old, pg)
			}
			res.Changes++
		}
		for _, pg := range slices.SortedFunc(maps.Keys(toUpmap), ComparePG) {
			tmp.PGUpmapItems[pg] = toUpmap[pg]
			res.New[pg] = toUpmap[pg]
			res.Changes++
		}
		if newMax <= maxDevF {
			break // optimization plan is almost perfect
		}
	}
	slices.SortFunc(res.Old, ComparePG)
	return res, nil
}

// placementStats is calc_pg_upmaps' survey: the PGs on each OSD (up
// sets), each OSD's weight (CRUSH share times reweight, summed over the
// pools), the total weight and the number of PG replicas, all as Ceph
// computes them in float.
func (o *OSDMap) placementStats(tc *treeCache, only map[int64]bool, sc *scratch) (map[int]pgSet, map[int]float32, float32, int, error) {
	pgsByOSD := map[int]pgSet{}
	totalPGs := 0
	var weightTotal float32
	osdWeight := map[int]float32{}
	for _, pid := range slices.Sorted(maps.Keys(o.Pools)) {
		if len(only) > 0 && !only[pid] {
			continue
		}
		p := o.Pools[pid]
		for ps := range p.PGNum {
			pg := PG{Pool: pid, Seed: ps}
			up, _, err := o.pgToUp(p, pg, sc)
			if err != nil {
				return nil, nil, 0, 0, err
			}
			for _, osd := range up {
				if osd != ItemNone {
					addPG(pgsByOSD, osd, pg)
				}
			}
		}
		totalPGs += p.Size * int(p.PGNum)
		pmap := tc.ruleWeightOSDMap(o.FindRule(p))
		for _, osd := range slices.Sorted(maps.Keys(pmap)) {
			adjusted := o.weightf(osd) * pmap[osd]
			if adjusted == 0 {
				continue
			}
			osdWeight[osd] += adjusted
			weightTotal += adjusted
		}
	}
	for osd := range osdWeight {
		if pgsByOSD[osd] == nil {
			pgsByOSD[osd] = pgSet{}
		}
	}
	return pgsByOSD, osdWeight, weightTotal, totalPGs, nil
}

// MaxDeviation is the largest |PGs - target| over the OSDs of pools (all
// if empty), as calc_pg_upmaps measures balance.
func (o *OSDMap) MaxDeviation(pools []int64) (float32, error) {
	only := map[int64]bool{}
	for _, p := range pools {
		only[p] = true
	}
	var sc scratch
	byOSD, weight, total, pgs, err := o.placementStats(newTreeCache(o.Crush), only, &sc)
	if err != nil || total == 0 {
		return 0, err
	}
	_, _, _, curMax := deviations(byOSD, weight, float32(pgs)/total)
	return curMax, nil
}

// ApplyUpmaps returns a copy of o with u applied as
// OSDMap::apply_incremental does: new items set, then old ones erased.
func (o *OSDMap) ApplyUpmaps(u *Upmaps) *OSDMap {
	c := *o
	c.PGUpmapItems = maps.Clone(o.PGUpmapItems)
	for pg, items := range u.New {
		c.PGUpmapItems[pg] = slices.Clone(items)
	}
	for _, pg := range u.Old {
		delete(c.PGUpmapItems, pg)
	}
	return &c
}

// weightf is OSDMap::get_weightf: the reweight as a float.
func (o *OSDMap) weightf(osd int) float32 {
	return float32(o.Weight(osd)) / float32(Weight1)
}

// tryPGUpmap is OSDMap::try_pg_upmap: if the PG sits on an overfull OSD,
// the alternative set try_remap_rule finds, when it differs.
func (o *OSDMap) tryPGUpmap(tc *treeCache, p *Pool, overfull map[int]bool, underfull, moreUnderfull, orig []int) ([]int, bool) {
	rule := o.FindRule(p)
	if rule < 0 {
		return nil, false
	}
	any := false
	for _, osd := range orig {
		if overfull[osd] {
			any = true
			break
		}
	}
	if !any {
		return nil, false
	}
	out := tc.tryRemapRule(rule, p.Size, overfull, underfull, moreUnderfull, orig)
	if slices.Equal(out, orig) {
		return nil, false
	}
	return out, true
}

// String renders u as osdmaptool prints it, one command a line.
func (u *Upmaps) String() string {
	return fmt.Sprintln(strings.Join(u.Commands(), "\n"))
}
