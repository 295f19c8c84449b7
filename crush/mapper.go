package crush

import (
	"fmt"
	"math"
)

// DefaultChooseArgs is the choose_args index of the compat weight set,
// which a pool without a weight set of its own falls back to.
const DefaultChooseArgs = -1

// DoRule maps input x through rule to up to numRep items, as
// crush_do_rule does with the compat weight set (if any). weights is the
// per-device reweight vector (Weight1 = in, 0 = out; devices past its
// end are out). An erasure (indep) rule leaves ItemNone in positions it
// could not fill. It is safe to call from any goroutine.
func (m *Map) DoRule(rule int, x uint32, numRep int, weights []uint32) ([]int, error) {
	return m.DoRuleArgs(rule, x, numRep, weights, DefaultChooseArgs)
}

// DoRuleArgs is DoRule with the weight set of choose_args index
// chooseArgs (a pool id), falling back to the compat set as
// CrushWrapper::choose_args_get_with_fallback does.
func (m *Map) DoRuleArgs(rule int, x uint32, numRep int, weights []uint32, chooseArgs int64) ([]int, error) {
	return m.doRule(rule, x, numRep, weights, m.chooseArgs(chooseArgs), nil)
}

func (m *Map) chooseArgs(idx int64) []*ChooseArg {
	if a, ok := m.ChooseArgs[idx]; ok {
		return a
	}
	return m.ChooseArgs[DefaultChooseArgs]
}

// work is one crush_do_rule call's state: the inputs every level needs,
// and crush_work's per-bucket permutations (uniform buckets and the
// local fallback search), which live for the call only.
type work struct {
	m       *Map
	ln      *lnTables
	weights []uint32
	x       uint32
	args    []*ChooseArg
	perm    []permState
	err     error
}

type permState struct {
	x    uint32
	n    uint32
	perm []uint32
}

// maxResult bounds numRep: Ceph's pools stop far below (size is a u8).
const maxResult = 1024

// scratch is reusable output space for doRule (3 vectors of numRep).
type scratch struct{ a, b, c []int }

func (s *scratch) get(n int) ([]int, []int, []int) {
	if cap(s.a) < n {
		s.a, s.b, s.c = make([]int, n), make([]int, n), make([]int, n)
	}
	return s.a[:n], s.b[:n], s.c[:n]
}

