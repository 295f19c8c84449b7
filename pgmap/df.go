package pgmap

import (
	"fmt"
	"math"
	"strings"

	"gomgr/messages"
)

// This file holds what pacific's mon answers from the mgr's digest and
// the osdmap: `df [detail]` and `osd utilization`.

// --- df (the mon's, from the digest) ---

func (c *cmdCtx) df() {
	m, f := c.m, c.f
	verbose := c.str("detail") == "detail"
	var rs strings.Builder
	var ff formatter
	if f != nil {
		ff = f
		f.openObject("stats")
	}
	m.dumpClusterStats(&rs, ff)
	if f == nil {
		rs.WriteString(" \n")
	}
	m.dumpPoolStatsFull(&rs, ff, verbose)
	if f != nil {
		f.closeSection()
		rs.Write(f.flush())
	}
	c.out = appendStream(c.out, rs.String())
}

func (m *PGMap) usePerPoolStats() bool { return m.osdSum.NumOSDs == m.osdSum.NumPerPoolOSDs }

func (m *PGMap) usePerPoolOmapStats() bool { return m.osdSum.NumOSDs == m.osdSum.NumPerPoolOmapOSDs }

// dumpClusterStats is PGMapDigest::dump_cluster_stats (pacific).
func (m *PGMap) dumpClusterStats(ss *strings.Builder, f formatter) {
	byClass := m.osdSumByClass()
	s := &m.osdSum.Statfs
	if f != nil {
		f.openObject("stats")
		f.dumpInt("total_bytes", int64(s.Total))
		f.dumpInt("total_avail_bytes", int64(s.Available))
		f.dumpInt("total_used_bytes", int64(statfsUsed(s)))
		f.dumpInt("total_used_raw_bytes", int64(statfsUsedRaw(s)))
		f.dumpFloat("total_used_raw_ratio", float64(statfsUsedRawRatio(s)))
		f.dumpUnsigned("num_osds", uint64(m.osdSum.NumOSDs))
		f.dumpUnsigned("num_per_pool_osds", uint64(m.osdSum.NumPerPoolOSDs))
		f.dumpUnsigned("num_per_pool_omap_osds", uint64(m.osdSum.NumPerPoolOmapOSDs))
		f.closeSection()
		f.openObject("stats_by_class")
		for _, cl := range sortedKeys(byClass) {
			cs := byClass[cl].Statfs
			f.openObject(cl)
			f.dumpInt("total_bytes", int64(cs.Total))
			f.dumpInt("total_avail_bytes", int64(cs.Available))
			f.dumpInt("total_used_bytes", int64(statfsUsed(&cs)))
			f.dumpInt("total_used_raw_bytes", int64(statfsUsedRaw(&cs)))
			f.dumpFloat("total_used_raw_ratio", float64(statfsUsedRawRatio(&cs)))
			f.closeSection()
		}
		f.closeSection()
		return
	}
	var t textTable
	t.define("CLASS", alignLeft, alignLeft)
	for _, h := range []string{"SIZE", "AVAIL", "USED", "RAW USED", "%RAW USED"} {
		t.define(h, alignRight, alignRight)
	}
	row := func(name string, s *messages.StoreStatfs) {
		t.add(name, ByteU(s.Total), ByteU(s.Available), ByteU(statfsUsed(s)), ByteU(statfsUsedRaw(s)),
			percentify(statfsUsedRawRatio(s)*100.0))
		t.endRow()
	}
	for _, cl := range sortedKeys(byClass) {
		cs := byClass[cl].Statfs
		row(cl, &cs)
	}
	row("TOTAL", s)
	ss.WriteString("--- RAW STORAGE ---\n")
	ss.WriteString(t.String())
}

