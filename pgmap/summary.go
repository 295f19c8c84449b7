package pgmap

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gomgr/messages"
)

// This file holds PGMapDigest's summaries (pg stat's one line, the
// recovery, client and cache IO rates) and `osd pool stats`.

// --- PGMapDigest summaries ---

// printOnelineSummary is PGMapDigest::print_oneline_summary.
func (m *PGMap) printOnelineSummary(f formatter, out *strings.Builder) {
	var states []string
	if f != nil {
		f.openArray("num_pg_by_state")
	}
	m.numPGByState.Range(func(st uint64, n *int32) bool {
		if f != nil {
			f.openObject("state")
			f.dumpString("name", PGStateString(st))
			f.dumpUnsigned("num", uint64(*n))
			f.closeSection()
		}
		states = append(states, fmt.Sprintf("%d %s", *n, PGStateString(st)))
		return true
	})
	if f != nil {
		f.closeSection()
	}
	s := &m.osdSum.Statfs
	if out != nil {
		fmt.Fprintf(out, "%d pgs: %s; %s data, %s used, %s / %s avail", m.numPG, strings.Join(states, ", "),
			ByteU(uint64(m.pgSum.Stats.Sum.NumBytes)), ByteU(statfsUsed(s)), ByteU(s.Available), ByteU(s.Total))
	}
	if f != nil {
		f.dumpUnsigned("num_pgs", uint64(m.numPG))
		f.dumpUnsigned("num_bytes", uint64(m.pgSum.Stats.Sum.NumBytes))
		f.dumpInt("total_bytes", int64(s.Total))
		f.dumpInt("total_avail_bytes", int64(s.Available))
		f.dumpInt("total_used_bytes", int64(statfsUsed(s)))
		f.dumpInt("total_used_raw_bytes", int64(statfsUsedRaw(s)))
	}
	pos := m.pgSumDelta.Stats.Sum
	sumFloor(&pos, 0)
	if pos.NumRd != 0 || pos.NumWr != 0 {
		if out != nil {
			out.WriteString("; ")
		}
		dt := utFloat(m.stampDelta)
		if pos.NumRd != 0 {
			rd := perSec(pos.NumRdKB<<10, dt)
			if out != nil {
				out.WriteString(ByteU(uint64(rd)) + "/s rd, ")
			}
			if f != nil {
				f.dumpUnsigned("read_bytes_sec", uint64(rd))
			}
		}
		if pos.NumWr != 0 {
			wr := perSec(pos.NumWrKB<<10, dt)
			if out != nil {
				out.WriteString(ByteU(uint64(wr)) + "/s wr, ")
			}
			if f != nil {
				f.dumpUnsigned("write_bytes_sec", uint64(wr))
			}
		}
		iops := perSec(pos.NumRd+pos.NumWr, dt)
		if out != nil {
			out.WriteString(SIU(uint64(iops)) + " op/s")
		}
		if f != nil {
			f.dumpUnsigned("io_sec", uint64(iops))
		}
	}
	var sl []string
	recoverySummary(f, &sl, &m.pgSum)
	if out != nil {
		for _, s := range sl {
			out.WriteString("; " + s)
		}
	}
	var ssr strings.Builder
	recoveryRateSummary(f, &ssr, &m.pgSumDelta, m.stampDelta)
	if out != nil && ssr.Len() > 0 {
		out.WriteString("; " + ssr.String() + " recovering")
	}
}

// perSec is `(int64_t)(n / (double)stamp)`.
func perSec(n int64, dt float64) int64 {
	v := float64(n) / dt
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if v > 0 {
			return math.MinInt64 // what x86 makes of an out-of-range conversion
		}
		return math.MinInt64
	}
	return int64(v)
}

func pct3(a, b int64) string {
	return strconv.FormatFloat(float64(a)/float64(b)*100.0, 'f', 3, 64)
}