func (m *Map) doRule(ruleno int, x uint32, resultMax int, weights []uint32, args []*ChooseArg, sc *scratch) ([]int, error) {
	if ruleno < 0 || ruleno >= len(m.Rules) || m.Rules[ruleno] == nil {
		return nil, fmt.Errorf("%w: %d", ErrNoRule, ruleno)
	}
	if resultMax <= 0 {
		return nil, nil
	}
	if resultMax > maxResult {
		return nil, fmt.Errorf("%w: %d replicas", ErrUnsupported, resultMax)
	}
	rule := m.Rules[ruleno]
	if sc == nil {
		sc = new(scratch)
	}
	a, b, c := sc.get(resultMax)
	w := &work{m: m, ln: tables(), weights: weights, x: x, args: args}
	result := make([]int, 0, resultMax)
	wv, o := a, b
	wsize := 0
	t := &m.Tunables
	// The original choose_total_tries counted retries, not tries: add one.
	chooseTries := t.ChooseTotalTries + 1
	chooseLeafTries := 0
	localRetries := t.ChooseLocalTries
	localFallbackRetries := t.ChooseLocalFallbackTries
	varyR := t.ChooseLeafVaryR
	stable := t.ChooseLeafStable

	for _, step := range rule.Steps {
		firstn := false
		switch step.Op {
		case OpTake:
			if (step.Arg1 >= 0 && step.Arg1 < m.maxDevices) || m.Bucket(step.Arg1) != nil {
				wv[0] = step.Arg1
				wsize = 1
			}
		case OpSetChooseTries:
			if step.Arg1 > 0 {
				chooseTries = step.Arg1
			}
		case OpSetChooseLeafTries:
			if step.Arg1 > 0 {
				chooseLeafTries = step.Arg1
			}
		case OpSetChooseLocalTries:
			if step.Arg1 >= 0 {
				localRetries = step.Arg1
			}
		case OpSetChooseLocalFallback:
			if step.Arg1 >= 0 {
				localFallbackRetries = step.Arg1
			}
		case OpSetChooseLeafVaryR:
			if step.Arg1 >= 0 {
				varyR = step.Arg1
			}
		case OpSetChooseLeafStable:
			if step.Arg1 >= 0 {
				stable = step.Arg1
			}
		case OpChooseFirstN, OpChooseLeafFirstN, OpChooseIndep, OpChooseLeafIndep:
			firstn = step.Op == OpChooseFirstN || step.Op == OpChooseLeafFirstN
			if wsize == 0 {
				break
			}
			recurseToLeaf := step.Op == OpChooseLeafFirstN || step.Op == OpChooseLeafIndep
			osize := 0
			for i := range wsize {
				// numrep <= 0 is relative to the result size (CRUSH_CHOOSE_N).
				numrep := step.Arg1
				if numrep <= 0 {
					numrep += resultMax
					if numrep <= 0 {
						continue
					}
				}
				bkt := m.Bucket(wv[i])
				if bkt == nil { // a device, or ItemNone from an earlier step
					continue
				}
				if firstn {
					var recurseTries int
					switch {
					case chooseLeafTries != 0:
						recurseTries = chooseLeafTries
					case t.ChooseLeafDescendOnce != 0:
						recurseTries = 1
					default:
						recurseTries = chooseTries
					}
					osize += w.chooseFirstN(bkt, numrep, step.Arg2, o[osize:], 0, resultMax-osize,
						chooseTries, recurseTries, localRetries, localFallbackRetries,
						recurseToLeaf, varyR, stable, c[osize:], 0)
				} else {
					outSize := min(numrep, resultMax-osize)
					leafTries := 1
					if chooseLeafTries != 0 {
						leafTries = chooseLeafTries
					}
					w.chooseIndep(bkt, outSize, numrep, step.Arg2, o[osize:], 0,
						chooseTries, leafTries, recurseToLeaf, c[osize:], 0)
					osize += outSize
				}
			}
			if recurseToLeaf {
				copy(o, c[:osize])
			}
			wv, o = o, wv
			wsize = osize
		case OpEmit:
			for i := 0; i < wsize && len(result) < resultMax; i++ {
				result = append(result, wv[i])
			}
			wsize = 0
		}
	}
	if w.err != nil {
		return nil, w.err
	}
	return result, nil
}

// isOut is is_out(): a device with reweight below 1 is rejected for a
// pseudo-random share of inputs, one with 0 always.
func (w *work) isOut(item int) bool {
	if item >= len(w.weights) {
		return true
	}
	wt := w.weights[item]
	if wt >= Weight1 {
		return false
	}
	if wt == 0 {
		return true
	}
	return Hash2(w.x, uint32(item))&0xffff >= wt
}

