package pgmap

import (
	"strconv"
	"strings"

	"gomgr/messages"
)

// This file holds the stats arithmetic of src/osd/osd_types.h (add, sub,
// floor) and the dump functions of src/osd/osd_types.cc, on the messages
// package's typed structs.

// PG state bits (src/osd/osd_types.h, pacific).
const (
	stateCreating        uint64 = 1 << 0
	stateActive          uint64 = 1 << 1
	stateClean           uint64 = 1 << 2
	stateDown            uint64 = 1 << 4
	stateRecoveryUnfound uint64 = 1 << 5
	stateBackfillUnfound uint64 = 1 << 6
	statePremerge        uint64 = 1 << 7
	stateScrubbing       uint64 = 1 << 8
	stateDegraded        uint64 = 1 << 10
	stateInconsistent    uint64 = 1 << 11
	statePeering         uint64 = 1 << 12
	stateRepair          uint64 = 1 << 13
	stateRecovering      uint64 = 1 << 14
	stateBackfillWait    uint64 = 1 << 15
	stateIncomplete      uint64 = 1 << 16
	stateStale           uint64 = 1 << 17
	stateRemapped        uint64 = 1 << 18
	stateDeepScrub       uint64 = 1 << 19
	stateBackfilling     uint64 = 1 << 20
	stateBackfillToofull uint64 = 1 << 21
	stateRecoveryWait    uint64 = 1 << 22
	stateUndersized      uint64 = 1 << 23
	stateActivating      uint64 = 1 << 24
	statePeered          uint64 = 1 << 25
	stateSnaptrim        uint64 = 1 << 26
	stateSnaptrimWait    uint64 = 1 << 27
	stateRecoveryToofull uint64 = 1 << 28
	stateSnaptrimError   uint64 = 1 << 29
	stateForcedRecovery  uint64 = 1 << 30
	stateForcedBackfill  uint64 = 1 << 31
	stateFailedRepair    uint64 = 1 << 32
	stateLaggy           uint64 = 1 << 33
	stateWait            uint64 = 1 << 34
)

// stateNames is pg_state_string's order.
var stateNames = []struct {
	bit  uint64
	name string
}{
	{stateStale, "stale"}, {stateCreating, "creating"}, {stateActive, "active"},
	{stateActivating, "activating"}, {stateClean, "clean"}, {stateRecoveryWait, "recovery_wait"},
	{stateRecoveryToofull, "recovery_toofull"}, {stateRecovering, "recovering"},
	{stateForcedRecovery, "forced_recovery"}, {stateDown, "down"},
	{stateRecoveryUnfound, "recovery_unfound"}, {stateBackfillUnfound, "backfill_unfound"},
	{stateUndersized, "undersized"}, {stateDegraded, "degraded"}, {stateRemapped, "remapped"},
	{statePremerge, "premerge"}, {stateScrubbing, "scrubbing"}, {stateDeepScrub, "deep"},
	{stateInconsistent, "inconsistent"}, {statePeering, "peering"}, {stateRepair, "repair"},
	{stateBackfillWait, "backfill_wait"}, {stateBackfilling, "backfilling"},
	{stateForcedBackfill, "forced_backfill"}, {stateBackfillToofull, "backfill_toofull"},
	{stateIncomplete, "incomplete"}, {statePeered, "peered"}, {stateSnaptrim, "snaptrim"},
	{stateSnaptrimWait, "snaptrim_wait"}, {stateSnaptrimError, "snaptrim_error"},
	{stateFailedRepair, "failed_repair"}, {stateLaggy, "laggy"}, {stateWait, "wait"},
}

