package mon

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gomgr/clustermap"
)

// osdCrushWeight is every OSD's CRUSH weight: gomgr keeps no CRUSH map,
// so each OSD counts the same (Ceph: its size in TiB).
const osdCrushWeight = 1.0

// osdTree is `osd tree -f json`: a root "default", one host bucket per
// hostname the OSDs reported at boot, the OSDs under them; OSDs whose host
// is unknown (not booted since a mon restart) are "stray", as Ceph lists
// OSDs outside its CRUSH map.
func (m *Mon) osdTree() map[string]any {
	byHost := map[string][]*clustermap.OSDInfo{}
	stray := []any{}
	for _, o := range m.osd.Map().OSDs {
		md, _ := m.osd.Metadata(o.OSD)
		if h := md["hostname"]; h != "" {
			byHost[h] = append(byHost[h], o)
		} else {
			stray = append(stray, osdNode(o, md, 0))
		}
	}
	hosts := make([]string, 0, len(byHost))
	for h := range byHost {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	root := map[string]any{"id": -1, "name": "default", "type": "root", "type_id": 11, "children": []int{}}
	nodes := []any{root}
	var rootChildren []int
	var osds []any
	for i, h := range hosts {
		id := -(2*i + 3) // as Ceph numbers them, the odd ids left to device-class shadows
		rootChildren = append(rootChildren, id)
		var children []int
		for _, o := range byHost[h] {
			children = append(children, o.OSD)
			md, _ := m.osd.Metadata(o.OSD)
			osds = append(osds, osdNode(o, md, 2))
		}
		sort.Sort(sort.Reverse(sort.IntSlice(children))) // Ceph lists them newest first
		nodes = append(nodes, map[string]any{"id": id, "name": h, "type": "host", "type_id": 1,
			"pool_weights": map[string]any{}, "children": children})
	}
	if rootChildren != nil {
		sort.Sort(sort.Reverse(sort.IntSlice(rootChildren)))
		root["children"] = rootChildren
	}
	return map[string]any{"nodes": append(nodes, osds...), "stray": stray}
}

func osdNode(o *clustermap.OSDInfo, md map[string]string, depth int) map[string]any {
	status := "down"
	if o.Up == 1 {
		status = "up"
	}
	class := md["default_device_class"]
	if class == "" {
		class = "hdd"
	}
	reweight := o.Weight
	if o.In == 0 {
		reweight = 0
	}
	return map[string]any{"id": o.OSD, "device_class": class, "name": "osd." + strconv.Itoa(o.OSD), "type": "osd",
		"type_id": 0, "crush_weight": osdCrushWeight, "depth": depth, "pool_weights": map[string]any{},
		"exists": 1, "status": status, "reweight": reweight, "primary_affinity": o.PrimaryAffinity}
}

// osdTreeText is `ceph osd tree`'s table.
func osdTreeText(tree map[string]any) []byte {
	var b strings.Builder
	b.WriteString("ID  CLASS  WEIGHT   TYPE NAME      STATUS  REWEIGHT  PRI-AFF\n")
	byID := map[int]map[string]any{}
	for _, n := range tree["nodes"].([]any) {
		nm := n.(map[string]any)
		byID[nm["id"].(int)] = nm
	}
	weight := func(n map[string]any) float64 {
		if n["type"] == "osd" {
			return osdCrushWeight
		}
		w := 0.0
		var sum func(ids []int)
		sum = func(ids []int) {
			for _, id := range ids {
				if c := byID[id]; c != nil {
					if c["type"] == "osd" {
						w += osdCrushWeight
					} else {
						sum(c["children"].([]int))
					}
				}
			}
		}
		sum(n["children"].([]int))
		return w
	}
	var walk func(id, depth int)
	walk = func(id, depth int) {
		n := byID[id]
		if n == nil {
			return
		}
		indent := strings.Repeat("    ", depth)
		if n["type"] == "osd" {
			fmt.Fprintf(&b, "%3d  %5s  %7.5f  %sosd.%-4d  %6s  %8.5f  %7.5f\n", id, n["device_class"], weight(n), indent, id,
				n["status"], n["reweight"], n["primary_affinity"])
			return
		}
		fmt.Fprintf(&b, "%3d         %7.5f  %s%s %s\n", id, weight(n), indent, n["type"], n["name"])
		children := n["children"].([]int)
		if n["type"] == "host" { // Ceph prints a host's OSDs by id
			children = append([]int(nil), children...)
			sort.Ints(children)
		}
		for _, c := range children {
			walk(c, depth+1)
		}
	}
	walk(-1, 0)
	for _, s := range tree["stray"].([]any) {
		n := s.(map[string]any)
		fmt.Fprintf(&b, "%3d  %5s  %7.5f  osd.%-4d  %6s  %8.5f  %7.5f\n", n["id"], n["device_class"], 0.0, n["id"],
			n["status"], n["reweight"], n["primary_affinity"])
	}
	return []byte(b.String())
}
