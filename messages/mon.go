package messages

import (
	"fmt"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// Subscription flags (CEPH_SUBSCRIBE_*).
const SubscribeOnetime = 1

// SubscribeItem is ceph_mon_subscribe_item: send maps from epoch Start on.
type SubscribeItem struct {
	Start uint64
	Flags uint8 // SubscribeOnetime
}

// Subscription names (MonSubscribe.What keys), as Ceph's mons know them.
const (
	SubMgrMap     = "mgrmap"
	SubOSDMap     = "osdmap"
	SubMonMap     = "monmap"
	SubFSMap      = "fsmap"
	SubServiceMap = "servicemap"
	SubMgrDigest  = "mgrdigest"
	SubConfig     = "config"
	SubLog        = "log" // every channel and priority; also log-debug|info|sec|warn|error
)

// MonSubscribe (CEPH_MSG_MON_SUBSCRIBE, v3): the maps a client wants
// ("monmap", "osdmap", "mgrmap", "config", ...) and from which epoch.
// Encoding as Ceph's MMonSubscribe: map<string, ceph_mon_subscribe_item>,
// then (v3) the client's hostname.
type MonSubscribe struct {
	What     map[string]SubscribeItem
	Hostname string
}

// Type implements Payload.
func (*MonSubscribe) Type() uint16 { return TypeMonSubscribe }

// EncodeTo implements Payload.
func (p *MonSubscribe) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	EncodeMap(e, p.What, (*Encoder).String, func(e *Encoder, it SubscribeItem) {
		e.U64(it.Start)
		e.U8(it.Flags)
	})
	e.String(p.Hostname)
	setHeader(m, 3, 1, e)
}

// DecodeFrom implements Payload. Version 1 clients sent "have" and a
// onetime bool in the same 9 bytes; Ceph turns have into start = have+1.
func (p *MonSubscribe) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.What = DecodeMap(d, 13, (*Decoder).String, func(d *Decoder) SubscribeItem {
			it := SubscribeItem{Start: d.U64(), Flags: d.U8()}
			if m.Version < 2 {
				if it.Start != 0 {
					it.Start++
				}
				if it.Flags != 0 {
					it.Flags = SubscribeOnetime
				}
			}
			return it
		})
		p.Hostname = ""
		if m.Version >= 3 {
			p.Hostname = d.String()
		}
	})
}

// MonSubscribeAck (CEPH_MSG_MON_SUBSCRIBE_ACK, v1): how often (seconds) the
// client should renew, and the cluster fsid.
type MonSubscribeAck struct {
	Interval uint32
	FSID     UUID
}

// Type implements Payload.
func (*MonSubscribeAck) Type() uint16 { return TypeMonSubscribeAck }

// EncodeTo implements Payload.
func (p *MonSubscribeAck) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U32(p.Interval)
	e.UUID(p.FSID)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *MonSubscribeAck) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Interval = d.U32()
		p.FSID = UUID{}
		if !d.Done() {
			p.FSID = d.UUID()
		}
	})
}

// Auth protocols (CEPH_AUTH_*).
const (
	AuthUnknown = 0
	AuthNone    = 1
	AuthCephX   = 2
)

// Auth (CEPH_MSG_AUTH, v1) is a client's first message to a mon: Paxos
// header, protocol, an opaque auth payload, the monmap epoch it has.
// With Protocol 0 the payload is an AuthHello (see EncodeAuthHello).
type Auth struct {
	Paxos       Paxos
	Protocol    uint32
	AuthPayload []byte
	MonmapEpoch uint32
}

// Type implements Payload.
func (*Auth) Type() uint16 { return TypeAuth }

// EncodeTo implements Payload.
func (p *Auth) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.U32(p.Protocol)
	e.Bufferlist(p.AuthPayload)
	e.U32(p.MonmapEpoch)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *Auth) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.Protocol = d.U32()
		p.AuthPayload = d.Bufferlist()
		p.MonmapEpoch = 0
		if !d.Done() {
			p.MonmapEpoch = d.U32()
		}
	})
}

