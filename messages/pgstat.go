package messages

import (
	"fmt"
	"slices"
)

// This file holds Ceph 16.2 (pacific)'s PG statistics structs in their
// binary encodings, field for field as src/osd/osd_types.cc,
// src/common/histogram.cc and src/mon/PGMap.cc encode them. Each type lists
// its fields once, in a denc method (see Denc); its exported Encode (always
// pacific's struct version) and Decode (which fills the receiver in place)
// wrap it. Decoding honours the older struct versions Ceph's own decoder
// handles, skips what newer versions append, records errors in the Decoder
// and never panics. After an error the receiver keeps what was decoded
// before it.
//
// Where Ceph keeps an unordered_map, the Go type is a slice in the order the
// map was sent (hash order), so a decoded struct re-encodes byte for byte;
// std::map fields are Go maps, encoded in ascending key order as std::map
// iterates.

// Pacific's struct versions, as encoded with pacific's CEPH_FEATURES_ALL
// (which ceph-mgr uses for the PGMapDigest it sends the mon).
const (
	objectStatSumV        = 20 // compat 14
	objectStatCollectionV = 2  // compat 2
	storeStatfsV          = 1  // compat 1
	pow2HistV             = 1  // compat 1
	osdStatV              = 14 // compat 2
	pgStatV               = 26 // compat 22
	poolStatV             = 7  // compat 5
	pgShardV              = 1  // compat 1
	pgMapDigestV          = 4  // compat 1
)

// EVersion is Ceph's eversion_t: le64 version, le32 epoch.
type EVersion struct {
	Version uint64
	Epoch   uint32
}

// Encode appends v.
func (v EVersion) Encode(e *Encoder) { v.denc(e.Denc()) }

// Decode reads v.
func (v *EVersion) Decode(d *Decoder) { v.denc(d.Denc()) }

func (v *EVersion) denc(c Denc) {
	c.U64(&v.Version)
	c.U32(&v.Epoch)
}

// String formats v as Ceph does ("epoch'version").
func (v EVersion) String() string { return fmt.Sprintf("%d'%d", v.Epoch, v.Version) }

// ObjectStatSum is Ceph's object_stat_sum_t, struct v20 (pacific).
type ObjectStatSum struct {
	NumBytes                   int64
	NumObjects                 int64
	NumObjectClones            int64
	NumObjectCopies            int64
	NumObjectsMissingOnPrimary int64
	NumObjectsDegraded         int64
	NumObjectsUnfound          int64
	NumRd                      int64
	NumRdKB                    int64
	NumWr                      int64
	NumWrKB                    int64
	NumScrubErrors             int64
	NumObjectsRecovered        int64
	NumBytesRecovered          int64
	NumKeysRecovered           int64
	NumShallowScrubErrors      int64
	NumDeepScrubErrors         int64
	NumObjectsDirty            int64
	NumWhiteouts               int64
	NumObjectsOmap             int64
	NumObjectsHitSetArchive    int64
	NumObjectsMisplaced        int64
	NumBytesHitSetArchive      int64
	NumFlush                   int64
	NumFlushKB                 int64
	NumEvict                   int64
	NumEvictKB                 int64
	NumPromote                 int64
	NumFlushModeHigh           int32
	NumFlushModeLow            int32
	NumEvictModeSome           int32
	NumEvictModeFull           int32
	NumObjectsPinned           int64
	NumObjectsMissing          int64
	NumLegacySnapsets          int64 // v16
	NumLargeOmapObjects        int64 // v17
	NumObjectsManifest         int64 // v18
	NumOmapBytes               int64 // v19
	NumOmapKeys                int64 // v19
	NumObjectsRepaired         int64 // v20
}

// Encode appends s as struct v20 compat 14: the 304 bytes Ceph copies from
// memory on little-endian hosts, field by field.
func (s *ObjectStatSum) Encode(e *Encoder) { s.denc(e.Denc()) }

// Decode reads an object_stat_sum_t of any version Ceph's decoder takes
// (compat up to 20).
func (s *ObjectStatSum) Decode(d *Decoder) {
	*s = ObjectStatSum{}
	s.denc(d.Denc())
}