// recoverySummary is PGMapDigest::recovery_summary.
func recoverySummary(f formatter, sl *[]string, p *messages.PoolStatT) {
	s := &p.Stats.Sum
	if s.NumObjectsDegraded != 0 && s.NumObjectCopies > 0 {
		pc := float64(s.NumObjectsDegraded) / float64(s.NumObjectCopies) * 100.0
		if f != nil {
			f.dumpUnsigned("degraded_objects", uint64(s.NumObjectsDegraded))
			f.dumpUnsigned("degraded_total", uint64(s.NumObjectCopies))
			f.dumpFloat("degraded_ratio", pc/100.0)
		} else {
			*sl = append(*sl, fmt.Sprintf("%d/%d objects degraded (%s%%)", s.NumObjectsDegraded, s.NumObjectCopies, pct3(s.NumObjectsDegraded, s.NumObjectCopies)))
		}
	}
	if s.NumObjectsMisplaced != 0 && s.NumObjectCopies > 0 {
		pc := float64(s.NumObjectsMisplaced) / float64(s.NumObjectCopies) * 100.0
		if f != nil {
			f.dumpUnsigned("misplaced_objects", uint64(s.NumObjectsMisplaced))
			f.dumpUnsigned("misplaced_total", uint64(s.NumObjectCopies))
			f.dumpFloat("misplaced_ratio", pc/100.0)
		} else {
			*sl = append(*sl, fmt.Sprintf("%d/%d objects misplaced (%s%%)", s.NumObjectsMisplaced, s.NumObjectCopies, pct3(s.NumObjectsMisplaced, s.NumObjectCopies)))
		}
	}
	if s.NumObjectsUnfound != 0 && s.NumObjects != 0 {
		pc := float64(s.NumObjectsUnfound) / float64(s.NumObjects) * 100.0
		if f != nil {
			f.dumpUnsigned("unfound_objects", uint64(s.NumObjectsUnfound))
			f.dumpUnsigned("unfound_total", uint64(s.NumObjects))
			f.dumpFloat("unfound_ratio", pc/100.0)
		} else {
			*sl = append(*sl, fmt.Sprintf("%d/%d objects unfound (%s%%)", s.NumObjectsUnfound, s.NumObjects, pct3(s.NumObjectsUnfound, s.NumObjects)))
		}
	}
}

// recoveryRateSummary is PGMapDigest::recovery_rate_summary.
func recoveryRateSummary(f formatter, out *strings.Builder, delta *messages.PoolStatT, stamp messages.Utime) {
	pos := delta.Stats.Sum
	sumFloor(&pos, 0)
	if pos.NumObjectsRecovered == 0 && pos.NumBytesRecovered == 0 && pos.NumKeysRecovered == 0 {
		return
	}
	dt := utFloat(stamp)
	objps := perSec(pos.NumObjectsRecovered, dt)
	bps := perSec(pos.NumBytesRecovered, dt)
	kps := perSec(pos.NumKeysRecovered, dt)
	if f != nil {
		f.dumpInt("recovering_objects_per_sec", objps)
		f.dumpInt("recovering_bytes_per_sec", bps)
		f.dumpInt("recovering_keys_per_sec", kps)
		f.dumpInt("num_objects_recovered", pos.NumObjectsRecovered)
		f.dumpInt("num_bytes_recovered", pos.NumBytesRecovered)
		f.dumpInt("num_keys_recovered", pos.NumKeysRecovered)
		return
	}
	out.WriteString(ByteU(uint64(bps)) + "/s")
	if pos.NumKeysRecovered != 0 {
		out.WriteString(", " + SIU(uint64(kps)) + " keys/s")
	}
	out.WriteString(", " + SIU(uint64(objps)) + " objects/s")
}

// clientIORateSummary is PGMapDigest::client_io_rate_summary.
func clientIORateSummary(f formatter, out *strings.Builder, delta *messages.PoolStatT, stamp messages.Utime) {
	pos := delta.Stats.Sum
	sumFloor(&pos, 0)
	if pos.NumRd == 0 && pos.NumWr == 0 {
		return
	}
	dt := utFloat(stamp)
	if pos.NumRd != 0 {
		rd := perSec(pos.NumRdKB<<10, dt)
		if f != nil {
			f.dumpInt("read_bytes_sec", rd)
		} else {
			out.WriteString(ByteU(uint64(rd)) + "/s rd, ")
		}
	}
	if pos.NumWr != 0 {
		wr := perSec(pos.NumWrKB<<10, dt)
		if f != nil {
			f.dumpInt("write_bytes_sec", wr)
		} else {
			out.WriteString(ByteU(uint64(wr)) + "/s wr, ")
		}
	}
	rdOps := perSec(pos.NumRd, dt)
	wrOps := perSec(pos.NumWr, dt)
	if f != nil {
		f.dumpInt("read_op_per_sec", rdOps)
		f.dumpInt("write_op_per_sec", wrOps)
	} else {
		out.WriteString(SIU(uint64(rdOps)) + " op/s rd, " + SIU(uint64(wrOps)) + " op/s wr")
	}
}

