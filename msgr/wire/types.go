package wire

// Sizes of the fixed v1 structures, as in Ceph's msgr.h.
const (
	BannerLen       = 9   // "ceph v027"
	AddrLen         = 136 // legacy entity_addr_t: type, nonce, sockaddr_storage
	ConnectLen      = 33  // ceph_msg_connect
	ConnectReplyLen = 26  // ceph_msg_connect_reply
	HeaderLen       = 53  // ceph_msg_header
	HeaderCRCLen    = 49  // the header crc covers the bytes before it
	FooterLen       = 21  // ceph_msg_footer
	ProtocolVersion = 15  // CEPH_MONC_PROTOCOL: a client's to a mon (ProtoVersion has every case)
)

// ProtoVersion is the protocol_version a v1 connect (connect true) or
// connect_reply carries, as Ceph's ProtocolV1::get_proto_version: between
// two daemons of one type, that type's internal protocol; else the public
// protocol of the server's type (the peer's when connecting), and 0 for a
// mgr or client server. An OSD refuses a connect whose version is not
// its own (BADPROTOVER).
func ProtoVersion(my, peer uint8, connect bool) uint32 {
	if my == peer {
		switch my {
		case EntityOSD:
			return 10 // CEPH_OSD_PROTOCOL
		case EntityMDS:
			return 32 // CEPH_MDS_PROTOCOL
		case EntityMon:
			return 13 // CEPH_MON_PROTOCOL
		}
		return 0
	}
	server := my
	if connect {
		server = peer
	}
	switch server {
	case EntityOSD:
		return 24 // CEPH_OSDC_PROTOCOL
	case EntityMDS:
		return 32 // CEPH_MDSC_PROTOCOL
	case EntityMon:
		return 15 // CEPH_MONC_PROTOCOL
	}
	return 0
}

// Banner opens every v1 session in both directions.
const Banner = "ceph v027"

// Tags, from msgr.h.
const (
	TagReady         = 1
	TagResetSession  = 2
	TagWait          = 3
	TagRetrySession  = 4
	TagRetryGlobal   = 5
	TagClose         = 6
	TagMsg           = 7
	TagAck           = 8
	TagKeepalive     = 9
	TagBadProtoVer   = 10
	TagBadAuthorizer = 11
	TagFeatures      = 12
	TagSeq           = 13
	TagKeepalive2    = 14
	TagKeepalive2Ack = 15
	// TagChallengeAuthorizer: the server challenges the authorizer (its
	// bytes follow); the client sends its connect again, answering it.
	TagChallengeAuthorizer = 16
)

// Entity types (CEPH_ENTITY_TYPE_*).
const (
	EntityMon    = 0x01
	EntityMDS    = 0x02
	EntityOSD    = 0x04
	EntityClient = 0x08
	EntityMgr    = 0x10
	EntityAuth   = 0x20
)

// EntityName is Ceph's entity_name_t: a type and a number (-1 for "new").
type EntityName struct {
	Type uint8
	Num  int64
}

// EntityAddr is Ceph's entity_addr_t as the v1 handshake carries it (legacy,
// 136 bytes). IP is 4 or 16 bytes; a zero Port with a nil IP is "blank".
type EntityAddr struct {
	Type  uint32 // 0 legacy, 1 msgr v1, 2 msgr v2 (only in the denc form)
	Nonce uint32
	IP    []byte
	Port  uint16
}

// Header is ceph_msg_header without its crc, which is computed on encode and
// checked on decode.
type Header struct {
	Seq           uint64
	Tid           uint64
	Type          uint16
	Priority      uint16
	Version       uint16
	FrontLen      uint32
	MiddleLen     uint32
	DataLen       uint32
	DataOff       uint16
	Src           EntityName
	CompatVersion uint16
	Reserved      uint16
}

// Footer is ceph_msg_footer.
type Footer struct {
	FrontCRC  uint32
	MiddleCRC uint32
	DataCRC   uint32
	Sig       uint64
	Flags     uint8 // FooterComplete | FooterNoCRC | FooterSigned
}

// Footer flags.
const (
	FooterComplete = 1
	FooterNoCRC    = 2
	FooterSigned   = 4
)

// Connect is ceph_msg_connect; the authorizer bytes follow it on the wire.
type Connect struct {
	Features           uint64
	HostType           uint32
	GlobalSeq          uint32
	ConnectSeq         uint32
	ProtocolVersion    uint32
	AuthorizerProtocol uint32
	AuthorizerLen      uint32
	Flags              uint8 // ConnectLossy
}

// ConnectLossy is CEPH_MSG_CONNECT_LOSSY.
const ConnectLossy = 1

// ConnectReply is ceph_msg_connect_reply; authorizer bytes follow it, and
// after TagSeq an le64 acked seq.
type ConnectReply struct {
	Tag             uint8
	Features        uint64
	GlobalSeq       uint32
	ConnectSeq      uint32
	ProtocolVersion uint32
	AuthorizerLen   uint32
	Flags           uint8
}