// dumpPoolStatsFull is PGMapDigest::dump_pool_stats_full (pacific).
func (m *PGMap) dumpPoolStatsFull(ss *strings.Builder, f formatter, verbose bool) {
	var t textTable
	if f != nil {
		f.openArray("pools")
	} else {
		t.define("POOL", alignLeft, alignLeft)
		heads := []string{"ID", "PGS", "STORED"}
		if verbose {
			heads = append(heads, "(DATA)", "(OMAP)")
		}
		heads = append(heads, "OBJECTS", "USED")
		if verbose {
			heads = append(heads, "(DATA)", "(OMAP)")
		}
		heads = append(heads, "%USED", "MAX AVAIL")
		if verbose {
			heads = append(heads, "QUOTA OBJECTS", "QUOTA BYTES", "DIRTY", "USED COMPR", "UNDER COMPR")
		}
		for _, h := range heads {
			t.define(h, alignRight, alignRight)
		}
	}
	if m.osdmap != nil {
		availByRule := map[int]int64{}
		for _, id := range m.osdmap.poolIDs {
			stat, ok := m.pgPoolSum.Get(int32(id))
			if !ok {
				continue
			}
			pool := m.osdmap.pools[id]
			avail, ok := availByRule[pool.crushRule]
			if !ok {
				avail = m.ruleAvail(pool.crushRule)
				if avail < 0 {
					avail = 0
				}
				availByRule[pool.crushRule] = avail
			}
			if f != nil {
				f.openObject("pool")
				f.dumpString("name", pool.name)
				f.dumpInt("id", id)
				f.openObject("stats")
			} else {
				t.add(pool.name, id, pool.pgNum)
			}
			m.dumpObjectStatSum(&t, f, &stat, uint64(avail), m.osdmap.rawUsedRate(pool), verbose, pool)
			if f != nil {
				f.closeSection()
				f.closeSection()
			} else {
				t.endRow()
			}
		}
	}
	if f != nil {
		f.closeSection()
		return
	}
	ss.WriteString("--- POOLS ---\n")
	ss.WriteString(t.String())
}

// dumpObjectStatSum is PGMapDigest::dump_object_stat_sum (pacific), float
// for float as Ceph computes it.
func (m *PGMap) dumpObjectStatSum(t *textTable, f formatter, ps *messages.PoolStatT, avail uint64, rate float32, verbose bool, pool *poolInfo) {
	sum := &ps.Stats.Sum
	statfs := &ps.StoreStats
	perPool, perPoolOmap := m.usePerPoolStats(), m.usePerPoolOmapStats()
	if sum.NumObjectCopies > 0 {
		rate *= float32(sum.NumObjectCopies-sum.NumObjectsDegraded) / float32(sum.NumObjectCopies)
	}
	usedData := allocatedDataBytes(ps, perPool)
	usedOmap := allocatedOmapBytes(ps, perPoolOmap)
	usedBytes := usedData + usedOmap
	var used float32
	if avail != 0 {
		used = float32(usedBytes)
		used /= used + float32(avail)
	} else if usedBytes != 0 {
		used = 1.0
	}
	var availRes float32
	if rate != 0 {
		availRes = float32(avail) / rate
	}
	storedData := userDataBytes(ps, rate, perPool)
	storedOmap := userOmapBytes(ps, rate, perPoolOmap)
	stored := storedData + storedOmap
	storedRaw := float32(stored) * rate
	if f != nil {
		f.dumpInt("stored", int64(stored))
		if verbose {
			f.dumpInt("stored_data", int64(storedData))
			f.dumpInt("stored_omap", int64(storedOmap))
		}
		f.dumpInt("objects", sum.NumObjects)
		f.dumpInt("kb_used", int64((usedBytes+1023)>>10))
		f.dumpInt("bytes_used", int64(usedBytes))
		if verbose {
			f.dumpInt("data_bytes_used", int64(usedData))
			f.dumpInt("omap_bytes_used", int64(usedOmap))
		}
		f.dumpFloat("percent_used", float64(used))
		f.dumpUnsigned("max_avail", f32ToU64(availRes))
		if verbose {
			f.dumpInt("quota_objects", int64(pool.quotaMaxObjects))
			f.dumpInt("quota_bytes", int64(pool.quotaMaxBytes))
			if pool.isTier() {
				f.dumpInt("dirty", sum.NumObjectsDirty)
			} else {
				f.dumpInt("dirty", 0)
			}
			f.dumpInt("rd", sum.NumRd)
			f.dumpInt("rd_bytes", sum.NumRdKB*1024)
			f.dumpInt("wr", sum.NumWr)
			f.dumpInt("wr_bytes", sum.NumWrKB*1024)
			f.dumpInt("compress_bytes_used", statfs.DataCompressedAllocated)
			f.dumpInt("compress_under_bytes", statfs.DataCompressedOriginal)
			f.dumpInt("stored_raw", int64(storedRaw))
			f.dumpUnsigned("avail_raw", avail)
		}
		return
	}
	t.add(ByteU(stored))
	if verbose {
		t.add(ByteU(storedData), ByteU(storedOmap))
	}
	t.add(SIU(uint64(sum.NumObjects)), ByteU(usedBytes))
	if verbose {
		t.add(ByteU(usedData), ByteU(usedOmap))
	}
	t.add(percentify(used*100), ByteU(f32ToU64(availRes)))
	if verbose {
		if pool.quotaMaxObjects == 0 {
			t.add("N/A")
		} else {
			t.add(SIU(pool.quotaMaxObjects))
		}
		if pool.quotaMaxBytes == 0 {
			t.add("N/A")
		} else {
			t.add(ByteU(pool.quotaMaxBytes))
		}
		if pool.isTier() {
			t.add(SIU(uint64(sum.NumObjectsDirty)))
		} else {
			t.add("N/A")
		}
		t.add(ByteU(uint64(statfs.DataCompressedAllocated)), ByteU(uint64(statfs.DataCompressedOriginal)))
	}
}

