package clustermap

import (
	"fmt"
)

// OSDMapIncremental is one osdmap epoch told as a change to the epoch
// before, after Ceph's OSDMap::Incremental: what the mon sends a
// subscriber that already holds Epoch-1. Everything but the OSD table is
// small (pools, flags, stamps) and travels whole in Map, whose "osds" is
// empty; of the OSD table only the entries added or changed travel, so a
// 10,000-OSD epoch that marks one OSD down is a few KiB instead of 7 MB.
type OSDMapIncremental struct {
	Epoch   uint64     `json:"epoch"`
	Map     *OSDMap    `json:"map"`      // the new map without its OSDs
	NewOSDs []*OSDInfo `json:"new_osds"` // added or changed, by id
	OldOSDs []int      `json:"old_osds"` // removed, by id
}

// DiffOSDMaps returns cur as an incremental over prev. cur must be the
// epoch after prev. Entries of both maps are immutable, so an entry that
// is the same pointer in both is unchanged.
func DiffOSDMaps(prev, cur *OSDMap) (*OSDMapIncremental, error) {
	if prev == nil || cur == nil || cur.Epoch != prev.Epoch+1 {
		return nil, fmt.Errorf("%w: incremental needs consecutive epochs", ErrInvalid)
	}
	head := *cur
	head.OSDs = []*OSDInfo{}
	inc := &OSDMapIncremental{Epoch: cur.Epoch, Map: &head, NewOSDs: []*OSDInfo{}, OldOSDs: []int{}}
	a, b := prev.OSDs, cur.OSDs
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0].OSD < b[0].OSD:
			inc.OldOSDs = append(inc.OldOSDs, a[0].OSD)
			a = a[1:]
		case len(a) == 0 || b[0].OSD < a[0].OSD:
			inc.NewOSDs = append(inc.NewOSDs, b[0])
			b = b[1:]
		default:
			if a[0] != b[0] {
				inc.NewOSDs = append(inc.NewOSDs, b[0])
			}
			a, b = a[1:], b[1:]
		}
	}
	return inc, nil
}

// Apply returns the map inc describes, given the map of the epoch before.
// prev is not modified.
func (inc *OSDMapIncremental) Apply(prev *OSDMap) (*OSDMap, error) {
	if inc.Map == nil || prev == nil || inc.Epoch != prev.Epoch+1 || inc.Map.Epoch != inc.Epoch {
		return nil, fmt.Errorf("%w: incremental epoch does not follow the map's", ErrInvalid)
	}
	old := make(map[int]bool, len(inc.OldOSDs))
	for _, id := range inc.OldOSDs {
		old[id] = true
	}
	next := *inc.Map
	next.OSDs = make([]*OSDInfo, 0, len(prev.OSDs)+len(inc.NewOSDs))
	a, b := prev.OSDs, inc.NewOSDs
	for len(a) > 0 || len(b) > 0 {
		if len(b) > 1 && b[1].OSD <= b[0].OSD {
			return nil, fmt.Errorf("%w: incremental's OSDs not sorted by id", ErrInvalid)
		}
		switch {
		case len(b) == 0 || len(a) > 0 && a[0].OSD < b[0].OSD:
			if !old[a[0].OSD] {
				next.OSDs = append(next.OSDs, a[0])
			}
			a = a[1:]
		case len(a) == 0 || b[0].OSD < a[0].OSD:
			next.OSDs = append(next.OSDs, b[0])
			b = b[1:]
		default:
			next.OSDs = append(next.OSDs, b[0])
			a, b = a[1:], b[1:]
		}
	}
	next.Normalize()
	return &next, nil
}
