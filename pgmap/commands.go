package pgmap

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gomgr/messages"
)

// omapStatsNote is the note Ceph appends to plain dumps with omap columns.
const omapStatsNote = "\n* NOTE: Omap statistics are gathered during deep scrub and " +
	"may be inaccurate soon afterwards depending on utilization. See " +
	"http://docs.ceph.com/en/latest/dev/placement-group/#omap-statistics " +
	"for further details.\n"

// Command answers the commands pacific serves from its PGMap, byte for
// byte as the real daemon's reply data (`ceph ... -o FILE` writes exactly
// these bytes; the ceph CLI prints an extra newline before JSON): from
// ceph-mgr, `pg stat`, `pg dump [all|summary|sum|delta|pools|osds|pgs|
// pgs_brief...]`, `pg dump_json`, `pg dump_pools_json`, `pg ls`,
// `pg ls-by-pool|-by-osd|-by-primary`, `pg dump_stuck`, `pg debug`,
// `osd perf`, `osd blocked-by`, `osd df [tree]` and `osd pool stats`;
// and the two that pacific's mon answers from the digest and osdmap,
// `df [detail]` and `osd utilization`. args is the command's cmdmap
// (prefix, format, and its own arguments). ok is false for any other
// prefix. status is the reply's status string, retval its return code.
func (m *PGMap) Command(args map[string]any) (out []byte, status string, retval int, ok bool) {
	prefix, _ := args["prefix"].(string)
	format, _ := args["format"].(string)
	if strings.HasSuffix(prefix, "_json") {
		format = "json"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var f *jsonFmt
	switch format {
	case "json":
		f = newJSONFmt(false)
	case "json-pretty":
		f = newJSONFmt(true)
	}
	c := &cmdCtx{m: m, args: args, f: f}
	if f == nil {
		c.plain = true
	}
	switch prefix {
	case "osd df":
		c.osdDF()
	case "osd pool stats":
		c.osdPoolStats()
	case "df":
		c.df()
	case "osd utilization":
		c.osdUtilization()
	case "pg stat", "pg dump", "pg dump_json", "pg dump_pools_json", "pg ls", "pg ls-by-primary",
		"pg ls-by-osd", "pg ls-by-pool", "pg dump_stuck", "pg debug", "osd perf", "osd blocked-by":
		// DaemonServer's fallback: the pg_info wrapper around
		// process_pg_map_command.
		if !m.ready {
			c.status.WriteString("Warning: due to ceph-mgr restart, some PG states may not be up to date\n")
		}
		if f != nil {
			f.openObject("pg_info")
			f.dumpBool("pg_ready", m.ready)
		}
		c.pgMapCommand(prefix)
		if f != nil {
			f.closeSection()
			c.out = append(c.out, f.flush()...)
		}
	default:
		return nil, "", 0, false
	}
	return c.out, c.status.String(), c.ret, true
}

type cmdCtx struct {
	m      *PGMap
	args   map[string]any
	f      *jsonFmt
	plain  bool
	out    []byte
	status strings.Builder
	ret    int
}

// Errno values Ceph commands return.
const (
	errENOENT     = -2
	errEAGAIN     = -11
	errEINVAL     = -22
	errEOPNOTSUPP = -95
)

func (c *cmdCtx) str(k string) string {
	switch v := c.args[k].(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	case []string:
		if len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (c *cmdCtx) strs(k string) []string {
	switch v := c.args[k].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func (c *cmdCtx) int(k string) (int64, bool) {
	v, ok := c.args[k]
	if !ok {
		return 0, false
	}
	if s, ok := v.(string); ok {
		s = strings.TrimPrefix(s, "osd.")
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return jInt(v)
}

// pgMapCommand is process_pg_map_command.
func (c *cmdCtx) pgMapCommand(prefix string) {
	m, f := c.m, c.f
	primary := false
	var dumpContents []string
	pool := int64(-1)
	switch prefix {
	case "pg dump_json":
		dumpContents, prefix = []string{"all"}, "pg dump"
	case "pg dump_pools_json":
		dumpContents, prefix = []string{"pools"}, "pg dump"
	case "pg ls-by-primary":
		primary, prefix = true, "pg ls"
	case "pg ls-by-osd":
		prefix = "pg ls"
	case "pg ls-by-pool":
		prefix = "pg ls"
		name := c.str("poolstr")
		p, ok := m.poolByName(name)
		if !ok {
			fmt.Fprintf(&c.status, "pool %s does not exist", name)
			c.ret = errENOENT
			return
		}
		pool = p
	}
	switch prefix {
	case "pg stat":
		if f != nil {
			f.openObject("pg_summary")
			m.printOnelineSummary(f, nil)
			f.closeSection()
			c.out = appendStream(c.out, string(f.flush()))
		} else {
			var b strings.Builder
			m.printOnelineSummary(nil, &b)
			c.out = appendStream(c.out, b.String())
		}
	case "pg dump":
		c.pgDump(dumpContents)
	case "pg ls":
		c.pgLs(pool, primary)
	case "pg dump_stuck":
		c.pgDumpStuck()
	case "pg debug":
		op := c.str("debugop")
		if op == "" {
			op = "unfound_objects_exist"
		}
		found := false
		m.pgStat.Range(func(_ messages.PGID, s *messages.PGStatT) bool {
			if (op == "unfound_objects_exist" && s.Stats.Sum.NumObjectsUnfound > 0) ||
				(op == "degraded_pgs_exist" && s.Stats.Sum.NumObjectsDegraded > 0) {
				found = true
				return false
			}
			return true
		})
		if op != "unfound_objects_exist" && op != "degraded_pgs_exist" {
			c.ret = errEOPNOTSUPP
			return
		}
		if found {
			c.out = appendStream(c.out, "TRUE")
		} else {
			c.out = appendStream(c.out, "FALSE")
		}
	case "osd perf":
		if f != nil {
			f.openObject("osdstats")
			m.dumpOSDPerfStats(f)
			f.closeSection()
			c.out = appendStream(c.out, string(f.flush()))
		} else {
			c.out = appendStream(c.out, m.printOSDPerfStats())
		}
	case "osd blocked-by":
		if f != nil {
			f.openObject("osd_blocked_by")
			f.openArray("osd_blocked_by_infos")
			m.blockedBySum.Range(func(osd int32, n *int32) bool {
				f.openObject("osd")
				f.dumpInt("id", int64(osd))
				f.dumpInt("num_blocked", int64(*n))
				f.closeSection()
				return true
			})
			f.closeSection()
			f.closeSection()
			c.out = appendStream(c.out, string(f.flush()))
		} else {
			var t textTable
			t.define("osd", alignLeft, alignRight)
			t.define("num_blocked", alignLeft, alignRight)
			m.blockedBySum.Range(func(osd int32, n *int32) bool {
				t.add(osd, *n)
				t.endRow()
				return true
			})
			c.out = appendStream(c.out, t.String())
		}
	}
}

func (m *PGMap) poolByName(name string) (int64, bool) {
	if m.osdmap == nil {
		return 0, false
	}
	p, ok := m.osdmap.poolByName(name)
	if !ok {
		return 0, false
	}
	return p.id, true
}

// pgDump is `pg dump`.
func (c *cmdCtx) pgDump(contents []string) {
	m, f := c.m, c.f
	if contents == nil {
		contents = c.strs("dumpcontents")
	}
	what := map[string]bool{}
	for _, s := range contents {
		what[s] = true
	}
	if len(what) == 0 {
		what["all"] = true
	}
	note := false
	if f != nil {
		switch {
		case what["all"]:
			f.openObject("pg_map")
			m.dump(f, true)
			f.closeSection()
		case what["summary"] || what["sum"]:
			f.openObject("pg_map")
			m.dumpBasic(f)
			f.closeSection()
		default:
			if what["pools"] {
				m.dumpPoolStats(f)
			}
			if what["osds"] {
				m.dumpOSDStats(f, true)
			}
			if what["pgs"] {
				m.dumpPGStats(f, false)
			}
			if what["pgs_brief"] {
				m.dumpPGStats(f, true)
			}
			if what["delta"] {
				f.openObject("delta")
				m.dumpDelta(f)
				f.closeSection()
			}
		}
		c.out = append(c.out, f.flush()...)
	} else {
		var b strings.Builder
		switch {
		case what["all"]:
			m.dumpPlain(&b)
			note = true
		case what["summary"] || what["sum"]:
			m.dumpBasicPlain(&b)
			b.WriteString(m.pgSumStatsTable(true))
			b.WriteString(m.osdSumStatsTable())
			note = true
		default:
			if what["pgs_brief"] {
				b.WriteString(m.pgStatsTable(m.pgStat.Keys(), true))
			}
			header := true
			if what["pgs"] {
				b.WriteString(m.pgStatsTable(m.pgStat.Keys(), false))
				header = false
				note = true
			}
			if what["pools"] {
				b.WriteString(m.poolStatsTable(header))
				note = true
			}
			if what["osds"] {
				b.WriteString(m.osdStatsTable())
			}
		}
		c.out = appendStream(c.out, b.String())
		if note {
			c.out = append(c.out, omapStatsNote...)
		}
	}
	c.status.WriteString("dumped " + strings.Join(sortedKeys(what), ","))
}

// dump is PGMap::dump(f, with_net).
func (m *PGMap) dump(f formatter, withNet bool) {
	m.dumpBasic(f)
	m.dumpPGStats(f, false)
	m.dumpPoolStats(f)
	m.dumpOSDStats(f, withNet)
}

// dumpBasic is PGMap::dump_basic. The mgr's PGMap never records osdmap
// epochs, so last_osdmap_epoch and last_pg_scan stay 0, as in ceph-mgr.
func (m *PGMap) dumpBasic(f formatter) {
	f.dumpUnsigned("version", m.version)
	f.dumpStream("stamp", utimeStr(m.stamp))
	f.dumpUnsigned("last_osdmap_epoch", 0)
	f.dumpUnsigned("last_pg_scan", 0)
	f.openObject("pg_stats_sum")
	dumpPoolStat(f, &m.pgSum)
	f.closeSection()
	f.openObject("osd_stats_sum")
	dumpOSDStat(f, &m.osdSum, true)
	f.closeSection()
	m.dumpDelta(f)
}

func (m *PGMap) dumpDelta(f formatter) {
	f.openObject("pg_stats_delta")
	dumpPoolStat(f, &m.pgSumDelta)
	f.dumpStream("stamp_delta", utimeStr(m.stampDelta))
	f.closeSection()
}

func (m *PGMap) dumpPGStats(f formatter, brief bool) {
	f.openArray("pg_stats")
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		f.openObject("pg_stat")
		f.dumpStream("pgid", id.String())
		if brief {
			dumpPGStatBrief(f, s)
		} else {
			dumpPGStat(f, s)
		}
		f.closeSection()
		return true
	})
	f.closeSection()
}

func (m *PGMap) dumpPoolStats(f formatter) {
	f.openArray("pool_stats")
	m.pgPoolSum.Range(func(pool int32, s *messages.PoolStatT) bool {
		f.openObject("pool_stat")
		f.dumpInt("poolid", int64(pool))
		if n, ok := m.numPGByPool[int64(pool)]; ok {
			f.dumpUnsigned("num_pg", uint64(n))
		}
		dumpPoolStat(f, s)
		f.closeSection()
		return true
	})
	f.closeSection()
}

func (m *PGMap) dumpOSDStats(f formatter, withNet bool) {
	f.openArray("osd_stats")
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		f.openObject("osd_stat")
		f.dumpInt("osd", int64(osd))
		dumpOSDStat(f, s, withNet)
		f.closeSection()
		return true
	})
	f.closeSection()
	f.openArray("pool_statfs")
	for _, k := range sortedPoolOSD(m.poolStatfs) {
		v := m.poolStatfs[k]
		f.openObject("item")
		f.dumpInt("poolid", k.pool)
		f.dumpInt("osd", int64(k.osd))
		dumpStatfs(f, &v)
		f.closeSection()
	}
	f.closeSection()
}

func (m *PGMap) dumpBasicPlain(b *strings.Builder) {
	fmt.Fprintf(b, "version %d\n", m.version)
	fmt.Fprintf(b, "stamp %s\n", utimeStr(m.stamp))
	b.WriteString("last_osdmap_epoch 0\n")
	b.WriteString("last_pg_scan 0\n")
}

// dumpPlain is PGMap::dump(ostream&).
func (m *PGMap) dumpPlain(b *strings.Builder) {
	m.dumpBasicPlain(b)
	b.WriteString(m.pgStatsTable(m.pgStat.Keys(), false))
	b.WriteString(m.poolStatsTable(false))
	b.WriteString(m.pgSumStatsTable(false))
	b.WriteString(m.osdStatsTable())
}

// pgStatsTable is PGMap::dump_pg_stats_plain over ids in that order.
func (m *PGMap) pgStatsTable(ids []messages.PGID, brief bool) string {
	var t textTable
	if brief {
		t.define("PG_STAT", alignLeft, alignLeft)
		for _, h := range []string{"STATE", "UP", "UP_PRIMARY", "ACTING", "ACTING_PRIMARY"} {
			t.define(h, alignLeft, alignRight)
		}
	} else {
		t.define("PG_STAT", alignLeft, alignLeft)
		for _, h := range []string{"OBJECTS", "MISSING_ON_PRIMARY", "DEGRADED", "MISPLACED", "UNFOUND",
			"BYTES", "OMAP_BYTES*", "OMAP_KEYS*", "LOG", "DISK_LOG", "STATE", "STATE_STAMP", "VERSION",
			"REPORTED", "UP", "UP_PRIMARY", "ACTING", "ACTING_PRIMARY", "LAST_SCRUB", "SCRUB_STAMP",
			"LAST_DEEP_SCRUB", "DEEP_SCRUB_STAMP", "SNAPTRIMQ_LEN"} {
			t.define(h, alignLeft, alignRight)
		}
	}
	for _, id := range ids {
		s, _ := m.pgStat.Get(id)
		if brief {
			t.add(id.String(), PGStateString(s.State), pgVecStr(s.Up), s.UpPrimary, pgVecStr(s.Acting), s.ActingPrimary)
		} else {
			sum := &s.Stats.Sum
			t.add(id.String(), sum.NumObjects, sum.NumObjectsMissingOnPrimary, sum.NumObjectsDegraded,
				sum.NumObjectsMisplaced, sum.NumObjectsUnfound, sum.NumBytes, sum.NumOmapBytes, sum.NumOmapKeys,
				s.LogSize, s.OndiskLogSize, PGStateString(s.State), utimeStr(s.LastChange), s.Version.String(),
				fmt.Sprintf("%d:%d", s.ReportedEpoch, s.ReportedSeq), pgVecStr(s.Up), s.UpPrimary,
				pgVecStr(s.Acting), s.ActingPrimary, s.LastScrub.String(), utimeStr(s.LastScrubStamp),
				s.LastDeepScrub.String(), utimeStr(s.LastDeepScrubStamp), s.SnaptrimqLen)
		}
		t.endRow()
	}
	return t.String()
}

var poolStatHeads = []string{"POOLID", "OBJECTS", "MISSING_ON_PRIMARY", "DEGRADED", "MISPLACED", "UNFOUND",
	"BYTES", "OMAP_BYTES*", "OMAP_KEYS*", "LOG", "DISK_LOG"}

func defineHeads(t *textTable, heads []string, header bool) {
	for i, h := range heads {
		if !header {
			h = ""
		}
		if i == 0 {
			t.define(h, alignLeft, alignLeft)
		} else {
			t.define(h, alignLeft, alignRight)
		}
	}
}

func addPoolRow(t *textTable, first any, p *messages.PoolStatT) {
	s := &p.Stats.Sum
	t.add(first, s.NumObjects, s.NumObjectsMissingOnPrimary, s.NumObjectsDegraded, s.NumObjectsMisplaced,
		s.NumObjectsUnfound, s.NumBytes, s.NumOmapBytes, s.NumOmapKeys, p.LogSize, p.OndiskLogSize)
	t.endRow()
}

// poolStatsTable is PGMap::dump_pool_stats(ostream&, header).
func (m *PGMap) poolStatsTable(header bool) string {
	var t textTable
	defineHeads(&t, poolStatHeads, header)
	m.pgPoolSum.Range(func(pool int32, p *messages.PoolStatT) bool {
		addPoolRow(&t, pool, p)
		return true
	})
	return t.String()
}

// pgSumStatsTable is PGMap::dump_pg_sum_stats.
func (m *PGMap) pgSumStatsTable(header bool) string {
	var t textTable
	heads := slices.Clone(poolStatHeads)
	heads[0] = "PG_STAT"
	defineHeads(&t, heads, header)
	addPoolRow(&t, "sum", &m.pgSum)
	return t.String()
}

// osdStatsTable is PGMap::dump_osd_stats(ostream&).
func (m *PGMap) osdStatsTable() string {
	var t textTable
	t.define("OSD_STAT", alignLeft, alignLeft)
	for _, h := range []string{"USED", "AVAIL", "USED_RAW", "TOTAL", "HB_PEERS", "PG_SUM", "PRIMARY_PG_SUM"} {
		t.define(h, alignLeft, alignRight)
	}
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		t.add(osd, byteU(statfsUsed(&s.Statfs)), byteU(s.Statfs.Available), byteU(statfsUsedRaw(&s.Statfs)),
			byteU(s.Statfs.Total), vecStr(s.HBPeers), m.numPGOnOSD(osd), m.numPrimaryPGOnOSD(osd))
		t.endRow()
		return true
	})
	s := &m.osdSum.Statfs
	t.add("sum", byteU(statfsUsed(s)), byteU(s.Available), byteU(statfsUsedRaw(s)), byteU(s.Total))
	t.endRow()
	return t.String()
}

