package pgmap

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gomgr/messages"
)

// osdDF is `osd df [plain|tree] [filter]`: DaemonServer's call of
// print_osd_utilization (src/osd/OSDMap.cc, OSDUtilizationDumper). The
// CRUSH tree comes from ApplyOSDTree; without one every OSD of the osdmap
// is a stray (listed after the tree, as Ceph lists OSDs CRUSH lacks).
func (c *cmdCtx) osdDF() {
	m, f := c.m, c.f
	tree := c.str("output_method") == "tree"
	filter := c.str("filter")
	if filter != "" {
		_, isPool := m.poolByName(filter)
		isClass, isName := false, false
		if m.tree != nil {
			for _, id := range m.tree.order {
				n := m.tree.nodes[id]
				isClass = isClass || n.deviceClass == filter
				isName = isName || n.name == filter
			}
		}
		if !isPool && !isClass && !isName {
			fmt.Fprintf(&c.status, "'%s' not a pool, crush node or device class name", filter)
			c.ret = errEINVAL
			return
		}
	}
	d := &utilDumper{m: m, tree: tree, filter: filter, dumped: map[int32]bool{}, touched: map[int32]bool{},
		minVar: -1, maxVar: -1}
	d.prepareFilter()
	d.averageUtil = d.averageUtilization()
	var out string
	if f != nil {
		f.openObject("df")
		f.openArray("nodes")
		d.walk(func(it dumpItem) { d.dumpItem(it, f, nil) })
		f.closeSection()
		f.openArray("stray")
		d.strays(func(it dumpItem) { d.dumpItem(it, f, nil) })
		f.closeSection()
		sum := d.dumpedSum()
		f.openObject("summary")
		f.dumpInt("total_kb", int64(sum.Total>>10))
		f.dumpInt("total_kb_used", int64(statfsUsedRaw(&sum)>>10))
		f.dumpInt("total_kb_used_data", int64(uint64(sum.Allocated)>>10))
		f.dumpInt("total_kb_used_omap", int64(uint64(sum.OmapAllocated)>>10))
		f.dumpInt("total_kb_used_meta", int64(uint64(sum.InternalMetadata)>>10))
		f.dumpInt("total_kb_avail", int64(sum.Available>>10))
		f.dumpFloat("average_utilization", d.averageUtil)
		f.dumpFloat("min_var", d.minVar)
		f.dumpFloat("max_var", d.maxVar)
		f.dumpFloat("dev", d.dev())
		f.closeSection()
		f.closeSection()
		out = string(f.flush())
	} else {
		var t textTable
		t.define("ID", alignLeft, alignRight)
		for _, h := range []string{"CLASS", "WEIGHT", "REWEIGHT", "SIZE", "RAW USE", "DATA", "OMAP", "META",
			"AVAIL", "%USE", "VAR", "PGS", "STATUS"} {
			t.define(h, alignLeft, alignRight)
		}
		if tree {
			t.define("TYPE NAME", alignLeft, alignLeft)
		}
		d.walk(func(it dumpItem) { d.dumpItem(it, nil, &t) })
		d.strays(func(it dumpItem) { d.dumpItem(it, nil, &t) })
		sum := d.dumpedSum()
		t.add("", "", "", "TOTAL", ByteU(sum.Total>>10<<10), ByteU(statfsUsedRaw(&sum)>>10<<10),
			ByteU(uint64(sum.Allocated)>>10<<10), ByteU(uint64(sum.OmapAllocated)>>10<<10),
			ByteU(uint64(sum.InternalMetadata)>>10<<10), ByteU(sum.Available>>10<<10),
			lowPrecision(float32(d.averageUtil)))
		t.endRow()
		out = t.String() + "MIN/MAX VAR: " + lowPrecision(float32(d.minVar)) + "/" + lowPrecision(float32(d.maxVar)) +
			"  STDDEV: " + lowPrecision(float32(d.dev())) + "\n"
	}
	c.out = appendStream(c.out, out)
}

type utilDumper struct {
	m           *PGMap
	tree        bool
	filter      string
	allowed     map[int32]bool // nil: no filter
	subtree     map[int32]bool // a CRUSH node filter: the node and all below it
	dumped      map[int32]bool
	touched     map[int32]bool
	averageUtil float64
	minVar      float64
	maxVar      float64
	stddev      float64
	sum         float64
}

type dumpItem struct {
	id     int32
	depth  int
	weight float32
	node   *crushNode
}

