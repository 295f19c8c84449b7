package crush

import (
	"path/filepath"
	"testing"
)

// bigOSDMap is 1,000 OSDs, 10 a host, 10 hosts a rack, and one pool of
// 32,000 PGs (32 a OSD, as createsimple --pg-bits 5 makes), all up and in.
func bigOSDMap(b *testing.B) *OSDMap {
	o, _, _ := bigOSDMapFile(b)
	return o
}

// bigOSDMapFile is bigOSDMap, and the osdmaptool arguments that read the
// same map (the file, and marks osdmaptool applies on each run).
func bigOSDMapFile(b *testing.B) (o *OSDMap, dir string, args []string) {
	b.Helper()
	needTools(b, "crushtool", "osdmaptool")
	dir = b.TempDir()
	s := osdmapScenario{osds: 1000, pgBits: "5", crush: [][]string{
		{"--outfn", filepath.Join(dir, "c"), "--build", "--num_osds", "1000",
			"host", "straw2", "10", "rack", "straw2", "10", "root", "straw2", "0"},
	}}
	om, marks := buildOSDMap(b, dir, s)
	return loadOSDMap(b, dir, om, marks), dir, append([]string{om}, marks...)
}

// BenchmarkDoRule maps one PG of the 1,000-OSD map (3 replicas, one per
// host).
func BenchmarkDoRule(b *testing.B) {
	o := bigOSDMap(b)
	p := o.Pools[1]
	rule := o.FindRule(p)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := o.Crush.DoRule(rule, uint32(i), 3, o.weights); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalcPGUpmaps is one balancer round on the 1,000-OSD map: the
// survey of all 32,000 PGs and up to 10 changes (the balancer's default
// upmap_max_optimizations), deviation 5; beside it, Ceph's own
// calc_pg_upmaps on the same map (osdmaptool --upmap), and osdmaptool
// reading the map and doing nothing else, which is the part of its figure
// that is not calc_pg_upmaps.
func BenchmarkCalcPGUpmaps(b *testing.B) {
	o, dir, args := bigOSDMapFile(b)
	b.Run("gomgr", func(b *testing.B) {
		b.ReportAllocs()
		changes := 0
		for b.Loop() {
			u, err := o.CalcPGUpmapsOpts(UpmapOptions{MaxDeviation: 5, MaxIterations: 10, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			changes = u.Changes
		}
		b.ReportMetric(float64(changes), "changes/op")
	})
	b.Run("osdmaptool", func(b *testing.B) {
		for b.Loop() {
			run(b, dir, "osdmaptool", append(args, "--upmap", filepath.Join(dir, "up.out"), "--upmap-deviation", "5", "--upmap-max", "10")...)
		}
	})
	b.Run("osdmaptool-load-only", func(b *testing.B) {
		for b.Loop() {
			run(b, dir, "osdmaptool", append(args, "--print")...)
		}
	})
}