func f32ToU64(v float32) uint64 {
	if v <= 0 || math.IsNaN(float64(v)) {
		return 0
	}
	return uint64(v)
}

// --- osd utilization (the mon's OSDMap::summarize_mapping_stats) ---

// osdUtilization counts each OSD's PGs from the PGs' up sets, which the
// mon takes from its CRUSH mapping instead; the two agree once the
// cluster has settled.
func (c *cmdCtx) osdUtilization() {
	m, f := c.m, c.f
	om := m.osdmap
	if om == nil {
		om = &osdMap{pools: map[int64]*poolInfo{}, osds: map[int32]*osdInfo{}}
	}
	var totalPG uint32
	for _, id := range om.poolIDs {
		p := om.pools[id]
		totalPG += p.pgNum * uint32(p.size)
	}
	base := make([]uint32, max(int(om.maxOSD), 0))
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		if om.pools[int64(id.Pool)] == nil {
			return true
		}
		for _, o := range s.Up {
			if o >= 0 && int(o) < len(base) {
				base[o]++
			}
		}
		return true
	})
	var minPG, maxPG uint32
	minOSD, maxOSD := -1, -1
	numUpIn := 0
	for i := 0; i < len(base); i++ {
		if om.isUp(int32(i)) && om.isIn(int32(i)) {
			numUpIn++
		}
	}
	var avg, stddev float32
	if numUpIn > 0 {
		avg = float32(totalPG) / float32(numUpIn)
		var sd float64
		for i := 0; i < len(base); i++ {
			if !om.isUp(int32(i)) || !om.isIn(int32(i)) {
				continue
			}
			d := float32(base[i]) - avg
			d *= d
			sd += float64(d)
			if minOSD < 0 || base[i] < minPG {
				minOSD, minPG = i, base[i]
			}
			if maxOSD < 0 || base[i] > maxPG {
				maxOSD, maxPG = i, base[i]
			}
		}
		stddev = float32(math.Sqrt(sd / float64(numUpIn)))
	}
	edev := float32(math.Sqrt(float64(avg) * (1.0 - 1.0/float64(numUpIn))))
	if f != nil {
		f.openObject("utilization")
		f.dumpFloat("avg_pgs", float64(avg))
		f.dumpFloat("std_dev", float64(stddev))
		f.dumpFloat("expected_baseline_std_dev", float64(edev))
		f.dumpInt("min_osd", int64(minOSD))
		f.dumpInt("min_osd_pgs", int64(minPG))
		f.dumpInt("max_osd", int64(maxOSD))
		f.dumpInt("max_osd_pgs", int64(maxPG))
		f.closeSection()
		c.out = append(c.out, f.flush()...)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "avg %s\n", cG6(float64(avg)))
	fmt.Fprintf(&b, "stddev %s (expected baseline %s)\n", cG6(float64(stddev)), cG6(float64(edev)))
	if minOSD >= 0 {
		fmt.Fprintf(&b, "min osd.%d with %d pgs (%s * mean)\n", minOSD, minPG, cG6(float64(float32(minPG)/avg)))
	}
	if maxOSD >= 0 {
		fmt.Fprintf(&b, "max osd.%d with %d pgs (%s * mean)\n", maxOSD, maxPG, cG6(float64(float32(maxPG)/avg)))
	}
	c.out = append(c.out, b.String()...)
}