func (s *ObjectStatSum) denc(c Denc) {
	st := c.Start(objectStatSumV, 14, "object_stat_sum_t")
	for _, p := range [...]*int64{
		&s.NumBytes, &s.NumObjects, &s.NumObjectClones, &s.NumObjectCopies,
		&s.NumObjectsMissingOnPrimary, &s.NumObjectsDegraded, &s.NumObjectsUnfound,
		&s.NumRd, &s.NumRdKB, &s.NumWr, &s.NumWrKB, &s.NumScrubErrors,
		&s.NumObjectsRecovered, &s.NumBytesRecovered, &s.NumKeysRecovered,
		&s.NumShallowScrubErrors, &s.NumDeepScrubErrors, &s.NumObjectsDirty,
		&s.NumWhiteouts, &s.NumObjectsOmap, &s.NumObjectsHitSetArchive,
		&s.NumObjectsMisplaced, &s.NumBytesHitSetArchive, &s.NumFlush, &s.NumFlushKB,
		&s.NumEvict, &s.NumEvictKB, &s.NumPromote,
	} {
		c.S64(p)
	}
	c.S32(&s.NumFlushModeHigh)
	c.S32(&s.NumFlushModeLow)
	c.S32(&s.NumEvictModeSome)
	c.S32(&s.NumEvictModeFull)
	c.S64(&s.NumObjectsPinned)
	c.S64(&s.NumObjectsMissing)
	if st.V >= 16 {
		c.S64(&s.NumLegacySnapsets)
	} else {
		s.NumLegacySnapsets = s.NumObjectClones // Ceph's upper bound
	}
	if st.V >= 17 {
		c.S64(&s.NumLargeOmapObjects)
	}
	if st.V >= 18 {
		c.S64(&s.NumObjectsManifest)
	}
	if st.V >= 19 {
		c.S64(&s.NumOmapBytes)
		c.S64(&s.NumOmapKeys)
	}
	if st.V >= 20 {
		c.S64(&s.NumObjectsRepaired)
	}
	c.Finish(st)
}

// ObjectStatCollection is Ceph's object_stat_collection_t, struct v2: the
// sum, then an always-empty map of per-category sums.
type ObjectStatCollection struct {
	Sum ObjectStatSum
}

// Encode appends c as struct v2 compat 2.
func (c *ObjectStatCollection) Encode(e *Encoder) { c.denc(e.Denc()) }

// Decode reads an object_stat_collection_t of v2 or later, skipping any
// per-category sums.
func (c *ObjectStatCollection) Decode(d *Decoder) {
	*c = ObjectStatCollection{}
	c.denc(d.Denc())
}

func (sc *ObjectStatCollection) denc(c Denc) {
	st := c.Start(objectStatCollectionV, 2, "object_stat_collection_t")
	c.MinVersion(st, 2, "legacy encoding")
	sc.Sum.denc(c)
	// cat_sum, map<string, object_stat_sum_t>: empty since firefly; what a
	// peer still sends is read and dropped.
	var n int
	c.Count(&n, 10)
	for i := 0; i < n && c.Err() == nil; i++ {
		var name string
		var skip ObjectStatSum
		c.String(&name)
		skip.denc(c)
	}
	c.Finish(st)
}

// StoreStatfs is Ceph's store_statfs_t, struct v1: an object store's (or
// one pool's share of it) space usage in bytes.
type StoreStatfs struct {
	Total                   uint64
	Available               uint64
	InternallyReserved      uint64
	Allocated               int64
	DataStored              int64
	DataCompressed          int64
	DataCompressedAllocated int64
	DataCompressedOriginal  int64
	OmapAllocated           int64
	InternalMetadata        int64
}

// Encode appends s as struct v1 compat 1.
func (s *StoreStatfs) Encode(e *Encoder) { s.denc(e.Denc()) }

// Decode reads a store_statfs_t.
func (s *StoreStatfs) Decode(d *Decoder) {
	*s = StoreStatfs{}
	s.denc(d.Denc())
}

func (s *StoreStatfs) denc(c Denc) {
	st := c.Start(storeStatfsV, 1, "store_statfs_t")
	c.U64(&s.Total)
	c.U64(&s.Available)
	c.U64(&s.InternallyReserved)
	c.S64(&s.Allocated)
	c.S64(&s.DataStored)
	c.S64(&s.DataCompressed)
	c.S64(&s.DataCompressedAllocated)
	c.S64(&s.DataCompressedOriginal)
	c.S64(&s.OmapAllocated)
	c.S64(&s.InternalMetadata)
	c.Finish(st)
}

