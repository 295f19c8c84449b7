package messages

import (
	"bytes"
	"testing"
)

// fuzzStable decodes b into a fresh T; whatever decodes without error must
// re-encode, decode again, and re-encode to the same bytes.
func fuzzStable[T any](t *testing.T, b []byte, decode func(*T, *Decoder), encode func(*T, *Encoder)) {
	t.Helper()
	var v T
	d := NewDecoder(b)
	decode(&v, d)
	if d.Err() != nil {
		return
	}
	e1 := encodeWith(func(e *Encoder) { encode(&v, e) })
	var v2 T
	d = NewDecoder(e1)
	decode(&v2, d)
	if err := d.Err(); err != nil || !d.Done() {
		t.Fatalf("re-encoded %T does not decode: %v, %d bytes left", v, err, d.Remaining())
	}
	if e2 := encodeWith(func(e *Encoder) { encode(&v2, e) }); !bytes.Equal(e1, e2) {
		t.Fatalf("%T encoding not stable: %s", v, firstDiff(e1, e2))
	}
}

// goldenPGStats returns the typed stats of every MPGStats in the capture.
func goldenPGStats(f *testing.F) []*PGStatsT {
	var out []*PGStatsT
	for _, c := range loadCapture(f) {
		if c.Msg.Type != TypePGStats || !c.Complete {
			continue
		}
		p, err := Decode(c.Msg)
		if err != nil {
			f.Fatal(err)
		}
		ty, err := p.(*PGStats).Typed()
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, ty)
	}
	return out
}

func FuzzObjectStatSum(f *testing.F) {
	sum := testObjectStatSum(3)
	f.Add(encodeWith(sum.Encode))
	f.Add(encodeWith((&ObjectStatCollection{Sum: sum}).Encode))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, (*ObjectStatSum).Decode, (*ObjectStatSum).Encode)
		fuzzStable(t, b, (*ObjectStatCollection).Decode, (*ObjectStatCollection).Encode)
	})
}

// FuzzPGStatSmallStructs covers store_statfs_t, objectstore_perf_stat_t,
// pow2_hist_t, pg_shard_t and interval_set.
func FuzzPGStatSmallStructs(f *testing.F) {
	statfs := testStatfs(1 << 30)
	f.Add(encodeWith(statfs.Encode))
	f.Add(encodeWith((&ObjectStorePerfStat{CommitLatencyNs: 5 * nsPerMs}).Encode))
	f.Add(encodeWith((&ObjectStorePerfStat{CommitLatencyNs: 5, V2: true}).Encode))
	f.Add(encodeWith((&Pow2Hist{Counts: []int32{1, 2}}).Encode))
	f.Add(encodeWith(PGShard{OSD: 1, Shard: -1}.Encode))
	f.Add(encodeWith(IntervalSet{{1, 2}}.Encode))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, (*StoreStatfs).Decode, (*StoreStatfs).Encode)
		fuzzStable(t, b, (*ObjectStorePerfStat).Decode, (*ObjectStorePerfStat).Encode)
		fuzzStable(t, b, (*Pow2Hist).Decode, (*Pow2Hist).Encode)
		fuzzStable(t, b, (*PGShard).Decode, func(s *PGShard, e *Encoder) { s.Encode(e) })
		fuzzStable(t, b, func(s *IntervalSet, d *Decoder) { *s = DecodeIntervalSet(d) }, func(s *IntervalSet, e *Encoder) { s.Encode(e) })
	})
}

func FuzzOSDStatT(f *testing.F) {
	for _, ty := range goldenPGStats(f) {
		f.Add(encodeWith(ty.OSDStat.Encode))
	}
	f.Add(encodeWith((&OSDStatT{}).Encode))
	o := testOSDStat(true)
	f.Add(encodeWith(o.Encode))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, (*OSDStatT).Decode, (*OSDStatT).Encode)
	})
}

func FuzzPGStatT(f *testing.F) {
	for i, ty := range goldenPGStats(f) {
		if i%3 == 0 && len(ty.PGStat) > 0 {
			f.Add(encodeWith(ty.PGStat[0].Stat.Encode))
		}
	}
	pg := testPGStat()
	f.Add(encodeWith(pg.Encode))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, (*PGStatT).Decode, (*PGStatT).Encode)
	})
}

func FuzzPoolStatT(f *testing.F) {
	p := testPoolStat(4)
	f.Add(encodeWith(p.Encode))
	f.Add(encodeWith((&PoolStatT{}).Encode))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, (*PoolStatT).Decode, (*PoolStatT).Encode)
	})
}

func FuzzPGMapDigest(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Msg.Type == TypeMonMgrReport {
			f.Add(c.Msg.Data) // truncated by the capture
		}
	}
	f.Add(testDigest().Marshal())
	f.Add((&PGMapDigest{}).Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStable(t, b, (*PGMapDigest).Decode, (*PGMapDigest).Encode)
		if g, err := ParsePGMapDigest(b); err == nil {
			if _, err := ParsePGMapDigest(g.Marshal()); err != nil {
				t.Fatalf("re-marshalled digest does not parse: %v", err)
			}
		}
	})
}

// FuzzPGStatsTyped feeds MPGStats fronts to Decode and Typed: what decodes
// must survive SetTyped, Encode, Decode and Typed unchanged.
func FuzzPGStatsTyped(f *testing.F) {
	for _, c := range loadCapture(f) {
		if c.Msg.Type == TypePGStats {
			f.Add(c.Msg.Front)
		}
	}
	f.Fuzz(func(t *testing.T, front []byte) {
		m := Encode(&PGStats{})
		m.Front = front
		p, err := Decode(m)
		if err != nil {
			return
		}
		ty, err := p.(*PGStats).Typed()
		if err != nil {
			return
		}
		q := *p.(*PGStats)
		q.SetTyped(ty)
		p2, err := Decode(Encode(&q))
		if err != nil {
			t.Fatalf("rebuilt MPGStats does not decode: %v", err)
		}
		ty2, err := p2.(*PGStats).Typed()
		if err != nil {
			t.Fatalf("rebuilt MPGStats structs do not decode: %v", err)
		}
		q2 := *p2.(*PGStats)
		q2.SetTyped(ty2)
		if diff := diffMessage(Encode(&q), Encode(&q2)); diff != "" {
			t.Fatalf("typed MPGStats not stable: %s", diff)
		}
	})
}