// cacheIORateSummary is PGMapDigest::cache_io_rate_summary.
func cacheIORateSummary(f formatter, out *strings.Builder, delta *messages.PoolStatT, stamp messages.Utime) {
	pos := delta.Stats.Sum
	sumFloor(&pos, 0)
	dt := utFloat(stamp)
	have := false
	sep := func() {
		if have {
			out.WriteString(", ")
		}
		have = true
	}
	if pos.NumFlush != 0 {
		v := perSec(pos.NumFlushKB<<10, dt)
		if f != nil {
			f.dumpInt("flush_bytes_sec", v)
		} else {
			sep()
			out.WriteString(ByteU(uint64(v)) + "/s flush")
		}
	}
	if pos.NumEvict != 0 {
		v := perSec(pos.NumEvictKB<<10, dt)
		if f != nil {
			f.dumpInt("evict_bytes_sec", v)
		} else {
			sep()
			out.WriteString(ByteU(uint64(v)) + "/s evict")
		}
	}
	if pos.NumPromote != 0 {
		v := perSec(pos.NumPromote, dt)
		if f != nil {
			f.dumpInt("promote_op_per_sec", v)
		} else {
			sep()
			out.WriteString(SIU(uint64(v)) + " op/s promote")
		}
	}
	for _, x := range []struct {
		v          int32
		key, label string
	}{
		{pos.NumFlushModeLow, "num_flush_mode_low", " PGs flushing"},
		{pos.NumFlushModeHigh, "num_flush_mode_high", " PGs flushing (high)"},
		{pos.NumEvictModeSome, "num_evict_mode_some", " PGs evicting"},
		{pos.NumEvictModeFull, "num_evict_mode_full", " PGs evicting (full)"},
	} {
		if x.v == 0 {
			continue
		}
		if f != nil {
			f.dumpInt(x.key, int64(x.v))
		} else {
			sep()
			out.WriteString(SIU(uint64(x.v)) + x.label)
		}
	}
}

// --- osd pool stats ---

func (c *cmdCtx) osdPoolStats() {
	m, f := c.m, c.f
	name := c.str("pool_name")
	var ids []int64
	if m.osdmap != nil {
		ids = m.osdmap.poolIDs
	}
	if name != "" {
		id, ok := m.poolByName(name)
		if !ok {
			fmt.Fprintf(&c.status, "unrecognized pool '%s'", name)
			c.ret = errENOENT
			return
		}
		ids = []int64{id}
	}
	var rs strings.Builder
	var ff formatter
	if f != nil {
		ff = f
		f.openArray("pool_stats")
	} else if len(ids) == 0 {
		c.status.WriteString("there are no pools!")
	}
	for _, id := range ids {
		m.dumpPoolStatsAndIORate(id, ff, &rs)
	}
	if f != nil {
		f.closeSection()
		c.out = append(c.out, f.flush()...)
	} else {
		c.out = append(c.out, rs.String()...)
	}
}

// dumpPoolStatsAndIORate is PGMap::dump_pool_stats_and_io_rate.
func (m *PGMap) dumpPoolStatsAndIORate(poolID int64, f formatter, rs *strings.Builder) {
	pool := m.osdmap.pools[poolID]
	if f != nil {
		f.openObject("pool")
		f.dumpString("pool_name", pool.name)
		f.dumpInt("pool_id", poolID)
		f.openObject("recovery")
	}
	var sl []string
	var tss strings.Builder
	if ps, ok := m.pgPoolSum.Get(int32(poolID)); ok {
		recoverySummary(f, &sl, &ps)
	}
	for _, s := range sl {
		tss.WriteString("  " + s + "\n")
	}
	if f != nil {
		f.closeSection()
		f.openObject("recovery_rate")
	}
	delta, stamp, haveDelta := m.poolDelta(poolID)
	var rss strings.Builder
	if haveDelta {
		recoveryRateSummary(f, &rss, &delta, stamp)
	}
	if f == nil && rss.Len() > 0 {
		tss.WriteString("  recovery io " + rss.String() + "\n")
	}
	if f != nil {
		f.closeSection()
		f.openObject("client_io_rate")
	}
	rss.Reset()
	if haveDelta {
		clientIORateSummary(f, &rss, &delta, stamp)
	}
	if f == nil && rss.Len() > 0 {
		tss.WriteString("  client io " + rss.String() + "\n")
	}
	if pool.isTier() {
		if f != nil {
			f.closeSection()
			f.openObject("cache_io_rate")
		}
		rss.Reset()
		if haveDelta {
			cacheIORateSummary(f, &rss, &delta, stamp)
		}
		if f == nil && rss.Len() > 0 {
			tss.WriteString("  cache tier io " + rss.String() + "\n")
		}
	}
	if f != nil {
		f.closeSection()
		f.closeSection()
		return
	}
	fmt.Fprintf(rs, "pool %s id %d\n", pool.name, poolID)
	if tss.Len() > 0 {
		rs.WriteString(tss.String() + "\n")
	} else {
		rs.WriteString("  nothing is going on\n\n")
	}
}

func (m *PGMap) poolDelta(pool int64) (messages.PoolStatT, messages.Utime, bool) {
	d, ok := m.perPoolSumDelta.Get(pool)
	if !ok {
		return messages.PoolStatT{}, messages.Utime{}, false
	}
	st, _ := m.perPoolSumDeltasStamps.Get(pool)
	return d.delta, st, true
}
