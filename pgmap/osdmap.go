package pgmap

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gomgr/messages"
)

// osdMap is what PGMap needs of an OSDMap, read from the tree of
// `ceph osd dump -f json`.
type osdMap struct {
	epoch                int64
	modified             messages.Utime
	fullRatio            float32
	nearfullRatio        float32
	backfillfullRatio    float32
	maxOSD               int32
	requireOSDRelease    string
	pools                map[int64]*poolInfo
	poolIDs              []int64 // ascending, as std::map iterates
	osds                 map[int32]*osdInfo
	erasureCodeProfiles  map[string]map[string]string
	numInOSDs, numUpOSDs int
	numOSDs              int
}

type poolInfo struct {
	id                   int64
	name                 string
	typ                  int64 // 1 replicated, 3 erasure
	size, minSize        int64
	crushRule            int
	pgNum                uint32
	pgNumTarget          uint32
	pgpNumTarget         uint32
	quotaMaxBytes        uint64
	quotaMaxObjects      uint64
	tierOf               int64
	targetMaxBytes       uint64
	targetMaxObjects     uint64
	cacheTargetFullRatio uint64 // micro
	erasureCodeProfile   string
	autoscaleMode        string
	applications         int
	scrubMaxInterval     float64
	deepScrubInterval    float64
	hasScrubMaxInterval  bool
	hasDeepScrubInterval bool
}

func (p *poolInfo) isTier() bool { return p.tierOf >= 0 }

type osdInfo struct {
	id     int32
	up, in bool
	weight float32 // reweight, 0..1
}

func (m *osdMap) exists(osd int32) bool { _, ok := m.osds[osd]; return ok }

func (m *osdMap) isUp(osd int32) bool { o := m.osds[osd]; return o != nil && o.up }

func (m *osdMap) isIn(osd int32) bool { o := m.osds[osd]; return o != nil && o.weight > 0 }

func (m *osdMap) isOut(osd int32) bool { return !m.isIn(osd) }

// rawUsedRate is OSDMap::pool_raw_used_rate.
func (m *osdMap) rawUsedRate(p *poolInfo) float32 {
	if p.typ == 3 {
		prof := m.erasureCodeProfiles[p.erasureCodeProfile]
		k, _ := strconv.Atoi(prof["k"])
		mm, _ := strconv.Atoi(prof["m"])
		if k == 0 {
			return 0
		}
		return float32(k+mm) / float32(k)
	}
	return float32(p.size)
}

// --- reading the JSON tree ---

func jInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case uint64:
		return int64(v), true
	case float64:
		if v == math.Trunc(v) {
			return int64(v), true
		}
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func jFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case uint64:
		return float64(v), true
	}
	return 0, false
}

func getInt(m map[string]any, k string) int64 { n, _ := jInt(m[k]); return n }

func getFloat(m map[string]any, k string) float64 { f, _ := jFloat(m[k]); return f }

func getStr(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// parseStamp reads a utime_t as Ceph dumps it ("2026-12-05T16:56:27.959439+0000").
func parseStamp(s string) (messages.Utime, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.000000-0700", "2006-01-02 15:04:05.000000"} {
		if t, err := time.Parse(layout, s); err == nil {
			return messages.Utime{Sec: uint32(t.Unix()), Nsec: uint32(t.Nanosecond())}, true
		}
	}
	return messages.Utime{}, false
}