// PGStateString is Ceph's pg_state_string: the set bits' names joined
// with "+", or "unknown" for none.
func PGStateString(state uint64) string {
	var b strings.Builder
	for _, s := range stateNames {
		if state&s.bit != 0 {
			if b.Len() > 0 {
				b.WriteByte('+')
			}
			b.WriteString(s.name)
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// pgStringState is Ceph's pg_string_state: one state name's bit.
func pgStringState(s string) (uint64, bool) {
	switch s {
	case "unknown":
		return 0, true
	case "deep_scrub":
		return stateDeepScrub, true
	case "scrubq", "splitting":
		return 0, false
	}
	for _, n := range stateNames {
		if n.name == s {
			return n.bit, true
		}
	}
	return 0, false
}

// --- utime_t arithmetic (unsigned 32-bit seconds, as Ceph's) ---

func utSub(l, r messages.Utime) messages.Utime {
	borrow := uint32(0)
	if l.Nsec < r.Nsec {
		borrow = 1
	}
	return messages.Utime{Sec: l.Sec - (r.Sec + borrow), Nsec: (l.Nsec + 1000000000 - r.Nsec) % 1000000000}
}

func utAdd(l, r messages.Utime) messages.Utime {
	return messages.Utime{Sec: l.Sec + r.Sec + (l.Nsec+r.Nsec)/1000000000, Nsec: (l.Nsec + r.Nsec) % 1000000000}
}

func utLess(l, r messages.Utime) bool {
	return l.Sec < r.Sec || (l.Sec == r.Sec && l.Nsec < r.Nsec)
}

func utFloat(u messages.Utime) float64 { return float64(u.Sec) + float64(u.Nsec)/1e9 }

func utIsZero(u messages.Utime) bool { return u.Sec == 0 && u.Nsec == 0 }

// --- object_stat_sum_t ---

func sumFields64(s *messages.ObjectStatSum) []*int64 {
	return []*int64{
		&s.NumBytes, &s.NumObjects, &s.NumObjectClones, &s.NumObjectCopies,
		&s.NumObjectsMissingOnPrimary, &s.NumObjectsDegraded, &s.NumObjectsUnfound,
		&s.NumRd, &s.NumRdKB, &s.NumWr, &s.NumWrKB, &s.NumScrubErrors,
		&s.NumObjectsRecovered, &s.NumBytesRecovered, &s.NumKeysRecovered,
		&s.NumShallowScrubErrors, &s.NumDeepScrubErrors, &s.NumObjectsDirty,
		&s.NumWhiteouts, &s.NumObjectsOmap, &s.NumObjectsHitSetArchive,
		&s.NumObjectsMisplaced, &s.NumBytesHitSetArchive, &s.NumFlush, &s.NumFlushKB,
		&s.NumEvict, &s.NumEvictKB, &s.NumPromote,
		&s.NumObjectsPinned, &s.NumObjectsMissing, &s.NumLegacySnapsets,
		&s.NumLargeOmapObjects, &s.NumObjectsManifest, &s.NumOmapBytes,
		&s.NumOmapKeys, &s.NumObjectsRepaired,
	}
}

func sumFields32(s *messages.ObjectStatSum) []*int32 {
	return []*int32{&s.NumFlushModeHigh, &s.NumFlushModeLow, &s.NumEvictModeSome, &s.NumEvictModeFull}
}

func sumAdd(a *messages.ObjectStatSum, b *messages.ObjectStatSum) {
	fa, fb := sumFields64(a), sumFields64(b)
	for i := range fa {
		*fa[i] += *fb[i]
	}
	ga, gb := sumFields32(a), sumFields32(b)
	for i := range ga {
		*ga[i] += *gb[i]
	}
}

func sumSub(a *messages.ObjectStatSum, b *messages.ObjectStatSum) {
	fa, fb := sumFields64(a), sumFields64(b)
	for i := range fa {
		*fa[i] -= *fb[i]
	}
	ga, gb := sumFields32(a), sumFields32(b)
	for i := range ga {
		*ga[i] -= *gb[i]
	}
}

func sumFloor(a *messages.ObjectStatSum, f int64) {
	for _, p := range sumFields64(a) {
		if *p < f {
			*p = f
		}
	}
	for _, p := range sumFields32(a) {
		if int64(*p) < f {
			*p = int32(f)
		}
	}
}

func sumIsZero(a *messages.ObjectStatSum) bool { return *a == messages.ObjectStatSum{} }

// --- store_statfs_t ---

func statfsAdd(a, b *messages.StoreStatfs) {
	a.Total += b.Total
	a.Available += b.Available
	a.InternallyReserved += b.InternallyReserved
	a.Allocated += b.Allocated
	a.DataStored += b.DataStored
	a.DataCompressed += b.DataCompressed
	a.DataCompressedAllocated += b.DataCompressedAllocated
	a.DataCompressedOriginal += b.DataCompressedOriginal
	a.OmapAllocated += b.OmapAllocated
	a.InternalMetadata += b.InternalMetadata
}

func statfsSub(a, b *messages.StoreStatfs) {
	a.Total -= b.Total
	a.Available -= b.Available
	a.InternallyReserved -= b.InternallyReserved
	a.Allocated -= b.Allocated
	a.DataStored -= b.DataStored
	a.DataCompressed -= b.DataCompressed
	a.DataCompressedAllocated -= b.DataCompressedAllocated
	a.DataCompressedOriginal -= b.DataCompressedOriginal
	a.OmapAllocated -= b.OmapAllocated
	a.InternalMetadata -= b.InternalMetadata
}

func statfsUsed(s *messages.StoreStatfs) uint64 {
	return s.Total - s.Available - s.InternallyReserved
}

func statfsUsedRaw(s *messages.StoreStatfs) uint64 { return s.Total - s.Available }

func statfsUsedRawRatio(s *messages.StoreStatfs) float32 {
	if s.Total == 0 {
		return 0
	}
	return float32(statfsUsedRaw(s)) / float32(s.Total)
}

func dumpStatfs(f formatter, s *messages.StoreStatfs) {
	f.dumpInt("total", int64(s.Total))
	f.dumpInt("available", int64(s.Available))
	f.dumpInt("internally_reserved", int64(s.InternallyReserved))
	f.dumpInt("allocated", s.Allocated)
	f.dumpInt("data_stored", s.DataStored)
	f.dumpInt("data_compressed", s.DataCompressed)
	f.dumpInt("data_compressed_allocated", s.DataCompressedAllocated)
	f.dumpInt("data_compressed_original", s.DataCompressedOriginal)
	f.dumpInt("omap_allocated", s.OmapAllocated)
	f.dumpInt("internal_metadata", s.InternalMetadata)
}

// --- pool_stat_t ---

func poolAddPG(p *messages.PoolStatT, s *messages.PGStatT) {
	sumAdd(&p.Stats.Sum, &s.Stats.Sum)
	p.LogSize += s.LogSize
	p.OndiskLogSize += s.OndiskLogSize
	p.Up += int32(len(s.Up))
	p.Acting += int32(len(s.Acting))
}

func poolSubPG(p *messages.PoolStatT, s *messages.PGStatT) {
	sumSub(&p.Stats.Sum, &s.Stats.Sum)
	p.LogSize -= s.LogSize
	p.OndiskLogSize -= s.OndiskLogSize
	p.Up -= int32(len(s.Up))
	p.Acting -= int32(len(s.Acting))
}

func poolAddStatfs(p *messages.PoolStatT, s *messages.StoreStatfs) {
	statfsAdd(&p.StoreStats, s)
	p.NumStoreStats++
}

func poolSubStatfs(p *messages.PoolStatT, s *messages.StoreStatfs) {
	statfsSub(&p.StoreStats, s)
	p.NumStoreStats--
}

func dumpObjectStatSum(f formatter, s *messages.ObjectStatSum) {
	f.dumpInt("num_bytes", s.NumBytes)
	f.dumpInt("num_objects", s.NumObjects)
	f.dumpInt("num_object_clones", s.NumObjectClones)
	f.dumpInt("num_object_copies", s.NumObjectCopies)
	f.dumpInt("num_objects_missing_on_primary", s.NumObjectsMissingOnPrimary)
	f.dumpInt("num_objects_missing", s.NumObjectsMissing)
	f.dumpInt("num_objects_degraded", s.NumObjectsDegraded)
	f.dumpInt("num_objects_misplaced", s.NumObjectsMisplaced)
	f.dumpInt("num_objects_unfound", s.NumObjectsUnfound)
	f.dumpInt("num_objects_dirty", s.NumObjectsDirty)
	f.dumpInt("num_whiteouts", s.NumWhiteouts)
	f.dumpInt("num_read", s.NumRd)
	f.dumpInt("num_read_kb", s.NumRdKB)
	f.dumpInt("num_write", s.NumWr)
	f.dumpInt("num_write_kb", s.NumWrKB)
	f.dumpInt("num_scrub_errors", s.NumScrubErrors)
	f.dumpInt("num_shallow_scrub_errors", s.NumShallowScrubErrors)
	f.dumpInt("num_deep_scrub_errors", s.NumDeepScrubErrors)
	f.dumpInt("num_objects_recovered", s.NumObjectsRecovered)
	f.dumpInt("num_bytes_recovered", s.NumBytesRecovered)
	f.dumpInt("num_keys_recovered", s.NumKeysRecovered)
	f.dumpInt("num_objects_omap", s.NumObjectsOmap)
	f.dumpInt("num_objects_hit_set_archive", s.NumObjectsHitSetArchive)
	f.dumpInt("num_bytes_hit_set_archive", s.NumBytesHitSetArchive)
	f.dumpInt("num_flush", s.NumFlush)
	f.dumpInt("num_flush_kb", s.NumFlushKB)
	f.dumpInt("num_evict", s.NumEvict)
	f.dumpInt("num_evict_kb", s.NumEvictKB)
	f.dumpInt("num_promote", s.NumPromote)
	f.dumpInt("num_flush_mode_high", int64(s.NumFlushModeHigh))
	f.dumpInt("num_flush_mode_low", int64(s.NumFlushModeLow))
	f.dumpInt("num_evict_mode_some", int64(s.NumEvictModeSome))
	f.dumpInt("num_evict_mode_full", int64(s.NumEvictModeFull))
	f.dumpInt("num_objects_pinned", s.NumObjectsPinned)
	f.dumpInt("num_legacy_snapsets", s.NumLegacySnapsets)
	f.dumpInt("num_large_omap_objects", s.NumLargeOmapObjects)
	f.dumpInt("num_objects_manifest", s.NumObjectsManifest)
	f.dumpInt("num_omap_bytes", s.NumOmapBytes)
	f.dumpInt("num_omap_keys", s.NumOmapKeys)
	f.dumpInt("num_objects_repaired", s.NumObjectsRepaired)
}

// dumpPoolStat is pool_stat_t::dump.
func dumpPoolStat(f formatter, p *messages.PoolStatT) {
	f.openObject("stat_sum")
	dumpObjectStatSum(f, &p.Stats.Sum)
	f.closeSection()
	f.openObject("store_stats")
	dumpStatfs(f, &p.StoreStats)
	f.closeSection()
	f.dumpInt("log_size", p.LogSize)
	f.dumpInt("ondisk_log_size", p.OndiskLogSize)
	f.dumpInt("up", int64(p.Up))
	f.dumpInt("acting", int64(p.Acting))
	f.dumpInt("num_store_stats", int64(p.NumStoreStats))
}

// --- pool_stat_t's per-pool usage, as nautilus and later compute it ---

func allocatedDataBytes(p *messages.PoolStatT, perPool bool) uint64 {
	if perPool {
		return uint64(p.StoreStats.Allocated)
	}
	return uint64(p.Stats.Sum.NumBytes + p.Stats.Sum.NumBytesHitSetArchive)
}

func allocatedOmapBytes(p *messages.PoolStatT, perPoolOmap bool) uint64 {
	if perPoolOmap {
		return uint64(p.StoreStats.OmapAllocated)
	}
	return uint64(p.Stats.Sum.NumOmapBytes)
}

func userDataBytes(p *messages.PoolStatT, rate float32, perPool bool) uint64 {
	if perPool {
		if rate == 0 {
			return 0
		}
		return uint64(float32(p.StoreStats.DataStored) / rate)
	}
	return uint64(p.Stats.Sum.NumBytes + p.Stats.Sum.NumBytesHitSetArchive)
}

func userOmapBytes(p *messages.PoolStatT, rate float32, perPoolOmap bool) uint64 {
	if perPoolOmap {
		if rate == 0 {
			return 0
		}
		return uint64(float32(p.StoreStats.OmapAllocated) / rate)
	}
	return uint64(p.Stats.Sum.NumOmapBytes)
}

// --- osd_stat_t ---

func histAdd(a *messages.Pow2Hist, b *messages.Pow2Hist, sign int32) {
	for len(a.Counts) < len(b.Counts) {
		a.Counts = append(a.Counts, 0)
	}
	for i, v := range b.Counts {
		a.Counts[i] += sign * v
	}
	n := len(a.Counts)
	for n > 0 && a.Counts[n-1] == 0 {
		n--
	}
	a.Counts = a.Counts[:n]
}

func osdAdd(a *messages.OSDStatT, b *messages.OSDStatT) {
	statfsAdd(&a.Statfs, &b.Statfs)
	a.SnapTrimQueueLen += b.SnapTrimQueueLen
	a.NumSnapTrimming += b.NumSnapTrimming
	a.NumShardsRepaired += b.NumShardsRepaired
	histAdd(&a.OpQueueAgeHist, &b.OpQueueAgeHist, 1)
	a.PerfStat.CommitLatencyNs += b.PerfStat.CommitLatencyNs
	a.PerfStat.ApplyLatencyNs += b.PerfStat.ApplyLatencyNs
	a.NumPGs += b.NumPGs
	a.NumOSDs += b.NumOSDs
	a.NumPerPoolOSDs += b.NumPerPoolOSDs
	a.NumPerPoolOmapOSDs += b.NumPerPoolOmapOSDs
	for osd, al := range b.Alerts {
		if a.Alerts == nil {
			a.Alerts = map[int32]map[string]string{}
		}
		t := a.Alerts[osd]
		if t == nil {
			t = map[string]string{}
			a.Alerts[osd] = t
		}
		for k, v := range al {
			if _, ok := t[k]; !ok {
				t[k] = v
			}
		}
	}
}

func osdSub(a *messages.OSDStatT, b *messages.OSDStatT) {
	statfsSub(&a.Statfs, &b.Statfs)
	a.SnapTrimQueueLen -= b.SnapTrimQueueLen
	a.NumSnapTrimming -= b.NumSnapTrimming
	a.NumShardsRepaired -= b.NumShardsRepaired
	histAdd(&a.OpQueueAgeHist, &b.OpQueueAgeHist, -1)
	a.PerfStat.CommitLatencyNs -= b.PerfStat.CommitLatencyNs
	a.PerfStat.ApplyLatencyNs -= b.PerfStat.ApplyLatencyNs
	a.NumPGs -= b.NumPGs
	a.NumOSDs -= b.NumOSDs
	a.NumPerPoolOSDs -= b.NumPerPoolOSDs
	a.NumPerPoolOmapOSDs -= b.NumPerPoolOmapOSDs
	for osd, al := range b.Alerts {
		if a.Alerts == nil {
			a.Alerts = map[int32]map[string]string{}
		}
		t := a.Alerts[osd]
		for k := range al {
			delete(t, k)
		}
		if len(t) == 0 {
			delete(a.Alerts, osd)
		}
	}
}

// cloneOSDStat copies s deeply enough that sums over it never alias it.
func cloneOSDStat(s messages.OSDStatT) messages.OSDStatT {
	s.HBPeers = append([]int32(nil), s.HBPeers...)
	s.OpQueueAgeHist.Counts = append([]int32(nil), s.OpQueueAgeHist.Counts...)
	if s.Alerts != nil {
		al := make(map[int32]map[string]string, len(s.Alerts))
		for k, v := range s.Alerts {
			m := make(map[string]string, len(v))
			for a, b := range v {
				m[a] = b
			}
			al[k] = m
		}
		s.Alerts = al
	}
	return s
}

func dumpHist(f formatter, h *messages.Pow2Hist) {
	f.openArray("histogram")
	for _, c := range h.Counts {
		f.dumpInt("count", int64(c))
	}
	f.closeSection()
	f.dumpInt("upper_bound", int64(1)<<len(h.Counts))
}

func dumpPerfStat(f formatter, p *messages.ObjectStorePerfStat) {
	f.dumpFloat("commit_latency_ms", float64(p.CommitLatencyNs)/1000000.0)
	f.dumpFloat("apply_latency_ms", float64(p.ApplyLatencyNs)/1000000.0)
	f.dumpUnsigned("commit_latency_ns", p.CommitLatencyNs)
	f.dumpUnsigned("apply_latency_ns", p.ApplyLatencyNs)
}

// dumpOSDStat is osd_stat_t::dump(f, with_net).
func dumpOSDStat(f formatter, s *messages.OSDStatT, withNet bool) {
	f.dumpUnsigned("up_from", uint64(s.UpFrom))
	f.dumpUnsigned("seq", s.Seq)
	f.dumpUnsigned("num_pgs", uint64(s.NumPGs))
	f.dumpUnsigned("num_osds", uint64(s.NumOSDs))
	f.dumpUnsigned("num_per_pool_osds", uint64(s.NumPerPoolOSDs))
	f.dumpUnsigned("num_per_pool_omap_osds", uint64(s.NumPerPoolOmapOSDs))
	f.dumpUnsigned("kb", s.Statfs.Total>>10)
	f.dumpUnsigned("kb_used", statfsUsedRaw(&s.Statfs)>>10)
	f.dumpUnsigned("kb_used_data", uint64(s.Statfs.Allocated)>>10)
	f.dumpUnsigned("kb_used_omap", uint64(s.Statfs.OmapAllocated)>>10)
	f.dumpUnsigned("kb_used_meta", uint64(s.Statfs.InternalMetadata)>>10)
	f.dumpUnsigned("kb_avail", s.Statfs.Available>>10)
	f.openObject("statfs")
	dumpStatfs(f, &s.Statfs)
	f.closeSection()
	f.openArray("hb_peers")
	for _, p := range s.HBPeers {
		f.dumpInt("osd", int64(p))
	}
	f.closeSection()
	f.dumpInt("snap_trim_queue_len", int64(s.SnapTrimQueueLen))
	f.dumpInt("num_snap_trimming", int64(s.NumSnapTrimming))
	f.dumpInt("num_shards_repaired", int64(s.NumShardsRepaired))
	f.openObject("op_queue_age_hist")
	dumpHist(f, &s.OpQueueAgeHist)
	f.closeSection()
	f.openObject("perf_stat")
	dumpPerfStat(f, &s.PerfStat)
	f.closeSection()
	f.openArray("alerts")
	for _, osd := range sortedKeys(s.Alerts) {
		al := s.Alerts[osd]
		for _, k := range sortedKeys(al) {
			f.dumpString("alert", " osd: "+strconv.Itoa(int(osd))+" "+k+":"+al[k])
		}
	}
	f.closeSection()
	if withNet {
		dumpPingTime(f, s)
	}
}

// dumpPingTime is osd_stat_t::dump_ping_time.
func dumpPingTime(f formatter, s *messages.OSDStatT) {
	f.openArray("network_ping_times")
	for _, peer := range sortedKeys(s.HBPingTime) {
		h := s.HBPingTime[peer]
		f.openObject("entry")
		f.dumpInt("osd", int64(peer))
		f.dumpString("last update", ctimeStr(h.LastUpdate))
		f.openArray("interfaces")
		iface := func(name string, avg, min, max [3]uint32, last uint32) {
			f.openObject("interface")
			f.dumpString("interface", name)
			for _, sec := range []struct {
				name string
				v    [3]uint32
			}{{"average", avg}, {"min", min}, {"max", max}} {
				f.openObject(sec.name)
				f.dumpFloat("1min", float64(sec.v[0])/1000.0)
				f.dumpFloat("5min", float64(sec.v[1])/1000.0)
				f.dumpFloat("15min", float64(sec.v[2])/1000.0)
				f.closeSection()
			}
			f.dumpFloat("last", float64(last)/1000.0)
			f.closeSection()
		}
		iface("back", h.BackPingTime, h.BackMin, h.BackMax, h.BackLast)
		if h.FrontPingTime[0] != 0 {
			iface("front", h.FrontPingTime, h.FrontMin, h.FrontMax, h.FrontLast)
		}
		f.closeSection()
		f.closeSection()
	}
	f.closeSection()
}

// --- pg_stat_t ---

func pgShardStr(s messages.PGShard) string {
	if s.Shard < 0 {
		return strconv.Itoa(int(s.OSD))
	}
	return strconv.Itoa(int(s.OSD)) + "(" + strconv.Itoa(int(s.Shard)) + ")"
}

// dumpPGStat is pg_stat_t::dump (pacific, struct v26).
func dumpPGStat(f formatter, s *messages.PGStatT) {
	f.dumpStream("version", s.Version.String())
	f.dumpUnsigned("reported_seq", s.ReportedSeq)
	f.dumpUnsigned("reported_epoch", uint64(s.ReportedEpoch))
	f.dumpString("state", PGStateString(s.State))
	f.dumpStream("last_fresh", utimeStr(s.LastFresh))
	f.dumpStream("last_change", utimeStr(s.LastChange))
	f.dumpStream("last_active", utimeStr(s.LastActive))
	f.dumpStream("last_peered", utimeStr(s.LastPeered))
	f.dumpStream("last_clean", utimeStr(s.LastClean))
	f.dumpStream("last_became_active", utimeStr(s.LastBecameActive))
	f.dumpStream("last_became_peered", utimeStr(s.LastBecamePeered))
	f.dumpStream("last_unstale", utimeStr(s.LastUnstale))
	f.dumpStream("last_undegraded", utimeStr(s.LastUndegraded))
	f.dumpStream("last_fullsized", utimeStr(s.LastFullsized))
	f.dumpUnsigned("mapping_epoch", uint64(s.MappingEpoch))
	f.dumpStream("log_start", s.LogStart.String())
	f.dumpStream("ondisk_log_start", s.OndiskLogStart.String())
	f.dumpUnsigned("created", uint64(s.Created))
	f.dumpUnsigned("last_epoch_clean", uint64(s.LastEpochClean))
	f.dumpStream("parent", s.Parent.String())
	f.dumpUnsigned("parent_split_bits", uint64(s.ParentSplitBits))
	f.dumpStream("last_scrub", s.LastScrub.String())
	f.dumpStream("last_scrub_stamp", utimeStr(s.LastScrubStamp))
	f.dumpStream("last_deep_scrub", s.LastDeepScrub.String())
	f.dumpStream("last_deep_scrub_stamp", utimeStr(s.LastDeepScrubStamp))
	f.dumpStream("last_clean_scrub_stamp", utimeStr(s.LastCleanScrubStamp))
	f.dumpInt("log_size", s.LogSize)
	f.dumpInt("ondisk_log_size", s.OndiskLogSize)
	f.dumpBool("stats_invalid", s.StatsInvalid)
	f.dumpBool("dirty_stats_invalid", s.DirtyStatsInvalid)
	f.dumpBool("omap_stats_invalid", s.OmapStatsInvalid)
	f.dumpBool("hitset_stats_invalid", s.HitsetStatsInvalid)
	f.dumpBool("hitset_bytes_stats_invalid", s.HitsetBytesStatsInvalid)
	f.dumpBool("pin_stats_invalid", s.PinStatsInvalid)
	f.dumpBool("manifest_stats_invalid", s.ManifestStatsInvalid)
	f.dumpUnsigned("snaptrimq_len", uint64(s.SnaptrimqLen))
	f.openObject("stat_sum")
	dumpObjectStatSum(f, &s.Stats.Sum)
	f.closeSection()
	dumpOSDs(f, "up", s.Up)
	dumpOSDs(f, "acting", s.Acting)
	f.openArray("avail_no_missing")
	for _, sh := range s.AvailNoMissing {
		f.dumpStream("shard", pgShardStr(sh))
	}
	f.closeSection()
	f.openArray("object_location_counts")
	for _, c := range s.ObjectLocationCounts {
		f.openObject("entry")
		parts := make([]string, len(c.Shards))
		for i, sh := range c.Shards {
			parts[i] = pgShardStr(sh)
		}
		f.dumpStream("shards", strings.Join(parts, ","))
		f.dumpInt("objects", int64(c.Objects))
		f.closeSection()
	}
	f.closeSection()
	dumpOSDs(f, "blocked_by", s.BlockedBy)
	f.dumpInt("up_primary", int64(s.UpPrimary))
	f.dumpInt("acting_primary", int64(s.ActingPrimary))
	f.openArray("purged_snaps")
	for _, iv := range s.PurgedSnaps {
		f.openObject("interval")
		f.dumpStream("start", strconv.FormatUint(iv.Start, 16))
		f.dumpStream("length", strconv.FormatUint(iv.Len, 16))
		f.closeSection()
	}
	f.closeSection()
}

// dumpOSDs dumps a list of OSD ids as Ceph does (an array of "osd").
func dumpOSDs(f formatter, name string, osds []int32) {
	f.openArray(name)
	for _, o := range osds {
		f.dumpInt("osd", int64(o))
	}
	f.closeSection()
}

// dumpPGStatBrief is pg_stat_t::dump_brief.
func dumpPGStatBrief(f formatter, s *messages.PGStatT) {
	f.dumpString("state", PGStateString(s.State))
	dumpOSDs(f, "up", s.Up)
	dumpOSDs(f, "acting", s.Acting)
	f.dumpInt("up_primary", int64(s.UpPrimary))
	f.dumpInt("acting_primary", int64(s.ActingPrimary))
}