// chooseFirstN is crush_choose_firstn: pick numRep distinct items of
// type typ below bucket, depth first, retrying on collisions and rejects;
// with recurseToLeaf, also one device below each pick (into out2). It
// returns the new outpos.
func (w *work) chooseFirstN(bucket *Bucket, numRep, typ int, out []int, outpos, outSize int,
	tries, recurseTries, localRetries, localFallbackRetries int, recurseToLeaf bool,
	varyR, stable int, out2 []int, parentR int) int {
	count := outSize
	rep := outpos
	if stable != 0 {
		rep = 0
	}
	item := 0
	for ; rep < numRep && count > 0; rep++ {
		ftotal := 0
		skipRep := false
		for { // retry descent
			retryDescent := false
			in := bucket
			flocal := 0
			for { // retry bucket
				collide, reject, retryBucket := false, false, false
				r := rep + parentR + ftotal
				if len(in.Items) == 0 {
					reject = true
				} else {
					if localFallbackRetries > 0 && flocal >= len(in.Items)>>1 && flocal > localFallbackRetries {
						item = w.permChoose(in, r)
					} else {
						item = w.bucketChoose(in, r, outpos)
					}
					if item >= w.m.maxDevices {
						skipRep = true
						break
					}
					itemtype := 0
					var sub *Bucket
					if item < 0 {
						if sub = w.m.Bucket(item); sub == nil {
							skipRep = true
							break
						}
						itemtype = sub.Type
					}
					if itemtype != typ {
						if item >= 0 {
							skipRep = true
							break
						}
						in = sub
						continue // descend: retry_bucket
					}
					for i := range outpos {
						if out[i] == item {
							collide = true
							break
						}
					}
					if !collide && recurseToLeaf {
						if item < 0 {
							subR := 0
							if varyR != 0 {
								subR = r >> (varyR - 1)
							}
							n := outpos + 1
							if stable != 0 {
								n = 1
							}
							if w.chooseFirstN(sub, n, 0, out2, outpos, count, recurseTries, 0,
								localRetries, localFallbackRetries, false, varyR, stable, nil, subR) <= outpos {
								reject = true // no leaf below it
							}
						} else {
							out2[outpos] = item
						}
					}
					if !reject && !collide && itemtype == 0 {
						reject = w.isOut(item)
					}
				}
				if reject || collide {
					ftotal++
					flocal++
					switch {
					case collide && flocal <= localRetries:
						retryBucket = true
					case localFallbackRetries > 0 && flocal <= len(in.Items)+localFallbackRetries:
						retryBucket = true
					case ftotal < tries:
						retryDescent = true
					default:
						skipRep = true
					}
				}
				if !retryBucket {
					break
				}
			}
			if !retryDescent {
				break
			}
		}
		if skipRep {
			continue
		}
		out[outpos] = item
		outpos++
		count--
	}
	return outpos
}

// chooseIndep is crush_choose_indep: fill positions [outpos,
// outpos+left) breadth first, each position keeping its own r sequence so
// that a failure moves no other position; unfilled ones end as ItemNone.
func (w *work) chooseIndep(bucket *Bucket, left, numRep, typ int, out []int, outpos int,
	tries, recurseTries int, recurseToLeaf bool, out2 []int, parentR int) {
	endpos := outpos + left
	for rep := outpos; rep < endpos; rep++ {
		out[rep] = itemUndef
		if out2 != nil {
			out2[rep] = itemUndef
		}
	}
	for ftotal := 0; left > 0 && ftotal < tries; ftotal++ {
		for rep := outpos; rep < endpos; rep++ {
			if out[rep] != itemUndef {
				continue
			}
			in := bucket
			for {
				r := rep + parentR
				if in.Alg == AlgUniform && len(in.Items)%numRep == 0 {
					r += (numRep + 1) * ftotal
				} else {
					r += numRep * ftotal
				}
				if len(in.Items) == 0 {
					break
				}
				item := w.bucketChoose(in, r, outpos)
				if item >= w.m.maxDevices {
					out[rep] = ItemNone
					if out2 != nil {
						out2[rep] = ItemNone
					}
					left--
					break
				}
				itemtype := 0
				var sub *Bucket
				if item < 0 {
					if sub = w.m.Bucket(item); sub != nil {
						itemtype = sub.Type
					}
				}
				if itemtype != typ || (item < 0 && sub == nil) {
					if item >= 0 || sub == nil {
						out[rep] = ItemNone
						if out2 != nil {
							out2[rep] = ItemNone
						}
						left--
						break
					}
					in = sub
					continue
				}
				collide := false
				for i := outpos; i < endpos; i++ {
					if out[i] == item {
						collide = true
						break
					}
				}
				if collide {
					break
				}
				if recurseToLeaf {
					if item < 0 {
						w.chooseIndep(sub, 1, numRep, 0, out2, rep, recurseTries, 0, false, nil, r)
						if out2[rep] == ItemNone {
							break // no leaf below it
						}
					} else {
						out2[rep] = item
					}
				}
				if itemtype == 0 && w.isOut(item) {
					break
				}
				out[rep] = item
				left--
				break
			}
		}
	}
	for rep := outpos; rep < endpos; rep++ {
		if out[rep] == itemUndef {
			out[rep] = ItemNone
		}
		if out2 != nil && out2[rep] == itemUndef {
			out2[rep] = ItemNone
		}
	}
}

