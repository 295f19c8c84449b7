package pgmap

import (
	"fmt"
	"sort"
	"strings"

	"gomgr/messages"
)

// HealthCheck is one health check the mgr reports to the mon in
// MMonMgrReport (health_check_t): its severity ("HEALTH_WARN" or
// "HEALTH_ERR"), summary message, count and detail messages.
type HealthCheck struct {
	Severity string
	Summary  string
	Count    int64
	Detail   []string
}

// Health check tunables (pacific defaults).
const (
	monPGWarnMinObjects          = 10000
	monPGWarnMinPoolObjects      = 1000
	monPGWarnMaxObjectSkew       = 10.0
	monPoolQuotaWarnThreshold    = 0
	monPoolQuotaCritThreshold    = 0
	monOSDWarnNumRepaired        = 10
	monOSDSnapTrimQueueWarnOn    = 32768
	monWarnPGNotScrubbedRatio    = 0.5
	monWarnPGNotDeepScrubbedRato = 0.75
	osdScrubMaxInterval          = 7 * 86400
	osdDeepScrubInterval         = 7 * 86400
	osdHeartbeatGrace            = 20
	monWarnOnSlowPingRatio       = 0.05
	monCacheTargetFullWarnRatio  = 0.66
	crushItemNone                = 0x7fffffff
)

// pgVecStr is pg_vector_string.
func pgVecStr(v []int32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		if x == crushItemNone {
			b.WriteString("NONE")
		} else {
			fmt.Fprint(&b, x)
		}
	}
	b.WriteByte(']')
	return b.String()
}

type pgConsequence int

const (
	unavailable pgConsequence = iota + 1
	degraded
	backfillFull
	damaged
	recoveryFull
)

type pgStateResponse struct {
	state       uint64
	consequence pgConsequence
	stuckSince  func(*messages.PGStatT) messages.Utime
	invert      bool
}

// stateToResponse is get_health_checks' state_to_response, in its
// std::map order (by state bit).
var stateToResponse = func() []pgStateResponse {
	r := []pgStateResponse{
		{stateInconsistent, damaged, nil, false},
		{stateIncomplete, unavailable, nil, false},
		{stateSnaptrimError, damaged, nil, false},
		{stateRecoveryUnfound, damaged, nil, false},
		{stateBackfillUnfound, damaged, nil, false},
		{stateBackfillToofull, backfillFull, nil, false},
		{stateRecoveryToofull, recoveryFull, nil, false},
		{stateDegraded, degraded, nil, false},
		{stateDown, unavailable, nil, false},
		{statePeering, unavailable, func(p *messages.PGStatT) messages.Utime {
			if utLess(p.LastActive, p.LastPeered) {
				return p.LastPeered
			}
			return p.LastActive
		}, false},
		{stateUndersized, degraded, func(p *messages.PGStatT) messages.Utime { return p.LastFullsized }, false},
		{stateStale, unavailable, func(p *messages.PGStatT) messages.Utime { return p.LastUnstale }, false},
		{stateActive, unavailable, func(p *messages.PGStatT) messages.Utime { return p.LastActive }, true},
	}
	sort.Slice(r, func(i, j int) bool { return r[i].state < r[j].state })
	return r
}()

type pgCauses struct {
	states   map[uint64]int64
	pgs      map[messages.PGID]bool
	messages map[messages.PGID]string
}

