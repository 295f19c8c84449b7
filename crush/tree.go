package crush

import "slices"

// treeCache answers the CRUSH tree questions calc_pg_upmaps asks over and
// over (CrushWrapper::get_parent_of_type, subtree_contains,
// get_rule_weight_osd_map) from memoised walks. The map is immutable, so
// the answers never go stale; a cache lives for one computation.
type treeCache struct {
	m        *Map
	below    map[int]map[int]bool   // bucket -> every item in its subtree
	parentOf map[[2]int]map[int]int // (rule, type) -> item -> ancestor
}

func newTreeCache(m *Map) *treeCache {
	return &treeCache{m: m, below: map[int]map[int]bool{}, parentOf: map[[2]int]map[int]int{}}
}

// subtreeContains is CrushWrapper::subtree_contains.
func (c *treeCache) subtreeContains(root, item int) bool {
	if root == item {
		return true
	}
	if root >= 0 {
		return false
	}
	return c.subtree(root)[item]
}

// subtree is every item below bucket root (memoised).
func (c *treeCache) subtree(root int) map[int]bool {
	set, ok := c.below[root]
	if !ok {
		set = map[int]bool{}
		var walk func(id int)
		walk = func(id int) {
			b := c.m.Bucket(id)
			if b == nil {
				return
			}
			for _, it := range b.Items {
				set[it] = true
				walk(it)
			}
		}
		walk(root)
		c.below[root] = set
	}
	return set
}

// takes is CrushWrapper::find_takes_by_rule, in std::set order.
func (c *treeCache) takes(rule int) []int {
	var roots []int
	if rule >= 0 && rule < len(c.m.Rules) && c.m.Rules[rule] != nil {
		for _, s := range c.m.Rules[rule].Steps {
			if s.Op == OpTake && !slices.Contains(roots, s.Arg1) {
				roots = append(roots, s.Arg1)
			}
		}
	}
	slices.Sort(roots)
	return roots
}

// childrenOfType is CrushWrapper::get_children_of_type (shadow trees
// included), in tree order.
func (c *treeCache) childrenOfType(id, typ int, out []int) []int {
	if id >= 0 {
		if typ == 0 {
			out = append(out, id)
		}
		return out
	}
	b := c.m.Bucket(id)
	if b == nil || b.Type < typ {
		return out
	}
	if b.Type == typ {
		return append(out, id)
	}
	for _, it := range b.Items {
		out = c.childrenOfType(it, typ, out)
	}
	return out
}

// parentOfType is CrushWrapper::get_parent_of_type with a rule: the
// first bucket of type typ, under the rule's takes, whose subtree holds
// item (0 if none).
func (c *treeCache) parentOfType(item, typ, rule int) int {
	key := [2]int{rule, typ}
	idx, ok := c.parentOf[key]
	if !ok {
		idx = map[int]int{}
		for _, root := range c.takes(rule) {
			for _, cand := range c.childrenOfType(root, typ, nil) {
				// The first candidate that contains an item wins.
				if _, seen := idx[cand]; !seen {
					idx[cand] = cand
				}
				for it := range c.subtree(cand) {
					if _, seen := idx[it]; !seen {
						idx[it] = cand
					}
				}
			}
		}
		c.parentOf[key] = idx
	}
	return idx[item]
}

// ruleWeightOSDMap is CrushWrapper::get_rule_weight_osd_map: each OSD
// under the rule's takes with its share of the take's CRUSH weight, in
// float as Ceph sums it.
func (c *treeCache) ruleWeightOSDMap(rule int) map[int]float32 {
	pmap := map[int]float32{}
	if rule < 0 || rule >= len(c.m.Rules) || c.m.Rules[rule] == nil {
		return pmap
	}
	for _, s := range c.m.Rules[rule].Steps {
		if s.Op != OpTake {
			continue
		}
		m := map[int]float32{}
		var sum float32
		if s.Arg1 >= 0 {
			m[s.Arg1] = 1
			sum = 1
		} else {
			sum += c.takeWeightOSDMap(s.Arg1, m)
		}
		// _normalize_weight_map, in key order (std::map) as Ceph adds.
		keys := make([]int, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			pmap[k] += m[k] / sum
		}
	}
	return pmap
}

// takeWeightOSDMap is _get_take_weight_osd_map: a breadth-first walk
// recording each device's weight in its bucket.
func (c *treeCache) takeWeightOSDMap(root int, m map[int]float32) float32 {
	var sum float32
	q := []int{root}
	for len(q) > 0 {
		b := c.m.Bucket(q[0])
		q = q[1:]
		if b == nil {
			continue
		}
		for i, it := range b.Items {
			if it >= 0 {
				w := float32(b.ItemWeights[i])
				m[it] = w
				sum += w
			} else {
				q = append(q, it)
			}
		}
	}
	return sum
}