// bucketChoose is crush_bucket_choose. position selects the weight-set
// row (the output position being filled).
func (w *work) bucketChoose(b *Bucket, r, position int) int {
	if b.Hash != hashRjenkins1 {
		w.fail(b)
		return b.Items[0]
	}
	switch b.Alg {
	case AlgStraw2:
		var arg *ChooseArg
		if idx := -1 - b.ID; idx < len(w.args) {
			arg = w.args[idx]
		}
		return w.straw2Choose(b, r, arg, position)
	case AlgUniform:
		return w.permChoose(b, r)
	case AlgList:
		return w.listChoose(b, r)
	default:
		w.fail(b)
		return b.Items[0]
	}
}

func (w *work) fail(b *Bucket) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: bucket %d (%s): algorithm %v, hash %d",
			ErrUnsupported, b.ID, b.Name, b.Alg, b.Hash)
	}
}

// straw2Choose is bucket_straw2_choose: each item draws ln(u)/weight from
// its own hash and the highest draw wins, so changing one item's weight
// moves data only to or from that item.
func (w *work) straw2Choose(b *Bucket, r int, arg *ChooseArg, position int) int {
	weights, ids := b.ItemWeights, b.Items
	if arg != nil {
		if n := len(arg.WeightSet); n > 0 {
			weights = arg.WeightSet[min(position, n-1)]
		}
		if len(arg.IDs) > 0 {
			ids = arg.IDs
		}
	}
	high := 0
	var highDraw int64
	for i := range b.Items {
		draw := int64(math.MinInt64)
		if wt := weights[i]; wt != 0 {
			u := Hash3(w.x, uint32(ids[i]), uint32(r)) & 0xffff
			// ln is in [-2^48, 0): a larger weight makes it less negative.
			ln := int64(crushLnT(w.ln, u)) - 0x1000000000000
			draw = ln / int64(wt)
		}
		if i == 0 || draw > highDraw {
			high, highDraw = i, draw
		}
	}
	return b.Items[high]
}

// listChoose is bucket_list_choose: walk from the tail, keep item i with
// probability weight[i]/sum(weights[0..i]).
func (w *work) listChoose(b *Bucket, r int) int {
	for i := len(b.Items) - 1; i >= 0; i-- {
		v := uint64(Hash4(w.x, uint32(b.Items[i]), uint32(r), uint32(b.ID)) & 0xffff)
		v = (v * uint64(b.sumWeights[i])) >> 16
		if v < uint64(b.ItemWeights[i]) {
			return b.Items[i]
		}
	}
	return b.Items[0]
}

// permChoose is bucket_perm_choose: the r-th element of a pseudo-random
// permutation of the bucket for this x, computed lazily and kept for the
// rest of the call.
func (w *work) permChoose(b *Bucket, r int) int {
	idx := -1 - b.ID
	if w.perm == nil {
		w.perm = make([]permState, len(w.m.Buckets))
	}
	ps := &w.perm[idx]
	size := uint32(len(b.Items))
	if ps.perm == nil {
		ps.perm = make([]uint32, size)
	}
	pr := uint32(r) % size
	if ps.x != w.x || ps.n == 0 {
		ps.x = w.x
		if pr == 0 {
			// The common r=0 case needs one element, not a permutation.
			ps.perm[0] = Hash3(w.x, uint32(b.ID), 0) % size
			ps.n = 0xffff
			return b.Items[ps.perm[0]]
		}
		for i := range size {
			ps.perm[i] = i
		}
		ps.n = 0
	} else if ps.n == 0xffff {
		// Expand the r=0 shortcut into a real permutation prefix.
		for i := uint32(1); i < size; i++ {
			ps.perm[i] = i
		}
		ps.perm[ps.perm[0]] = 0
		ps.n = 1
	}
	for ps.n <= pr {
		p := ps.n
		if p < size-1 {
			i := Hash3(w.x, uint32(b.ID), p) % (size - p)
			if i != 0 {
				ps.perm[p+i], ps.perm[p] = ps.perm[p], ps.perm[p+i]
			}
		}
		ps.n++
	}
	return b.Items[ps.perm[pr]]
}