// AuthHello is the payload of a client's first MAuth (protocol 0), as
// MonClient builds it: u8 struct version 1, the protocols it supports
// (set<u32>), its EntityName, and the global id it had (0 if none).
type AuthHello struct {
	Protocols []uint32
	Name      AuthName
	GlobalID  uint64
}

// EncodeAuthHello returns the bytes of h.
func EncodeAuthHello(h AuthHello) []byte {
	e := NewEncoder(nil)
	e.U8(1)
	EncodeSlice(e, h.Protocols, (*Encoder).U32)
	e.AuthName(h.Name)
	e.U64(h.GlobalID)
	return e.Bytes()
}

// DecodeAuthHello parses the payload of a protocol-0 MAuth.
func DecodeAuthHello(b []byte) (AuthHello, error) {
	d := NewDecoder(b)
	var h AuthHello
	if v := d.U8(); d.Err() == nil && v != 1 {
		d.Fail(fmt.Errorf("%w: auth hello version %d", ErrMalformed, v))
	}
	h.Protocols = DecodeSlice(d, 4, (*Decoder).U32)
	h.Name = d.AuthName()
	h.GlobalID = d.U64()
	return h, d.Err()
}

// AuthReply (CEPH_MSG_AUTH_REPLY, v1): the mon's answer; with auth none,
// result 0 and the client's new global id.
type AuthReply struct {
	Protocol  uint32
	Result    int32
	GlobalID  uint64
	ResultBL  []byte
	ResultMsg string
}

// Type implements Payload.
func (*AuthReply) Type() uint16 { return TypeAuthReply }

// EncodeTo implements Payload.
func (p *AuthReply) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U32(p.Protocol)
	e.S32(p.Result)
	e.U64(p.GlobalID)
	e.Bufferlist(p.ResultBL)
	e.String(p.ResultMsg)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *AuthReply) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Protocol = d.U32()
		p.Result = d.S32()
		p.GlobalID = d.U64()
		p.ResultBL = d.Bufferlist()
		p.ResultMsg = d.String()
	})
}

// MonGetVersion (CEPH_MSG_MON_GET_VERSION, v1): ask for the newest epoch of
// a map ("osdmap", "mdsmap", ...). Handle matches the reply to the request.
type MonGetVersion struct {
	Handle uint64
	What   string
}

// Type implements Payload.
func (*MonGetVersion) Type() uint16 { return TypeMonGetVersion }

// EncodeTo implements Payload.
func (p *MonGetVersion) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U64(p.Handle)
	e.String(p.What)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *MonGetVersion) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Handle = d.U64()
		p.What = d.String()
	})
}

// MonGetVersionReply (CEPH_MSG_MON_GET_VERSION_REPLY, v2): the newest and
// oldest epochs the mon has.
type MonGetVersionReply struct {
	Handle        uint64
	Version       uint64
	OldestVersion uint64
}

// Type implements Payload.
func (*MonGetVersionReply) Type() uint16 { return TypeMonGetVersionReply }

// EncodeTo implements Payload.
func (p *MonGetVersionReply) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U64(p.Handle)
	e.U64(p.Version)
	e.U64(p.OldestVersion)
	setHeader(m, 2, 2, e)
}

// DecodeFrom implements Payload.
func (p *MonGetVersionReply) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Handle = d.U64()
		p.Version = d.U64()
		p.OldestVersion = 0
		if m.Version >= 2 {
			p.OldestVersion = d.U64()
		}
	})
}

// MonCommand (MSG_MON_COMMAND, v1): a command as JSON strings in Cmd, its
// input in the data segment. The reply carries the same header Tid.
type MonCommand struct {
	Paxos Paxos
	FSID  UUID
	Cmd   []string
	Inbuf []byte // the data segment
}

// Type implements Payload.
func (*MonCommand) Type() uint16 { return TypeMonCommand }

// EncodeTo implements Payload.
func (p *MonCommand) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.UUID(p.FSID)
	e.Strings(p.Cmd)
	setHeader(m, 1, 1, e)
	m.Data = p.Inbuf
}

// DecodeFrom implements Payload.
func (p *MonCommand) DecodeFrom(m *msgr.Message) error {
	p.Inbuf = m.Data
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.FSID = d.UUID()
		p.Cmd = d.Strings()
	})
}