// HealthChecks is PGMap::get_health_checks (pacific) at the PGMap's
// clock: the checks ceph-mgr derives from PG and OSD stats and sends the
// mon with each report. OSD_NEARFULL and OSD_FULL are not among them: the
// mon raises those from the osdmap's full flags.
func (m *PGMap) HealthChecks() map[string]HealthCheck {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]HealthCheck{}
	if m.osdmap == nil {
		return out
	}
	now := m.now()
	om := m.osdmap
	const maxDetail = monHealthMaxDetail
	stateName := func(st uint64) string {
		switch st {
		case stateClean:
			return "unclean"
		case stateActive:
			return "inactive"
		}
		return PGStateString(st)
	}
	detected := map[pgConsequence]*pgCauses{}
	cutoff := utSub(now, messages.Utime{Sec: monPGStuckThreshold})
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		for _, r := range stateToResponse {
			if (s.State&r.state != 0) == r.invert {
				continue
			}
			if r.stuckSince != nil {
				last := r.stuckSince(s)
				if utIsZero(last) && !utLess(s.LastChange, cutoff) {
					continue
				} else if !utLess(last, cutoff) {
					continue
				}
			}
			c := detected[r.consequence]
			if c == nil {
				c = &pgCauses{states: map[uint64]int64{}, pgs: map[messages.PGID]bool{}, messages: map[messages.PGID]string{}}
				detected[r.consequence] = c
			}
			c.states[r.state]++
			c.pgs[id] = true
			if len(c.messages) > maxDetail {
				continue
			}
			var b strings.Builder
			if r.stuckSince != nil {
				since := r.stuckSince(s)
				fmt.Fprintf(&b, "pg %s is stuck %s", id, stateName(r.state))
				if utIsZero(since) {
					b.WriteString(" since forever")
				} else {
					b.WriteString(" for " + utimeSpanStr(utSub(now, since)))
				}
				fmt.Fprintf(&b, ", current state %s, last acting %s", PGStateString(s.State), pgVecStr(s.Acting))
			} else {
				fmt.Fprintf(&b, "pg %s is %s, acting %s", id, PGStateString(s.State), pgVecStr(s.Acting))
				if s.Stats.Sum.NumObjectsUnfound != 0 {
					fmt.Fprintf(&b, ", %d unfound", s.Stats.Sum.NumObjectsUnfound)
				}
			}
			if s.State&stateIncomplete != 0 {
				if p := om.pools[int64(id.Pool)]; p != nil && p.minSize > 1 {
					fmt.Fprintf(&b, " (reducing pool %s min_size from %d may help; search ceph.com/docs for 'incomplete')", p.name, p.minSize)
				}
			}
			c.messages[id] = b.String()
		}
		return true
	})
	for _, cons := range []pgConsequence{unavailable, degraded, backfillFull, damaged, recoveryFull} {
		c := detected[cons]
		if c == nil {
			continue
		}
		var code, sev, summary string
		switch cons {
		case unavailable:
			code, sev, summary = "PG_AVAILABILITY", "HEALTH_WARN", "Reduced data availability: "
		case degraded:
			code, sev, summary = "PG_DEGRADED", "HEALTH_WARN", "Degraded data redundancy: "
		case backfillFull:
			code, sev, summary = "PG_BACKFILL_FULL", "HEALTH_WARN", "Low space hindering backfill (add storage if this doesn't resolve itself): "
		case damaged:
			code, sev, summary = "PG_DAMAGED", "HEALTH_ERR", "Possible data damage: "
		case recoveryFull:
			code, sev, summary = "PG_RECOVERY_FULL", "HEALTH_ERR", "Full OSDs blocking recovery: "
		}
		sum := &m.pgSum.Stats.Sum
		if cons == degraded && sum.NumObjectsDegraded != 0 && sum.NumObjectCopies > 0 {
			summary += fmt.Sprintf("%d/%d objects degraded (%s%%), ", sum.NumObjectsDegraded, sum.NumObjectCopies,
				pct3(sum.NumObjectsDegraded, sum.NumObjectCopies))
		}
		var msgs []string
		var count int64
		for _, st := range sortedKeys(c.states) {
			n := c.states[st]
			word := " pg "
			if n > 1 {
				word = " pgs "
			}
			msgs = append(msgs, fmt.Sprintf("%d%s%s", n, word, stateName(st)))
			count += n
		}
		hc := HealthCheck{Severity: sev, Summary: summary + strings.Join(msgs, ", "), Count: count}
		for _, id := range sortedPGs(c.messages) {
			hc.Detail = append(hc.Detail, c.messages[id])
		}
		out[code] = hc
	}
	sum := &m.pgSum.Stats.Sum
	if sum.NumScrubErrors != 0 {
		out["OSD_SCRUB_ERRORS"] = HealthCheck{Severity: "HEALTH_ERR",
			Summary: fmt.Sprintf("%d scrub errors", sum.NumScrubErrors), Count: sum.NumScrubErrors}
	}
	if sum.NumLargeOmapObjects != 0 {
		var detail []string
		for _, id := range om.poolIDs {
			ps, ok := m.pgPoolSum.Get(int32(id))
			if ok && ps.Stats.Sum.NumLargeOmapObjects != 0 {
				detail = append(detail, fmt.Sprintf("%d large objects found in pool '%s'", ps.Stats.Sum.NumLargeOmapObjects, om.pools[id].name))
			}
		}
		if len(detail) > 0 {
			detail = append(detail, "Search the cluster log for 'Large omap object found' for more details.")
			out["LARGE_OMAP_OBJECTS"] = HealthCheck{Severity: "HEALTH_WARN",
				Summary: fmt.Sprintf("%d large omap objects", sum.NumLargeOmapObjects), Count: sum.NumLargeOmapObjects, Detail: detail}
		}
	}
	m.cachePoolNearFull(out)
	// TOO_MANY_PGS (TOO_FEW_PGS is off with pacific's mon_pg_warn_min_per_osd 0).
	if numIn := om.numInOSDs; numIn > 0 {
		sumPGUp := max(int64(m.pgSum.Up), int64(m.pgStat.Len()))
		if per := sumPGUp / int64(numIn); per > monMaxPGPerOSD {
			out["TOO_MANY_PGS"] = HealthCheck{Severity: "HEALTH_WARN",
				Summary: fmt.Sprintf("too many PGs per OSD (%d > max %d)", per, monMaxPGPerOSD), Count: per - monMaxPGPerOSD}
		}
	}
	m.slowPing(out, now)
	m.poolChecks(out)
	if sum.NumObjectsUnfound != 0 && sum.NumObjects != 0 {
		hc := HealthCheck{Severity: "HEALTH_WARN", Count: sum.NumObjectsUnfound,
			Summary: fmt.Sprintf("%d/%d objects unfound (%s%%)", sum.NumObjectsUnfound, sum.NumObjects, pct3(sum.NumObjectsUnfound, sum.NumObjects))}
		m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
			if s.Stats.Sum.NumObjectsUnfound == 0 {
				return true
			}
			hc.Detail = append(hc.Detail, fmt.Sprintf("pg %s has %d unfound objects", id, s.Stats.Sum.NumObjectsUnfound))
			if len(hc.Detail) > maxDetail {
				hc.Detail = append(hc.Detail, "(additional pgs left out for brevity)")
				return false
			}
			return true
		})
		out["OBJECT_UNFOUND"] = hc
	}
	m.storeAlerts(out)
	m.notScrubbed(out, now)
	m.poolApp(out)
	m.snapTrim(out)
	return out
}

