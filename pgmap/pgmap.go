package pgmap

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"gomgr/messages"
)

// Tunables with Ceph's defaults (src/common/options.cc, pacific).
const (
	monStatSmoothIntervals = 6   // mon_stat_smooth_intervals
	monDeltaResetInterval  = 10  // mon_delta_reset_interval, seconds
	monPGStuckThreshold    = 60  // mon_pg_stuck_threshold, seconds
	monHealthMaxDetail     = 50  // mon_health_max_detail
	defaultStatsPeriod     = 5   // mgr_stats_period, seconds
	monPGWarnMinPerOSD     = 0   // mon_pg_warn_min_per_osd
	monMaxPGPerOSD         = 250 // mon_max_pg_per_osd

	// maxOSDID bounds the OSD ids Ingest takes before an osdmap says
	// more (Ceph sizes osd_last_seq by the largest id).
	maxOSDID = 1 << 20
)

// PGMap is Ceph's PGMap as the active ceph-mgr keeps it (ClusterState's
// pg_map and pending_inc): PG, OSD and pool statistics from the OSDs'
// MPGStats, the sums and deltas computed from them, and what it needs of
// the osdmap. Every method is safe from any goroutine (one mutex).
type PGMap struct {
	mu    sync.Mutex
	clock func() time.Time

	statsPeriod time.Duration
	startedAt   time.Time
	ready       bool
	reported    map[int32]bool

	osdmap        *osdMap
	existingPools map[int64]uint32 // ClusterState::existing_pools: pool → pg_num
	tree          *crushTree
	rules         map[int]crushRule

	pending incremental

	// PGMap proper.
	version    uint64
	stamp      messages.Utime
	pgStat     *umap[messages.PGID, messages.PGStatT]
	osdStat    *umap[int32, messages.OSDStatT]
	poolStatfs map[poolOSD]messages.StoreStatfs // a flat_map, sorted

	// PGMapDigest and PGMap's soft state (calc_stats).
	numPG, numPGActive, numPGUnknown, numOSD int64
	pgPoolSum                                *umap[int32, messages.PoolStatT]
	pgSum                                    messages.PoolStatT
	osdSum                                   messages.OSDStatT
	numPGByState                             *umap[uint64, int32]
	numPGByOSD                               *umap[int32, messages.PGCount]
	numPGByPool                              map[int64]int64
	numPGByPoolState                         *umap[int64, *umap[uint64, int32]]
	osdLastSeq                               []uint64
	blockedBySum                             *umap[int32, int32]
	pgByOSD                                  map[int32]map[messages.PGID]bool

	perPoolSumDelta        *umap[int64, poolDelta]
	perPoolSumDeltasStamps *umap[int64, messages.Utime]
	perPoolSumDeltas       map[int64][]deltaEntry
	pgSumDeltas            []deltaEntry
	pgSumDelta             messages.PoolStatT
	stampDelta             messages.Utime
}

type poolOSD struct {
	pool int64
	osd  int32
}

type poolDelta struct {
	delta  messages.PoolStatT
	lastTS messages.Utime
}

type deltaEntry struct {
	stats messages.PoolStatT
	dt    messages.Utime
}

// incremental is PGMap::Incremental as ClusterState fills it.
type incremental struct {
	stamp  messages.Utime
	pg     map[messages.PGID]messages.PGStatT
	osd    map[int32]messages.OSDStatT
	osdRm  map[int32]bool
	pgRm   map[messages.PGID]bool
	statfs map[poolOSD]messages.StoreStatfs
}

func (in *incremental) reset() {
	*in = incremental{pg: map[messages.PGID]messages.PGStatT{}, osd: map[int32]messages.OSDStatT{},
		osdRm: map[int32]bool{}, pgRm: map[messages.PGID]bool{}, statfs: map[poolOSD]messages.StoreStatfs{}}
}