// MonCommandAck (MSG_MON_COMMAND_ACK, v1): result code, status string, the
// command echoed, output in the data segment.
type MonCommandAck struct {
	Paxos  Paxos
	R      int32
	RS     string
	Cmd    []string
	Outbuf []byte // the data segment
}

// Type implements Payload.
func (*MonCommandAck) Type() uint16 { return TypeMonCommandAck }

// EncodeTo implements Payload.
func (p *MonCommandAck) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.S32(p.R)
	e.String(p.RS)
	e.Strings(p.Cmd)
	setHeader(m, 1, 1, e)
	m.Data = p.Outbuf
}

// DecodeFrom implements Payload.
func (p *MonCommandAck) DecodeFrom(m *msgr.Message) error {
	p.Outbuf = m.Data
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.R = d.S32()
		p.RS = d.String()
		p.Cmd = d.Strings()
	})
}

// Log priorities (clog_type).
const (
	LogDebug = 0
	LogInfo  = 1
	LogSec   = 2
	LogWarn  = 3
	LogError = 4
)

// LogEntry is Ceph's LogEntry (struct v5): who logged (auth name, rank,
// addresses), when, its sequence number, priority, text and channel.
type LogEntry struct {
	Name    AuthName
	Rank    wire.EntityName
	Addrs   []wire.EntityAddr
	Stamp   Utime
	Seq     uint64
	Prio    uint16
	Msg     string
	Channel string
}

func (l LogEntry) encode(e *Encoder) {
	st := e.StartStruct(5, 5)
	e.AuthName(l.Name)
	e.EntityName(l.Rank)
	e.AddrVec(l.Addrs)
	e.Utime(l.Stamp)
	e.U64(l.Seq)
	e.U16(l.Prio)
	e.String(l.Msg)
	e.String(l.Channel)
	e.FinishStruct(st)
}

func decodeLogEntry(d *Decoder) LogEntry {
	st := d.StartStruct(5, "LogEntry")
	var l LogEntry
	if d.Err() == nil && st.V < 5 {
		d.Fail(fmt.Errorf("%w: LogEntry v%d (pre-nautilus) not supported", ErrIncompatible, st.V))
		return l
	}
	l.Name = d.AuthName()
	l.Rank = d.EntityName()
	l.Addrs = d.AddrVec()
	l.Stamp = d.Utime()
	l.Seq = d.U64()
	l.Prio = d.U16()
	l.Msg = d.String()
	l.Channel = d.String()
	d.FinishStruct(st, "LogEntry")
	return l
}

// Log (MSG_LOG, v1): cluster log entries a daemon sends to the mon.
type Log struct {
	Paxos   Paxos
	FSID    UUID
	Entries []LogEntry
}

// Type implements Payload.
func (*Log) Type() uint16 { return TypeLog }

// EncodeTo implements Payload.
func (p *Log) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.UUID(p.FSID)
	EncodeSlice(e, p.Entries, func(e *Encoder, v LogEntry) { v.encode(e) })
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *Log) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.FSID = d.UUID()
		p.Entries = DecodeSlice(d, 6, decodeLogEntry)
	})
}

// LogAck (MSG_LOGACK, v1): the mon has the sender's entries up to Last.
type LogAck struct {
	FSID    UUID
	Last    uint64
	Channel string
}

// Type implements Payload.
func (*LogAck) Type() uint16 { return TypeLogAck }

// EncodeTo implements Payload.
func (p *LogAck) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.UUID(p.FSID)
	e.U64(p.Last)
	e.String(p.Channel)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *LogAck) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.FSID = d.UUID()
		p.Last = d.U64()
		p.Channel = ""
		if !d.Done() {
			p.Channel = d.String()
		}
	})
}

// Config (MSG_CONFIG, v1): the config options the mon wants a daemon to
// use, name to value.
type Config struct {
	Config map[string]string
}

// Type implements Payload.
func (*Config) Type() uint16 { return TypeConfig }

// EncodeTo implements Payload.
func (p *Config) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.StringMap(p.Config)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *Config) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) { p.Config = d.StringMap() })
}
