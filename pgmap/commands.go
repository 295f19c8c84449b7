package pgmap

import (
	"fmt"
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
		t.add(osd, ByteU(statfsUsed(&s.Statfs)), ByteU(s.Statfs.Available), ByteU(statfsUsedRaw(&s.Statfs)),
			ByteU(s.Statfs.Total), vecStr(s.HBPeers), m.numPGOnOSD(osd), m.numPrimaryPGOnOSD(osd))
		t.endRow()
		return true
	})
	s := &m.osdSum.Statfs
	t.add("sum", ByteU(statfsUsed(s)), ByteU(s.Available), ByteU(statfsUsedRaw(s)), ByteU(s.Total))
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
	t.add("sum", ByteU(statfsUsed(s)), ByteU(s.Available), ByteU(statfsUsedRaw(s)), ByteU(s.Total))
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