func (m *PGMap) cachePoolNearFull(out map[string]HealthCheck) {
	om := m.osdmap
	var detail []string
	n := int64(0)
	for _, id := range om.poolIDs {
		p := om.pools[id]
		st, ok := m.pgPoolSum.Get(int32(id))
		if (p.targetMaxObjects == 0 && p.targetMaxBytes == 0) || !ok {
			continue
		}
		near := false
		ratio := p.cacheTargetFullRatio + uint64(float64(1000000-p.cacheTargetFullRatio)*monCacheTargetFullWarnRatio)
		s := &st.Stats.Sum
		if p.targetMaxObjects != 0 && float64(uint64(s.NumObjects-s.NumObjectsHitSetArchive)) > float64(p.targetMaxObjects)*(float64(ratio)/1000000.0) {
			detail = append(detail, fmt.Sprintf("cache pool '%s' with %s objects at/near target max %s objects", p.name, SIU(uint64(s.NumObjects)), SIU(p.targetMaxObjects)))
			near = true
		}
		if p.targetMaxBytes != 0 && float64(uint64(s.NumBytes-s.NumBytesHitSetArchive)) > float64(p.targetMaxBytes)*(float64(ratio)/1000000.0) {
			detail = append(detail, fmt.Sprintf("cache pool '%s' with %s at/near target max %s", p.name, ByteU(uint64(s.NumBytes)), ByteU(p.targetMaxBytes)))
			near = true
		}
		if near {
			n++
		}
	}
	if len(detail) > 0 {
		out["CACHE_POOL_NEAR_FULL"] = HealthCheck{Severity: "HEALTH_WARN", Count: n,
			Summary: fmt.Sprintf("%d cache pools at or near target size", n), Detail: detail}
	}
}