// osdSumStatsTable is PGMap::dump_osd_sum_stats.
func (m *PGMap) osdSumStatsTable() string {
	var t textTable
	t.define("OSD_STAT", alignLeft, alignLeft)
	for _, h := range []string{"USED", "AVAIL", "USED_RAW", "TOTAL"} {
		t.define(h, alignLeft, alignRight)
	}
	s := &m.osdSum.Statfs
	t.add("sum", byteU(statfsUsed(s)), byteU(s.Available), byteU(statfsUsedRaw(s)), byteU(s.Total))
	t.endRow()
	return t.String()
}

// pgLs is `pg ls` and its -by-pool, -by-osd, -by-primary forms.
func (c *cmdCtx) pgLs(pool int64, primary bool) {
	m, f := c.m, c.f
	if p, ok := c.int("pool"); ok {
		pool = p
	}
	osd := int64(-1)
	if o, ok := c.int("osd"); ok {
		osd = o
	}
	if pool >= 0 && (m.osdmap == nil || m.osdmap.pools[pool] == nil) {
		fmt.Fprintf(&c.status, "pool %d does not exist", pool)
		c.ret = errENOENT
		return
	}
	if osd >= 0 && (m.osdmap == nil || !m.osdmap.isUp(int32(osd))) {
		fmt.Fprintf(&c.status, "osd %d is not up", osd)
		c.ret = errEAGAIN
		return
	}
	states := c.strs("states")
	if len(states) == 0 {
		states = []string{"all"}
	}
	var state uint64
	for i := len(states) - 1; i >= 0; i-- {
		if states[i] == "all" {
			state = ^uint64(0)
			break
		}
		bit, ok := pgStringState(states[i])
		if !ok {
			fmt.Fprintf(&c.status, "'%s' is not a valid pg state, available choices: %s", states[i], PGStateString(0xFFFFFFFF))
			c.ret = errEINVAL
			return
		}
		state |= bit
	}
	var ids []messages.PGID
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		if pool >= 0 && int64(id.Pool) != pool {
			return true
		}
		if osd >= 0 && !isActingOSD(s, int32(osd), primary) {
			return true
		}
		if state == ^uint64(0) || s.State&state != 0 || (state == 0 && s.State == 0) {
			ids = append(ids, id)
		}
		return true
	})
	slices.SortFunc(ids, pgLess)
	if len(ids) == 0 {
		return
	}
	if f != nil {
		f.openArray("pg_stats")
		for _, id := range ids {
			s, _ := m.pgStat.Get(id)
			f.openObject("pg_stat")
			f.dumpStream("pgid", id.String())
			dumpPGStat(f, &s)
			f.closeSection()
		}
		f.closeSection()
		c.out = append(c.out, f.flush()...)
		return
	}
	c.out = appendStream(c.out, m.filteredPGStatsTable(ids))
	c.out = append(c.out, omapStatsNote...)
}