// New returns an empty PGMap, as a newly active ceph-mgr has.
func New() *PGMap {
	m := &PGMap{
		clock:                  time.Now,
		statsPeriod:            defaultStatsPeriod * time.Second,
		reported:               map[int32]bool{},
		existingPools:          map[int64]uint32{},
		rules:                  map[int]crushRule{},
		pgStat:                 newUmap[messages.PGID, messages.PGStatT](hashPG),
		osdStat:                newUmap[int32, messages.OSDStatT](hashInt32),
		poolStatfs:             map[poolOSD]messages.StoreStatfs{},
		pgPoolSum:              newUmap[int32, messages.PoolStatT](hashInt32),
		numPGByState:           newUmap[uint64, int32](hashUint64),
		numPGByOSD:             newUmap[int32, messages.PGCount](hashInt32),
		numPGByPool:            map[int64]int64{},
		numPGByPoolState:       newUmap[int64, *umap[uint64, int32]](hashInt64),
		blockedBySum:           newUmap[int32, int32](hashInt32),
		pgByOSD:                map[int32]map[messages.PGID]bool{},
		perPoolSumDelta:        newUmap[int64, poolDelta](hashInt64),
		perPoolSumDeltasStamps: newUmap[int64, messages.Utime](hashInt64),
		perPoolSumDeltas:       map[int64][]deltaEntry{},
	}
	m.pending.reset()
	return m
}

// SetClock replaces the clock Command, HealthChecks and Get read "now"
// from (ceph_clock_now); tests pin it.
func (m *PGMap) SetClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock = now
}

// SetStatsPeriod sets mgr_stats_period: a PGMap is ready (pg_ready) once
// every up OSD has reported, or four periods after it started.
func (m *PGMap) SetStatsPeriod(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statsPeriod = d
}

// Ready reports DaemonServer's pgmap_ready.
func (m *PGMap) Ready() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ready
}

// Version is the PGMap version: one more per Tick and per ApplyOSDMap.
func (m *PGMap) Version() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

func (m *PGMap) now() messages.Utime { return messages.UtimeOf(m.clock()) }

func (m *PGMap) start(now time.Time) {
	if m.startedAt.IsZero() {
		m.startedAt = now
	}
}

// ApplyOSDMap is ClusterState::notify_osdmap for one osdmap epoch, given
// as the tree of `ceph osd dump -f json`: PGMapUpdater::check_osd_map
// registers the PGs of new pools and of grown pg_num as unknown, drops
// the PGs of deleted pools and shrunk pg_num and the stats of OSDs that no
// longer exist (zeroing those of OSDs that are out), check_down_pgs marks
// the PGs of down primaries stale, and the pending incremental (with any
// stats ingested since the last Tick) is applied.
func (m *PGMap) ApplyOSDMap(osdmap map[string]any, now time.Time) error {
	om, err := parseOSDMap(osdmap)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start(now)
	m.osdmap = om
	m.pending.stamp = messages.UtimeOf(now)
	m.checkOSDMap()
	m.existingPools = map[int64]uint32{}
	for id, p := range om.pools {
		m.existingPools[id] = p.pgNum
	}
	m.checkDownPGs(messages.UtimeOf(now))
	m.applyIncremental()
	return nil
}

// ApplyOSDTree takes the CRUSH tree as `ceph osd tree -f json` prints it:
// `osd df tree`, device classes (df's stats_by_class) and the space each
// CRUSH rule can still place (MAX AVAIL) come from it.
func (m *PGMap) ApplyOSDTree(tree map[string]any) error {
	t, err := parseCrushTree(tree)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tree = t
	return nil
}