// UsedRaw is store_statfs_t::get_used_raw: total minus available.
func (s *StoreStatfs) UsedRaw() uint64 { return s.Total - s.Available }

// ObjectStorePerfStat is Ceph's objectstore_perf_stat_t: commit and apply
// latency in nanoseconds. Struct v1 carries them as le32 whole milliseconds,
// v2 as le64 nanoseconds; Ceph sends v2 only to peers with OS_PERF_STAT_NS,
// a feature pacific defines but leaves out of its CEPH_FEATURES_ALL (the
// captured session's feature bits lack it), so pacific OSDs and ceph-mgr
// always send v1.
type ObjectStorePerfStat struct {
	CommitLatencyNs uint64
	ApplyLatencyNs  uint64
	V2              bool // encode as v2; set when a v2 struct was decoded
}

const nsPerMs = 1_000_000

// Encode appends p as struct v1 compat 1 (what pacific sends), or v2
// compat 2 when p.V2.
func (p *ObjectStorePerfStat) Encode(e *Encoder) { p.denc(e.Denc()) }

// Decode reads an objectstore_perf_stat_t, v1 or v2.
func (p *ObjectStorePerfStat) Decode(d *Decoder) {
	*p = ObjectStorePerfStat{}
	p.denc(d.Denc())
}

func (p *ObjectStorePerfStat) denc(c Denc) {
	v := uint8(1)
	if p.V2 {
		v = 2
	}
	st := c.StartCompat(v, v, 2, "objectstore_perf_stat_t")
	if st.V >= 2 {
		c.U64(&p.CommitLatencyNs)
		c.U64(&p.ApplyLatencyNs)
		if c.Decoding() {
			p.V2 = true
		}
	} else {
		commitMs, applyMs := uint32(p.CommitLatencyNs/nsPerMs), uint32(p.ApplyLatencyNs/nsPerMs)
		c.U32(&commitMs)
		c.U32(&applyMs)
		if c.Decoding() {
			p.CommitLatencyNs, p.ApplyLatencyNs = uint64(commitMs)*nsPerMs, uint64(applyMs)*nsPerMs
		}
	}
	c.Finish(st)
}

// Pow2Hist is Ceph's pow2_hist_t, struct v1: Counts[i] counts values in
// (2^(i-1), 2^i].
type Pow2Hist struct {
	Counts []int32
}

// Encode appends h as struct v1 compat 1.
func (h *Pow2Hist) Encode(e *Encoder) { h.denc(e.Denc()) }

// Decode reads a pow2_hist_t.
func (h *Pow2Hist) Decode(d *Decoder) {
	*h = Pow2Hist{}
	h.denc(d.Denc())
}

func (h *Pow2Hist) denc(c Denc) {
	st := c.Start(pow2HistV, 1, "pow2_hist_t")
	DencSlice(c, &h.Counts, 4, Denc.S32)
	c.Finish(st)
}

// HBInterfaces is osd_stat_t::Interfaces: heartbeat ping times (in
// microseconds) to one peer over the back and front networks, averaged over
// 1, 5 and 15 minutes; LastUpdate is in seconds. A zero FrontPingTime[0]
// means the peer has no front interface.
type HBInterfaces struct {
	LastUpdate    uint32
	BackPingTime  [3]uint32
	BackMin       [3]uint32
	BackMax       [3]uint32
	BackLast      uint32
	FrontPingTime [3]uint32
	FrontMin      [3]uint32
	FrontMax      [3]uint32
	FrontLast     uint32
}

const hbInterfacesSize = 4 + 84 // osd id and 21 le32

func (h *HBInterfaces) denc(c Denc) {
	c.U32(&h.LastUpdate)
	for _, a := range [...]*[3]uint32{&h.BackPingTime, &h.BackMin, &h.BackMax} {
		c.U32(&a[0])
		c.U32(&a[1])
		c.U32(&a[2])
	}
	c.U32(&h.BackLast)
	for _, a := range [...]*[3]uint32{&h.FrontPingTime, &h.FrontMin, &h.FrontMax} {
		c.U32(&a[0])
		c.U32(&a[1])
		c.U32(&a[2])
	}
	c.U32(&h.FrontLast)
}