// isActingOSD is pg_stat_t::is_acting_osd.
func isActingOSD(s *messages.PGStatT, osd int32, primary bool) bool {
	if primary {
		return s.ActingPrimary == osd
	}
	return slices.Contains(s.Acting, osd)
}

// filteredPGStatsTable is PGMap::dump_filtered_pg_stats(ostream&).
func (m *PGMap) filteredPGStatsTable(ids []messages.PGID) string {
	now := m.now()
	var t textTable
	t.define("PG", alignLeft, alignLeft)
	for _, h := range []string{"OBJECTS", "DEGRADED", "MISPLACED", "UNFOUND", "BYTES", "OMAP_BYTES*",
		"OMAP_KEYS*", "LOG", "STATE", "SINCE", "VERSION", "REPORTED", "UP", "ACTING", "SCRUB_STAMP",
		"DEEP_SCRUB_STAMP"} {
		t.define(h, alignLeft, alignRight)
	}
	for _, id := range ids {
		s, _ := m.pgStat.Get(id)
		sum := &s.Stats.Sum
		t.add(id.String(), sum.NumObjects, sum.NumObjectsDegraded, sum.NumObjectsMisplaced,
			sum.NumObjectsUnfound, sum.NumBytes, sum.NumOmapBytes, sum.NumOmapKeys, s.LogSize,
			PGStateString(s.State), utimeSpanStr(utSub(now, s.LastChange)), s.Version.String(),
			fmt.Sprintf("%d:%d", s.ReportedEpoch, s.ReportedSeq),
			fmt.Sprintf("%sp%d", pgVecStr(s.Up), s.UpPrimary), fmt.Sprintf("%sp%d", pgVecStr(s.Acting), s.ActingPrimary),
			utimeStr(s.LastScrubStamp), utimeStr(s.LastDeepScrubStamp))
		t.endRow()
	}
	return t.String()
}