func (m *PGMap) slowPing(out map[string]HealthCheck, now messages.Utime) {
	warn := float64(osdHeartbeatGrace) * 1000000 * monWarnOnSlowPingRatio
	type item struct {
		ping      uint32
		from, to  int32
		improving bool
	}
	less := func(a, b item) bool {
		if a.ping != b.ping {
			return a.ping < b.ping
		}
		if a.from != b.from {
			return a.from < b.from
		}
		return a.to < b.to
	}
	var back, front []item
	var repaired []string
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		for _, peer := range sortedKeys(s.HBPingTime) {
			h := s.HBPingTime[peer]
			if int64(now.Sec)-int64(h.LastUpdate) > osdHeartbeatGrace*60 {
				continue
			}
			b := item{ping: max(h.BackPingTime[0], h.BackPingTime[1], h.BackPingTime[2]), from: osd, to: peer}
			if float64(b.ping) > warn {
				b.improving = h.BackPingTime[0] < h.BackPingTime[1] && h.BackPingTime[1] < h.BackPingTime[2]
				back = append(back, b)
			}
			fr := item{ping: max(h.FrontPingTime[0], h.FrontPingTime[1], h.FrontPingTime[2]), from: osd, to: peer}
			if float64(fr.ping) > warn {
				fr.improving = h.FrontPingTime[0] < h.FrontPingTime[1] && h.FrontPingTime[1] < h.BackPingTime[2]
				front = append(front, fr)
			}
		}
		if s.NumShardsRepaired > monOSDWarnNumRepaired {
			repaired = append(repaired, fmt.Sprintf("osd.%d had %d reads repaired", osd, s.NumShardsRepaired))
		}
		return true
	})
	if len(repaired) > 0 {
		out["OSD_TOO_MANY_REPAIRS"] = HealthCheck{Severity: "HEALTH_WARN", Count: int64(len(repaired)),
			Summary: fmt.Sprintf("Too many repaired reads on %d OSDs", len(repaired)), Detail: repaired}
	}
	for _, side := range []struct {
		name, code string
		items      []item
	}{{"back", "OSD_SLOW_PING_TIME_BACK", back}, {"front", "OSD_SLOW_PING_TIME_FRONT", front}} {
		items := side.items
		if len(items) == 0 {
			continue
		}
		sort.Slice(items, func(i, j int) bool { return less(items[i], items[j]) })
		// a std::set: equal items collapse
		uniq := items[:0]
		for i, it := range items {
			if i == 0 || less(items[i-1], it) {
				uniq = append(uniq, it)
			}
		}
		var detail []string
		maxDetail := 10
		for i := len(uniq) - 1; i >= 0; i-- {
			it := uniq[i]
			if maxDetail == 0 {
				detail = append(detail, "Truncated long network list.  Use ceph daemon mgr.# dump_osd_network for more information")
				break
			}
			maxDetail--
			s := fmt.Sprintf("Slow OSD heartbeats on %s from osd.%d [%s]%s to osd.%d [%s]%s %s msec",
				side.name, it.from, m.parentage(it.from), m.downStr(it.from), it.to, m.parentage(it.to), m.downStr(it.to),
				fixedUToString(uint64(it.ping), 3))
			if it.improving {
				s += " possibly improving"
			}
			detail = append(detail, s)
		}
		out[side.code] = HealthCheck{Severity: "HEALTH_WARN", Count: int64(len(uniq)), Detail: detail,
			Summary: fmt.Sprintf("Slow OSD heartbeats on %s (longest %sms)", side.name, fixedUToString(uint64(uniq[len(uniq)-1].ping), 3))}
	}
}

func (m *PGMap) downStr(osd int32) string {
	if m.osdmap.isUp(osd) {
		return ""
	}
	return " (down)"
}

