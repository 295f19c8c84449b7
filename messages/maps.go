package messages

import (
	"cmp"
	"fmt"
	"slices"

	"gomgr/msgr"
)

// EncodeJSONMap wraps a JSON cluster map in gomgr's JSON struct form, the
// bytes that go where Ceph puts a binary OSDMap (MOSDMap.Maps values).
func EncodeJSONMap(js []byte) []byte {
	e := NewEncoder(nil)
	JSONStruct(js).Encode(e)
	return e.Bytes()
}

// DecodeJSONMap returns the JSON a map's bytes carry, or ErrNotJSON when
// they hold Ceph's binary encoding.
func DecodeJSONMap(b []byte) ([]byte, error) {
	d := NewDecoder(b)
	s := DecodeRawStruct(d)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: map: %w", err)
	}
	return s.JSON()
}

// OSDMapMsg (CEPH_MSG_OSD_MAP, v4 compat 3) has Ceph's MOSDMap layout:
// fsid, incremental maps and full maps by epoch (each a bufferlist), the
// oldest and newest epochs the sender has, and (v4) an always-empty
// gap_removed_snaps. The bufferlists hold Ceph's binary OSDMap when they
// come from Ceph; gomgr's mon sends each in the JSON struct form
// (EncodeJSONMap): full maps with the shape of `ceph osd dump -f json`,
// incrementals as clustermap.OSDMapIncremental, to a subscriber that holds the
// epoch before.
type OSDMapMsg struct {
	FSID            UUID
	IncrementalMaps map[uint32][]byte
	Maps            map[uint32][]byte
	OldestMap       uint32
	NewestMap       uint32
}

// Type implements Payload.
func (*OSDMapMsg) Type() uint16 { return TypeOSDMap }

// EncodeTo implements Payload.
func (p *OSDMapMsg) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.UUID(p.FSID)
	EncodeMap(e, p.IncrementalMaps, (*Encoder).U32, (*Encoder).Bufferlist)
	EncodeMap(e, p.Maps, (*Encoder).U32, (*Encoder).Bufferlist)
	e.U32(p.OldestMap)
	e.U32(p.NewestMap)
	e.U32(0) // gap_removed_snaps, removed in octopus
	setHeader(m, 4, 3, e)
}

// DecodeFrom implements Payload.
func (p *OSDMapMsg) DecodeFrom(m *msgr.Message) error {
	*p = OSDMapMsg{}
	return decodeFront(m, func(d *Decoder) {
		p.FSID = d.UUID()
		p.IncrementalMaps = DecodeMap(d, 8, (*Decoder).U32, (*Decoder).Bufferlist)
		p.Maps = DecodeMap(d, 8, (*Decoder).U32, (*Decoder).Bufferlist)
		if m.Version >= 2 {
			p.OldestMap = d.U32()
			p.NewestMap = d.U32()
		}
		if m.Version >= 4 {
			if n := d.U32(); n != 0 && d.Err() == nil {
				d.Fail(fmt.Errorf("%w: %d gap_removed_snaps (pre-octopus) not supported", ErrIncompatible, n))
			}
		}
	})
}

// FSMapMsg (CEPH_MSG_FS_MAP, v1) has Ceph's MFSMap layout: epoch, then the
// FSMap struct, encoded in place. From Ceph that struct is its binary FSMap
// (kept raw); gomgr's mon sends the JSON struct form with the shape of
// `ceph fs dump -f json`.
type FSMapMsg struct {
	Epoch uint32
	Map   RawStruct
}

// Type implements Payload.
func (*FSMapMsg) Type() uint16 { return TypeFSMap }

// EncodeTo implements Payload.
func (p *FSMapMsg) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U32(p.Epoch)
	p.Map.Encode(e)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *FSMapMsg) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Epoch = d.U32()
		p.Map = DecodeRawStruct(d)
	})
}

// PGID is Ceph's pg_t: pool and placement seed (u8 version 1, le64 pool,
// le32 seed, le32 preferred = -1).
type PGID struct {
	Pool uint64
	Seed uint32
}

// String formats id as Ceph does ("1.1f").
func (id PGID) String() string { return fmt.Sprintf("%d.%x", id.Pool, id.Seed) }

func (id PGID) encode(e *Encoder) {
	e.U8(1)
	e.U64(id.Pool)
	e.U32(id.Seed)
	e.S32(-1)
}

func decodePGID(d *Decoder) PGID {
	if v := d.U8(); v != 1 && d.Err() == nil {
		d.Fail(fmt.Errorf("%w: pg_t version %d", ErrMalformed, v))
	}
	id := PGID{Pool: d.U64(), Seed: d.U32()}
	d.S32() // preferred, always -1 since firefly
	return id
}

// PGStatEntry is one PG's stats in MPGStats: the pg and its pg_stat_t.
type PGStatEntry struct {
	PG   PGID
	Stat RawStruct
}

// PoolStatEntry is one pool's store_statfs_t in MPGStats.
type PoolStatEntry struct {
	Pool int64
	Stat RawStruct
}

// PGStats (MSG_PGSTATS, v2 compat 1) has Ceph's MPGStats layout: Paxos
// header, fsid, osd_stat_t, map<pg_t, pg_stat_t>, epoch, an unused
// timestamp, and (v2) per-pool store_statfs_t. The stats structs are kept
// raw, Ceph's binary structs from a Ceph OSD and from gomgr's simulated
// ones alike (SetTyped encodes them). Typed
// decodes Ceph's binary form into OSDStatT, PGStatT and StoreStatfs, and
// SetTyped encodes it.
type PGStats struct {
	Paxos    Paxos
	FSID     UUID
	OSDStat  RawStruct
	PGStat   []PGStatEntry // ascending by pg, as std::map
	Epoch    uint32
	Stamp    Utime // Ceph sends zero
	PoolStat []PoolStatEntry
}

