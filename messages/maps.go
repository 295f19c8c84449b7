package messages

import (
	"cmp"
	"fmt"

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
func (p *OSDMapMsg) EncodeTo(m *msgr.Message) { encodePayload(m, p, 4, 3) }

// DecodeFrom implements Payload.
func (p *OSDMapMsg) DecodeFrom(m *msgr.Message) error {
	*p = OSDMapMsg{}
	return decodePayload(m, p)
}

func (p *OSDMapMsg) denc(c Denc, v uint16) {
	c.UUID(&p.FSID)
	DencMap(c, &p.IncrementalMaps, 8, Denc.U32, Denc.Bufferlist)
	DencMap(c, &p.Maps, 8, Denc.U32, Denc.Bufferlist)
	if v >= 2 {
		c.U32(&p.OldestMap)
		c.U32(&p.NewestMap)
	}
	if v >= 4 {
		var gapRemovedSnaps uint32 // sent empty since octopus
		c.U32(&gapRemovedSnaps)
		if gapRemovedSnaps != 0 {
			c.Fail(fmt.Errorf("%w: %d gap_removed_snaps (pre-octopus) not supported", ErrIncompatible, gapRemovedSnaps))
		}
	}
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
func (p *FSMapMsg) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *FSMapMsg) DecodeFrom(m *msgr.Message) error {
	*p = FSMapMsg{}
	return decodePayload(m, p)
}

func (p *FSMapMsg) denc(c Denc, _ uint16) {
	c.U32(&p.Epoch)
	c.RawStruct(&p.Map)
}

// PGID is Ceph's pg_t: pool and placement seed (u8 version 1, le64 pool,
// le32 seed, le32 preferred = -1).
type PGID struct {
	Pool uint64
	Seed uint32
}

// String formats id as Ceph does ("1.1f").
func (id PGID) String() string { return fmt.Sprintf("%d.%x", id.Pool, id.Seed) }

func (id *PGID) denc(c Denc) {
	v := uint8(1)
	c.U8(&v)
	if v != 1 {
		c.Fail(fmt.Errorf("%w: pg_t version %d", ErrMalformed, v))
	}
	c.U64(&id.Pool)
	c.U32(&id.Seed)
	preferred := int32(-1) // always -1 since firefly
	c.S32(&preferred)
}

// PGStatEntry is one PG's stats in MPGStats: the pg and its pg_stat_t.
type PGStatEntry struct {
	PG   PGID
	Stat RawStruct
}

func (s *PGStatEntry) denc(c Denc) {
	s.PG.denc(c)
	c.RawStruct(&s.Stat)
}

// PoolStatEntry is one pool's store_statfs_t in MPGStats.
type PoolStatEntry struct {
	Pool int64
	Stat RawStruct
}

func (s *PoolStatEntry) denc(c Denc) {
	c.S64(&s.Pool)
	c.RawStruct(&s.Stat)
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
func (p *PGStats) EncodeTo(m *msgr.Message) { encodePayload(m, p, 2, 1) }

// DecodeFrom implements Payload.
func (p *PGStats) DecodeFrom(m *msgr.Message) error {
	*p = PGStats{}
	return decodePayload(m, p)
}

func (p *PGStats) denc(c Denc, v uint16) {
	p.Paxos.denc(c)
	c.UUID(&p.FSID)
	c.RawStruct(&p.OSDStat)
	DencSorted(c, &p.PGStat, 23, func(a, b PGStatEntry) int {
		return cmp.Or(cmp.Compare(a.PG.Pool, b.PG.Pool), cmp.Compare(a.PG.Seed, b.PG.Seed))
	}, elem[PGStatEntry])
	c.U32(&p.Epoch)
	c.Utime(&p.Stamp)
	if v >= 2 {
		DencSorted(c, &p.PoolStat, 14, func(a, b PoolStatEntry) int { return cmp.Compare(a.Pool, b.Pool) }, elem[PoolStatEntry])
	}
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
	e := NewEncoder(make([]byte, 0, 6+len(s.Body)))
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
	// encode wrote one struct into bytes no one else holds: its body is
	// kept as it is, not copied.
	b := e.Bytes()
	return RawStruct{V: b[0], Compat: b[1], Body: b[6:len(b):len(b)]}
}
