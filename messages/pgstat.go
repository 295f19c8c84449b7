package messages

import "fmt"

// This file holds Ceph 16.2 (pacific)'s PG statistics structs in their
// binary encodings, field for field as src/osd/osd_types.cc,
// src/common/histogram.cc and src/mon/PGMap.cc encode them. Each type has an
// Encode (always pacific's struct version) and a Decode that fills the
// receiver in place: it honours the older struct versions Ceph's own decoder
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

// decodeList reads a vector (or a map kept as a list) whose elements take at
// least minSize bytes each, decoding each element in place. An element cut
// short by an error stays in the list, so a caller that stops at the error
// still has what was read. The list grows as elements are decoded, so a
// hostile count cannot make it allocate ahead of the input.
func decodeList[T any](d *Decoder, minSize int, f func(*T, *Decoder)) []T {
	n := d.Count(minSize)
	var out []T
	for i := 0; i < n && d.Err() == nil; i++ {
		out = append(out, *new(T))
		f(&out[len(out)-1], d)
	}
	return out
}

// decodeMapGrow is DecodeMap for large values: the map grows as entries
// are decoded instead of being sized from the count up front.
func decodeMapGrow[K comparable, V any](d *Decoder, minSize int, fk func(*Decoder) K, fv func(*Decoder) V) map[K]V {
	n := d.Count(minSize)
	var out map[K]V
	for i := 0; i < n && d.Err() == nil; i++ {
		k := fk(d)
		v := fv(d)
		if d.Err() != nil {
			return nil
		}
		if out == nil {
			out = make(map[K]V)
		}
		out[k] = v
	}
	return out
}

// startStruct is StartStruct that also refuses versions below minV, whose
// legacy encodings (no compat or length bytes) gomgr does not read.
func startStruct(d *Decoder, maxCompat, minV uint8, what string) Struct {
	st := d.StartStruct(maxCompat, what)
	if d.Err() == nil && st.V < minV {
		d.Fail(fmt.Errorf("%w: %s v%d (legacy encoding) not supported", ErrIncompatible, what, st.V))
	}
	return st
}

func encodeS32s(e *Encoder, v []int32) { EncodeSlice(e, v, (*Encoder).S32) }

func decodeS32s(d *Decoder) []int32 { return DecodeSlice(d, 4, (*Decoder).S32) }

// EVersion is Ceph's eversion_t: le64 version, le32 epoch.
type EVersion struct {
	Version uint64
	Epoch   uint32
}

// Encode appends v.
func (v EVersion) Encode(e *Encoder) {
	e.U64(v.Version)
	e.U32(v.Epoch)
}

