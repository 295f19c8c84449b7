package crush

import "slices"

// tryRemapRule is CrushWrapper::try_remap_rule: walk the rule's steps
// over the PG's current set orig and propose the same set with
// overfull OSDs swapped for underfull (then more_underfull) ones that
// the rule could also have chosen, keeping every failure domain.
func (c *treeCache) tryRemapRule(ruleno, maxout int, overfull map[int]bool, underfull, moreUnderfull, orig []int) []int {
	rule := c.m.Rules[ruleno]
	var w, out []int
	i := 0 // cursor into orig
	used := map[int]bool{}
	var stack [][2]int // (type, fan-out)
	root := 0
	for _, s := range rule.Steps {
		switch s.Op {
		case OpTake:
			if (s.Arg1 >= 0 && s.Arg1 < c.m.maxDevices) || c.m.Bucket(s.Arg1) != nil {
				w = []int{s.Arg1}
				root = s.Arg1
			}
		case OpChooseLeafFirstN, OpChooseLeafIndep:
			numrep := s.Arg1
			if numrep <= 0 {
				numrep += maxout
			}
			stack = append(stack, [2]int{s.Arg2, numrep})
			if s.Arg2 > 0 {
				stack = append(stack, [2]int{0, 1})
			}
			w = c.chooseTypeStack(stack, overfull, underfull, moreUnderfull, orig, &i, used, w, root, ruleno)
			stack = stack[:0]
		case OpChooseFirstN, OpChooseIndep:
			numrep := s.Arg1
			if numrep <= 0 {
				numrep += maxout
			}
			stack = append(stack, [2]int{s.Arg2, numrep})
		case OpEmit:
			if len(stack) > 0 {
				w = c.chooseTypeStack(stack, overfull, underfull, moreUnderfull, orig, &i, used, w, root, ruleno)
				stack = stack[:0]
			}
			out = append(out, w...)
			w = nil
		}
	}
	return out
}

// chooseTypeStack is CrushWrapper::_choose_type_stack: descend the
// stacked choose levels along orig, replacing overfull leaves with
// underfull ones in the same subtree, and steering intermediate buckets
// with overfull leaves but no underfull ones to a sibling that has some.
func (c *treeCache) chooseTypeStack(stack [][2]int, overfull map[int]bool, underfull, moreUnderfull, orig []int,
	pi *int, used map[int]bool, w []int, root, rule int) []int {
	if root >= 0 {
		return w // Ceph asserts root_bucket < 0
	}
	i := *pi
	defer func() { *pi = i }()
	at := func(k int) int {
		if k < len(orig) {
			return orig[k]
		}
		return 0 // Ceph reads past the end here; make it harmless
	}
	cum := make([]int, len(stack))
	f := 1
	for j := len(stack) - 1; j >= 0; j-- {
		cum[j] = f
		f *= stack[j][1]
	}
	// Buckets, level by level, that have an underfull device below them.
	underfullBuckets := make([]map[int]bool, len(stack)-1)
	for j := range underfullBuckets {
		underfullBuckets[j] = map[int]bool{}
	}
	for _, osd := range underfull {
		item := osd
		for j := len(stack) - 2; j >= 0; j-- {
			item = c.parentOfType(item, stack[j][0], rule)
			if !c.subtreeContains(root, item) {
				continue
			}
			underfullBuckets[j][item] = true
		}
	}
	inOrig := func(x int) bool { return slices.Contains(orig, x) }
	for j := range stack {
		typ, fanout, cumFanout := stack[j][0], stack[j][1], cum[j]
		var o []int
		tmpi := i
		if i == len(orig) {
			break
		}
		for _, from := range w {
			leaves := make([]map[int]bool, fanout)
			for pos := range fanout {
				leaves[pos] = map[int]bool{}
				if typ > 0 {
					o = append(o, c.parentOfType(at(tmpi), typ, rule))
					for n := cumFanout; n > 0 && tmpi < len(orig); n-- {
						leaves[pos][orig[tmpi]] = true
						tmpi++
					}
					continue
				}
				replaced := false
				if overfull[orig[i]] {
					for _, cands := range [][]int{underfull, moreUnderfull} {
						for _, item := range cands {
							if used[item] || !c.subtreeContains(from, item) || inOrig(item) {
								continue
							}
							o = append(o, item)
							used[item] = true
							replaced = true
							i++
							break
						}
						if replaced {
							break
						}
					}
				}
				if !replaced {
					o = append(o, orig[i])
					i++
				}
				if i == len(orig) {
					break
				}
			}
			if j+1 < len(stack) {
				for pos := range fanout {
					if pos >= len(o) || underfullBuckets[j][o[pos]] {
						continue
					}
					anyOverfull := false
					for osd := range leaves[pos] {
						if overfull[osd] {
							anyOverfull = true
							break
						}
					}
					if !anyOverfull {
						continue
					}
					for _, alt := range sortedKeys(underfullBuckets[j]) {
						if slices.Contains(o, alt) {
							continue
						}
						if j == 0 || c.parentOfType(o[pos], stack[j-1][0], rule) == c.parentOfType(alt, stack[j-1][0], rule) {
							o[pos] = alt
							break
						}
					}
				}
			}
			if i == len(orig) {
				break
			}
		}
		w = o
	}
	return w
}

func sortedKeys(m map[int]bool) []int {
	k := make([]int, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	slices.Sort(k)
	return k
}