// prepareFilter resolves filter as OSDUtilizationDumper does: a device
// class selects its OSDs, a CRUSH node itself and what is below it (the
// tree then starts there), a pool the OSDs its CRUSH rule can use.
func (d *utilDumper) prepareFilter() {
	if d.filter == "" {
		return
	}
	d.allowed = map[int32]bool{}
	t := d.m.tree
	if t != nil {
		for _, id := range t.order {
			if n := t.nodes[id]; id >= 0 && n.deviceClass == d.filter {
				d.allowed[id] = true
			}
		}
		if len(d.allowed) > 0 {
			return
		}
		if n, ok := t.byName(d.filter); ok {
			d.subtree = map[int32]bool{}
			var mark func(id int32)
			mark = func(id int32) {
				d.subtree[id] = true
				if id >= 0 {
					d.allowed[id] = true
				}
				if c := t.nodes[id]; c != nil {
					for _, ch := range c.children {
						mark(ch)
					}
				}
			}
			mark(n.id)
			return
		}
	}
	if d.m.osdmap != nil {
		if p, ok := d.m.osdmap.poolByName(d.filter); ok {
			for osd := range d.m.ruleWeightOSDMap(p.crushRule) {
				d.allowed[osd] = true
			}
		}
	}
}

func (d *utilDumper) shouldDump(id int32) bool {
	if d.allowed == nil {
		return true
	}
	if d.subtree != nil {
		return d.subtree[id]
	}
	if id >= 0 {
		return d.allowed[id]
	}
	n := d.m.tree.nodes[id]
	if n == nil {
		return false
	}
	for _, c := range n.children {
		if d.shouldDump(c) {
			return true
		}
	}
	return false
}

// walk visits the CRUSH tree in the order `osd tree` lists it.
func (d *utilDumper) walk(visit func(dumpItem)) {
	t := d.m.tree
	if t == nil {
		return
	}
	for _, id := range t.order {
		n := t.nodes[id]
		d.touched[id] = true
		if !d.shouldDump(id) {
			continue
		}
		visit(dumpItem{id: id, depth: n.depth, weight: float32(n.weight) / float32(0x10000), node: n})
	}
}

// strays visits the OSDs of the osdmap the tree did not list.
func (d *utilDumper) strays(visit func(dumpItem)) {
	om := d.m.osdmap
	if om == nil {
		return
	}
	for i := int32(0); i < om.maxOSD; i++ {
		if om.exists(i) && !d.touched[i] && d.shouldDump(i) {
			visit(dumpItem{id: i})
		}
	}
}

type utilization struct {
	kb, kbUsed, kbUsedData, kbUsedOmap, kbUsedMeta, kbAvail int64
}

func (d *utilDumper) osdUtilization(id int32) (utilization, bool) {
	s, ok := d.m.osdStat.Get(id)
	if !ok {
		return utilization{}, false
	}
	u := utilization{
		kb: int64(s.Statfs.Total >> 10), kbUsed: int64(statfsUsedRaw(&s.Statfs) >> 10),
		kbUsedData: int64(uint64(s.Statfs.Allocated) >> 10), kbUsedOmap: int64(uint64(s.Statfs.OmapAllocated) >> 10),
		kbUsedMeta: int64(uint64(s.Statfs.InternalMetadata) >> 10), kbAvail: int64(s.Statfs.Available >> 10),
	}
	return u, true
}

func (d *utilDumper) bucketUtilization(id int32) (utilization, bool) {
	if id >= 0 {
		if d.m.osdmap == nil || d.m.osdmap.isOut(id) {
			return utilization{}, false
		}
		return d.osdUtilization(id)
	}
	// A bucket sums its items in CRUSH order (the reverse of the
	// dumper's children list) and gives up at the first item without
	// stats, keeping what it summed so far.
	var u utilization
	n := d.m.tree.nodes[id]
	if n == nil {
		return u, false
	}
	for _, c := range n.children {
		cu, ok := d.bucketUtilization(c)
		if !ok {
			return u, false
		}
		u.kb += cu.kb
		u.kbUsed += cu.kbUsed
		u.kbUsedData += cu.kbUsedData
		u.kbUsedOmap += cu.kbUsedOmap
		u.kbUsedMeta += cu.kbUsedMeta
		u.kbAvail += cu.kbAvail
	}
	return u, true
}

func (d *utilDumper) averageUtilization() float64 {
	om := d.m.osdmap
	if om == nil {
		return 0
	}
	var kb, kbUsed int64
	for i := int32(0); i < om.maxOSD; i++ {
		if !om.exists(i) || om.osds[i].weight == 0 || (d.allowed != nil && !d.allowed[i]) {
			continue
		}
		if u, ok := d.osdUtilization(i); ok {
			kb += u.kb
			kbUsed += u.kbUsed
		}
	}
	if kb > 0 {
		return 100.0 * float64(kbUsed) / float64(kb)
	}
	return 0
}

func (d *utilDumper) dev() float64 {
	if d.sum > 0 {
		return math.Sqrt(d.stddev / d.sum)
	}
	return 0
}