func parseOSDMap(tree map[string]any) (*osdMap, error) {
	m := &osdMap{pools: map[int64]*poolInfo{}, osds: map[int32]*osdInfo{}, erasureCodeProfiles: map[string]map[string]string{}}
	var ok bool
	if m.epoch, ok = jInt(tree["epoch"]); !ok {
		return nil, fmt.Errorf("%w: no epoch", ErrBadOSDMap)
	}
	m.modified, _ = parseStamp(getStr(tree, "modified"))
	m.fullRatio = float32(getFloat(tree, "full_ratio"))
	m.nearfullRatio = float32(getFloat(tree, "nearfull_ratio"))
	m.backfillfullRatio = float32(getFloat(tree, "backfillfull_ratio"))
	m.maxOSD = int32(getInt(tree, "max_osd"))
	m.requireOSDRelease = getStr(tree, "require_osd_release")
	if profs, ok := tree["erasure_code_profiles"].(map[string]any); ok {
		for name, v := range profs {
			pm := map[string]string{}
			if kv, ok := v.(map[string]any); ok {
				for k, s := range kv {
					pm[k] = fmt.Sprint(s)
				}
			}
			m.erasureCodeProfiles[name] = pm
		}
	}
	pools, _ := tree["pools"].([]any)
	for _, pv := range pools {
		pj, ok := pv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: pool entry %T", ErrBadOSDMap, pv)
		}
		id, ok := jInt(pj["pool"])
		if !ok || id < 0 {
			return nil, fmt.Errorf("%w: pool without id", ErrBadOSDMap)
		}
		p := &poolInfo{
			id: id, name: getStr(pj, "pool_name"), typ: getInt(pj, "type"),
			size: getInt(pj, "size"), minSize: getInt(pj, "min_size"),
			crushRule: int(getInt(pj, "crush_rule")), pgNum: uint32(getInt(pj, "pg_num")),
			quotaMaxBytes: uint64(getInt(pj, "quota_max_bytes")), quotaMaxObjects: uint64(getInt(pj, "quota_max_objects")),
			tierOf: -1, targetMaxBytes: uint64(getInt(pj, "target_max_bytes")),
			targetMaxObjects:     uint64(getInt(pj, "target_max_objects")),
			cacheTargetFullRatio: uint64(getInt(pj, "cache_target_full_ratio_micro")),
			erasureCodeProfile:   getStr(pj, "erasure_code_profile"),
			autoscaleMode:        getStr(pj, "pg_autoscale_mode"),
		}
		if v, ok := jInt(pj["tier_of"]); ok {
			p.tierOf = v
		}
		p.pgNumTarget = p.pgNum
		if v, ok := jInt(pj["pg_num_target"]); ok {
			p.pgNumTarget = uint32(v)
		}
		p.pgpNumTarget = p.pgNumTarget
		if v, ok := jInt(pj["pg_placement_num_target"]); ok {
			p.pgpNumTarget = uint32(v)
		}
		if am, ok := pj["application_metadata"].(map[string]any); ok {
			p.applications = len(am)
		}
		if opts, ok := pj["options"].(map[string]any); ok {
			if v, ok := jFloat(opts["scrub_max_interval"]); ok {
				p.scrubMaxInterval, p.hasScrubMaxInterval = v, true
			}
			if v, ok := jFloat(opts["deep_scrub_interval"]); ok {
				p.deepScrubInterval, p.hasDeepScrubInterval = v, true
			}
		}
		m.pools[id] = p
		m.poolIDs = append(m.poolIDs, id)
	}
	sort.Slice(m.poolIDs, func(i, j int) bool { return m.poolIDs[i] < m.poolIDs[j] })
	osds, _ := tree["osds"].([]any)
	for _, ov := range osds {
		oj, ok := ov.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: osd entry %T", ErrBadOSDMap, ov)
		}
		id, ok := jInt(oj["osd"])
		if !ok || id < 0 || id > math.MaxInt32 {
			return nil, fmt.Errorf("%w: osd without id", ErrBadOSDMap)
		}
		o := &osdInfo{id: int32(id), up: getInt(oj, "up") != 0, in: getInt(oj, "in") != 0,
			weight: float32(getFloat(oj, "weight"))}
		if st, ok := oj["state"].([]any); ok {
			exists := false
			for _, s := range st {
				if s == "exists" {
					exists = true
				}
			}
			if !exists {
				continue
			}
		}
		m.osds[o.id] = o
		m.numOSDs++
		if o.up {
			m.numUpOSDs++
		}
		if o.weight > 0 {
			m.numInOSDs++
		}
	}
	return m, nil
}

func (m *osdMap) poolByName(name string) (*poolInfo, bool) {
	for _, id := range m.poolIDs {
		if m.pools[id].name == name {
			return m.pools[id], true
		}
	}
	return nil, false
}

// --- the CRUSH tree, from `ceph osd tree -f json` ---

type crushNode struct {
	id          int32
	name        string
	typ         string
	typeID      int64
	deviceClass string
	weight      int64 // 16.16 fixed point, as CRUSH keeps it
	children    []int32
	depth       int
	fields      []crushField // dump_item_fields, as `osd tree` printed them
}

type crushField struct {
	key string
	val any
}

type crushTree struct {
	order []int32 // the dumper's order (nodes as `osd tree` lists them)
	nodes map[int32]*crushNode
	stray []int32
}

// itemFieldKeys are the keys CrushTreeDumper::dump_item_fields writes.
var itemFieldKeys = map[string]bool{"id": true, "device_class": true, "name": true, "type": true,
	"type_id": true, "crush_weight": true, "depth": true, "pool_weights": true}