// Stuck types (PGMap::StuckPG).
const (
	stuckInactive   = 1 << 0
	stuckUnclean    = 1 << 1
	stuckUndersized = 1 << 2
	stuckDegraded   = 1 << 3
	stuckStale      = 1 << 4
	stuckPeering    = 1 << 5
)

// pgDumpStuck is `pg dump_stuck` (PGMap::dump_stuck_pg_stats).
func (c *cmdCtx) pgDumpStuck() {
	m, f := c.m, c.f
	ops := c.strs("stuckops")
	if len(ops) == 0 {
		ops = []string{"unclean"}
	}
	threshold := int64(monPGStuckThreshold)
	if t, ok := c.int("threshold"); ok {
		threshold = t
	}
	var ds string
	types := 0
	bad := ""
	for _, op := range ops {
		switch op {
		case "inactive":
			types |= stuckInactive
		case "unclean":
			types |= stuckUnclean
		case "undersized":
			types |= stuckUndersized
		case "degraded":
			types |= stuckDegraded
		case "stale":
			types |= stuckStale
		case "peering":
			types |= stuckPeering
		default:
			bad = op
		}
		if bad != "" {
			break
		}
	}
	if bad != "" {
		ds = "Unknown type: " + bad + "\n"
		c.status.WriteString("failed")
	} else {
		cutoff := utSub(m.now(), messages.Utime{Sec: uint32(int32(threshold))})
		stuck := m.stuckPGs(types, cutoff)
		if f == nil {
			if len(stuck) > 0 {
				ds = m.pgStatsTable(stuck, true)
			}
		} else {
			f.openArray("stuck_pg_stats")
			for _, id := range stuck {
				s, _ := m.pgStat.Get(id)
				f.openObject("pg_stat")
				f.dumpStream("pgid", id.String())
				dumpPGStat(f, &s)
				f.closeSection()
			}
			f.closeSection()
			ds = string(f.flush())
		}
		c.status.WriteString("ok")
	}
	c.out = appendStream(c.out, ds)
}