// Type implements Payload.
func (*PGStats) Type() uint16 { return TypePGStats }

// EncodeTo implements Payload.
func (p *PGStats) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.UUID(p.FSID)
	p.OSDStat.Encode(e)
	pgs := slices.Clone(p.PGStat)
	slices.SortStableFunc(pgs, func(a, b PGStatEntry) int {
		return cmp.Or(cmp.Compare(a.PG.Pool, b.PG.Pool), cmp.Compare(a.PG.Seed, b.PG.Seed))
	})
	EncodeSlice(e, pgs, func(e *Encoder, s PGStatEntry) {
		s.PG.encode(e)
		s.Stat.Encode(e)
	})
	e.U32(p.Epoch)
	e.Utime(p.Stamp)
	pools := slices.Clone(p.PoolStat)
	slices.SortStableFunc(pools, func(a, b PoolStatEntry) int { return cmp.Compare(a.Pool, b.Pool) })
	EncodeSlice(e, pools, func(e *Encoder, s PoolStatEntry) {
		e.S64(s.Pool)
		s.Stat.Encode(e)
	})
	setHeader(m, 2, 1, e)
}

// DecodeFrom implements Payload.
func (p *PGStats) DecodeFrom(m *msgr.Message) error {
	*p = PGStats{}
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.FSID = d.UUID()
		p.OSDStat = DecodeRawStruct(d)
		p.PGStat = DecodeSlice(d, 23, func(d *Decoder) PGStatEntry {
			return PGStatEntry{PG: decodePGID(d), Stat: DecodeRawStruct(d)}
		})
		p.Epoch = d.U32()
		p.Stamp = d.Utime()
		if m.Version >= 2 {
			p.PoolStat = DecodeSlice(d, 14, func(d *Decoder) PoolStatEntry {
				return PoolStatEntry{Pool: d.S64(), Stat: DecodeRawStruct(d)}
			})
		}
	})
}

// PGStatsT is what an MPGStats from a Ceph OSD carries, in Ceph's binary
// stats structs (PGStats keeps them raw): PGStats.Typed decodes them and
// PGStats.SetTyped encodes them.
type PGStatsT struct {
	OSDStat  OSDStatT
	PGStat   []PGStatTEntry // in the message's order (ascending by pg)
	PoolStat []PoolStatfsEntry
}

// PGStatTEntry is one PG's pg_stat_t.
type PGStatTEntry struct {
	PG   PGID
	Stat PGStatT
}

// PoolStatfsEntry is one pool's store_statfs_t: the OSD's usage for it.
type PoolStatfsEntry struct {
	Pool   int64
	Statfs StoreStatfs
}

// Typed decodes the Ceph binary structs p carries. Structs in gomgr's JSON
// form fail with ErrIncompatible (their compat version is 200).
func (p *PGStats) Typed() (*PGStatsT, error) {
	t := &PGStatsT{}
	if err := decodeRaw(p.OSDStat, t.OSDStat.Decode); err != nil {
		return nil, fmt.Errorf("messages: pgstats: osd_stat_t: %w", err)
	}
	t.PGStat = make([]PGStatTEntry, len(p.PGStat))
	for i, s := range p.PGStat {
		t.PGStat[i].PG = s.PG
		if err := decodeRaw(s.Stat, t.PGStat[i].Stat.Decode); err != nil {
			return nil, fmt.Errorf("messages: pgstats: pg_stat_t of pg %s: %w", s.PG, err)
		}
	}
	t.PoolStat = make([]PoolStatfsEntry, len(p.PoolStat))
	for i, s := range p.PoolStat {
		t.PoolStat[i].Pool = s.Pool
		if err := decodeRaw(s.Stat, t.PoolStat[i].Statfs.Decode); err != nil {
			return nil, fmt.Errorf("messages: pgstats: store_statfs_t of pool %d: %w", s.Pool, err)
		}
	}
	return t, nil
}

// SetTyped replaces p's OSDStat, PGStat and PoolStat with t's, in Ceph's
// binary encoding (pacific's struct versions).
func (p *PGStats) SetTyped(t *PGStatsT) {
	p.OSDStat = rawOf(t.OSDStat.Encode)
	p.PGStat = make([]PGStatEntry, len(t.PGStat))
	for i := range t.PGStat {
		p.PGStat[i] = PGStatEntry{PG: t.PGStat[i].PG, Stat: rawOf(t.PGStat[i].Stat.Encode)}
	}
	p.PoolStat = make([]PoolStatEntry, len(t.PoolStat))
	for i := range t.PoolStat {
		p.PoolStat[i] = PoolStatEntry{Pool: t.PoolStat[i].Pool, Stat: rawOf(t.PoolStat[i].Statfs.Encode)}
	}
}

// decodeRaw runs a typed decoder over the versioned struct s.
func decodeRaw(s RawStruct, decode func(*Decoder)) error {
	e := NewEncoder(nil)
	s.Encode(e)
	d := NewDecoder(e.Bytes())
	decode(d)
	if err := d.Err(); err != nil {
		return err
	}
	if !d.Done() {
		return fmt.Errorf("%w: %d bytes after the struct", ErrMalformed, d.Remaining())
	}
	return nil
}

// rawOf encodes a struct with encode and keeps it as a RawStruct.
func rawOf(encode func(*Encoder)) RawStruct {
	e := NewEncoder(nil)
	encode(e)
	return DecodeRawStruct(NewDecoder(e.Bytes()))
}