// parentage is osd_parentage: the CRUSH ancestors of osd but the root
// (and the reporter subtree level, host by default... Ceph skips "root"
// and mon_osd_reporter_subtree_level), as a set's text.
func (m *PGMap) parentage(osd int32) string {
	if m.tree == nil {
		return ""
	}
	var names []string
	for {
		parent := int32(0)
		found := false
		for _, id := range m.tree.order {
			for _, c := range m.tree.nodes[id].children {
				if c == osd {
					parent, found = id, true
				}
			}
		}
		if !found {
			break
		}
		n := m.tree.nodes[parent]
		if n.typ != "root" && n.typ != "host" {
			names = append(names, n.name)
		}
		osd = parent
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func (m *PGMap) poolChecks(out map[string]HealthCheck) {
	om := m.osdmap
	if m.pgStat.Len() > 0 {
		var pgp, many []string
		m.pgPoolSum.Range(func(pool int32, ps *messages.PoolStatT) bool {
			p := om.pools[int64(pool)]
			if p == nil {
				return true
			}
			if p.pgNumTarget > p.pgpNumTarget {
				pgp = append(pgp, fmt.Sprintf("pool %s pg_num %d > pgp_num %d", p.name, p.pgNumTarget, p.pgpNumTarget))
			}
			avg := m.pgSum.Stats.Sum.NumObjects / int64(m.pgStat.Len())
			if avg > 0 && m.pgSum.Stats.Sum.NumObjects >= monPGWarnMinObjects && ps.Stats.Sum.NumObjects >= monPGWarnMinPoolObjects && p.pgNumTarget > 0 {
				per := ps.Stats.Sum.NumObjects / int64(p.pgNumTarget)
				ratio := float32(per) / float32(avg)
				if ratio > monPGWarnMaxObjectSkew && p.autoscaleMode != "on" {
					many = append(many, fmt.Sprintf("pool %s objects per pg (%d) is more than %s times cluster average (%d)", p.name, per, cG6(float64(ratio)), avg))
				}
			}
			return true
		})
		if len(pgp) > 0 {
			out["SMALLER_PGP_NUM"] = HealthCheck{Severity: "HEALTH_WARN", Count: int64(len(pgp)),
				Summary: fmt.Sprintf("%d pools have pg_num > pgp_num", len(pgp)), Detail: pgp}
		}
		if len(many) > 0 {
			out["MANY_OBJECTS_PER_PG"] = HealthCheck{Severity: "HEALTH_WARN", Count: int64(len(many)),
				Summary: fmt.Sprintf("%d pools have many more objects per pg than average", len(many)), Detail: many}
		}
	}
	// POOL_FULL / POOL_NEAR_FULL: quota thresholds are 0 by default in
	// pacific, so only pools at or past a quota, which the mon reports
	// (POOL_FULL from the osdmap flag), matter; nothing to add here.
}

func (m *PGMap) storeAlerts(out map[string]HealthCheck) {
	if len(m.osdSum.Alerts) == 0 {
		return
	}
	type agg struct {
		n      int64
		detail []string
	}
	sums := map[string]*agg{}
	for _, osd := range sortedKeys(m.osdSum.Alerts) {
		left := monHealthMaxDetail
		al := m.osdSum.Alerts[osd]
		for _, k := range sortedKeys(al) {
			a := sums[k]
			if a == nil {
				a = &agg{}
				sums[k] = a
			}
			a.n++
			a.detail = append(a.detail, fmt.Sprintf(" osd.%d %s", osd, al[k]))
			if left--; left == 0 {
				break
			}
		}
	}
	suffix := map[string]string{
		"BLUEFS_SPILLOVER":               " experiencing BlueFS spillover",
		"BLUESTORE_NO_COMPRESSION":       " have broken BlueStore compression",
		"BLUESTORE_LEGACY_STATFS":        " reporting legacy (not per-pool) BlueStore stats",
		"BLUESTORE_DISK_SIZE_MISMATCH":   " have dangerous mismatch between BlueStore block device and free list sizes",
		"BLUESTORE_NO_PER_PG_OMAP":       " reporting legacy (not per-pg) BlueStore omap",
		"BLUESTORE_NO_PER_POOL_OMAP":     " reporting legacy (not per-pool) BlueStore omap usage stats",
		"BLUESTORE_SPURIOUS_READ_ERRORS": " have spurious read errors",
	}
	for k, a := range sums {
		out[k] = HealthCheck{Severity: "HEALTH_WARN", Count: a.n, Detail: a.detail,
			Summary: fmt.Sprintf("%d OSD(s)%s", a.n, suffix[k])}
	}
}

func (m *PGMap) notScrubbed(out map[string]HealthCheck, now messages.Utime) {
	om := m.osdmap
	var detail, deep []string
	detailMax, deepMax := monHealthMaxDetail, monHealthMaxDetail
	var more, deepMore, total, deepTotal int64
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		p := om.pools[int64(id.Pool)]
		if p == nil {
			return true
		}
		interval := float64(osdScrubMaxInterval)
		if p.hasScrubMaxInterval && p.scrubMaxInterval > 0 {
			interval = p.scrubMaxInterval
		}
		cutoff := utSubSeconds(now, monWarnPGNotScrubbedRatio*interval+interval)
		if utLess(s.LastScrubStamp, cutoff) {
			if detailMax > 0 {
				detail = append(detail, fmt.Sprintf("pg %s not scrubbed since %s", id, utimeStr(s.LastScrubStamp)))
				detailMax--
			} else {
				more++
			}
			total++
		}
		dinterval := float64(osdDeepScrubInterval)
		if p.hasDeepScrubInterval && p.deepScrubInterval > 0 {
			dinterval = p.deepScrubInterval
		}
		dcutoff := utSubSeconds(now, monWarnPGNotDeepScrubbedRato*dinterval+dinterval)
		if utLess(s.LastDeepScrubStamp, dcutoff) {
			if deepMax > 0 {
				deep = append(deep, fmt.Sprintf("pg %s not deep-scrubbed since %s", id, utimeStr(s.LastDeepScrubStamp)))
				deepMax--
			} else {
				deepMore++
			}
			deepTotal++
		}
		return true
	})
	if total > 0 {
		hc := HealthCheck{Severity: "HEALTH_WARN", Count: total, Summary: fmt.Sprintf("%d pgs not scrubbed in time", total), Detail: detail}
		if len(detail) > 0 && more > 0 {
			hc.Detail = append(hc.Detail, fmt.Sprintf("%d more pgs... ", more))
		}
		out["PG_NOT_SCRUBBED"] = hc
	}
	if deepTotal > 0 {
		hc := HealthCheck{Severity: "HEALTH_WARN", Count: deepTotal, Summary: fmt.Sprintf("%d pgs not deep-scrubbed in time", deepTotal), Detail: deep}
		if len(deep) > 0 && deepMore > 0 {
			hc.Detail = append(hc.Detail, fmt.Sprintf("%d more pgs... ", deepMore))
		}
		out["PG_NOT_DEEP_SCRUBBED"] = hc
	}
}

