package messages

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
)

// encodeWith returns what encode appends to an empty Encoder.
func encodeWith(encode func(*Encoder)) []byte {
	e := NewEncoder(nil)
	encode(e)
	return e.Bytes()
}

// rawBytes is a RawStruct's complete encoding (header and body).
func rawBytes(s RawStruct) []byte { return encodeWith(s.Encode) }

// TestGoldenPGStatsTyped decodes the Ceph stats structs of every MPGStats
// that real pacific OSDs sent in the capture, and requires each struct
// (osd_stat_t, every pg_stat_t, every pool's store_statfs_t) and the whole
// message front to re-encode byte for byte.
func TestGoldenPGStatsTyped(t *testing.T) {
	var frames, pgs, pools int
	for i, c := range loadCapture(t) {
		if c.Msg.Type != TypePGStats {
			continue
		}
		if !c.Complete {
			t.Fatalf("msg %d: MPGStats front truncated in capture", i)
		}
		frames++
		p, err := Decode(c.Msg)
		if err != nil {
			t.Fatalf("msg %d: %v", i, err)
		}
		ps := p.(*PGStats)
		typed, err := ps.Typed()
		if err != nil {
			t.Fatalf("msg %d: %v", i, err)
		}
		if got, want := encodeWith(typed.OSDStat.Encode), rawBytes(ps.OSDStat); !bytes.Equal(got, want) {
			t.Errorf("msg %d: osd_stat_t re-encode: %s", i, firstDiff(want, got))
		}
		for j := range typed.PGStat {
			if got, want := encodeWith(typed.PGStat[j].Stat.Encode), rawBytes(ps.PGStat[j].Stat); !bytes.Equal(got, want) {
				t.Errorf("msg %d: pg_stat_t of %s re-encode: %s", i, typed.PGStat[j].PG, firstDiff(want, got))
			}
			pgs++
		}
		for j := range typed.PoolStat {
			if got, want := encodeWith(typed.PoolStat[j].Statfs.Encode), rawBytes(ps.PoolStat[j].Stat); !bytes.Equal(got, want) {
				t.Errorf("msg %d: store_statfs_t of pool %d re-encode: %s", i, typed.PoolStat[j].Pool, firstDiff(want, got))
			}
			pools++
		}
		re := *ps
		re.SetTyped(typed)
		if diff := diffMessage(c.Msg, Encode(&re)); diff != "" {
			t.Errorf("msg %d: MPGStats rebuilt from typed structs: %s", i, diff)
		}

		// What a one-OSD memstore cluster reports.
		o := typed.OSDStat
		if o.NumOSDs != 1 || o.UpFrom == 0 || o.Seq == 0 || o.Statfs.Total != 256<<20 || o.PerfStat.V2 {
			t.Errorf("msg %d: osd_stat_t %+v", i, o)
		}
		if int(o.NumPGs) < len(typed.PGStat) {
			t.Errorf("msg %d: osd_stat_t num_pgs %d, %d pg stats", i, o.NumPGs, len(typed.PGStat))
		}
		for _, e := range typed.PGStat {
			s := e.Stat
			if !slicesEqual(s.Up, []int32{0}) || !slicesEqual(s.Acting, []int32{0}) || s.UpPrimary != 0 || s.ActingPrimary != 0 {
				t.Errorf("msg %d: pg %s up %v acting %v", i, e.PG, s.Up, s.Acting)
			}
			if s.ReportedEpoch == 0 || s.Created == 0 || s.LastFresh.Sec == 0 || s.State&2 == 0 { // PG_STATE_ACTIVE
				t.Errorf("msg %d: pg %s %+v", i, e.PG, s)
			}
		}
	}
	if frames != 11 || pgs == 0 {
		t.Fatalf("capture has %d MPGStats frames with %d pg stats, want 11 frames", frames, pgs)
	}
	t.Logf("%d MPGStats frames: osd_stat_t x%d, pg_stat_t x%d, store_statfs_t x%d, all byte-exact", frames, frames, pgs, pools)
}

func slicesEqual(a, b []int32) bool { return reflect.DeepEqual(a, b) }