// stuckPGs is PGMap::get_stuck_stats; the result is in the order of the
// unordered_map Ceph collects them in (inserted in pg_stat's order).
func (m *PGMap) stuckPGs(types int, cutoff messages.Utime) []messages.PGID {
	stuck := newUmap[messages.PGID, struct{}](hashPG)
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		val := cutoff
		if types&stuckInactive != 0 && s.State&stateActive == 0 && utLess(s.LastActive, val) {
			val = s.LastActive
		}
		if types&stuckUnclean != 0 && s.State&stateClean == 0 && utLess(s.LastClean, val) {
			val = s.LastClean
		}
		if types&stuckDegraded != 0 && s.State&stateDegraded != 0 && utLess(s.LastUndegraded, val) {
			val = s.LastUndegraded
		}
		if types&stuckUndersized != 0 && s.State&stateUndersized != 0 && utLess(s.LastFullsized, val) {
			val = s.LastFullsized
		}
		if types&stuckStale != 0 && s.State&stateStale != 0 && utLess(s.LastUnstale, val) {
			val = s.LastUnstale
		}
		if types&stuckPeering != 0 && s.State&statePeering != 0 {
			latest := s.LastActive
			if utLess(latest, s.LastPeered) {
				latest = s.LastPeered
			}
			if utLess(latest, val) {
				val = latest
			}
		}
		if utLess(val, cutoff) {
			stuck.Set(id, struct{}{})
		}
		return true
	})
	return stuck.Keys()
}

