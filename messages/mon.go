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
func (p *MonSubscribe) EncodeTo(m *msgr.Message) { encodePayload(m, p, 3, 1) }

// DecodeFrom implements Payload.
func (p *MonSubscribe) DecodeFrom(m *msgr.Message) error {
	*p = MonSubscribe{}
	return decodePayload(m, p)
}

// denc lists MMonSubscribe's fields. Version 1 clients sent "have" and a
// onetime bool in the same 9 bytes; Ceph turns have into start = have+1.
func (p *MonSubscribe) denc(c Denc, v uint16) {
	DencMap(c, &p.What, 13, Denc.String, func(c Denc, it *SubscribeItem) {
		c.U64(&it.Start)
		c.U8(&it.Flags)
		if v < 2 {
			if it.Start != 0 {
				it.Start++
			}
			if it.Flags != 0 {
				it.Flags = SubscribeOnetime
			}
		}
	})
	if v >= 3 {
		c.String(&p.Hostname)
	}
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
func (p *MonSubscribeAck) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *MonSubscribeAck) DecodeFrom(m *msgr.Message) error {
	*p = MonSubscribeAck{}
	return decodePayload(m, p)
}

func (p *MonSubscribeAck) denc(c Denc, _ uint16) {
	c.U32(&p.Interval)
	if c.More(true) {
		c.UUID(&p.FSID)
	}
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
func (p *Auth) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *Auth) DecodeFrom(m *msgr.Message) error {
	*p = Auth{}
	return decodePayload(m, p)
}

func (p *Auth) denc(c Denc, _ uint16) {
	p.Paxos.denc(c)
	c.U32(&p.Protocol)
	c.Bufferlist(&p.AuthPayload)
	if c.More(true) {
		c.U32(&p.MonmapEpoch)
	}
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
	h.denc(e.Denc())
	return e.Bytes()
}

// DecodeAuthHello parses the payload of a protocol-0 MAuth.
func DecodeAuthHello(b []byte) (AuthHello, error) {
	d := NewDecoder(b)
	var h AuthHello
	h.denc(d.Denc())
	return h, d.Err()
}

func (h *AuthHello) denc(c Denc) {
	v := uint8(1)
	c.U8(&v)
	if v != 1 {
		c.Fail(fmt.Errorf("%w: auth hello version %d", ErrMalformed, v))
	}
	DencSlice(c, &h.Protocols, 4, Denc.U32)
	c.AuthName(&h.Name)
	c.U64(&h.GlobalID)
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
func (p *AuthReply) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *AuthReply) DecodeFrom(m *msgr.Message) error {
	*p = AuthReply{}
	return decodePayload(m, p)
}

func (p *AuthReply) denc(c Denc, _ uint16) {
	c.U32(&p.Protocol)
	c.S32(&p.Result)
	c.U64(&p.GlobalID)
	c.Bufferlist(&p.ResultBL)
	c.String(&p.ResultMsg)
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
func (p *MonGetVersion) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *MonGetVersion) DecodeFrom(m *msgr.Message) error {
	*p = MonGetVersion{}
	return decodePayload(m, p)
}

func (p *MonGetVersion) denc(c Denc, _ uint16) {
	c.U64(&p.Handle)
	c.String(&p.What)
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
func (p *MonGetVersionReply) EncodeTo(m *msgr.Message) { encodePayload(m, p, 2, 2) }

// DecodeFrom implements Payload.
func (p *MonGetVersionReply) DecodeFrom(m *msgr.Message) error {
	*p = MonGetVersionReply{}
	return decodePayload(m, p)
}

func (p *MonGetVersionReply) denc(c Denc, v uint16) {
	c.U64(&p.Handle)
	c.U64(&p.Version)
	if v >= 2 {
		c.U64(&p.OldestVersion)
	}
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
	encodePayload(m, p, 1, 1)
	m.Data = p.Inbuf
}

// DecodeFrom implements Payload.
func (p *MonCommand) DecodeFrom(m *msgr.Message) error {
	*p = MonCommand{Inbuf: m.Data}
	return decodePayload(m, p)
}

func (p *MonCommand) denc(c Denc, _ uint16) {
	p.Paxos.denc(c)
	c.UUID(&p.FSID)
	c.Strings(&p.Cmd)
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
	encodePayload(m, p, 1, 1)
	m.Data = p.Outbuf
}

// DecodeFrom implements Payload.
func (p *MonCommandAck) DecodeFrom(m *msgr.Message) error {
	*p = MonCommandAck{Outbuf: m.Data}
	return decodePayload(m, p)
}

func (p *MonCommandAck) denc(c Denc, _ uint16) {
	p.Paxos.denc(c)
	c.S32(&p.R)
	c.String(&p.RS)
	c.Strings(&p.Cmd)
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

func (l *LogEntry) denc(c Denc) {
	st := c.Start(5, 5, "LogEntry")
	c.MinVersion(st, 5, "pre-nautilus")
	c.AuthName(&l.Name)
	c.EntityName(&l.Rank)
	c.AddrVec(&l.Addrs)
	c.Utime(&l.Stamp)
	c.U64(&l.Seq)
	c.U16(&l.Prio)
	c.String(&l.Msg)
	c.String(&l.Channel)
	c.Finish(st)
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
func (p *Log) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *Log) DecodeFrom(m *msgr.Message) error {
	*p = Log{}
	return decodePayload(m, p)
}

func (p *Log) denc(c Denc, _ uint16) {
	p.Paxos.denc(c)
	c.UUID(&p.FSID)
	DencSlice(c, &p.Entries, 6, elem[LogEntry])
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
func (p *LogAck) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *LogAck) DecodeFrom(m *msgr.Message) error {
	*p = LogAck{}
	return decodePayload(m, p)
}

func (p *LogAck) denc(c Denc, _ uint16) {
	c.UUID(&p.FSID)
	c.U64(&p.Last)
	if c.More(true) {
		c.String(&p.Channel)
	}
}

// Config (MSG_CONFIG, v1): the config options the mon wants a daemon to
// use, name to value.
type Config struct {
	Config map[string]string
}

// Type implements Payload.
func (*Config) Type() uint16 { return TypeConfig }

// EncodeTo implements Payload.
func (p *Config) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *Config) DecodeFrom(m *msgr.Message) error {
	*p = Config{}
	return decodePayload(m, p)
}

func (p *Config) denc(c Denc, _ uint16) { c.StringMap(&p.Config) }
