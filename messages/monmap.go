package messages

import (
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
func (p *MonMapMsg) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *MonMapMsg) DecodeFrom(m *msgr.Message) error {
	*p = MonMapMsg{}
	return decodePayload(m, p)
}

func (p *MonMapMsg) denc(c Denc, _ uint16) { c.Bufferlist(&p.MonMap) }

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

// denc encodes v5 but decodes with Ceph's DECODE_START(1): every later
// field is guarded by the version.
func (mi *MonInfo) denc(c Denc) {
	st := c.StartCompat(5, 1, 1, "mon_info_t")
	c.String(&mi.Name)
	c.AddrVec(&mi.Addrs)
	if st.V >= 2 {
		c.U16(&mi.Priority)
	}
	if st.V >= 4 {
		c.U16(&mi.Weight)
	}
	if st.V >= 5 {
		c.StringMap(&mi.CrushLoc)
	}
	c.Finish(st)
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

// dencMonFeature lists a mon_feature_t (struct v1: its le64 bits).
func dencMonFeature(c Denc, f *uint64) {
	st := c.Start(1, 1, "mon_feature_t")
	c.U64(f)
	c.Finish(st)
}

// Marshal encodes mm as MonMap::encode does for nautilus-and-later peers.
func (mm *MonMap) Marshal() []byte { return marshalStruct(mm, (*MonMap).denc) }

// ParseMonMap decodes a MonMap encoded with struct v6 or later.
func ParseMonMap(b []byte) (*MonMap, error) { return parseStruct(b, "monmap", (*MonMap).denc) }

func (mm *MonMap) denc(c Denc) {
	st := c.StartCompat(9, 6, 6, "MonMap")
	c.MinVersion(st, 6, "pre-luminous")
	c.UUID(&mm.FSID)
	c.U32(&mm.Epoch)
	c.Utime(&mm.LastChanged)
	c.Utime(&mm.Created)
	dencMonFeature(c, &mm.PersistentFeatures)
	dencMonFeature(c, &mm.OptionalFeatures)
	DencMap(c, &mm.Mons, 10, Denc.String, elem[MonInfo])
	if st.V >= 7 {
		c.Strings(&mm.Ranks)
		c.U8(&mm.MinMonRelease)
	}
	if st.V >= 8 {
		DencSet(c, &mm.RemovedRanks, 4, Denc.S32)
	}
	if st.V >= 9 {
		c.U8(&mm.ElectionStrategy)
		c.StringSet(&mm.DisallowedLeaders)
		c.Bool(&mm.StretchModeEnabled)
		c.String(&mm.TiebreakerMon)
		c.StringSet(&mm.StretchMarkedDown)
	}
	c.Finish(st)
}

// MonFeatureGomgr is the optional mon feature by which gomgr's own mon
// declares itself in its MonMap. A real ceph-mon never sets it (Ceph's
// mon_feature_t bits stop far below it), so a gomgr daemon that sees it
// knows the mon at the other end speaks gomgr's private extensions (maps
// in JSON struct form, the gomgr PG block); without it, only Ceph's own
// encodings are sent.
const MonFeatureGomgr uint64 = 1 << 62