// dumpedSum is PGMap::get_osd_sum over the OSDs dumped.
func (d *utilDumper) dumpedSum() messages.StoreStatfs {
	if d.allowed == nil {
		return d.m.osdSum.Statfs
	}
	var s messages.StoreStatfs
	for _, osd := range sortedKeys(d.dumped) {
		if st, ok := d.m.osdStat.Get(osd); ok {
			statfsAdd(&s, &st.Statfs)
		}
	}
	return s
}

func (d *utilDumper) dumpItem(it dumpItem, f formatter, t *textTable) {
	isBucket := it.id < 0
	if !d.tree && (isBucket || d.dumped[it.id]) {
		return
	}
	om := d.m.osdmap
	if !isBucket {
		d.dumped[it.id] = true
	}
	reweight := float32(-1)
	if !isBucket {
		reweight = 0
		if om != nil && om.osds[it.id] != nil {
			reweight = om.osds[it.id].weight
		}
	}
	u, ok := d.bucketUtilization(it.id)
	util := 0.0
	if ok && u.kbUsed != 0 && u.kb != 0 {
		util = 100.0 * float64(u.kbUsed) / float64(u.kb)
	}
	vr := 1.0
	if d.averageUtil != 0 {
		vr = util / d.averageUtil
	}
	numPGs := 0
	if !isBucket {
		numPGs = d.m.numPGOnOSD(it.id)
	}
	status := "down"
	if om != nil && om.isUp(it.id) {
		status = "up"
	}
	if f != nil {
		f.openObject("item")
		if it.node != nil {
			dumpItemFields(f, it.node)
		} else {
			f.dumpInt("id", int64(it.id))
			f.dumpStream("name", "osd."+strconv.Itoa(int(it.id)))
			f.dumpString("type", "osd")
			f.dumpInt("type_id", 0)
			f.dumpFloat("crush_weight", 0)
			f.dumpUnsigned("depth", 0)
		}
		f.dumpFloat("reweight", float64(reweight))
		f.dumpInt("kb", u.kb)
		f.dumpInt("kb_used", u.kbUsed)
		f.dumpInt("kb_used_data", u.kbUsedData)
		f.dumpInt("kb_used_omap", u.kbUsedOmap)
		f.dumpInt("kb_used_meta", u.kbUsedMeta)
		f.dumpInt("kb_avail", u.kbAvail)
		f.dumpFloat("utilization", util)
		f.dumpFloat("var", vr)
		f.dumpUnsigned("pgs", uint64(numPGs))
		if isBucket {
			f.openArray("children")
			for _, c := range it.node.children {
				f.dumpInt("child", int64(c))
			}
			f.closeSection()
		} else {
			f.dumpString("status", status)
		}
		f.closeSection()
	} else {
		class := ""
		if it.node != nil {
			class = it.node.deviceClass
		}
		t.add(it.id, class, weightf(it.weight), weightf(reweight), ByteU(uint64(u.kb)<<10),
			ByteU(uint64(u.kbUsed)<<10), ByteU(uint64(u.kbUsedData)<<10), ByteU(uint64(u.kbUsedOmap)<<10),
			ByteU(uint64(u.kbUsedMeta)<<10), ByteU(uint64(u.kbAvail)<<10), lowPrecision(float32(util)),
			lowPrecision(float32(vr)))
		if isBucket {
			t.add("-", "")
		} else {
			t.add(numPGs, status)
		}
		if d.tree {
			name := strings.Repeat("    ", it.depth)
			if isBucket {
				name += it.node.typ + " " + it.node.name
			} else {
				name += "osd." + strconv.Itoa(int(it.id))
			}
			t.add(name)
		}
		t.endRow()
	}
	if !isBucket && reweight > 0 {
		if d.minVar < 0 || vr < d.minVar {
			d.minVar = vr
		}
		if d.maxVar < 0 || vr > d.maxVar {
			d.maxVar = vr
		}
		dv := util - d.averageUtil
		dv *= dv
		d.stddev += float64(reweight) * dv
		d.sum += float64(reweight)
	}
}

// dumpItemFields is CrushTreeDumper::dump_item_fields, from the node as
// `osd tree` printed it.
func dumpItemFields(f formatter, n *crushNode) {
	for _, fl := range n.fields {
		switch fl.key {
		case "id", "type_id":
			v, _ := jInt(fl.val)
			f.dumpInt(fl.key, v)
		case "depth":
			v, _ := jInt(fl.val)
			f.dumpUnsigned(fl.key, uint64(v))
		case "crush_weight":
			v, _ := jFloat(fl.val)
			f.dumpFloat(fl.key, v)
		case "pool_weights":
			f.openObject("pool_weights")
			if pw, ok := fl.val.(map[string]any); ok {
				for _, k := range sortedKeys(pw) {
					v, _ := jFloat(pw[k])
					f.dumpFloat(k, v)
				}
			}
			f.closeSection()
		default:
			f.dumpString(fl.key, fmt.Sprint(fl.val))
		}
	}
}