// ApplyCrushRules takes `ceph osd crush rule dump -f json`; without it a
// rule places data on every OSD of the tree.
func (m *PGMap) ApplyCrushRules(rules []any) {
	out := map[int]crushRule{}
	for _, rv := range rules {
		rj, ok := rv.(map[string]any)
		if !ok {
			continue
		}
		var r crushRule
		steps, _ := rj["steps"].([]any)
		for _, sv := range steps {
			sj, ok := sv.(map[string]any)
			if ok && getStr(sj, "op") == "take" {
				r.takes = append(r.takes, getStr(sj, "item_name"))
			}
		}
		out[int(getInt(rj, "rule_id"))] = r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rules = out
}

// checkOSDMap is PGMapUpdater::check_osd_map.
func (m *PGMap) checkOSDMap() {
	om := m.osdmap
	in := &m.pending
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		switch {
		case !om.exists(osd):
			in.osdRm[osd] = true
			delete(in.osd, osd)
		case om.isOut(osd):
			if s.Statfs.Total != 0 {
				in.osd[osd] = messages.OSDStatT{}
			}
		case !om.isUp(osd):
			if len(s.OpQueueAgeHist.Counts) != 0 {
				if u, ok := in.osd[osd]; ok {
					u.OpQueueAgeHist.Counts = nil
					in.osd[osd] = u
				} else {
					c := cloneOSDStat(*s)
					c.OpQueueAgeHist.Counts = nil
					in.osd[osd] = c
				}
			}
		}
		return true
	})
	// Deleted pools.
	m.pgPoolSum.Range(func(pool int32, _ *messages.PoolStatT) bool {
		if _, ok := om.pools[int64(pool)]; ok {
			return true
		}
		m.pgStat.Range(func(id messages.PGID, _ *messages.PGStatT) bool {
			if int64(id.Pool) == int64(pool) {
				in.pgRm[id] = true
			}
			return true
		})
		for id := range in.pg {
			if int64(id.Pool) == int64(pool) {
				delete(in.pg, id)
			}
		}
		return true
	})
	// New (split or new pool) or merged PGs.
	for _, poolID := range om.poolIDs {
		p := om.pools[poolID]
		my := uint32(m.numPGByPool[poolID])
		if my < p.pgNum {
			for ps := my; ps < p.pgNum; ps++ {
				id := messages.PGID{Pool: uint64(poolID), Seed: ps}
				if _, ok := in.pg[id]; ok {
					continue
				}
				t := om.modified
				in.pg[id] = messages.PGStatT{
					LastFresh: t, LastActive: t, LastChange: t, LastPeered: t, LastClean: t,
					LastUnstale: t, LastUndegraded: t, LastFullsized: t, LastScrubStamp: t,
					LastDeepScrubStamp: t, LastCleanScrubStamp: t, UpPrimary: -1, ActingPrimary: -1,
				}
			}
		} else if my > p.pgNum {
			for ps := p.pgNum; ps < my; ps++ {
				id := messages.PGID{Pool: uint64(poolID), Seed: ps}
				if _, ok := m.pgStat.Get(id); ok {
					in.pgRm[id] = true
				}
				delete(in.pg, id)
			}
		}
	}
	for id := range in.pg {
		p, ok := om.pools[int64(id.Pool)]
		if !ok || id.Seed >= p.pgNum {
			delete(in.pg, id)
		}
	}
}

// checkDownPGs is PGMapUpdater::check_down_pgs with check_all.
func (m *PGMap) checkDownPGs(now messages.Utime) {
	om := m.osdmap
	in := &m.pending
	m.pgStat.Range(func(id messages.PGID, cur *messages.PGStatT) bool {
		if cur.State&stateStale != 0 || cur.ActingPrimary == -1 || om.isUp(cur.ActingPrimary) {
			return true
		}
		ns, ok := in.pg[id]
		if ok {
			if !(ns.ActingPrimary == cur.ActingPrimary ||
				(ns.State&stateStale == 0 && ns.ActingPrimary != -1 && !om.isUp(ns.ActingPrimary))) {
				return true
			}
		} else {
			ns = clonePGStat(*cur)
		}
		ns.State |= stateStale
		ns.LastUnstale = now
		in.pg[id] = ns
		return true
	})
}

func clonePGStat(s messages.PGStatT) messages.PGStatT {
	s.Up = slices.Clone(s.Up)
	s.Acting = slices.Clone(s.Acting)
	s.BlockedBy = slices.Clone(s.BlockedBy)
	s.PurgedSnaps = slices.Clone(s.PurgedSnaps)
	s.AvailNoMissing = slices.Clone(s.AvailNoMissing)
	s.ObjectLocationCounts = slices.Clone(s.ObjectLocationCounts)
	return s
}