// utSubSeconds is utime_t -= double.
func utSubSeconds(u messages.Utime, f float64) messages.Utime {
	sec := uint32(int64(f))
	ns := int64((f - float64(int64(f))) * 1e9)
	r := messages.Utime{Sec: u.Sec - sec, Nsec: u.Nsec}
	if ns != 0 {
		if int64(r.Nsec) >= ns {
			r.Nsec -= uint32(ns)
		} else {
			r.Sec--
			r.Nsec = uint32(int64(r.Nsec) + 1000000000 - ns)
		}
	}
	return r
}

// poolApp is pacific's POOL_APP_NOT_ENABLED: pools with objects and no
// application.
func (m *PGMap) poolApp(out map[string]HealthCheck) {
	om := m.osdmap
	var detail []string
	for _, id := range om.poolIDs {
		p := om.pools[id]
		ps, ok := m.pgPoolSum.Get(int32(id))
		if !ok {
			continue
		}
		if ps.Stats.Sum.NumObjects > 0 && p.applications == 0 && !p.isTier() {
			detail = append(detail, fmt.Sprintf("application not enabled on pool '%s'", p.name))
		}
	}
	if len(detail) > 0 {
		n := len(detail)
		detail = append(detail, "use 'ceph osd pool application enable <pool-name> <app-name>', where <app-name> is 'cephfs', 'rbd', 'rgw', or freeform for custom applications.")
		out["POOL_APP_NOT_ENABLED"] = HealthCheck{Severity: "HEALTH_WARN", Count: int64(n),
			Summary: fmt.Sprintf("%d pool(s) do not have an application enabled", n), Detail: detail}
	}
}

func (m *PGMap) snapTrim(out map[string]HealthCheck) {
	if m.pgStat.Len() == 0 {
		return
	}
	const threshold = monOSDSnapTrimQueueWarnOn
	var exceeded int64
	var longest uint32
	var longestPG messages.PGID
	var detail []string
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		if s.SnaptrimqLen < threshold {
			return true
		}
		exceeded++
		if longest <= s.SnaptrimqLen {
			longestPG, longest = id, s.SnaptrimqLen
		}
		if len(detail) < monHealthMaxDetail-1 {
			detail = append(detail, fmt.Sprintf("snap trim queue for pg %s at %d", id, s.SnaptrimqLen))
		} else if len(detail) < monHealthMaxDetail {
			detail = append(detail, "...more pgs affected")
		}
		return true
	})
	if exceeded == 0 {
		return
	}
	detail = append(detail, fmt.Sprintf("longest queue on pg %s at %d", longestPG, longest))
	detail = append(detail, "try decreasing \"osd snap trim sleep\" and/or increasing \"osd pg max concurrent snap trims\".")
	out["PG_SLOW_SNAP_TRIMMING"] = HealthCheck{Severity: "HEALTH_WARN", Count: exceeded, Detail: detail,
		Summary: fmt.Sprintf("snap trim queue for %d pg(s) >= %d (mon_osd_snap_trim_queue_warn_on)", exceeded, threshold)}
}