// dumpOSDPerfStats is PGMap::dump_osd_perf_stats (pacific: osd_stat's
// order, unsorted).
func (m *PGMap) dumpOSDPerfStats(f formatter) {
	f.openArray("osd_perf_infos")
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		f.openObject("osd")
		f.dumpInt("id", int64(osd))
		f.openObject("perf_stats")
		dumpPerfStat(f, &s.PerfStat)
		f.closeSection()
		f.closeSection()
		return true
	})
	f.closeSection()
}

func (m *PGMap) printOSDPerfStats() string {
	var t textTable
	t.define("osd", alignLeft, alignRight)
	t.define("commit_latency(ms)", alignLeft, alignRight)
	t.define("apply_latency(ms)", alignLeft, alignRight)
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		t.add(osd, s.PerfStat.CommitLatencyNs/1000000, s.PerfStat.ApplyLatencyNs/1000000)
		t.endRow()
		return true
	})
	return t.String()
}

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
			byteU(uint64(m.pgSum.Stats.Sum.NumBytes)), byteU(statfsUsed(s)), byteU(s.Available), byteU(s.Total))
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
				out.WriteString(byteU(uint64(rd)) + "/s rd, ")
			}
			if f != nil {
				f.dumpUnsigned("read_bytes_sec", uint64(rd))
			}
		}
		if pos.NumWr != 0 {
			wr := perSec(pos.NumWrKB<<10, dt)
			if out != nil {
				out.WriteString(byteU(uint64(wr)) + "/s wr, ")
			}
			if f != nil {
				f.dumpUnsigned("write_bytes_sec", uint64(wr))
			}
		}
		iops := perSec(pos.NumRd+pos.NumWr, dt)
		if out != nil {
			out.WriteString(siU(uint64(iops)) + " op/s")
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
	out.WriteString(byteU(uint64(bps)) + "/s")
	if pos.NumKeysRecovered != 0 {
		out.WriteString(", " + siU(uint64(kps)) + " keys/s")
	}
	out.WriteString(", " + siU(uint64(objps)) + " objects/s")
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
			out.WriteString(byteU(uint64(rd)) + "/s rd, ")
		}
	}
	if pos.NumWr != 0 {
		wr := perSec(pos.NumWrKB<<10, dt)
		if f != nil {
			f.dumpInt("write_bytes_sec", wr)
		} else {
			out.WriteString(byteU(uint64(wr)) + "/s wr, ")
		}
	}
	rdOps := perSec(pos.NumRd, dt)
	wrOps := perSec(pos.NumWr, dt)
	if f != nil {
		f.dumpInt("read_op_per_sec", rdOps)
		f.dumpInt("write_op_per_sec", wrOps)
	} else {
		out.WriteString(siU(uint64(rdOps)) + " op/s rd, " + siU(uint64(wrOps)) + " op/s wr")
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
			out.WriteString(byteU(uint64(v)) + "/s flush")
		}
	}
	if pos.NumEvict != 0 {
		v := perSec(pos.NumEvictKB<<10, dt)
		if f != nil {
			f.dumpInt("evict_bytes_sec", v)
		} else {
			sep()
			out.WriteString(byteU(uint64(v)) + "/s evict")
		}
	}
	if pos.NumPromote != 0 {
		v := perSec(pos.NumPromote, dt)
		if f != nil {
			f.dumpInt("promote_op_per_sec", v)
		} else {
			sep()
			out.WriteString(siU(uint64(v)) + " op/s promote")
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
			out.WriteString(siU(uint64(x.v)) + x.label)
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
		t.add(name, byteU(s.Total), byteU(s.Available), byteU(statfsUsed(s)), byteU(statfsUsedRaw(s)),
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
	t.add(byteU(stored))
	if verbose {
		t.add(byteU(storedData), byteU(storedOmap))
	}
	t.add(siU(uint64(sum.NumObjects)), byteU(usedBytes))
	if verbose {
		t.add(byteU(usedData), byteU(usedOmap))
	}
	t.add(percentify(used*100), byteU(f32ToU64(availRes)))
	if verbose {
		if pool.quotaMaxObjects == 0 {
			t.add("N/A")
		} else {
			t.add(siU(pool.quotaMaxObjects))
		}
		if pool.quotaMaxBytes == 0 {
			t.add("N/A")
		} else {
			t.add(byteU(pool.quotaMaxBytes))
		}
		if pool.isTier() {
			t.add(siU(uint64(sum.NumObjectsDirty)))
		} else {
			t.add("N/A")
		}
		t.add(byteU(uint64(statfs.DataCompressedAllocated)), byteU(uint64(statfs.DataCompressedOriginal)))
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
