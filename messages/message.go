package messages

import (
	"fmt"
	"slices"

	"gomgr/msgr"
)

// Message type ids, as in Ceph's include/ceph_fs.h, messages/*.h and
// msg/Message.h.
const (
	TypeMonMap             uint16 = 4     // CEPH_MSG_MON_MAP
	TypeMonSubscribe       uint16 = 15    // CEPH_MSG_MON_SUBSCRIBE
	TypeMonSubscribeAck    uint16 = 16    // CEPH_MSG_MON_SUBSCRIBE_ACK
	TypeAuth               uint16 = 17    // CEPH_MSG_AUTH
	TypeAuthReply          uint16 = 18    // CEPH_MSG_AUTH_REPLY
	TypeMonGetVersion      uint16 = 19    // CEPH_MSG_MON_GET_VERSION
	TypeMonGetVersionReply uint16 = 20    // CEPH_MSG_MON_GET_VERSION_REPLY
	TypeOSDMap             uint16 = 41    // CEPH_MSG_OSD_MAP
	TypeFSMap              uint16 = 45    // CEPH_MSG_FS_MAP
	TypeMonCommand         uint16 = 50    // MSG_MON_COMMAND
	TypeMonCommandAck      uint16 = 51    // MSG_MON_COMMAND_ACK
	TypeLog                uint16 = 52    // MSG_LOG
	TypeLogAck             uint16 = 53    // MSG_LOGACK
	TypeConfig             uint16 = 62    // MSG_CONFIG
	TypePGStats            uint16 = 87    // MSG_PGSTATS
	TypeCommand            uint16 = 97    // MSG_COMMAND
	TypeCommandReply       uint16 = 98    // MSG_COMMAND_REPLY
	TypeMgrOpen            uint16 = 0x700 // MSG_MGR_OPEN
	TypeMgrConfigure       uint16 = 0x701 // MSG_MGR_CONFIGURE
	TypeMgrReport          uint16 = 0x702 // MSG_MGR_REPORT
	TypeMgrBeacon          uint16 = 0x703 // MSG_MGR_BEACON
	TypeMgrMap             uint16 = 0x704 // MSG_MGR_MAP
	TypeMgrDigest          uint16 = 0x705 // MSG_MGR_DIGEST
	TypeServiceMap         uint16 = 0x707 // MSG_SERVICE_MAP
	TypeMgrCommand         uint16 = 0x709 // MSG_MGR_COMMAND
	TypeMgrCommandReply    uint16 = 0x70a // MSG_MGR_COMMAND_REPLY
)

// Payload is a typed message body. EncodeTo fills in a message's header
// versions, priority and segments; DecodeFrom reads them back. Neither
// touches Tid, Seq or Src, which belong to the caller and the connection.
type Payload interface {
	// Type is the Ceph message type id.
	Type() uint16
	// EncodeTo sets m's Version, CompatVersion, Priority, Front, Middle
	// and Data.
	EncodeTo(m *msgr.Message)
	// DecodeFrom replaces the receiver's fields with those in m.
	DecodeFrom(m *msgr.Message) error
}

// newPayload returns an empty payload for a type id, or nil.
var newPayload = map[uint16]func() Payload{
	TypeMonMap:             func() Payload { return new(MonMapMsg) },
	TypeMonSubscribe:       func() Payload { return new(MonSubscribe) },
	TypeMonSubscribeAck:    func() Payload { return new(MonSubscribeAck) },
	TypeAuth:               func() Payload { return new(Auth) },
	TypeAuthReply:          func() Payload { return new(AuthReply) },
	TypeMonGetVersion:      func() Payload { return new(MonGetVersion) },
	TypeMonGetVersionReply: func() Payload { return new(MonGetVersionReply) },
	TypeOSDMap:             func() Payload { return new(OSDMapMsg) },
	TypeFSMap:              func() Payload { return new(FSMapMsg) },
	TypeMonCommand:         func() Payload { return new(MonCommand) },
	TypeMonCommandAck:      func() Payload { return new(MonCommandAck) },
	TypeLog:                func() Payload { return new(Log) },
	TypeLogAck:             func() Payload { return new(LogAck) },
	TypeConfig:             func() Payload { return new(Config) },
	TypePGStats:            func() Payload { return new(PGStats) },
	TypeCommand:            func() Payload { return new(TellCommand) },
	TypeCommandReply:       func() Payload { return new(TellCommandReply) },
	TypeMgrOpen:            func() Payload { return new(MgrOpen) },
	TypeMgrConfigure:       func() Payload { return new(MgrConfigure) },
	TypeMgrReport:          func() Payload { return new(MgrReport) },
	TypeMgrBeacon:          func() Payload { return new(MgrBeacon) },
	TypeMgrMap:             func() Payload { return new(MgrMapMsg) },
	TypeMgrDigest:          func() Payload { return new(MgrDigest) },
	TypeServiceMap:         func() Payload { return new(ServiceMapMsg) },
	TypeMgrCommand:         func() Payload { return new(MgrCommand) },
	TypeMgrCommandReply:    func() Payload { return new(MgrCommandReply) },
}