// Ingest is DaemonServer::handle_pgstats and ClusterState::ingest_pgstats
// for one MPGStats from osd `osd`: the report goes into the pending
// incremental, which the next Tick (or ApplyOSDMap) applies. An OSD that
// is out reports an empty osd_stat_t (but its seq); a PG of a pool the
// last osdmap lacks, or past its pg_num, is dropped, and so is a PG whose
// applied stats are newer (reported_epoch, reported_seq) than the
// report's. A report that contradicts itself is refused whole.
func (m *PGMap) Ingest(osd int32, st *messages.PGStatsT, now time.Time) error {
	if st == nil {
		return fmt.Errorf("%w: nil report", ErrInconsistent)
	}
	if osd < 0 || osd > maxOSDID {
		return fmt.Errorf("%w: osd id %d", ErrInconsistent, osd)
	}
	seenPG := make(map[messages.PGID]bool, len(st.PGStat))
	for _, e := range st.PGStat {
		if seenPG[e.PG] {
			return fmt.Errorf("%w: pg %s listed twice", ErrInconsistent, e.PG)
		}
		seenPG[e.PG] = true
	}
	seenPool := make(map[int64]bool, len(st.PoolStat))
	for _, e := range st.PoolStat {
		if seenPool[e.Pool] {
			return fmt.Errorf("%w: pool %d listed twice", ErrInconsistent, e.Pool)
		}
		seenPool[e.Pool] = true
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.osdmap != nil && osd >= m.osdmap.maxOSD && m.osdmap.maxOSD > 0 {
		return fmt.Errorf("%w: osd.%d, osdmap max_osd %d", ErrInconsistent, osd, m.osdmap.maxOSD)
	}
	m.start(now)
	in := &m.pending
	if m.osdmap != nil && m.osdmap.isIn(osd) {
		in.osd[osd] = cloneOSDStat(st.OSDStat)
	} else {
		in.osd[osd] = messages.OSDStatT{Seq: st.OSDStat.Seq}
	}
	delete(in.osdRm, osd)
	for _, e := range st.PGStat {
		pgNum, ok := m.existingPools[int64(e.PG.Pool)]
		if !ok || e.PG.Seed >= pgNum {
			continue
		}
		if cur, ok := m.pgStat.Get(e.PG); ok && versionPairLess(e.Stat, cur) {
			continue
		}
		in.pg[e.PG] = clonePGStat(e.Stat)
	}
	for _, e := range st.PoolStat {
		in.statfs[poolOSD{e.Pool, osd}] = e.Statfs
	}
	if !m.ready {
		m.reported[osd] = true
		if m.osdmap != nil {
			all := true
			for id, o := range m.osdmap.osds {
				if o.up && !m.reported[id] {
					all = false
					break
				}
			}
			if all {
				m.ready = true
				m.reported = map[int32]bool{}
			}
		}
	}
	return nil
}

// versionPairLess: a's (reported_epoch, reported_seq) is below b's.
func versionPairLess(a, b messages.PGStatT) bool {
	if a.ReportedEpoch != b.ReportedEpoch {
		return a.ReportedEpoch < b.ReportedEpoch
	}
	return a.ReportedSeq < b.ReportedSeq
}

// Tick is DaemonServer::send_report's ClusterState::update_delta_stats
// (every mgr_tick_period): the pending incremental is applied with stamp
// now, which closes a stats period: pg_sum_delta, the per-pool deltas and
// stamp_delta follow from it as in PGMap::apply_incremental. Until the
// map is ready (every up OSD has reported, or four stats periods have
// passed since the first call) send_report returns before that, and so
// does Tick: the reports wait in the pending incremental, and ceph-mgr
// sends the mon no digest yet (callers should check Ready).
func (m *PGMap) Tick(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start(now)
	if !m.ready {
		if now.Sub(m.startedAt) <= 4*m.statsPeriod {
			return
		}
		m.ready = true
		m.reported = map[int32]bool{}
	}
	m.pending.stamp = messages.UtimeOf(now)
	m.applyIncremental()
}

// applyIncremental is PGMap::apply_incremental on the pending incremental.
func (m *PGMap) applyIncremental() {
	in := m.pending
	m.pending.reset()
	m.version++

	pgSumOld := m.pgSum
	pgPoolSumOld := m.pgPoolSum.Clone()

	for _, id := range sortedPGs(in.pg) {
		s := in.pg[id]
		pool := int32(id.Pool)
		poolSum := m.pgPoolSum.Ptr(pool)
		if cur, ok := m.pgStat.Get(id); ok {
			m.statPGSub(id, &cur)
			poolSubPG(poolSum, &cur)
			m.pgStat.Set(id, s)
		} else {
			m.pgStat.Set(id, s)
		}
		m.statPGAdd(id, &s)
		poolAddPG(m.pgPoolSum.Ptr(pool), &s)
	}
	for _, k := range sortedPoolOSD(in.statfs) {
		v := in.statfs[k]
		if _, ok := m.pgPoolSum.Get(int32(k.pool)); !ok {
			continue
		}
		poolSum := m.pgPoolSum.Ptr(int32(k.pool))
		if cur, ok := m.poolStatfs[k]; ok {
			poolSubStatfs(poolSum, &cur)
		}
		m.poolStatfs[k] = v
		poolAddStatfs(poolSum, &v)
	}
	for _, osd := range sortedKeys(in.osd) {
		s := in.osd[osd]
		if cur, ok := m.osdStat.Get(osd); ok {
			m.statOSDSub(osd, &cur)
		}
		m.osdStat.Set(osd, s)
		m.statOSDAdd(osd, &s)
	}
	deleted := map[int64]bool{}
	for _, id := range sortedPGs(in.pgRm) {
		cur, ok := m.pgStat.Get(id)
		if !ok {
			continue
		}
		erased := m.statPGSub(id, &cur)
		if ps, ok := m.pgPoolSum.Get(int32(id.Pool)); ok {
			poolSubPG(&ps, &cur)
			m.pgPoolSum.Set(int32(id.Pool), ps)
		}
		m.pgStat.Delete(id)
		if erased {
			deleted[int64(id.Pool)] = true
		}
	}
	for _, osd := range sortedKeys(in.osdRm) {
		if cur, ok := m.osdStat.Get(osd); ok {
			m.statOSDSub(osd, &cur)
			m.osdStat.Delete(osd)
		}
		for _, k := range sortedPoolOSD(m.poolStatfs) {
			if k.osd == osd {
				v := m.poolStatfs[k]
				poolSubStatfs(m.pgPoolSum.Ptr(int32(k.pool)), &v)
				delete(m.poolStatfs, k)
			}
		}
	}

	if !utIsZero(m.stamp) && !sumIsZero(&pgSumOld.Stats.Sum) {
		dt := utSub(in.stamp, m.stamp)
		d := m.pgSum
		sumSub(&d.Stats.Sum, &pgSumOld.Stats.Sum)
		m.pgSumDeltas = append(m.pgSumDeltas, deltaEntry{d, dt})
		m.stampDelta = utAdd(m.stampDelta, dt)
		sumAdd(&m.pgSumDelta.Stats.Sum, &d.Stats.Sum)
		for len(m.pgSumDeltas) > monStatSmoothIntervals {
			sumSub(&m.pgSumDelta.Stats.Sum, &m.pgSumDeltas[0].stats.Stats.Sum)
			m.stampDelta = utSub(m.stampDelta, m.pgSumDeltas[0].dt)
			m.pgSumDeltas = m.pgSumDeltas[1:]
		}
	}
	m.stamp = in.stamp

	pgPoolSumOld.Range(func(pool int32, old *messages.PoolStatT) bool {
		m.updateOnePoolDelta(in.stamp, int64(pool), old)
		return true
	})
	for _, pool := range sortedKeys(deleted) {
		m.deletedPool(pool)
	}
}

// updateOnePoolDelta is PGMap::update_one_pool_delta and update_delta.
func (m *PGMap) updateOnePoolDelta(ts messages.Utime, pool int64, old *messages.PoolStatT) {
	sd := m.perPoolSumDelta.Ptr(pool)
	stamps := m.perPoolSumDeltasStamps.Ptr(pool)
	dt := utSub(ts, sd.lastTS)
	sd.lastTS = ts
	if limit := (messages.Utime{Sec: 2 * monDeltaResetInterval}); utLess(limit, dt) {
		dt = limit
	}
	cur, _ := m.pgPoolSum.Get(int32(pool))
	d := cur
	sumSub(&d.Stats.Sum, &old.Stats.Sum)
	list := m.perPoolSumDeltas[pool]
	if !sumIsZero(&old.Stats.Sum) {
		list = append(list, deltaEntry{d, dt})
		*stamps = utAdd(*stamps, dt)
		sumAdd(&sd.delta.Stats.Sum, &d.Stats.Sum)
	}
	for len(list) > monStatSmoothIntervals {
		sumSub(&sd.delta.Stats.Sum, &list[0].stats.Stats.Sum)
		*stamps = utSub(*stamps, list[0].dt)
		list = list[1:]
	}
	m.perPoolSumDeltas[pool] = list
}

// deletedPool is PGMap::deleted_pool.
func (m *PGMap) deletedPool(pool int64) {
	for k := range m.poolStatfs {
		if k.pool == pool {
			delete(m.poolStatfs, k)
		}
	}
	m.pgPoolSum.Delete(int32(pool))
	m.numPGByPoolState.Delete(pool)
	delete(m.numPGByPool, pool)
	delete(m.perPoolSumDeltas, pool)
	m.perPoolSumDeltasStamps.Delete(pool)
	m.perPoolSumDelta.Delete(pool)
}

// statPGAdd is PGMap::stat_pg_add.
func (m *PGMap) statPGAdd(id messages.PGID, s *messages.PGStatT) {
	pool := int64(id.Pool)
	poolAddPG(&m.pgSum, s)
	m.numPG++
	*m.numPGByState.Ptr(s.State)++
	ps := m.numPGByPoolState.Ptr(pool)
	if *ps == nil {
		*ps = newUmap[uint64, int32](hashUint64)
	}
	*(*ps).Ptr(s.State)++
	m.numPGByPool[pool]++
	if s.State&stateActive != 0 {
		m.numPGActive++
	}
	if s.State == 0 {
		m.numPGUnknown++
	}
	for _, o := range s.BlockedBy {
		*m.blockedBySum.Ptr(o)++
	}
	for _, o := range s.Acting {
		m.pgSetAdd(o, id)
		m.numPGByOSD.Ptr(o).Acting++
	}
	for _, o := range s.Up {
		if !m.pgByOSD[o][id] {
			m.pgSetAdd(o, id)
			m.numPGByOSD.Ptr(o).UpNotActing++
		}
	}
	if s.UpPrimary >= 0 {
		m.numPGByOSD.Ptr(s.UpPrimary).Primary++
	}
}

func (m *PGMap) pgSetAdd(osd int32, id messages.PGID) {
	set := m.pgByOSD[osd]
	if set == nil {
		set = map[messages.PGID]bool{}
		m.pgByOSD[osd] = set
	}
	set[id] = true
}

func (m *PGMap) pgSetRemove(osd int32, id messages.PGID) {
	if set := m.pgByOSD[osd]; set != nil {
		delete(set, id)
		if len(set) == 0 {
			delete(m.pgByOSD, osd)
		}
	}
}

// statPGSub is PGMap::stat_pg_sub; it reports whether the pool has no
// PGs left.
func (m *PGMap) statPGSub(id messages.PGID, s *messages.PGStatT) bool {
	pool := int64(id.Pool)
	poolSubPG(&m.pgSum, s)
	m.numPG--
	c := m.numPGByState.Ptr(s.State)
	*c--
	if *c <= 0 {
		m.numPGByState.Delete(s.State)
	}
	if ps, ok := m.numPGByPoolState.Get(pool); ok {
		pc := ps.Ptr(s.State)
		*pc--
		if *pc == 0 {
			ps.Delete(s.State)
		}
	}
	m.numPGByPool[pool]--
	erased := m.numPGByPool[pool] == 0
	if s.State&stateActive != 0 {
		m.numPGActive--
	}
	if s.State == 0 {
		m.numPGUnknown--
	}
	for _, o := range s.BlockedBy {
		if c, ok := m.blockedBySum.Get(o); ok {
			if c--; c == 0 {
				m.blockedBySum.Delete(o)
			} else {
				m.blockedBySum.Set(o, c)
			}
		}
	}
	acting := map[int32]bool{}
	for _, o := range s.Acting {
		acting[o] = true
		m.pgSetRemove(o, id)
		if c, ok := m.numPGByOSD.Get(o); ok && c.Acting > 0 {
			c.Acting--
			m.numPGByOSD.Set(o, c)
		}
	}
	for _, o := range s.Up {
		m.pgSetRemove(o, id)
		if acting[o] {
			continue
		}
		if c, ok := m.numPGByOSD.Get(o); ok && c.UpNotActing > 0 {
			c.UpNotActing--
			m.numPGByOSD.Set(o, c)
		}
	}
	if s.UpPrimary >= 0 {
		if c, ok := m.numPGByOSD.Get(s.UpPrimary); ok && c.Primary > 0 {
			c.Primary--
			m.numPGByOSD.Set(s.UpPrimary, c)
		}
	}
	return erased
}

// statOSDAdd is PGMap::stat_osd_add.
func (m *PGMap) statOSDAdd(osd int32, s *messages.OSDStatT) {
	m.numOSD++
	osdAdd(&m.osdSum, s)
	for int(osd) >= len(m.osdLastSeq) {
		m.osdLastSeq = append(m.osdLastSeq, 0)
	}
	m.osdLastSeq[osd] = s.Seq
}

// statOSDSub is PGMap::stat_osd_sub.
func (m *PGMap) statOSDSub(osd int32, s *messages.OSDStatT) {
	m.numOSD--
	osdSub(&m.osdSum, s)
	if int(osd) < len(m.osdLastSeq) {
		m.osdLastSeq[osd] = 0
	}
}

// numPGOnOSD is get_num_pg_by_osd: PGs with the OSD in their acting or up
// set.
func (m *PGMap) numPGOnOSD(osd int32) int {
	c, _ := m.numPGByOSD.Get(osd)
	return int(c.Acting + c.UpNotActing)
}

func (m *PGMap) numPrimaryPGOnOSD(osd int32) int {
	c, _ := m.numPGByOSD.Get(osd)
	return int(c.Primary)
}

// Digest is the PGMapDigest the mgr sends the mon in MMonMgrReport
// (PGMap::encode_digest): the sums, the by-state, by-OSD and by-pool
// counts in the order Ceph's hash maps list them, the deltas, the space
// each CRUSH rule can still place (avail_space_by_rule), the purged snaps
// every PG of a pool agrees on, and the OSD sums by device class.
func (m *PGMap) Digest() *messages.PGMapDigest {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := &messages.PGMapDigest{
		NumPG: m.numPG, NumPGActive: m.numPGActive, NumPGUnknown: m.numPGUnknown, NumOSD: m.numOSD,
		PGSum: m.pgSum, OSDSum: cloneOSDStat(m.osdSum), NumPGByPool: map[int64]int64{},
		OSDLastSeq: slices.Clone(m.osdLastSeq), PGSumDelta: m.pgSumDelta, StampDelta: m.stampDelta,
	}
	m.pgPoolSum.Range(func(pool int32, s *messages.PoolStatT) bool {
		g.PoolSum = append(g.PoolSum, messages.PoolSum{Pool: pool, Stat: *s})
		return true
	})
	m.numPGByState.Range(func(st uint64, c *int32) bool {
		g.NumPGByState = append(g.NumPGByState, messages.PGStateCount{State: st, Count: *c})
		return true
	})
	m.numPGByOSD.Range(func(osd int32, c *messages.PGCount) bool {
		g.NumPGByOSD = append(g.NumPGByOSD, messages.OSDPGCount{OSD: osd, Count: *c})
		return true
	})
	for k, v := range m.numPGByPool {
		g.NumPGByPool[k] = v
	}
	m.perPoolSumDelta.Range(func(pool int64, d *poolDelta) bool {
		g.PerPoolSumDelta = append(g.PerPoolSumDelta, messages.PoolSumDelta{Pool: pool, Delta: d.delta, Stamp: d.lastTS})
		return true
	})
	m.perPoolSumDeltasStamps.Range(func(pool int64, s *messages.Utime) bool {
		g.PerPoolSumDeltasStamps = append(g.PerPoolSumDeltasStamps, messages.PoolStamp{Pool: pool, Stamp: *s})
		return true
	})
	g.AvailSpaceByRule = m.rulesAvail()
	g.PurgedSnaps = m.purgedSnaps()
	g.OSDSumByClass = m.osdSumByClass()
	return g
}

// rulesAvail is PGMap::get_rules_avail.
func (m *PGMap) rulesAvail() map[int32]int64 {
	out := map[int32]int64{}
	if m.osdmap == nil {
		return out
	}
	for _, id := range m.osdmap.poolIDs {
		if _, ok := m.pgPoolSum.Get(int32(id)); !ok {
			continue
		}
		r := int32(m.osdmap.pools[id].crushRule)
		if _, ok := out[r]; !ok {
			out[r] = m.ruleAvail(int(r))
		}
	}
	return out
}

// ruleAvail is PGMap::get_rule_avail: the bytes the rule can still place
// before its fullest OSD reaches the full ratio.
func (m *PGMap) ruleAvail(ruleno int) int64 {
	wm := m.ruleWeightOSDMap(ruleno)
	if len(wm) == 0 {
		return 0
	}
	fratio := float64(m.osdmap.fullRatio)
	min := int64(-1)
	for _, osd := range sortedKeys(wm) {
		w := wm[osd]
		s, ok := m.osdStat.Get(osd)
		if !ok {
			continue
		}
		if s.Statfs.Total == 0 || w == 0 {
			continue
		}
		unusable := float64(s.Statfs.Total>>10) * (1.0 - fratio)
		avail := max(0.0, float64(s.Statfs.Available>>10)-unusable)
		avail *= 1024.0
		proj := int64(avail / float64(w))
		if min < 0 || proj < min {
			min = proj
		}
	}
	return min
}

// osdSumByClass is PGMap::calc_osd_sum_by_class.
func (m *PGMap) osdSumByClass() map[string]messages.OSDStatT {
	out := map[string]messages.OSDStatT{}
	if m.tree == nil {
		return out
	}
	m.osdStat.Range(func(osd int32, s *messages.OSDStatT) bool {
		n := m.tree.nodes[osd]
		if n == nil || n.deviceClass == "" {
			return true
		}
		c := out[n.deviceClass]
		osdAdd(&c, s)
		out[n.deviceClass] = c
		return true
	})
	return out
}

// purgedSnaps is PGMap::calc_purged_snaps: per pool, the snaps every PG
// reports purged; pools with a PG in unknown state are left out.
func (m *PGMap) purgedSnaps() map[int64]messages.IntervalSet {
	out := map[int64]messages.IntervalSet{}
	unknown := map[int64]bool{}
	m.pgStat.Range(func(id messages.PGID, s *messages.PGStatT) bool {
		pool := int64(id.Pool)
		if s.State == 0 {
			unknown[pool] = true
			delete(out, pool)
			return true
		}
		if unknown[pool] {
			return true
		}
		if cur, ok := out[pool]; ok {
			out[pool] = intersect(cur, s.PurgedSnaps)
		} else {
			out[pool] = slices.Clone(s.PurgedSnaps)
		}
		return true
	})
	return out
}

func intersect(a, b messages.IntervalSet) messages.IntervalSet {
	var out messages.IntervalSet
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		s := max(a[i].Start, b[j].Start)
		ea, eb := a[i].Start+a[i].Len, b[j].Start+b[j].Len
		e := min(ea, eb)
		if s < e {
			out = append(out, messages.SnapInterval{Start: s, Len: e - s})
		}
		if ea < eb {
			i++
		} else {
			j++
		}
	}
	if out == nil {
		out = messages.IntervalSet{}
	}
	return out
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func pgLess(a, b messages.PGID) int {
	if a.Pool != b.Pool {
		return cmp.Compare(a.Pool, b.Pool)
	}
	return cmp.Compare(a.Seed, b.Seed)
}

func sortedPGs[V any](m map[messages.PGID]V) []messages.PGID {
	out := make([]messages.PGID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, pgLess)
	return out
}

func sortedPoolOSD[V any](m map[poolOSD]V) []poolOSD {
	out := make([]poolOSD, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b poolOSD) int {
		if a.pool != b.pool {
			return cmp.Compare(a.pool, b.pool)
		}
		return cmp.Compare(a.osd, b.osd)
	})
	return out
}