func parseCrushTree(tree map[string]any) (*crushTree, error) {
	t := &crushTree{nodes: map[int32]*crushNode{}}
	nodes, ok := tree["nodes"].([]any)
	if !ok {
		return nil, fmt.Errorf("%w: no nodes", ErrBadOSDTree)
	}
	for _, nv := range nodes {
		nj, ok := nv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: node %T", ErrBadOSDTree, nv)
		}
		id, ok := jInt(nj["id"])
		if !ok {
			return nil, fmt.Errorf("%w: node without id", ErrBadOSDTree)
		}
		n := &crushNode{id: int32(id), name: getStr(nj, "name"), typ: getStr(nj, "type"),
			typeID: getInt(nj, "type_id"), deviceClass: getStr(nj, "device_class")}
		if w, ok := jFloat(nj["crush_weight"]); ok {
			n.weight = int64(math.Round(w * 0x10000))
		}
		if ch, ok := nj["children"].([]any); ok {
			for _, c := range ch {
				if ci, ok := jInt(c); ok {
					n.children = append(n.children, int32(ci))
				}
			}
		}
		t.nodes[n.id] = n
		t.order = append(t.order, n.id)
	}
	// Keep dump_item_fields in the order the JSON gave them: the caller
	// passes the raw node list again for that (see fieldsFrom).
	for _, nv := range nodes {
		nj := nv.(map[string]any)
		id, _ := jInt(nj["id"])
		t.nodes[int32(id)].fields = fieldsFrom(nj)
	}
	if st, ok := tree["stray"].([]any); ok {
		for _, sv := range st {
			if sj, ok := sv.(map[string]any); ok {
				if id, ok := jInt(sj["id"]); ok {
					t.stray = append(t.stray, int32(id))
				}
			}
		}
	}
	// Depths and bucket weights (a bucket weighs the sum of its items).
	var walk func(id int32, depth int) int64
	seen := map[int32]bool{}
	walk = func(id int32, depth int) int64 {
		n := t.nodes[id]
		if n == nil || seen[id] {
			return 0
		}
		seen[id] = true
		n.depth = depth
		if id >= 0 {
			return n.weight
		}
		var w int64
		for _, c := range n.children {
			w += walk(c, depth+1)
		}
		n.weight = w
		return w
	}
	for _, id := range t.order {
		if !seen[id] && id < 0 && t.isRoot(id) {
			walk(id, 0)
		}
	}
	return t, nil
}

func (t *crushTree) isRoot(id int32) bool {
	for _, n := range t.nodes {
		for _, c := range n.children {
			if c == id {
				return false
			}
		}
	}
	return true
}

// fieldsFrom keeps the dump_item_fields members of an `osd tree` node in
// their order. Go maps lose the order, so the keys are put in Ceph's.
func fieldsFrom(nj map[string]any) []crushField {
	var out []crushField
	for _, k := range []string{"id", "device_class", "name", "type", "type_id", "crush_weight", "depth", "pool_weights"} {
		if v, ok := nj[k]; ok && itemFieldKeys[k] {
			out = append(out, crushField{k, v})
		}
	}
	return out
}

// osdsUnder lists the OSDs below id with their CRUSH weights (16.16), of
// device class class when class is not empty.
func (t *crushTree) osdsUnder(id int32, class string, out map[int32]float32) float32 {
	n := t.nodes[id]
	if n == nil {
		return 0
	}
	if id >= 0 {
		if class != "" && n.deviceClass != class {
			return 0
		}
		w := float32(n.weight) / float32(0x10000)
		out[id] += w
		return w
	}
	var sum float32
	for _, c := range n.children {
		sum += t.osdsUnder(c, class, out)
	}
	return sum
}

func (t *crushTree) byName(name string) (*crushNode, bool) {
	for _, id := range t.order {
		if t.nodes[id].name == name {
			return t.nodes[id], true
		}
	}
	return nil, false
}

// crushRule is a rule's take steps, from `ceph osd crush rule dump -f json`.
type crushRule struct {
	takes []string // item names, "default" or "default~hdd"
}

// ruleWeightOSDMap is CrushWrapper::get_rule_weight_osd_map: each OSD a
// rule can place data on, with its share of the rule's total weight.
// Without the rule's steps it takes every root of the tree.
func (p *PGMap) ruleWeightOSDMap(ruleno int) map[int32]float32 {
	out := map[int32]float32{}
	if p.tree == nil {
		return out
	}
	var takes []string
	if r, ok := p.rules[ruleno]; ok {
		takes = r.takes
	} else {
		for _, id := range p.tree.order {
			if id < 0 && p.tree.isRoot(id) {
				takes = append(takes, p.tree.nodes[id].name)
			}
		}
	}
	for _, take := range takes {
		name, class, _ := strings.Cut(take, "~")
		n, ok := p.tree.byName(name)
		if !ok {
			continue
		}
		m := map[int32]float32{}
		sum := p.tree.osdsUnder(n.id, class, m)
		for osd, w := range m {
			if sum > 0 {
				out[osd] += w / sum
			}
		}
	}
	return out
}
