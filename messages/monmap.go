package messages

import (
	"fmt"
	"slices"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// MonMapMsg (CEPH_MSG_MON_MAP, v1) carries an encoded MonMap in a
// bufferlist, exactly as Ceph's MMonMap does. The bytes are kept as they
// came so that re-encoding is exact; ParseMonMap reads them.
type MonMapMsg struct {
	MonMap []byte
}

// NewMonMapMsg encodes mm into a MonMapMsg.
func NewMonMapMsg(mm *MonMap) *MonMapMsg { return &MonMapMsg{MonMap: mm.Marshal()} }

// Type implements Payload.
func (*MonMapMsg) Type() uint16 { return TypeMonMap }

// EncodeTo implements Payload.
func (p *MonMapMsg) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.Bufferlist(p.MonMap)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *MonMapMsg) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) { p.MonMap = d.Bufferlist() })
}

// Map parses the MonMap the message carries.
func (p *MonMapMsg) Map() (*MonMap, error) { return ParseMonMap(p.MonMap) }

// MonInfo is mon_info_t (struct v5): a monitor's name, addresses, and the
// election priority, weight and crush location Ceph added later.
type MonInfo struct {
	Name     string
	Addrs    []wire.EntityAddr
	Priority uint16
	Weight   uint16
	CrushLoc map[string]string
}

func (mi MonInfo) encode(e *Encoder) {
	st := e.StartStruct(5, 1)
	e.String(mi.Name)
	e.AddrVec(mi.Addrs)
	e.U16(mi.Priority)
	e.U16(mi.Weight)
	e.StringMap(mi.CrushLoc)
	e.FinishStruct(st)
}

func decodeMonInfo(d *Decoder) MonInfo {
	st := d.StartStruct(1, "mon_info_t")
	mi := MonInfo{Name: d.String(), Addrs: d.AddrVec()}
	if st.V >= 2 {
		mi.Priority = d.U16()
	}
	if st.V >= 4 {
		mi.Weight = d.U16()
	}
	if st.V >= 5 {
		mi.CrushLoc = d.StringMap()
	}
	d.FinishStruct(st, "mon_info_t")
	return mi
}

// MonMap is Ceph's MonMap in its nautilus-and-later encoding (struct v9,
// compat 6, as pacific writes it): fsid, epoch, timestamps, features, the
// monitors by name, their rank order, and the pacific election and stretch
// mode fields. Older encodings (v6..v8) decode too; fields they lack stay
// zero.
type MonMap struct {
	FSID               UUID
	Epoch              uint32
	LastChanged        Utime
	Created            Utime
	PersistentFeatures uint64 // mon_feature_t
	OptionalFeatures   uint64 // mon_feature_t
	Mons               map[string]MonInfo
	Ranks              []string // mon names by rank
	MinMonRelease      uint8    // ceph_release_t: 16 is pacific
	RemovedRanks       []int32
	ElectionStrategy   uint8 // 1 classic
	DisallowedLeaders  []string
	StretchModeEnabled bool
	TiebreakerMon      string
	StretchMarkedDown  []string
}

func encodeMonFeature(e *Encoder, f uint64) {
	st := e.StartStruct(1, 1)
	e.U64(f)
	e.FinishStruct(st)
}

func decodeMonFeature(d *Decoder) uint64 {
	st := d.StartStruct(1, "mon_feature_t")
	f := d.U64()
	d.FinishStruct(st, "mon_feature_t")
	return f
}

// Marshal encodes mm as MonMap::encode does for nautilus-and-later peers.
func (mm *MonMap) Marshal() []byte {
	e := NewEncoder(nil)
	st := e.StartStruct(9, 6)
	e.UUID(mm.FSID)
	e.U32(mm.Epoch)
	e.Utime(mm.LastChanged)
	e.Utime(mm.Created)
	encodeMonFeature(e, mm.PersistentFeatures)
	encodeMonFeature(e, mm.OptionalFeatures)
	EncodeMap(e, mm.Mons, (*Encoder).String, func(e *Encoder, mi MonInfo) { mi.encode(e) })
	e.Strings(mm.Ranks)
	e.U8(mm.MinMonRelease)
	EncodeSlice(e, sortedUnique(mm.RemovedRanks), (*Encoder).S32)
	e.U8(mm.ElectionStrategy)
	e.StringSet(mm.DisallowedLeaders)
	e.Bool(mm.StretchModeEnabled)
	e.String(mm.TiebreakerMon)
	e.StringSet(mm.StretchMarkedDown)
	e.FinishStruct(st)
	return e.Bytes()
}

// ParseMonMap decodes a MonMap encoded with struct v6 or later.
func ParseMonMap(b []byte) (*MonMap, error) {
	d := NewDecoder(b)
	mm := &MonMap{}
	st := d.StartStruct(6, "MonMap")
	if d.Err() == nil && st.V < 6 {
		d.Fail(fmt.Errorf("%w: MonMap v%d (pre-luminous) not supported", ErrIncompatible, st.V))
	}
	mm.FSID = d.UUID()
	mm.Epoch = d.U32()
	mm.LastChanged = d.Utime()
	mm.Created = d.Utime()
	mm.PersistentFeatures = decodeMonFeature(d)
	mm.OptionalFeatures = decodeMonFeature(d)
	mm.Mons = DecodeMap(d, 10, (*Decoder).String, decodeMonInfo)
	if st.V >= 7 {
		mm.Ranks = d.Strings()
		mm.MinMonRelease = d.U8()
	}
	if st.V >= 8 {
		mm.RemovedRanks = DecodeSlice(d, 4, (*Decoder).S32)
	}
	if st.V >= 9 {
		mm.ElectionStrategy = d.U8()
		mm.DisallowedLeaders = d.Strings()
		mm.StretchModeEnabled = d.Bool()
		mm.TiebreakerMon = d.String()
		mm.StretchMarkedDown = d.Strings()
	}
	d.FinishStruct(st, "MonMap")
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: monmap: %w", err)
	}
	return mm, nil
}

func sortedUnique(v []int32) []int32 {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

// MonFeatureGomgr is the optional mon feature by which gomgr's own mon
// declares itself in its MonMap. A real ceph-mon never sets it (Ceph's
// mon_feature_t bits stop far below it), so a gomgr daemon that sees it
// knows the mon at the other end speaks gomgr's private extensions (maps
// in JSON struct form, the gomgr PG block); without it, only Ceph's own
// encodings are sent.
const MonFeatureGomgr uint64 = 1 << 62