// dencHBPingTime lists osd_stat_t's hb_pingtime, a map<int, Interfaces>.
// It cannot use DencMap: Ceph writes the count as a signed int and reads a
// negative one as zero entries.
func dencHBPingTime(c Denc, m *map[int32]HBInterfaces) {
	var keys []int32
	if !c.Decoding() {
		keys = make([]int32, 0, len(*m))
		for k := range *m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	n := int32(len(keys))
	c.S32(&n)
	if c.Decoding() && n > 0 && c.Err() == nil && int64(n)*hbInterfacesSize > int64(c.d.Remaining()) {
		c.Fail(fmt.Errorf("%w: %d hb_pingtime entries, %d bytes left", ErrTruncated, n, c.d.Remaining()))
	}
	for i := int32(0); i < n && c.Err() == nil; i++ {
		var osd int32
		var h HBInterfaces
		if !c.Decoding() {
			osd = keys[i]
			h = (*m)[osd]
		}
		c.S32(&osd)
		h.denc(c)
		if !c.Decoding() || c.Err() != nil {
			continue
		}
		if *m == nil {
			*m = make(map[int32]HBInterfaces)
		}
		(*m)[osd] = h
	}
}

// OSDStatT is Ceph's osd_stat_t, struct v14 (pacific): one OSD's usage and
// health as it reports it in MPGStats, and the sums of them in PGMapDigest.
// (The T keeps it apart from OSDStat, gomgr's JSON summary.)
type OSDStatT struct {
	Statfs             StoreStatfs
	HBPeers            []int32
	SnapTrimQueueLen   int32
	NumSnapTrimming    int32
	NumShardsRepaired  uint64 // v11
	OpQueueAgeHist     Pow2Hist
	PerfStat           ObjectStorePerfStat
	Alerts             map[int32]map[string]string // os_alerts, v10: alerts by osd id
	UpFrom             uint32                      // v6
	Seq                uint64                      // v6
	NumPGs             uint32                      // v7
	NumOSDs            uint32                      // v12
	NumPerPoolOSDs     uint32                      // v12
	NumPerPoolOmapOSDs uint32                      // v13
	HBPingTime         map[int32]HBInterfaces      // v14, by peer osd id
}

// Encode appends s as struct v14 compat 2. The legacy kb, kb_used,
// kb_avail, kb_used_data, kb_used_omap and kb_used_meta fields are derived
// from Statfs, as Ceph derives them.
func (s *OSDStatT) Encode(e *Encoder) { s.denc(e.Denc()) }

// Decode reads an osd_stat_t of v2 or later, filling what older versions
// lack as Ceph does (statfs from the legacy kb fields before v9).
func (s *OSDStatT) Decode(d *Decoder) {
	*s = OSDStatT{}
	s.denc(d.Denc())
}

func (s *OSDStatT) denc(c Denc) {
	st := c.Start(osdStatV, 2, "osd_stat_t")
	c.MinVersion(st, 2, "legacy encoding")
	// Encoding derives the legacy kb fields from Statfs; decoding reads them
	// and, for encodings older than Statfs, derives Statfs from them.
	kb, kbUsed, kbAvail := int64(s.Statfs.Total>>10), int64(s.Statfs.UsedRaw()>>10), int64(s.Statfs.Available>>10)
	c.S64(&kb)
	c.S64(&kbUsed)
	c.S64(&kbAvail)
	c.S32(&s.SnapTrimQueueLen)
	c.S32(&s.NumSnapTrimming)
	DencSlice(c, &s.HBPeers, 4, Denc.S32)
	var hbOut []int32 // num_hb_out, unused since luminous
	DencSlice(c, &hbOut, 4, Denc.S32)
	if st.V >= 3 {
		s.OpQueueAgeHist.denc(c)
	}
	if st.V >= 4 {
		s.PerfStat.denc(c)
	}
	if st.V >= 6 {
		c.U32(&s.UpFrom)
		c.U64(&s.Seq)
	}
	if st.V >= 7 {
		c.U32(&s.NumPGs)
	}
	kbUsedData, kbUsedOmap, kbUsedMeta := kbUsed, int64(0), int64(0)
	if st.V >= 8 {
		kbUsedData = int64(uint64(s.Statfs.Allocated) >> 10)
		kbUsedOmap = int64(uint64(s.Statfs.OmapAllocated) >> 10)
		kbUsedMeta = int64(uint64(s.Statfs.InternalMetadata) >> 10)
		c.S64(&kbUsedData)
		c.S64(&kbUsedOmap)
		c.S64(&kbUsedMeta)
	}
	if st.V >= 9 {
		s.Statfs.denc(c)
	} else {
		s.Statfs = StoreStatfs{Total: uint64(kb) << 10, Available: uint64(kbAvail) << 10}
		if s.Statfs.Total > s.Statfs.Available {
			s.Statfs.InternallyReserved = s.Statfs.Total - s.Statfs.Available
		}
		if used := kbUsed << 10; int64(s.Statfs.InternallyReserved) > used {
			s.Statfs.InternallyReserved -= uint64(used)
		} else {
			s.Statfs.InternallyReserved = 0
		}
		s.Statfs.Allocated = kbUsedData << 10
		s.Statfs.OmapAllocated = kbUsedOmap << 10
		s.Statfs.InternalMetadata = kbUsedMeta << 10
	}
	if st.V >= 10 {
		DencMap(c, &s.Alerts, 8, Denc.S32, Denc.StringMap)
	}
	if st.V >= 11 {
		c.U64(&s.NumShardsRepaired)
	}
	if st.V >= 12 {
		c.U32(&s.NumOSDs)
		c.U32(&s.NumPerPoolOSDs)
	}
	if st.V >= 13 {
		c.U32(&s.NumPerPoolOmapOSDs)
	}
	if st.V >= 14 {
		dencHBPingTime(c, &s.HBPingTime)
	}
	c.Finish(st)
}

// PGShard is Ceph's pg_shard_t, struct v1: an OSD and, for erasure-coded
// pools, the shard it holds (-1 for none).
type PGShard struct {
	OSD   int32
	Shard int8
}

const pgShardSize = 6 + 5

// Encode appends s as struct v1 compat 1.
func (s PGShard) Encode(e *Encoder) { s.denc(e.Denc()) }

// Decode reads a pg_shard_t.
func (s *PGShard) Decode(d *Decoder) {
	*s = PGShard{}
	s.denc(d.Denc())
}

func (s *PGShard) denc(c Denc) {
	st := c.Start(pgShardV, 1, "pg_shard_t")
	c.S32(&s.OSD)
	c.S8(&s.Shard)
	c.Finish(st)
}

// ObjectLocationCount is one entry of pg_stat_t's object_location_counts:
// how many objects live on exactly this set of shards.
type ObjectLocationCount struct {
	Shards  []PGShard // a std::set, ascending
	Objects int32
}

func (l *ObjectLocationCount) denc(c Denc) {
	DencSlice(c, &l.Shards, pgShardSize, elem[PGShard])
	c.S32(&l.Objects)
}

// SnapInterval is one interval of an interval_set<snapid_t>: Len snaps from
// Start.
type SnapInterval struct {
	Start, Len uint64
}

func (i *SnapInterval) denc(c Denc) {
	c.U64(&i.Start)
	c.U64(&i.Len)
}

// IntervalSet is Ceph's interval_set<snapid_t>, encoded as its
// map<start, length>: ascending and disjoint when it comes from Ceph.
type IntervalSet []SnapInterval

// Encode appends s in its order.
func (s IntervalSet) Encode(e *Encoder) { s.denc(e.Denc()) }

// DecodeIntervalSet reads an interval_set<snapid_t>.
func DecodeIntervalSet(d *Decoder) IntervalSet {
	var s IntervalSet
	s.denc(d.Denc())
	return s
}

func (s *IntervalSet) denc(c Denc) {
	DencSlice(c, (*[]SnapInterval)(s), 16, elem[SnapInterval])
}

// PGStatT is Ceph's pg_stat_t, struct v26 (what pacific OSDs send): one
// PG's state and stats. (The T keeps it apart from gomgr's JSON types.)
type PGStatT struct {
	Version                 EVersion
	ReportedSeq             uint64
	ReportedEpoch           uint32
	State                   uint64 // PG_STATE_* bits; the top 32 travel apart (v24)
	LogStart                EVersion
	OndiskLogStart          EVersion
	Created                 uint32
	LastEpochClean          uint32
	Parent                  PGID
	ParentSplitBits         uint32
	LastScrub               EVersion
	LastScrubStamp          Utime
	Stats                   ObjectStatCollection
	LogSize                 int64
	OndiskLogSize           int64
	Up                      []int32
	Acting                  []int32
	LastFresh               Utime
	LastChange              Utime
	LastActive              Utime
	LastClean               Utime
	LastUnstale             Utime
	MappingEpoch            uint32
	LastDeepScrub           EVersion
	LastDeepScrubStamp      Utime
	StatsInvalid            bool
	LastCleanScrubStamp     Utime
	LastBecameActive        Utime
	DirtyStatsInvalid       bool
	UpPrimary               int32
	ActingPrimary           int32
	OmapStatsInvalid        bool
	HitsetStatsInvalid      bool
	BlockedBy               []int32
	LastUndegraded          Utime
	LastFullsized           Utime
	HitsetBytesStatsInvalid bool
	LastPeered              Utime
	LastBecamePeered        Utime
	PinStatsInvalid         bool
	SnaptrimqLen            uint32      // v23
	PurgedSnaps             IntervalSet // v24
	ManifestStatsInvalid    bool        // v25; true when decoded from older
	AvailNoMissing          []PGShard   // v26
	ObjectLocationCounts    []ObjectLocationCount
}

// Encode appends s as struct v26 compat 22, pacific's pg_stat_t::encode.
func (s *PGStatT) Encode(e *Encoder) { s.denc(e.Denc()) }

// Decode reads a pg_stat_t of any version Ceph's decoder takes, skipping
// the fields later releases append (scrub schedule and durations, v27-v30).
func (s *PGStatT) Decode(d *Decoder) {
	*s = PGStatT{}
	s.denc(d.Denc())
}

func (s *PGStatT) denc(c Denc) {
	st := c.StartCompat(pgStatV, 22, 30, "pg_stat_t") // Ceph's DECODE_START(30): compat up to 30
	s.Version.denc(c)
	c.U64(&s.ReportedSeq)
	c.U32(&s.ReportedEpoch)
	// The state's low 32 bits come here, the high 32 (v24) further on.
	stateLow, stateHigh := uint32(s.State), uint32(s.State>>32)
	c.U32(&stateLow)
	s.LogStart.denc(c)
	s.OndiskLogStart.denc(c)
	c.U32(&s.Created)
	c.U32(&s.LastEpochClean)
	s.Parent.denc(c)
	c.U32(&s.ParentSplitBits)
	s.LastScrub.denc(c)
	c.Utime(&s.LastScrubStamp)
	s.Stats.denc(c)
	c.S64(&s.LogSize)
	c.S64(&s.OndiskLogSize)
	DencSlice(c, &s.Up, 4, Denc.S32)
	DencSlice(c, &s.Acting, 4, Denc.S32)
	c.Utime(&s.LastFresh)
	c.Utime(&s.LastChange)
	c.Utime(&s.LastActive)
	c.Utime(&s.LastClean)
	c.Utime(&s.LastUnstale)
	c.U32(&s.MappingEpoch)
	s.LastDeepScrub.denc(c)
	c.Utime(&s.LastDeepScrubStamp)
	c.Bool(&s.StatsInvalid)
	c.Utime(&s.LastCleanScrubStamp)
	c.Utime(&s.LastBecameActive)
	c.Bool(&s.DirtyStatsInvalid)
	c.S32(&s.UpPrimary)
	c.S32(&s.ActingPrimary)
	c.Bool(&s.OmapStatsInvalid)
	c.Bool(&s.HitsetStatsInvalid)
	DencSlice(c, &s.BlockedBy, 4, Denc.S32)
	c.Utime(&s.LastUndegraded)
	c.Utime(&s.LastFullsized)
	c.Bool(&s.HitsetBytesStatsInvalid)
	c.Utime(&s.LastPeered)
	c.Utime(&s.LastBecamePeered)
	c.Bool(&s.PinStatsInvalid)
	if st.V >= 23 {
		c.U32(&s.SnaptrimqLen)
		if st.V >= 24 {
			c.U32(&stateHigh)
			s.PurgedSnaps.denc(c)
		}
		if st.V >= 25 {
			c.Bool(&s.ManifestStatsInvalid)
		} else {
			s.ManifestStatsInvalid = true
		}
		if st.V >= 26 {
			DencSlice(c, &s.AvailNoMissing, pgShardSize, elem[PGShard])
			DencSlice(c, &s.ObjectLocationCounts, 8, elem[ObjectLocationCount])
		}
	}
	if c.Decoding() {
		s.State = uint64(stateHigh)<<32 | uint64(stateLow)
	}
	c.Finish(st)
}

// PoolStatT is Ceph's pool_stat_t, struct v7: a pool's summed PG stats and
// its share of the OSDs' store usage. (The T keeps it apart from PoolStat,
// gomgr's JSON summary.)
type PoolStatT struct {
	Stats         ObjectStatCollection
	LogSize       int64
	OndiskLogSize int64
	Up            int32 // up replicas or shards, summed over the pool's PGs (v6)
	Acting        int32 // (v6)
	StoreStats    StoreStatfs
	NumStoreStats int32 // how many store_statfs_t StoreStats sums (v7)
}

// Encode appends s as struct v7 compat 5 (Ceph's encoding for peers with
// CEPH_FEATURE_OSDENC, i.e. all since firefly).
func (s *PoolStatT) Encode(e *Encoder) { s.denc(e.Denc()) }

// Decode reads a pool_stat_t of v5 or later.
func (s *PoolStatT) Decode(d *Decoder) {
	*s = PoolStatT{}
	s.denc(d.Denc())
}

func (s *PoolStatT) denc(c Denc) {
	st := c.Start(poolStatV, 5, "pool_stat_t")
	c.MinVersion(st, 5, "legacy encoding")
	s.Stats.denc(c)
	c.S64(&s.LogSize)
	c.S64(&s.OndiskLogSize)
	if st.V >= 6 {
		c.S32(&s.Up)
		c.S32(&s.Acting)
	}
	if st.V >= 7 {
		s.StoreStats.denc(c)
		c.S32(&s.NumStoreStats)
	}
	c.Finish(st)
}

// PGCount is PGMapDigest::pg_count: how many PGs an OSD is in the acting
// set of, in the up set but not acting, and primary for.
type PGCount struct {
	Acting      int32
	UpNotActing int32
	Primary     int32
}

// PoolSum is one entry of PGMapDigest.PoolSum.
type PoolSum struct {
	Pool int32
	Stat PoolStatT
}

func (p *PoolSum) denc(c Denc) {
	c.S32(&p.Pool)
	p.Stat.denc(c)
}

// PGStateCount is one entry of PGMapDigest.NumPGByState.
type PGStateCount struct {
	State uint64 // PG_STATE_* bits
	Count int32
}

func (p *PGStateCount) denc(c Denc) {
	c.U64(&p.State)
	c.S32(&p.Count)
}

// dencV1 reads an entry of v1's map<int32_t,int32_t>: Ceph widens the key
// with sign extension. Only ever decoded.
func (p *PGStateCount) dencV1(c Denc) {
	state := int32(p.State)
	c.S32(&state)
	p.State = uint64(int64(state))
	c.S32(&p.Count)
}

// OSDPGCount is one entry of PGMapDigest.NumPGByOSD.
type OSDPGCount struct {
	OSD   int32
	Count PGCount
}

func (p *OSDPGCount) denc(c Denc) {
	c.S32(&p.OSD)
	c.S32(&p.Count.Acting)
	c.S32(&p.Count.UpNotActing)
	c.S32(&p.Count.Primary)
}

// PoolSumDelta is one entry of PGMapDigest.PerPoolSumDelta: a pool's stats
// change over the last Stamp (a duration, in utime_t form).
type PoolSumDelta struct {
	Pool  int64
	Delta PoolStatT
	Stamp Utime
}

func (p *PoolSumDelta) denc(c Denc) {
	c.S64(&p.Pool)
	p.Delta.denc(c)
	c.Utime(&p.Stamp)
}

// PoolStamp is one entry of PGMapDigest.PerPoolSumDeltasStamps.
type PoolStamp struct {
	Pool  int64
	Stamp Utime
}

func (p *PoolStamp) denc(c Denc) {
	c.S64(&p.Pool)
	c.Utime(&p.Stamp)
}

// PGMapDigest is Ceph's PGMapDigest as pacific's ceph-mgr sends it to the
// mon in MMonMgrReport's data segment (PGMapDigest::encode, struct v4
// compat 1): cluster-wide PG and usage sums, which the mon serves for
// `ceph -s`, `ceph df` and its health checks. The slices are Ceph's
// unordered_maps, kept in the order sent.
type PGMapDigest struct {
	NumPG        int64
	NumPGActive  int64
	NumPGUnknown int64
	NumOSD       int64
	PoolSum      []PoolSum // pg_pool_sum
	PGSum        PoolStatT // pg_sum
	OSDSum       OSDStatT  // osd_sum
	NumPGByState []PGStateCount
	NumPGByOSD   []OSDPGCount
	NumPGByPool  map[int64]int64
	OSDLastSeq   []uint64 // by osd id
	// PerPoolSumDelta and PerPoolSumDeltasStamps are the per-pool I/O
	// rates' inputs; PGSumDelta over StampDelta the cluster's.
	PerPoolSumDelta        []PoolSumDelta
	PerPoolSumDeltasStamps []PoolStamp
	PGSumDelta             PoolStatT
	StampDelta             Utime
	AvailSpaceByRule       map[int32]int64       // by crush rule
	PurgedSnaps            map[int64]IntervalSet // v3, by pool
	OSDSumByClass          map[string]OSDStatT   // v4, by device class
}

// Encode appends g as struct v4 compat 1, as PGMapDigest::encode does for a
// peer with SERVER_NAUTILUS (every pacific mon).
func (g *PGMapDigest) Encode(e *Encoder) { g.denc(e.Denc()) }

// Decode reads a PGMapDigest of any version (v1 to v4, and newer ones with
// their additions skipped).
func (g *PGMapDigest) Decode(d *Decoder) {
	*g = PGMapDigest{}
	g.denc(d.Denc())
}

func (g *PGMapDigest) denc(c Denc) {
	st := c.Start(pgMapDigestV, 1, "PGMapDigest")
	c.S64(&g.NumPG)
	c.S64(&g.NumPGActive)
	c.S64(&g.NumPGUnknown)
	c.S64(&g.NumOSD)
	DencSlice(c, &g.PoolSum, 4+6, elem[PoolSum])
	g.PGSum.denc(c)
	g.OSDSum.denc(c)
	if st.V >= 2 {
		DencSlice(c, &g.NumPGByState, 12, elem[PGStateCount])
	} else {
		DencSlice(c, &g.NumPGByState, 8, func(c Denc, p *PGStateCount) { p.dencV1(c) })
	}
	DencSlice(c, &g.NumPGByOSD, 16, elem[OSDPGCount])
	DencMap(c, &g.NumPGByPool, 16, Denc.S64, Denc.S64)
	DencSlice(c, &g.OSDLastSeq, 8, Denc.U64)
	DencSlice(c, &g.PerPoolSumDelta, 8+6+8, elem[PoolSumDelta])
	DencSlice(c, &g.PerPoolSumDeltasStamps, 16, elem[PoolStamp])
	g.PGSumDelta.denc(c)
	c.Utime(&g.StampDelta)
	DencMap(c, &g.AvailSpaceByRule, 12, Denc.S32, Denc.S64)
	if st.V >= 3 {
		DencMap(c, &g.PurgedSnaps, 12, Denc.S64, elem[IntervalSet])
	}
	if st.V >= 4 {
		DencMap(c, &g.OSDSumByClass, 4+6, Denc.String, elem[OSDStatT])
	}
	c.Finish(st)
}

// Marshal encodes g as the bytes of MMonMgrReport's data segment
// (MonMgrReport.PGDigest), which a pacific ceph-mon decodes.
func (g *PGMapDigest) Marshal() []byte {
	e := NewEncoder(nil)
	g.Encode(e)
	return e.Bytes()
}

// ParsePGMapDigest decodes a PGMapDigest from MMonMgrReport's data segment.
func ParsePGMapDigest(b []byte) (*PGMapDigest, error) {
	d := NewDecoder(b)
	g := &PGMapDigest{}
	g.Decode(d)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: pgmap digest: %w", err)
	}
	return g, nil
}