// captureDataLens is data_len of every msg event of the capture, in
// loadCapture's order (the capture keeps only 256 bytes of data segments).
func captureDataLens(t *testing.T) []int {
	t.Helper()
	f, err := os.Open(capturePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev captureEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == "msg" {
			out = append(out, ev.DataLen)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenPGMapDigestPrefix checks PGMapDigest against the digests a real
// pacific ceph-mgr sent the mon. The capture keeps only their first 256
// bytes, so each is zero-padded to its real length and decoded (the
// decoder keeps what it read before it stops on the padding), re-encoded,
// and compared over the captured bytes, all but the outer struct length,
// which counts bytes not rebuilt and is checked against the data length.
func TestGoldenPGMapDigestPrefix(t *testing.T) {
	caps := loadCapture(t)
	lens := captureDataLens(t)
	if len(lens) != len(caps) {
		t.Fatalf("%d data lengths for %d messages", len(lens), len(caps))
	}
	var n, twoPools int
	for i, c := range caps {
		if c.Msg.Type != TypeMonMgrReport {
			continue
		}
		n++
		p, err := Decode(c.Msg)
		if err != nil {
			t.Fatalf("msg %d: %v", i, err)
		}
		want := p.(*MonMgrReport).PGDigest
		full := lens[i]
		if len(want) >= full {
			t.Fatalf("msg %d: digest of %d bytes captured whole; compare it whole instead", i, full)
		}
		if got := int(want[2]) | int(want[3])<<8 | int(want[4])<<16 | int(want[5])<<24; got != full-6 {
			t.Errorf("msg %d: struct length %d, data segment %d bytes", i, got, full)
		}

		padded := make([]byte, full)
		copy(padded, want)
		d := NewDecoder(padded)
		var g PGMapDigest
		g.Decode(d)
		if d.Offset() < len(want) {
			t.Fatalf("msg %d: decoding stopped at %d, within the captured bytes: %v", i, d.Offset(), d.Err())
		}
		// Pool sums that start past the captured bytes did not decode;
		// stand zero ones in for them, so the count matches.
		for len(g.PoolSum) < int(want[38]) {
			g.PoolSum = append(g.PoolSum, PoolSum{})
		}
		mask := func(b []byte) []byte {
			b = bytes.Clone(b[:len(want)])
			copy(b[2:6], []byte{0, 0, 0, 0})
			return b
		}
		if got := g.Marshal(); !bytes.Equal(mask(got), mask(want)) {
			t.Errorf("msg %d: %s", i, firstDiff(mask(want), mask(got)))
		}
		if g.NumOSD != 1 || g.NumPG < g.NumPGActive+g.NumPGUnknown || g.NumPG > 9 || len(g.PoolSum) > 2 {
			t.Errorf("msg %d: num_pg %d active %d unknown %d num_osd %d, %d pools", i, g.NumPG, g.NumPGActive, g.NumPGUnknown, g.NumOSD, len(g.PoolSum))
		}
		if len(g.PoolSum) == 2 {
			// pg_pool_sum is an unordered_map: pool 2 comes first, and the
			// order must survive decoding and encoding.
			if g.PoolSum[0].Pool != 2 {
				t.Errorf("msg %d: first pool %d, want 2", i, g.PoolSum[0].Pool)
			}
			twoPools++
		}
		t.Logf("msg %d: %d-byte digest, %d captured bytes match (num_pg %d, %d pools, first pool stats %+v)",
			i, full, len(want), g.NumPG, len(g.PoolSum), firstPoolSum(&g))
	}
	if n != 11 || twoPools == 0 {
		t.Fatalf("%d MMonMgrReport frames in capture (%d with two pools), want 11", n, twoPools)
	}
}

func firstPoolSum(g *PGMapDigest) ObjectStatSum {
	if len(g.PoolSum) == 0 {
		return g.PGSum.Stats.Sum
	}
	return g.PoolSum[0].Stat.Stats.Sum
}

func testObjectStatSum(base int64) ObjectStatSum {
	return ObjectStatSum{
		NumBytes: base + 1, NumObjects: base + 3, NumObjectClones: base + 4, NumObjectCopies: base + 5,
		NumObjectsMissingOnPrimary: 6, NumObjectsDegraded: 7, NumObjectsUnfound: 8,
		NumRd: 9, NumRdKB: 10, NumWr: 11, NumWrKB: 12, NumScrubErrors: 35,
		NumObjectsRecovered: 14, NumBytesRecovered: 15, NumKeysRecovered: 16,
		NumShallowScrubErrors: 18, NumDeepScrubErrors: 17, NumObjectsDirty: 21, NumWhiteouts: 22,
		NumObjectsOmap: 23, NumObjectsHitSetArchive: 2, NumObjectsMisplaced: 1232, NumBytesHitSetArchive: 27,
		NumFlush: 5, NumFlushKB: 6, NumEvict: 7, NumEvictKB: 8, NumPromote: 9,
		NumFlushModeHigh: 0, NumFlushModeLow: 1, NumEvictModeSome: 1, NumEvictModeFull: -1,
		NumObjectsPinned: 20, NumObjectsMissing: 123, NumLegacySnapsets: 4, NumLargeOmapObjects: 5,
		NumObjectsManifest: 2, NumOmapBytes: 20000, NumOmapKeys: 200, NumObjectsRepaired: 300,
	}
}

func testStatfs(total uint64) StoreStatfs {
	return StoreStatfs{
		Total: total, Available: total / 3, InternallyReserved: 33, Allocated: 32 << 20,
		DataStored: 44 << 20, DataCompressed: 21, DataCompressedAllocated: 12, DataCompressedOriginal: 13,
		OmapAllocated: 14 << 10, InternalMetadata: 15 << 20,
	}
}

func testPoolStat(base int64) PoolStatT {
	return PoolStatT{
		Stats: ObjectStatCollection{Sum: testObjectStatSum(base)}, LogSize: 123, OndiskLogSize: 456,
		Up: 4, Acting: 3, StoreStats: testStatfs(1 << 30), NumStoreStats: 1,
	}
}

func testOSDStat(v2 bool) OSDStatT {
	return OSDStatT{
		Statfs: testStatfs(100 << 30), HBPeers: []int32{1, 2, 7}, SnapTrimQueueLen: 8, NumSnapTrimming: 99,
		NumShardsRepaired: 101, OpQueueAgeHist: Pow2Hist{Counts: []int32{1, 3, 0, 2}},
		PerfStat: ObjectStorePerfStat{CommitLatencyNs: 20_000_000, ApplyLatencyNs: 30_000_000, V2: v2},
		Alerts:   map[int32]map[string]string{0: {"some alert": "details"}, 1: nil},
		UpFrom:   5, Seq: 21474836483, NumPGs: 9, NumOSDs: 3, NumPerPoolOSDs: 3, NumPerPoolOmapOSDs: 2,
		HBPingTime: map[int32]HBInterfaces{
			20: {LastUpdate: 123456789, BackPingTime: [3]uint32{1000, 900, 800}, BackMin: [3]uint32{990, 890, 790},
				BackMax: [3]uint32{1010, 910, 810}, BackLast: 1001, FrontPingTime: [3]uint32{1100, 1000, 900},
				FrontMin: [3]uint32{1090, 990, 890}, FrontMax: [3]uint32{1110, 1010, 910}, FrontLast: 1101},
			30: {LastUpdate: 987654321, BackPingTime: [3]uint32{100, 200, 300}, BackLast: 101},
		},
	}
}

func testPGStat() PGStatT {
	return PGStatT{
		Version: EVersion{Version: 3, Epoch: 1}, ReportedSeq: 2, ReportedEpoch: 1, State: 1<<34 | 1<<2 | 1<<1,
		LogStart: EVersion{4, 1}, OndiskLogStart: EVersion{5, 1}, Created: 6, LastEpochClean: 7,
		Parent: PGID{Pool: 1, Seed: 2}, ParentSplitBits: 12, LastScrub: EVersion{10, 9}, LastScrubStamp: Utime{11, 12},
		Stats: ObjectStatCollection{Sum: testObjectStatSum(0)}, LogSize: 99, OndiskLogSize: 88,
		Up: []int32{123, 124}, Acting: []int32{456, 124},
		LastFresh: Utime{1002, 1}, LastChange: Utime{1002, 2}, LastActive: Utime{1002, 3}, LastClean: Utime{1002, 4},
		LastUnstale: Utime{1002, 5}, MappingEpoch: 998, LastDeepScrub: EVersion{14, 13}, LastDeepScrubStamp: Utime{15, 16},
		StatsInvalid: true, LastCleanScrubStamp: Utime{17, 18}, LastBecameActive: Utime{19, 20}, DirtyStatsInvalid: true,
		UpPrimary: 123, ActingPrimary: 456, OmapStatsInvalid: true, HitsetStatsInvalid: true,
		BlockedBy: []int32{155, 156}, LastUndegraded: Utime{1002, 7}, LastFullsized: Utime{1002, 8},
		HitsetBytesStatsInvalid: true, LastPeered: Utime{1002, 9}, LastBecamePeered: Utime{1002, 10}, PinStatsInvalid: true,
		SnaptrimqLen: 1048576, PurgedSnaps: IntervalSet{{Start: 2, Len: 3}, {Start: 10, Len: 1}},
		ManifestStatsInvalid: true,
		AvailNoMissing:       []PGShard{{OSD: 456, Shard: -1}},
		ObjectLocationCounts: []ObjectLocationCount{
			{Shards: []PGShard{{OSD: 0, Shard: -1}, {OSD: 1, Shard: -1}}, Objects: 10},
			{Shards: []PGShard{{OSD: 0, Shard: 0}, {OSD: 1, Shard: 1}, {OSD: 2, Shard: 2}}, Objects: 5},
		},
	}
}

func testDigest() *PGMapDigest {
	return &PGMapDigest{
		NumPG: 41, NumPGActive: 40, NumPGUnknown: 1, NumOSD: 3,
		PoolSum:      []PoolSum{{Pool: 2, Stat: testPoolStat(1000)}, {Pool: 1, Stat: testPoolStat(0)}},
		PGSum:        testPoolStat(2000),
		OSDSum:       testOSDStat(false),
		NumPGByState: []PGStateCount{{State: 1<<1 | 1<<2, Count: 40}, {State: 0, Count: 1}},
		NumPGByOSD: []OSDPGCount{
			{OSD: 2, Count: PGCount{Acting: 30, UpNotActing: 1, Primary: 10}},
			{OSD: 0, Count: PGCount{Acting: 41, Primary: 15}},
		},
		NumPGByPool: map[int64]int64{1: 32, 2: 8, 3: 1},
		OSDLastSeq:  []uint64{21474836483, 0, 1 << 40},
		PerPoolSumDelta: []PoolSumDelta{
			{Pool: 2, Delta: testPoolStat(7), Stamp: Utime{5, 500}},
			{Pool: 1, Delta: testPoolStat(8), Stamp: Utime{6, 600}},
		},
		PerPoolSumDeltasStamps: []PoolStamp{{Pool: 1, Stamp: Utime{1700000000, 1}}, {Pool: 2, Stamp: Utime{1700000001, 2}}},
		PGSumDelta:             testPoolStat(9),
		StampDelta:             Utime{5, 12345},
		AvailSpaceByRule:       map[int32]int64{0: 1 << 40, 1: -1},
		PurgedSnaps:            map[int64]IntervalSet{1: {{Start: 1, Len: 2}}, 2: nil},
		OSDSumByClass:          map[string]OSDStatT{"hdd": testOSDStat(false), "ssd": testOSDStat(true)},
	}
}

// TestPGMapDigestRoundTrip encodes a digest with every field set, decodes
// it back to the same value, and checks its layout where Ceph fixes it.
func TestPGMapDigestRoundTrip(t *testing.T) {
	g := testDigest()
	b := g.Marshal()
	if b[0] != 4 || b[1] != 1 {
		t.Fatalf("struct v%d compat %d, want v4 compat 1", b[0], b[1])
	}
	if n := int(b[2]) | int(b[3])<<8 | int(b[4])<<16 | int(b[5])<<24; n != len(b)-6 {
		t.Fatalf("struct length %d, %d bytes", n, len(b))
	}
	// num_pg .. num_osd, then pg_pool_sum's count and its first key (an
	// le32), then that pool's pool_stat_t v7 compat 5.
	head := encodeWith(func(e *Encoder) {
		e.S64(41)
		e.S64(40)
		e.S64(1)
		e.S64(3)
		e.U32(2)
		e.S32(2)
		e.U8(7)
		e.U8(5)
	})
	if !bytes.Equal(b[6:6+len(head)], head) {
		t.Fatalf("digest head %x, want %x", b[6:6+len(head)], head)
	}
	got, err := ParsePGMapDigest(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, g) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, g)
	}
	if b2 := got.Marshal(); !bytes.Equal(b, b2) {
		t.Fatalf("re-encode: %s", firstDiff(b, b2))
	}

	// The empty digest has a fixed size: the header, four counters, ten
	// empty containers, two pool_stat_t (6+434), one osd_stat_t (6+218
	// with a v1 perf stat) and stamp_delta.
	empty := (&PGMapDigest{}).Marshal()
	if want := 6 + 4*8 + 10*4 + 2*440 + 224 + 8; len(empty) != want {
		t.Fatalf("empty digest %d bytes, want %d", len(empty), want)
	}
	if _, err := ParsePGMapDigest(empty); err != nil {
		t.Fatal(err)
	}
}

// TestPGStatTypesRoundTrip encodes each type with every field set and
// decodes it back.
func TestPGStatTypesRoundTrip(t *testing.T) {
	sum := testObjectStatSum(7)
	coll := ObjectStatCollection{Sum: sum}
	statfs := testStatfs(1 << 40)
	perf1 := ObjectStorePerfStat{CommitLatencyNs: 20_000_000, ApplyLatencyNs: 3_000_000}
	perf2 := ObjectStorePerfStat{CommitLatencyNs: 20_000_123, ApplyLatencyNs: 3, V2: true}
	hist := Pow2Hist{Counts: []int32{0, 0, 4, 1}}
	osd1, osd2 := testOSDStat(false), testOSDStat(true)
	pg := testPGStat()
	pool := testPoolStat(5)
	shard := PGShard{OSD: 7, Shard: 2}
	for _, tc := range []struct {
		name    string
		size    int // encoded size, where it is fixed
		encode  func(*Encoder)
		decoded func(*Decoder) any
		want    any
	}{
		{"object_stat_sum_t", 6 + 304, sum.Encode, func(d *Decoder) any { var v ObjectStatSum; v.Decode(d); return v }, sum},
		{"object_stat_collection_t", 6 + 310 + 4, coll.Encode, func(d *Decoder) any { var v ObjectStatCollection; v.Decode(d); return v }, coll},
		{"store_statfs_t", 6 + 80, statfs.Encode, func(d *Decoder) any { var v StoreStatfs; v.Decode(d); return v }, statfs},
		{"objectstore_perf_stat_t v1", 6 + 8, perf1.Encode, func(d *Decoder) any { var v ObjectStorePerfStat; v.Decode(d); return v }, perf1},
		{"objectstore_perf_stat_t v2", 6 + 16, perf2.Encode, func(d *Decoder) any { var v ObjectStorePerfStat; v.Decode(d); return v }, perf2},
		{"pow2_hist_t", 6 + 4 + 16, hist.Encode, func(d *Decoder) any { var v Pow2Hist; v.Decode(d); return v }, hist},
		{"osd_stat_t v1 perf", 0, osd1.Encode, func(d *Decoder) any { var v OSDStatT; v.Decode(d); return v }, osd1},
		{"osd_stat_t v2 perf", 0, osd2.Encode, func(d *Decoder) any { var v OSDStatT; v.Decode(d); return v }, osd2},
		{"pg_stat_t", 0, pg.Encode, func(d *Decoder) any { var v PGStatT; v.Decode(d); return v }, pg},
		{"pool_stat_t", 6 + 434, pool.Encode, func(d *Decoder) any { var v PoolStatT; v.Decode(d); return v }, pool},
		{"pg_shard_t", 6 + 5, shard.Encode, func(d *Decoder) any { var v PGShard; v.Decode(d); return v }, shard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeWith(tc.encode)
			if tc.size != 0 && len(b) != tc.size {
				t.Fatalf("%d bytes, want %d", len(b), tc.size)
			}
			d := NewDecoder(b)
			got := tc.decoded(d)
			if err := d.Err(); err != nil || !d.Done() {
				t.Fatalf("decode: %v, %d bytes left", err, d.Remaining())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestPGStatLayout pins the places in the encodings where a field-order
// mistake would still round-trip.
func TestPGStatLayout(t *testing.T) {
	t.Run("object_stat_sum_t", func(t *testing.T) {
		s := ObjectStatSum{NumBytes: 1, NumPromote: 2, NumFlushModeHigh: 3, NumEvictModeFull: 4, NumObjectsPinned: 5, NumObjectsRepaired: 6}
		b := encodeWith(s.Encode)[6:]
		le64 := func(off int) int64 { return int64(NewDecoder(b[off:]).U64()) }
		le32 := func(off int) int32 { return NewDecoder(b[off:]).S32() }
		if le64(0) != 1 || le64(27*8) != 2 || le32(28*8) != 3 || le32(28*8+12) != 4 || le64(28*8+16) != 5 || le64(296) != 6 {
			t.Fatalf("field offsets wrong: %x", b)
		}
	})
	t.Run("osd_stat_t legacy kb fields", func(t *testing.T) {
		s := OSDStatT{Statfs: StoreStatfs{Total: 268435456, Available: 268427423, Allocated: 5 << 10, OmapAllocated: 6 << 10, InternalMetadata: 7 << 10}}
		d := NewDecoder(encodeWith(s.Encode))
		d.StartStruct(14, "osd_stat_t")
		if kb, used, avail := d.S64(), d.S64(), d.S64(); kb != 262144 || used != 7 || avail != 262136 {
			t.Fatalf("kb %d used %d avail %d", kb, used, avail)
		}
		d.Raw(4 + 4 + 4 + 4 + 10 + 14 + 4 + 8 + 4) // up to kb_used_data
		if data, omap, meta := d.S64(), d.S64(), d.S64(); data != 5 || omap != 6 || meta != 7 {
			t.Fatalf("kb_used_data %d omap %d meta %d", data, omap, meta)
		}
	})
	t.Run("pg_stat_t state halves", func(t *testing.T) {
		s := PGStatT{State: 0x4_0000_0006}
		b := encodeWith(s.Encode)
		if got := NewDecoder(b[6+12+8+4:]).U32(); got != 6 {
			t.Fatalf("low state %#x", got)
		}
		// After pin_stats_invalid: snaptrimq_len, then the top 32 bits.
		tail := len(b) - (4 + 1 + 4 + 4) // purged_snaps, manifest_stats_invalid, two empty lists
		if got := NewDecoder(b[tail-4:]).U32(); got != 4 {
			t.Fatalf("top state %#x", got)
		}
	})
}

// TestPGStatOldVersions decodes encodings of older struct versions, built
// field by field after Ceph's decoders.
func TestPGStatOldVersions(t *testing.T) {
	t.Run("object_stat_sum_t v15", func(t *testing.T) {
		b := encodeWith(func(e *Encoder) {
			st := e.StartStruct(15, 14)
			for i := int64(1); i <= 28; i++ {
				e.S64(i)
			}
			for i := int32(1); i <= 4; i++ {
				e.S32(-i)
			}
			e.S64(29) // pinned
			e.S64(30) // missing
			e.FinishStruct(st)
		})
		var s ObjectStatSum
		d := NewDecoder(b)
		s.Decode(d)
		if d.Err() != nil || s.NumObjectClones != 3 || s.NumLegacySnapsets != 3 || s.NumEvictModeFull != -4 ||
			s.NumObjectsMissing != 30 || s.NumOmapKeys != 0 || s.NumObjectsRepaired != 0 {
			t.Fatalf("%v %+v", d.Err(), s)
		}
	})
	t.Run("osd_stat_t v8", func(t *testing.T) {
		b := encodeWith(func(e *Encoder) {
			st := e.StartStruct(8, 2)
			e.S64(1000) // kb
			e.S64(300)  // kb_used
			e.S64(600)  // kb_avail
			e.S32(1)
			e.S32(2)
			encodeS32s(e, []int32{4, 5})
			encodeS32s(e, []int32{9}) // num_hb_out, dropped
			(&Pow2Hist{Counts: []int32{1}}).Encode(e)
			(&ObjectStorePerfStat{CommitLatencyNs: 3 * nsPerMs}).Encode(e)
			e.U32(7)  // up_from
			e.U64(8)  // seq
			e.U32(9)  // num_pgs
			e.S64(10) // kb_used_data
			e.S64(11) // kb_used_omap
			e.S64(12) // kb_used_meta
			e.FinishStruct(st)
		})
		var s OSDStatT
		d := NewDecoder(b)
		s.Decode(d)
		want := StoreStatfs{Total: 1000 << 10, Available: 600 << 10, InternallyReserved: 100 << 10,
			Allocated: 10 << 10, OmapAllocated: 11 << 10, InternalMetadata: 12 << 10}
		if d.Err() != nil || s.Statfs != want || !slicesEqual(s.HBPeers, []int32{4, 5}) || s.NumPGs != 9 ||
			s.PerfStat.CommitLatencyNs != 3*nsPerMs || s.NumOSDs != 0 || s.HBPingTime != nil {
			t.Fatalf("%v %+v", d.Err(), s)
		}
	})
	t.Run("pg_stat_t v22 and v24", func(t *testing.T) {
		full := testPGStat()
		b := encodeWith(full.Encode)
		lists := (4 + pgShardSize) + (4 + (4 + 2*pgShardSize + 4) + (4 + 3*pgShardSize + 4)) // v26
		older := func(v uint8, cut int) []byte {
			old := bytes.Clone(b[:len(b)-cut])
			old[0], old[1] = v, 22
			n := len(old) - 6
			old[2], old[3], old[4], old[5] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
			return old
		}
		// v24 ends at purged_snaps; v22 at pin_stats_invalid, before
		// snaptrimq_len and the top half of the state.
		v24 := older(24, 1+lists)
		v22 := older(22, 4+4+(4+2*16)+1+lists)

		var s PGStatT
		d := NewDecoder(v24)
		s.Decode(d)
		if d.Err() != nil || s.State != full.State || !s.ManifestStatsInvalid || s.SnaptrimqLen != full.SnaptrimqLen ||
			!reflect.DeepEqual(s.PurgedSnaps, full.PurgedSnaps) || s.AvailNoMissing != nil {
			t.Fatalf("v24: %v %+v", d.Err(), s)
		}
		d = NewDecoder(v22)
		s.Decode(d)
		// Ceph sets manifest_stats_invalid only for v23 and v24.
		if d.Err() != nil || s.State != 6 || s.ManifestStatsInvalid || s.SnaptrimqLen != 0 || s.PurgedSnaps != nil ||
			!s.PinStatsInvalid || s.LastBecamePeered != full.LastBecamePeered {
			t.Fatalf("v22: %v %+v", d.Err(), s)
		}
	})
	t.Run("pool_stat_t v6", func(t *testing.T) {
		b := encodeWith(func(e *Encoder) {
			st := e.StartStruct(6, 5)
			(&ObjectStatCollection{Sum: ObjectStatSum{NumBytes: 77}}).Encode(e)
			e.S64(1)
			e.S64(2)
			e.S32(3)
			e.S32(4)
			e.FinishStruct(st)
		})
		var s PoolStatT
		d := NewDecoder(b)
		s.Decode(d)
		if d.Err() != nil || s.Stats.Sum.NumBytes != 77 || s.Up != 3 || s.Acting != 4 || s.NumStoreStats != 0 {
			t.Fatalf("%v %+v", d.Err(), s)
		}
	})
	t.Run("object_stat_collection_t with a category", func(t *testing.T) {
		b := encodeWith(func(e *Encoder) {
			st := e.StartStruct(2, 2)
			(&ObjectStatSum{NumObjects: 5}).Encode(e)
			e.U32(1)
			e.String("legacy")
			(&ObjectStatSum{NumObjects: 6}).Encode(e)
			e.FinishStruct(st)
		})
		var c ObjectStatCollection
		d := NewDecoder(b)
		c.Decode(d)
		if d.Err() != nil || c.Sum.NumObjects != 5 {
			t.Fatalf("%v %+v", d.Err(), c)
		}
	})
	t.Run("PGMapDigest v1 and v3", func(t *testing.T) {
		for _, v := range []uint8{1, 3} {
			b := encodeWith(func(e *Encoder) {
				st := e.StartStruct(v, 1)
				e.S64(2)
				e.S64(1)
				e.S64(0)
				e.S64(1)
				e.U32(0)
				(&PoolStatT{}).Encode(e)
				(&OSDStatT{}).Encode(e)
				e.U32(1)
				if v == 1 {
					e.S32(-0x7ffffffe) // a state with bit 31 set, as an int32 key
				} else {
					e.U64(0x80000002)
				}
				e.S32(2)
				for range 5 { // num_pg_by_osd .. per_pool_sum_deltas_stamps
					e.U32(0)
				}
				(&PoolStatT{}).Encode(e)
				e.Utime(Utime{1, 2})
				e.U32(0) // avail_space_by_rule
				if v >= 3 {
					e.U32(1)
					e.S64(4)
					IntervalSet{{Start: 1, Len: 1}}.Encode(e)
				}
				e.FinishStruct(st)
			})
			g, err := ParsePGMapDigest(b)
			if err != nil {
				t.Fatalf("v%d: %v", v, err)
			}
			wantState := uint64(0x80000002)
			if v == 1 {
				wantState = 0xffffffff80000002 // Ceph sign-extends the v1 key
			}
			if len(g.NumPGByState) != 1 || g.NumPGByState[0].State != wantState || g.StampDelta != (Utime{1, 2}) ||
				(v >= 3) != (len(g.PurgedSnaps[4]) == 1) || g.OSDSumByClass != nil {
				t.Fatalf("v%d: %+v", v, g)
			}
		}
	})
}

// TestPGStatNewerVersions appends fields a later release might add, with a
// higher struct version: the decoders must skip them.
func TestPGStatNewerVersions(t *testing.T) {
	bump := func(b []byte, extra []byte) []byte {
		out := append(bytes.Clone(b), extra...)
		out[0]++
		n := len(out) - 6
		out[2], out[3], out[4], out[5] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
		return out
	}
	extra := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}
	pg := testPGStat()
	osd := testOSDStat(false)
	pool := testPoolStat(1)
	g := testDigest()
	for _, tc := range []struct {
		name   string
		b      []byte
		decode func(*Decoder) any
		want   any
	}{
		{"pg_stat_t v27", bump(encodeWith(pg.Encode), extra), func(d *Decoder) any { var v PGStatT; v.Decode(d); return v }, pg},
		{"osd_stat_t v15", bump(encodeWith(osd.Encode), extra), func(d *Decoder) any { var v OSDStatT; v.Decode(d); return v }, osd},
		{"pool_stat_t v8", bump(encodeWith(pool.Encode), extra), func(d *Decoder) any { var v PoolStatT; v.Decode(d); return v }, pool},
		{"PGMapDigest v5", bump(g.Marshal(), extra), func(d *Decoder) any { var v PGMapDigest; v.Decode(d); return &v }, g},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.b)
			got := tc.decode(d)
			if err := d.Err(); err != nil || !d.Done() {
				t.Fatalf("%v, %d bytes left", err, d.Remaining())
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestPGStatDecodeErrors covers what the decoders refuse.
func TestPGStatDecodeErrors(t *testing.T) {
	pool := testPoolStat(0)
	poolStat := func(d *Decoder) { new(PoolStatT).Decode(d) }
	osdStat := func(d *Decoder) { new(OSDStatT).Decode(d) }
	for _, tc := range []struct {
		name   string
		b      []byte
		decode func(*Decoder)
		want   error
	}{
		{"pool_stat_t v4 (pre-firefly)", []byte{4, 4, 0, 0, 0, 0}, poolStat, ErrIncompatible},
		{"truncated pool_stat_t", encodeWith(pool.Encode)[:100], poolStat, ErrTruncated},
		{"osd_stat_t compat 15", []byte{15, 15, 0, 0, 0, 0}, osdStat, ErrIncompatible},
		{"hostile hb_pingtime count", func() []byte {
			b := encodeWith((&OSDStatT{}).Encode)
			copy(b[len(b)-4:], []byte{0xff, 0xff, 0xff, 0x7f})
			return b
		}(), osdStat, ErrTruncated},
		{"pg_stat_t compat 31", []byte{31, 31, 0, 0, 0, 0}, func(d *Decoder) { new(PGStatT).Decode(d) }, ErrIncompatible},
		{"hostile pg_pool_sum count", encodeWith(func(e *Encoder) {
			st := e.StartStruct(4, 1)
			for range 4 {
				e.S64(0)
			}
			e.U32(0xffffffff)
			e.FinishStruct(st)
		}), func(d *Decoder) { new(PGMapDigest).Decode(d) }, ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.b)
			tc.decode(d)
			if !errors.Is(d.Err(), tc.want) {
				t.Fatalf("error %v, want %v", d.Err(), tc.want)
			}
		})
	}
}

// TestPGStatsTypedForms covers Typed and SetTyped on gomgr's own messages:
// binary structs round-trip through a message, JSON ones are refused.
func TestPGStatsTypedForms(t *testing.T) {
	want := &PGStatsT{
		OSDStat:  testOSDStat(false),
		PGStat:   []PGStatTEntry{{PG: PGID{Pool: 1, Seed: 0}, Stat: testPGStat()}, {PG: PGID{Pool: 1, Seed: 7}}},
		PoolStat: []PoolStatfsEntry{{Pool: 1, Statfs: testStatfs(1 << 20)}},
	}
	p := &PGStats{Paxos: NewPaxos(3), FSID: testFSID, Epoch: 12}
	p.SetTyped(want)
	back, err := Decode(Encode(p))
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.(*PGStats).Typed()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}

	j := &PGStats{OSDStat: JSONStruct([]byte(`{"osd":0}`))}
	if _, err := j.Typed(); !errors.Is(err, ErrIncompatible) {
		t.Fatalf("JSON osd_stat_t: %v", err)
	}
	j = &PGStats{OSDStat: rawOf(want.OSDStat.Encode), PGStat: []PGStatEntry{{PG: PGID{Pool: 2, Seed: 1}, Stat: RawStruct{V: 26, Compat: 22, Body: []byte{1}}}}}
	if _, err := j.Typed(); !errors.Is(err, ErrTruncated) {
		t.Fatalf("short pg_stat_t: %v", err)
	}
}

// A mgr reports its PG summary to the mon as a PGMapDigest in
// MMonMgrReport's data segment.
func ExamplePGMapDigest() {
	g := &PGMapDigest{
		NumPG: 32, NumPGActive: 32, NumOSD: 3,
		PoolSum:      []PoolSum{{Pool: 1, Stat: PoolStatT{Stats: ObjectStatCollection{Sum: ObjectStatSum{NumObjects: 10, NumBytes: 40 << 20}}}}},
		NumPGByState: []PGStateCount{{State: 1<<1 | 1<<2, Count: 32}}, // active+clean
		NumPGByPool:  map[int64]int64{1: 32},
		OSDSum:       OSDStatT{Statfs: StoreStatfs{Total: 300 << 30, Available: 290 << 30}, NumOSDs: 3},
	}
	m := Encode(&MonMgrReport{Paxos: NewPaxos(0), GID: 4100, PGDigest: g.Marshal()})

	p, _ := Decode(m)
	back, err := ParsePGMapDigest(p.(*MonMgrReport).PGDigest)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(m.Data), back.NumPG, back.PoolSum[0].Stat.Stats.Sum.NumObjects, back.OSDSum.Statfs.UsedRaw()>>30)
	// Output: 1662 32 10 10
}

// encodeS32s appends a vector<int32_t>, for hand-built structs.
func encodeS32s(e *Encoder, v []int32) { EncodeSlice(e, v, (*Encoder).S32) }