// Decode reads v.
func (v *EVersion) Decode(d *Decoder) {
	v.Version = d.U64()
	v.Epoch = d.U32()
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
func (s *ObjectStatSum) Encode(e *Encoder) {
	st := e.StartStruct(objectStatSumV, 14)
	for _, v := range []int64{
		s.NumBytes, s.NumObjects, s.NumObjectClones, s.NumObjectCopies,
		s.NumObjectsMissingOnPrimary, s.NumObjectsDegraded, s.NumObjectsUnfound,
		s.NumRd, s.NumRdKB, s.NumWr, s.NumWrKB, s.NumScrubErrors,
		s.NumObjectsRecovered, s.NumBytesRecovered, s.NumKeysRecovered,
		s.NumShallowScrubErrors, s.NumDeepScrubErrors, s.NumObjectsDirty,
		s.NumWhiteouts, s.NumObjectsOmap, s.NumObjectsHitSetArchive,
		s.NumObjectsMisplaced, s.NumBytesHitSetArchive, s.NumFlush, s.NumFlushKB,
		s.NumEvict, s.NumEvictKB, s.NumPromote,
	} {
		e.S64(v)
	}
	e.S32(s.NumFlushModeHigh)
	e.S32(s.NumFlushModeLow)
	e.S32(s.NumEvictModeSome)
	e.S32(s.NumEvictModeFull)
	for _, v := range []int64{
		s.NumObjectsPinned, s.NumObjectsMissing, s.NumLegacySnapsets,
		s.NumLargeOmapObjects, s.NumObjectsManifest, s.NumOmapBytes,
		s.NumOmapKeys, s.NumObjectsRepaired,
	} {
		e.S64(v)
	}
	e.FinishStruct(st)
}

// Decode reads an object_stat_sum_t of any version Ceph's decoder takes
// (compat up to 20).
func (s *ObjectStatSum) Decode(d *Decoder) {
	*s = ObjectStatSum{}
	st := d.StartStruct(objectStatSumV, "object_stat_sum_t")
	for _, p := range []*int64{
		&s.NumBytes, &s.NumObjects, &s.NumObjectClones, &s.NumObjectCopies,
		&s.NumObjectsMissingOnPrimary, &s.NumObjectsDegraded, &s.NumObjectsUnfound,
		&s.NumRd, &s.NumRdKB, &s.NumWr, &s.NumWrKB, &s.NumScrubErrors,
		&s.NumObjectsRecovered, &s.NumBytesRecovered, &s.NumKeysRecovered,
		&s.NumShallowScrubErrors, &s.NumDeepScrubErrors, &s.NumObjectsDirty,
		&s.NumWhiteouts, &s.NumObjectsOmap, &s.NumObjectsHitSetArchive,
		&s.NumObjectsMisplaced, &s.NumBytesHitSetArchive, &s.NumFlush, &s.NumFlushKB,
		&s.NumEvict, &s.NumEvictKB, &s.NumPromote,
	} {
		*p = d.S64()
	}
	s.NumFlushModeHigh = d.S32()
	s.NumFlushModeLow = d.S32()
	s.NumEvictModeSome = d.S32()
	s.NumEvictModeFull = d.S32()
	s.NumObjectsPinned = d.S64()
	s.NumObjectsMissing = d.S64()
	if st.V >= 16 {
		s.NumLegacySnapsets = d.S64()
	} else {
		s.NumLegacySnapsets = s.NumObjectClones // Ceph's upper bound
	}
	if st.V >= 17 {
		s.NumLargeOmapObjects = d.S64()
	}
	if st.V >= 18 {
		s.NumObjectsManifest = d.S64()
	}
	if st.V >= 19 {
		s.NumOmapBytes = d.S64()
		s.NumOmapKeys = d.S64()
	}
	if st.V >= 20 {
		s.NumObjectsRepaired = d.S64()
	}
	d.FinishStruct(st, "object_stat_sum_t")
}

// ObjectStatCollection is Ceph's object_stat_collection_t, struct v2: the
// sum, then an always-empty map of per-category sums.
type ObjectStatCollection struct {
	Sum ObjectStatSum
}

// Encode appends c as struct v2 compat 2.
func (c *ObjectStatCollection) Encode(e *Encoder) {
	st := e.StartStruct(objectStatCollectionV, 2)
	c.Sum.Encode(e)
	e.U32(0) // cat_sum, empty since firefly
	e.FinishStruct(st)
}

// Decode reads an object_stat_collection_t of v2 or later, skipping any
// per-category sums.
func (c *ObjectStatCollection) Decode(d *Decoder) {
	*c = ObjectStatCollection{}
	st := startStruct(d, objectStatCollectionV, 2, "object_stat_collection_t")
	c.Sum.Decode(d)
	n := d.Count(10)
	for i := 0; i < n && d.Err() == nil; i++ {
		_ = d.String() // category name
		var skip ObjectStatSum
		skip.Decode(d)
	}
	d.FinishStruct(st, "object_stat_collection_t")
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
func (s *StoreStatfs) Encode(e *Encoder) {
	st := e.StartStruct(storeStatfsV, 1)
	e.U64(s.Total)
	e.U64(s.Available)
	e.U64(s.InternallyReserved)
	e.S64(s.Allocated)
	e.S64(s.DataStored)
	e.S64(s.DataCompressed)
	e.S64(s.DataCompressedAllocated)
	e.S64(s.DataCompressedOriginal)
	e.S64(s.OmapAllocated)
	e.S64(s.InternalMetadata)
	e.FinishStruct(st)
}

// Decode reads a store_statfs_t.
func (s *StoreStatfs) Decode(d *Decoder) {
	*s = StoreStatfs{}
	st := d.StartStruct(storeStatfsV, "store_statfs_t")
	s.Total = d.U64()
	s.Available = d.U64()
	s.InternallyReserved = d.U64()
	s.Allocated = d.S64()
	s.DataStored = d.S64()
	s.DataCompressed = d.S64()
	s.DataCompressedAllocated = d.S64()
	s.DataCompressedOriginal = d.S64()
	s.OmapAllocated = d.S64()
	s.InternalMetadata = d.S64()
	d.FinishStruct(st, "store_statfs_t")
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
func (p *ObjectStorePerfStat) Encode(e *Encoder) {
	if p.V2 {
		st := e.StartStruct(2, 2)
		e.U64(p.CommitLatencyNs)
		e.U64(p.ApplyLatencyNs)
		e.FinishStruct(st)
		return
	}
	st := e.StartStruct(1, 1)
	e.U32(uint32(p.CommitLatencyNs / nsPerMs))
	e.U32(uint32(p.ApplyLatencyNs / nsPerMs))
	e.FinishStruct(st)
}

// Decode reads an objectstore_perf_stat_t, v1 or v2.
func (p *ObjectStorePerfStat) Decode(d *Decoder) {
	*p = ObjectStorePerfStat{}
	st := d.StartStruct(2, "objectstore_perf_stat_t")
	if st.V >= 2 {
		p.CommitLatencyNs = d.U64()
		p.ApplyLatencyNs = d.U64()
		p.V2 = true
	} else {
		p.CommitLatencyNs = uint64(d.U32()) * nsPerMs
		p.ApplyLatencyNs = uint64(d.U32()) * nsPerMs
	}
	d.FinishStruct(st, "objectstore_perf_stat_t")
}

// Pow2Hist is Ceph's pow2_hist_t, struct v1: Counts[i] counts values in
// (2^(i-1), 2^i].
type Pow2Hist struct {
	Counts []int32
}

// Encode appends h as struct v1 compat 1.
func (h *Pow2Hist) Encode(e *Encoder) {
	st := e.StartStruct(pow2HistV, 1)
	encodeS32s(e, h.Counts)
	e.FinishStruct(st)
}

// Decode reads a pow2_hist_t.
func (h *Pow2Hist) Decode(d *Decoder) {
	*h = Pow2Hist{}
	st := d.StartStruct(pow2HistV, "pow2_hist_t")
	h.Counts = decodeS32s(d)
	d.FinishStruct(st, "pow2_hist_t")
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

func (h *HBInterfaces) encode(e *Encoder) {
	e.U32(h.LastUpdate)
	for _, a := range [][3]uint32{h.BackPingTime, h.BackMin, h.BackMax} {
		e.U32(a[0])
		e.U32(a[1])
		e.U32(a[2])
	}
	e.U32(h.BackLast)
	for _, a := range [][3]uint32{h.FrontPingTime, h.FrontMin, h.FrontMax} {
		e.U32(a[0])
		e.U32(a[1])
		e.U32(a[2])
	}
	e.U32(h.FrontLast)
}

func (h *HBInterfaces) decode(d *Decoder) {
	h.LastUpdate = d.U32()
	for _, a := range []*[3]uint32{&h.BackPingTime, &h.BackMin, &h.BackMax} {
		a[0], a[1], a[2] = d.U32(), d.U32(), d.U32()
	}
	h.BackLast = d.U32()
	for _, a := range []*[3]uint32{&h.FrontPingTime, &h.FrontMin, &h.FrontMax} {
		a[0], a[1], a[2] = d.U32(), d.U32(), d.U32()
	}
	h.FrontLast = d.U32()
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
func (s *OSDStatT) Encode(e *Encoder) {
	st := e.StartStruct(osdStatV, 2)
	e.S64(int64(s.Statfs.Total >> 10))
	e.S64(int64(s.Statfs.UsedRaw() >> 10))
	e.S64(int64(s.Statfs.Available >> 10))
	e.S32(s.SnapTrimQueueLen)
	e.S32(s.NumSnapTrimming)
	encodeS32s(e, s.HBPeers)
	e.U32(0) // num_hb_out, unused since luminous
	s.OpQueueAgeHist.Encode(e)
	s.PerfStat.Encode(e)
	e.U32(s.UpFrom)
	e.U64(s.Seq)
	e.U32(s.NumPGs)
	e.S64(int64(uint64(s.Statfs.Allocated) >> 10))
	e.S64(int64(uint64(s.Statfs.OmapAllocated) >> 10))
	e.S64(int64(uint64(s.Statfs.InternalMetadata) >> 10))
	s.Statfs.Encode(e)
	EncodeMap(e, s.Alerts, (*Encoder).S32, (*Encoder).StringMap)
	e.U64(s.NumShardsRepaired)
	e.U32(s.NumOSDs)
	e.U32(s.NumPerPoolOSDs)
	e.U32(s.NumPerPoolOmapOSDs)
	EncodeMap(e, s.HBPingTime, (*Encoder).S32, func(e *Encoder, h HBInterfaces) { h.encode(e) })
	e.FinishStruct(st)
}

// Decode reads an osd_stat_t of v2 or later, filling what older versions
// lack as Ceph does (statfs from the legacy kb fields before v9).
func (s *OSDStatT) Decode(d *Decoder) {
	*s = OSDStatT{}
	st := startStruct(d, osdStatV, 2, "osd_stat_t")
	kb, kbUsed, kbAvail := d.S64(), d.S64(), d.S64()
	s.SnapTrimQueueLen = d.S32()
	s.NumSnapTrimming = d.S32()
	s.HBPeers = decodeS32s(d)
	decodeS32s(d) // num_hb_out
	if st.V >= 3 {
		s.OpQueueAgeHist.Decode(d)
	}
	if st.V >= 4 {
		s.PerfStat.Decode(d)
	}
	if st.V >= 6 {
		s.UpFrom = d.U32()
		s.Seq = d.U64()
	}
	if st.V >= 7 {
		s.NumPGs = d.U32()
	}
	kbUsedData, kbUsedOmap, kbUsedMeta := kbUsed, int64(0), int64(0)
	if st.V >= 8 {
		kbUsedData, kbUsedOmap, kbUsedMeta = d.S64(), d.S64(), d.S64()
	}
	if st.V >= 9 {
		s.Statfs.Decode(d)
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
		s.Alerts = DecodeMap(d, 8, (*Decoder).S32, (*Decoder).StringMap)
	}
	if st.V >= 11 {
		s.NumShardsRepaired = d.U64()
	}
	if st.V >= 12 {
		s.NumOSDs = d.U32()
		s.NumPerPoolOSDs = d.U32()
	}
	if st.V >= 13 {
		s.NumPerPoolOmapOSDs = d.U32()
	}
	if st.V >= 14 {
		// Ceph writes the count as a signed int and reads a negative one as
		// zero entries.
		n := d.S32()
		if n > 0 && d.Err() == nil && int64(n)*hbInterfacesSize > int64(d.Remaining()) {
			d.Fail(fmt.Errorf("%w: %d hb_pingtime entries, %d bytes left", ErrTruncated, n, d.Remaining()))
		}
		for i := int32(0); i < n && d.Err() == nil; i++ {
			osd := d.S32()
			var h HBInterfaces
			h.decode(d)
			if d.Err() != nil {
				break
			}
			if s.HBPingTime == nil {
				s.HBPingTime = make(map[int32]HBInterfaces)
			}
			s.HBPingTime[osd] = h
		}
	}
	d.FinishStruct(st, "osd_stat_t")
}

// PGShard is Ceph's pg_shard_t, struct v1: an OSD and, for erasure-coded
// pools, the shard it holds (-1 for none).
type PGShard struct {
	OSD   int32
	Shard int8
}

const pgShardSize = 6 + 5

// Encode appends s as struct v1 compat 1.
func (s PGShard) Encode(e *Encoder) {
	st := e.StartStruct(pgShardV, 1)
	e.S32(s.OSD)
	e.U8(uint8(s.Shard))
	e.FinishStruct(st)
}

// Decode reads a pg_shard_t.
func (s *PGShard) Decode(d *Decoder) {
	*s = PGShard{}
	st := d.StartStruct(pgShardV, "pg_shard_t")
	s.OSD = d.S32()
	s.Shard = int8(d.U8())
	d.FinishStruct(st, "pg_shard_t")
}

// ObjectLocationCount is one entry of pg_stat_t's object_location_counts:
// how many objects live on exactly this set of shards.
type ObjectLocationCount struct {
	Shards  []PGShard // a std::set, ascending
	Objects int32
}

// SnapInterval is one interval of an interval_set<snapid_t>: Len snaps from
// Start.
type SnapInterval struct {
	Start, Len uint64
}

// IntervalSet is Ceph's interval_set<snapid_t>, encoded as its
// map<start, length>: ascending and disjoint when it comes from Ceph.
type IntervalSet []SnapInterval

// Encode appends s in its order.
func (s IntervalSet) Encode(e *Encoder) {
	EncodeSlice(e, s, func(e *Encoder, i SnapInterval) {
		e.U64(i.Start)
		e.U64(i.Len)
	})
}

// DecodeIntervalSet reads an interval_set<snapid_t>.
func DecodeIntervalSet(d *Decoder) IntervalSet {
	return DecodeSlice(d, 16, func(d *Decoder) SnapInterval {
		return SnapInterval{Start: d.U64(), Len: d.U64()}
	})
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
func (s *PGStatT) Encode(e *Encoder) {
	st := e.StartStruct(pgStatV, 22)
	s.Version.Encode(e)
	e.U64(s.ReportedSeq)
	e.U32(s.ReportedEpoch)
	e.U32(uint32(s.State))
	s.LogStart.Encode(e)
	s.OndiskLogStart.Encode(e)
	e.U32(s.Created)
	e.U32(s.LastEpochClean)
	s.Parent.encode(e)
	e.U32(s.ParentSplitBits)
	s.LastScrub.Encode(e)
	e.Utime(s.LastScrubStamp)
	s.Stats.Encode(e)
	e.S64(s.LogSize)
	e.S64(s.OndiskLogSize)
	encodeS32s(e, s.Up)
	encodeS32s(e, s.Acting)
	e.Utime(s.LastFresh)
	e.Utime(s.LastChange)
	e.Utime(s.LastActive)
	e.Utime(s.LastClean)
	e.Utime(s.LastUnstale)
	e.U32(s.MappingEpoch)
	s.LastDeepScrub.Encode(e)
	e.Utime(s.LastDeepScrubStamp)
	e.Bool(s.StatsInvalid)
	e.Utime(s.LastCleanScrubStamp)
	e.Utime(s.LastBecameActive)
	e.Bool(s.DirtyStatsInvalid)
	e.S32(s.UpPrimary)
	e.S32(s.ActingPrimary)
	e.Bool(s.OmapStatsInvalid)
	e.Bool(s.HitsetStatsInvalid)
	encodeS32s(e, s.BlockedBy)
	e.Utime(s.LastUndegraded)
	e.Utime(s.LastFullsized)
	e.Bool(s.HitsetBytesStatsInvalid)
	e.Utime(s.LastPeered)
	e.Utime(s.LastBecamePeered)
	e.Bool(s.PinStatsInvalid)
	e.U32(s.SnaptrimqLen)
	e.U32(uint32(s.State >> 32))
	s.PurgedSnaps.Encode(e)
	e.Bool(s.ManifestStatsInvalid)
	EncodeSlice(e, s.AvailNoMissing, func(e *Encoder, p PGShard) { p.Encode(e) })
	EncodeSlice(e, s.ObjectLocationCounts, func(e *Encoder, c ObjectLocationCount) {
		EncodeSlice(e, c.Shards, func(e *Encoder, p PGShard) { p.Encode(e) })
		e.S32(c.Objects)
	})
	e.FinishStruct(st)
}

// Decode reads a pg_stat_t of any version Ceph's decoder takes, skipping
// the fields later releases append (scrub schedule and durations, v27-v30).
func (s *PGStatT) Decode(d *Decoder) {
	*s = PGStatT{}
	st := d.StartStruct(30, "pg_stat_t") // Ceph's DECODE_START(30): compat up to 30
	s.Version.Decode(d)
	s.ReportedSeq = d.U64()
	s.ReportedEpoch = d.U32()
	oldState := d.U32()
	s.LogStart.Decode(d)
	s.OndiskLogStart.Decode(d)
	s.Created = d.U32()
	s.LastEpochClean = d.U32()
	s.Parent = decodePGID(d)
	s.ParentSplitBits = d.U32()
	s.LastScrub.Decode(d)
	s.LastScrubStamp = d.Utime()
	s.Stats.Decode(d)
	s.LogSize = d.S64()
	s.OndiskLogSize = d.S64()
	s.Up = decodeS32s(d)
	s.Acting = decodeS32s(d)
	s.LastFresh = d.Utime()
	s.LastChange = d.Utime()
	s.LastActive = d.Utime()
	s.LastClean = d.Utime()
	s.LastUnstale = d.Utime()
	s.MappingEpoch = d.U32()
	s.LastDeepScrub.Decode(d)
	s.LastDeepScrubStamp = d.Utime()
	s.StatsInvalid = d.Bool()
	s.LastCleanScrubStamp = d.Utime()
	s.LastBecameActive = d.Utime()
	s.DirtyStatsInvalid = d.Bool()
	s.UpPrimary = d.S32()
	s.ActingPrimary = d.S32()
	s.OmapStatsInvalid = d.Bool()
	s.HitsetStatsInvalid = d.Bool()
	s.BlockedBy = decodeS32s(d)
	s.LastUndegraded = d.Utime()
	s.LastFullsized = d.Utime()
	s.HitsetBytesStatsInvalid = d.Bool()
	s.LastPeered = d.Utime()
	s.LastBecamePeered = d.Utime()
	s.PinStatsInvalid = d.Bool()
	s.State = uint64(oldState)
	if st.V >= 23 {
		s.SnaptrimqLen = d.U32()
		if st.V >= 24 {
			s.State |= uint64(d.U32()) << 32
			s.PurgedSnaps = DecodeIntervalSet(d)
		}
		if st.V >= 25 {
			s.ManifestStatsInvalid = d.Bool()
		} else {
			s.ManifestStatsInvalid = true
		}
		if st.V >= 26 {
			s.AvailNoMissing = decodeList(d, pgShardSize, (*PGShard).Decode)
			s.ObjectLocationCounts = decodeList(d, 8, func(c *ObjectLocationCount, d *Decoder) {
				c.Shards = decodeList(d, pgShardSize, (*PGShard).Decode)
				c.Objects = d.S32()
			})
		}
	}
	d.FinishStruct(st, "pg_stat_t")
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
func (s *PoolStatT) Encode(e *Encoder) {
	st := e.StartStruct(poolStatV, 5)
	s.Stats.Encode(e)
	e.S64(s.LogSize)
	e.S64(s.OndiskLogSize)
	e.S32(s.Up)
	e.S32(s.Acting)
	s.StoreStats.Encode(e)
	e.S32(s.NumStoreStats)
	e.FinishStruct(st)
}

// Decode reads a pool_stat_t of v5 or later.
func (s *PoolStatT) Decode(d *Decoder) {
	*s = PoolStatT{}
	st := startStruct(d, poolStatV, 5, "pool_stat_t")
	s.Stats.Decode(d)
	s.LogSize = d.S64()
	s.OndiskLogSize = d.S64()
	if st.V >= 6 {
		s.Up = d.S32()
		s.Acting = d.S32()
	}
	if st.V >= 7 {
		s.StoreStats.Decode(d)
		s.NumStoreStats = d.S32()
	}
	d.FinishStruct(st, "pool_stat_t")
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

// PGStateCount is one entry of PGMapDigest.NumPGByState.
type PGStateCount struct {
	State uint64 // PG_STATE_* bits
	Count int32
}

// OSDPGCount is one entry of PGMapDigest.NumPGByOSD.
type OSDPGCount struct {
	OSD   int32
	Count PGCount
}

// PoolSumDelta is one entry of PGMapDigest.PerPoolSumDelta: a pool's stats
// change over the last Stamp (a duration, in utime_t form).
type PoolSumDelta struct {
	Pool  int64
	Delta PoolStatT
	Stamp Utime
}

// PoolStamp is one entry of PGMapDigest.PerPoolSumDeltasStamps.
type PoolStamp struct {
	Pool  int64
	Stamp Utime
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
func (g *PGMapDigest) Encode(e *Encoder) {
	st := e.StartStruct(pgMapDigestV, 1)
	e.S64(g.NumPG)
	e.S64(g.NumPGActive)
	e.S64(g.NumPGUnknown)
	e.S64(g.NumOSD)
	EncodeSlice(e, g.PoolSum, func(e *Encoder, p PoolSum) {
		e.S32(p.Pool)
		p.Stat.Encode(e)
	})
	g.PGSum.Encode(e)
	g.OSDSum.Encode(e)
	EncodeSlice(e, g.NumPGByState, func(e *Encoder, c PGStateCount) {
		e.U64(c.State)
		e.S32(c.Count)
	})
	EncodeSlice(e, g.NumPGByOSD, func(e *Encoder, c OSDPGCount) {
		e.S32(c.OSD)
		e.S32(c.Count.Acting)
		e.S32(c.Count.UpNotActing)
		e.S32(c.Count.Primary)
	})
	EncodeMap(e, g.NumPGByPool, (*Encoder).S64, (*Encoder).S64)
	EncodeSlice(e, g.OSDLastSeq, (*Encoder).U64)
	EncodeSlice(e, g.PerPoolSumDelta, func(e *Encoder, p PoolSumDelta) {
		e.S64(p.Pool)
		p.Delta.Encode(e)
		e.Utime(p.Stamp)
	})
	EncodeSlice(e, g.PerPoolSumDeltasStamps, func(e *Encoder, p PoolStamp) {
		e.S64(p.Pool)
		e.Utime(p.Stamp)
	})
	g.PGSumDelta.Encode(e)
	e.Utime(g.StampDelta)
	EncodeMap(e, g.AvailSpaceByRule, (*Encoder).S32, (*Encoder).S64)
	EncodeMap(e, g.PurgedSnaps, (*Encoder).S64, func(e *Encoder, s IntervalSet) { s.Encode(e) })
	EncodeMap(e, g.OSDSumByClass, (*Encoder).String, func(e *Encoder, s OSDStatT) { s.Encode(e) })
	e.FinishStruct(st)
}

// Decode reads a PGMapDigest of any version (v1 to v4, and newer ones with
// their additions skipped).
func (g *PGMapDigest) Decode(d *Decoder) {
	*g = PGMapDigest{}
	st := d.StartStruct(pgMapDigestV, "PGMapDigest")
	g.NumPG = d.S64()
	g.NumPGActive = d.S64()
	g.NumPGUnknown = d.S64()
	g.NumOSD = d.S64()
	g.PoolSum = decodeList(d, 4+6, func(p *PoolSum, d *Decoder) {
		p.Pool = d.S32()
		p.Stat.Decode(d)
	})
	g.PGSum.Decode(d)
	g.OSDSum.Decode(d)
	if st.V >= 2 {
		g.NumPGByState = decodeList(d, 12, func(c *PGStateCount, d *Decoder) {
			c.State = d.U64()
			c.Count = d.S32()
		})
	} else {
		// v1 sent a map<int32_t,int32_t>; Ceph widens the key with sign
		// extension.
		g.NumPGByState = decodeList(d, 8, func(c *PGStateCount, d *Decoder) {
			c.State = uint64(int64(d.S32()))
			c.Count = d.S32()
		})
	}
	g.NumPGByOSD = decodeList(d, 16, func(c *OSDPGCount, d *Decoder) {
		c.OSD = d.S32()
		c.Count = PGCount{Acting: d.S32(), UpNotActing: d.S32(), Primary: d.S32()}
	})
	g.NumPGByPool = DecodeMap(d, 16, (*Decoder).S64, (*Decoder).S64)
	g.OSDLastSeq = DecodeSlice(d, 8, (*Decoder).U64)
	g.PerPoolSumDelta = decodeList(d, 8+6+8, func(p *PoolSumDelta, d *Decoder) {
		p.Pool = d.S64()
		p.Delta.Decode(d)
		p.Stamp = d.Utime()
	})
	g.PerPoolSumDeltasStamps = decodeList(d, 16, func(p *PoolStamp, d *Decoder) {
		p.Pool = d.S64()
		p.Stamp = d.Utime()
	})
	g.PGSumDelta.Decode(d)
	g.StampDelta = d.Utime()
	g.AvailSpaceByRule = DecodeMap(d, 12, (*Decoder).S32, (*Decoder).S64)
	if st.V >= 3 {
		g.PurgedSnaps = DecodeMap(d, 12, (*Decoder).S64, DecodeIntervalSet)
	}
	if st.V >= 4 {
		g.OSDSumByClass = decodeMapGrow(d, 4+6, (*Decoder).String, func(d *Decoder) OSDStatT {
			var s OSDStatT
			s.Decode(d)
			return s
		})
	}
	d.FinishStruct(st, "PGMapDigest")
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
