package pgmap

import (
	"encoding/json"
	"slices"
	"strconv"

	"gomgr/messages"
)

// Get is what a module's get(name) returns for the names ActivePyModules
// serves from the PGMap (pacific): pg_summary, pg_status, pg_dump,
// pg_stats, pool_stats, osd_stats, osd_pool_stats, osd_ping_times, df,
// io_rate and pg_progress. The value is JSON (a json.RawMessage) in the
// key order PyFormatter builds the Python dict in (dump_stream members
// last in their section), with Python's float repr, so json.loads gives
// the module exactly Ceph's objects. Other names (osd_perf among them:
// pacific returns None for it) give nil, false.
func (m *PGMap) Get(name string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := newPyFmt()
	switch name {
	case "pg_summary":
		m.pgSummary(f)
	case "pg_status":
		m.printSummary(f)
	case "pg_dump":
		m.dump(f, false)
	case "pg_stats":
		m.dumpPGStats(f, false)
	case "pool_stats":
		m.dumpPoolStats(f)
	case "osd_stats":
		m.dumpOSDStats(f, false)
	case "osd_ping_times":
		f.openArray("osd_ping_times")
		m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
			f.openObject("osd_ping_time")
			f.dumpInt("osd", int64(osd))
			dumpPingTime(f, s)
			f.closeSection()
			return true
		})
		f.closeSection()
	case "osd_pool_stats":
		f.openArray("pool_stats")
		if m.osdmap != nil {
			for _, id := range m.osdmap.poolIDs {
				m.dumpPoolStatsAndIORate(id, f, nil)
			}
		}
		f.closeSection()
	case "df":
		m.dumpClusterStats(nil, f)
		m.dumpPoolStatsFull(nil, f, true)
	case "io_rate":
		m.dumpDelta(f)
	case "pg_progress":
		f.openObject("pgs")
		m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
			f.openObject(id.String())
			f.dumpInt("num_bytes_recovered", s.Stats.Sum.NumBytesRecovered)
			f.dumpInt("num_bytes", s.Stats.Sum.NumBytes)
			f.dumpUnsigned("reported_epoch", uint64(s.ReportedEpoch))
			f.dumpString("state", PGStateString(s.State))
			f.closeSection()
			return true
		})
		f.closeSection()
		f.dumpBool("pg_ready", m.ready)
	default:
		return nil, false
	}
	return json.RawMessage(f.json()), true
}

// pgSummary is get_python's "pg_summary".
func (m *PGMap) pgSummary(f formatter) {
	osds := map[string]map[string]int64{}
	pools := map[string]map[string]int64{}
	all := map[string]int64{}
	inc := func(mm map[string]map[string]int64, k, st string) {
		if mm[k] == nil {
			mm[k] = map[string]int64{}
		}
		mm[k][st]++
	}
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		st := PGStateString(s.State)
		inc(pools, strconv.FormatUint(id.Pool, 10), st)
		for _, o := range s.Acting {
			inc(osds, strconv.Itoa(int(o)), st)
		}
		all[st]++
		return true
	})
	for _, sec := range []struct {
		name string
		m    map[string]map[string]int64
	}{{"by_osd", osds}, {"by_pool", pools}} {
		f.openObject(sec.name)
		for _, k := range sortedKeys(sec.m) {
			f.openObject(k)
			for _, st := range sortedKeys(sec.m[k]) {
				f.dumpInt(st, sec.m[k][st])
			}
			f.closeSection()
		}
		f.closeSection()
	}
	f.openObject("all")
	for _, st := range sortedKeys(all) {
		f.dumpInt(st, all[st])
	}
	f.closeSection()
	f.openObject("pg_stats_sum")
	dumpPoolStat(f, &m.pgSum)
	f.closeSection()
}

// printSummary is PGMap::print_summary with a formatter (pg_status).
func (m *PGMap) printSummary(f formatter) {
	f.openArray("pgs_by_pool_state")
	m.numPGByPoolState.Range(func(pool int64, states **umap[uint64, int32]) bool {
		f.openObject("per_pool_pgs_by_state")
		f.dumpInt("pool_id", pool)
		f.openArray("pg_state_counts")
		(*states).Range(func(st uint64, n *int32) bool {
			f.openObject("pg_state_count")
			f.dumpString("state_name", PGStateString(st))
			f.dumpInt("count", int64(*n))
			f.closeSection()
			return true
		})
		f.closeSection()
		f.closeSection()
		return true
	})
	f.closeSection()

	// PGMapDigest::print_summary: states by descending count; a multimap
	// keeps equal counts in insertion order, which the reverse walk flips.
	type sc struct {
		count int32
		state uint64
	}
	var byCount []sc
	m.numPGByState.Range(func(st uint64, n *int32) bool {
		byCount = append(byCount, sc{*n, st})
		return true
	})
	slices.SortStableFunc(byCount, func(a, b sc) int { return int(a.count) - int(b.count) })
	f.openArray("pgs_by_state")
	for i := len(byCount) - 1; i >= 0; i-- {
		f.openObject("pgs_by_state_element")
		f.dumpString("state_name", PGStateString(byCount[i].state))
		f.dumpUnsigned("count", uint64(byCount[i].count))
		f.closeSection()
	}
	f.closeSection()
	s := &m.osdSum.Statfs
	f.dumpUnsigned("num_pgs", uint64(m.numPG))
	f.dumpUnsigned("num_pools", uint64(m.pgPoolSum.Len()))
	f.dumpUnsigned("num_objects", uint64(m.pgSum.Stats.Sum.NumObjects))
	f.dumpUnsigned("data_bytes", uint64(m.pgSum.Stats.Sum.NumBytes))
	f.dumpUnsigned("bytes_used", statfsUsedRaw(s))
	f.dumpUnsigned("bytes_avail", s.Available)
	f.dumpUnsigned("bytes_total", s.Total)
	if m.numPGUnknown > 0 {
		f.dumpFloat("unknown_pgs_ratio", float64(float32(m.numPGUnknown)/float32(m.numPG)))
	}
	if inactive := m.numPG - m.numPGActive - m.numPGUnknown; inactive > 0 {
		f.dumpFloat("inactive_pgs_ratio", float64(float32(inactive)/float32(m.numPG)))
	}
	var sl []string
	recoverySummary(f, &sl, &m.pgSum)
	recoveryRateSummary(f, nil, &m.pgSumDelta, m.stampDelta)
	clientIORateSummary(f, nil, &m.pgSumDelta, m.stampDelta)
	cacheIORateSummary(f, nil, &m.pgSumDelta, m.stampDelta)
}