// Known reports whether Decode has a payload for type t.
func Known(t uint16) bool { return newPayload[t] != nil }

// Encode builds a message from p, with p's type, versions, priority and
// segments. The caller sets Tid where the protocol uses it.
func Encode(p Payload) *msgr.Message {
	m := &msgr.Message{Type: p.Type(), Priority: msgr.PrioDefault}
	p.EncodeTo(m)
	return m
}

// Decode parses m's segments into the payload its type calls for. It fails
// with ErrUnknownType for types it does not know and never panics on bad
// input.
func Decode(m *msgr.Message) (Payload, error) {
	f := newPayload[m.Type]
	if f == nil {
		return nil, fmt.Errorf("%w: %d (0x%x)", ErrUnknownType, m.Type, m.Type)
	}
	p := f()
	if err := p.DecodeFrom(m); err != nil {
		return nil, fmt.Errorf("messages: decode type %d v%d: %w", m.Type, m.Version, err)
	}
	return p, nil
}

// setHeader fills in what every EncodeTo sets.
func setHeader(m *msgr.Message, version, compat uint16, e *Encoder) {
	m.Version, m.CompatVersion = version, compat
	if m.Priority == 0 {
		m.Priority = msgr.PrioDefault
	}
	m.Front = e.Bytes()
	m.Middle = nil
	m.Data = nil
}

// Paxos is the header PaxosServiceMessage puts before its subclasses'
// fields: the map version the sender has, and two fields only mons use.
type Paxos struct {
	Version       uint64
	SessionMon    int16 // -1 unless forwarded between mons
	SessionMonTid uint64
}

// NewPaxos is the Paxos header a client or mgr sends.
func NewPaxos(version uint64) Paxos { return Paxos{Version: version, SessionMon: -1} }

func (p *Paxos) denc(c Denc) {
	c.U64(&p.Version)
	c.S16(&p.SessionMon)
	c.U64(&p.SessionMonTid)
}

// RawStruct is a versioned Ceph struct (ENCODE_START'd) kept as its
// versions and undecoded body, so messages can carry structs gomgr does not
// interpret and still re-encode them byte for byte.
type RawStruct struct {
	V, Compat uint8
	Body      []byte
}

// JSONStructVersion marks gomgr's JSON form of a struct that Ceph encodes in
// binary (OSDMap, FSMap, pg_stat_t, ...): a struct with version and compat
// version 200 whose body is JSON. A real Ceph decoder refuses it cleanly
// (compat 200 is above anything it knows) instead of misreading it.
const JSONStructVersion = 200

// JSONStruct wraps a JSON document in gomgr's JSON struct form.
func JSONStruct(js []byte) RawStruct {
	return RawStruct{V: JSONStructVersion, Compat: JSONStructVersion, Body: js}
}

// IsJSON reports whether s is in gomgr's JSON form.
func (s RawStruct) IsJSON() bool { return s.V == JSONStructVersion }

// JSON returns the JSON document s carries, or ErrNotJSON when s holds
// Ceph's binary encoding.
func (s RawStruct) JSON() ([]byte, error) {
	if !s.IsJSON() {
		return nil, fmt.Errorf("%w: struct v%d compat %d", ErrNotJSON, s.V, s.Compat)
	}
	return s.Body, nil
}

// Encode appends s as ENCODE_START(V, Compat) + body.
func (s RawStruct) Encode(e *Encoder) {
	st := e.StartStruct(s.V, s.Compat)
	e.Raw(s.Body)
	e.FinishStruct(st)
}

// DecodeRawStruct reads any versioned struct without interpreting it.
func DecodeRawStruct(d *Decoder) RawStruct {
	v, c := d.U8(), d.U8()
	n := d.length("struct")
	return RawStruct{V: v, Compat: c, Body: slices.Clone(d.take(n, "struct"))}
}

// Guards: every message type implements Payload.
var (
	_ Payload = (*MonMapMsg)(nil)
	_ Payload = (*MonSubscribe)(nil)
	_ Payload = (*MonSubscribeAck)(nil)
	_ Payload = (*Auth)(nil)
	_ Payload = (*AuthReply)(nil)
	_ Payload = (*MonGetVersion)(nil)
	_ Payload = (*MonGetVersionReply)(nil)
	_ Payload = (*OSDMapMsg)(nil)
	_ Payload = (*FSMapMsg)(nil)
	_ Payload = (*MonCommand)(nil)
	_ Payload = (*MonCommandAck)(nil)
	_ Payload = (*Log)(nil)
	_ Payload = (*LogAck)(nil)
	_ Payload = (*Config)(nil)
	_ Payload = (*PGStats)(nil)
	_ Payload = (*MgrOpen)(nil)
	_ Payload = (*MgrConfigure)(nil)
	_ Payload = (*MgrReport)(nil)
	_ Payload = (*MgrBeacon)(nil)
	_ Payload = (*MgrMapMsg)(nil)
	_ Payload = (*MgrDigest)(nil)
	_ Payload = (*ServiceMapMsg)(nil)
	_ Payload = (*MgrCommand)(nil)
	_ Payload = (*MgrCommandReply)(nil)
)
