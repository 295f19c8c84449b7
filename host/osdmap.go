package host

import (
	"fmt"

	"gomgr/internal/jsontree"
	"gomgr/messages"
)

// osdMapUpdate turns one MOSDMap into the tree of its newest epoch, given
// the cached tree of epoch have (nil when none). A full map is used as it
// came; otherwise the incrementals from have+1 up are applied in order (each a
// clustermap.OSDMapIncremental, read here as a tree). Without what it needs it returns
// errOSDMapGap, and the caller asks the mon for a full map.
func osdMapUpdate(p *messages.OSDMapMsg, have uint64, tree any) (epoch uint64, next any, raw []byte, err error) {
	if js, ok := p.Maps[p.NewestMap]; ok {
		raw, err := messages.DecodeJSONMap(js)
		if err != nil {
			return 0, nil, nil, err
		}
		next, err := jsontree.Parse(raw)
		if err != nil {
			return 0, nil, nil, err
		}
		return uint64(p.NewestMap), next, raw, nil
	}
	if uint64(p.NewestMap) <= have {
		return have, nil, nil, nil // already held
	}
	if tree == nil {
		return 0, nil, nil, errOSDMapGap
	}
	for e := have + 1; e <= uint64(p.NewestMap); e++ {
		b, ok := p.IncrementalMaps[uint32(e)]
		if !ok {
			return 0, nil, nil, fmt.Errorf("%w: epoch %d missing (have %d)", errOSDMapGap, e, have)
		}
		js, err := messages.DecodeJSONMap(b)
		if err != nil {
			return 0, nil, nil, err
		}
		inc, err := jsontree.Parse(js)
		if err != nil {
			return 0, nil, nil, err
		}
		if tree, err = applyOSDMapInc(tree, e, inc); err != nil {
			return 0, nil, nil, err
		}
	}
	return uint64(p.NewestMap), tree, nil, nil
}

// applyOSDMapInc applies an incremental (as a tree) for epoch to the tree
// of the epoch before, without touching it: the new tree is the
// incremental's header with the OSD table merged by id (sorted, as the mon
// keeps it). The unchanged OSD entries are shared, immutable.
func applyOSDMapInc(prev any, epoch uint64, inc any) (any, error) {
	im, _ := inc.(map[string]any)
	head, _ := im["map"].(map[string]any)
	pm, _ := prev.(map[string]any)
	if head == nil || pm == nil || toInt(im["epoch"]) != int64(epoch) || toInt(head["epoch"]) != int64(epoch) {
		return nil, fmt.Errorf("%w: incremental for epoch %d malformed", errOSDMapBad, epoch)
	}
	oldOSDs, _ := pm["osds"].([]any)
	newOSDs, _ := im["new_osds"].([]any)
	gone := map[int64]bool{}
	if ids, ok := im["old_osds"].([]any); ok {
		for _, id := range ids {
			gone[toInt(id)] = true
		}
	}
	id := func(v any) (int64, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return 0, false
		}
		_, ok = m["osd"].(int64)
		return toInt(m["osd"]), ok
	}
	out := make([]any, 0, len(oldOSDs)+len(newOSDs))
	last := int64(-1)
	keep := func(v any, n int64) error {
		if n <= last {
			return fmt.Errorf("%w: OSDs not sorted by id at osd.%d", errOSDMapBad, n)
		}
		last = n
		out = append(out, v)
		return nil
	}
	a, b := oldOSDs, newOSDs
	for len(a) > 0 || len(b) > 0 {
		var ai, bi int64
		var aok, bok bool
		if len(a) > 0 {
			if ai, aok = id(a[0]); !aok {
				return nil, fmt.Errorf("%w: cached OSD entry without an id", errOSDMapBad)
			}
		}
		if len(b) > 0 {
			if bi, bok = id(b[0]); !bok {
				return nil, fmt.Errorf("%w: incremental OSD entry without an id", errOSDMapBad)
			}
		}
		var err error
		switch {
		case !bok || aok && ai < bi:
			if !gone[ai] {
				err = keep(a[0], ai)
			}
			a = a[1:]
		case !aok || bi < ai:
			err = keep(b[0], bi)
			b = b[1:]
		default:
			err = keep(b[0], bi)
			a, b = a[1:], b[1:]
		}
		if err != nil {
			return nil, err
		}
	}
	head["osds"] = out
	return head, nil
}
