package wire

import (
	"encoding/binary"
	"fmt"
)

var le = binary.LittleEndian

// Timespec is ceph_timespec as KEEPALIVE2 and KEEPALIVE2_ACK carry it.
type Timespec struct {
	Sec  uint32
	Nsec uint32
}

// Lengths of the small fixed items.
const (
	SeqLen      = 8             // le64 after a TagSeq reply, and the client's answer
	TimespecLen = 8             // ceph_timespec
	MsgHeadLen  = 1 + HeaderLen // TagMsg + header, what AppendMessageHead writes
	AddrPairLen = 2 * AddrLen   // the server's own address and the peer's as seen
)

// AppendBanner appends the 9-byte "ceph v027" banner.
func AppendBanner(dst []byte) []byte { return append(dst, Banner...) }

// CheckBanner reports whether b starts with the v1 banner.
func CheckBanner(b []byte) error {
	if len(b) < BannerLen {
		return fmt.Errorf("%w: banner needs %d bytes, have %d", ErrShort, BannerLen, len(b))
	}
	if string(b[:BannerLen]) != Banner {
		return fmt.Errorf("%w: %q", ErrBadBanner, b[:BannerLen])
	}
	return nil
}

// AppendSeq appends a bare le64, as the handshake exchanges in_seq.
func AppendSeq(dst []byte, seq uint64) []byte { return le.AppendUint64(dst, seq) }

// AppendConnect appends the 33-byte ceph_msg_connect; the caller appends
// c.AuthorizerLen bytes of authorizer after it.
func AppendConnect(dst []byte, c *Connect) []byte {
	dst = le.AppendUint64(dst, c.Features)
	dst = le.AppendUint32(dst, c.HostType)
	dst = le.AppendUint32(dst, c.GlobalSeq)
	dst = le.AppendUint32(dst, c.ConnectSeq)
	dst = le.AppendUint32(dst, c.ProtocolVersion)
	dst = le.AppendUint32(dst, c.AuthorizerProtocol)
	dst = le.AppendUint32(dst, c.AuthorizerLen)
	return append(dst, c.Flags)
}

// DecodeConnect decodes the first 33 bytes of b (the authorizer is not read).
func DecodeConnect(b []byte) (Connect, error) {
	if len(b) < ConnectLen {
		return Connect{}, fmt.Errorf("%w: connect needs %d bytes, have %d", ErrShort, ConnectLen, len(b))
	}
	return Connect{
		Features:           le.Uint64(b[0:]),
		HostType:           le.Uint32(b[8:]),
		GlobalSeq:          le.Uint32(b[12:]),
		ConnectSeq:         le.Uint32(b[16:]),
		ProtocolVersion:    le.Uint32(b[20:]),
		AuthorizerProtocol: le.Uint32(b[24:]),
		AuthorizerLen:      le.Uint32(b[28:]),
		Flags:              b[32],
	}, nil
}

// AppendConnectReply appends the 26-byte ceph_msg_connect_reply (tag first);
// the authorizer, and after TagSeq an le64, follow it on the wire.
func AppendConnectReply(dst []byte, r *ConnectReply) []byte {
	dst = append(dst, r.Tag)
	dst = le.AppendUint64(dst, r.Features)
	dst = le.AppendUint32(dst, r.GlobalSeq)
	dst = le.AppendUint32(dst, r.ConnectSeq)
	dst = le.AppendUint32(dst, r.ProtocolVersion)
	dst = le.AppendUint32(dst, r.AuthorizerLen)
	return append(dst, r.Flags)
}

// DecodeConnectReply decodes the first 26 bytes of b. Any tag value is
// accepted: the connection decides what each means.
func DecodeConnectReply(b []byte) (ConnectReply, error) {
	if len(b) < ConnectReplyLen {
		return ConnectReply{}, fmt.Errorf("%w: connect_reply needs %d bytes, have %d", ErrShort, ConnectReplyLen, len(b))
	}
	return ConnectReply{
		Tag:             b[0],
		Features:        le.Uint64(b[1:]),
		GlobalSeq:       le.Uint32(b[9:]),
		ConnectSeq:      le.Uint32(b[13:]),
		ProtocolVersion: le.Uint32(b[17:]),
		AuthorizerLen:   le.Uint32(b[21:]),
		Flags:           b[25],
	}, nil
}

// AppendHeader appends the 53-byte ceph_msg_header with its crc
// (CRC32C(0, first 49 bytes)) computed here.
func AppendHeader(dst []byte, h *Header) []byte {
	var b [HeaderLen]byte
	putHeader(&b, h)
	return append(dst, b[:]...)
}

// putHeader encodes h with its crc into b, without allocating.
func putHeader(b *[HeaderLen]byte, h *Header) {
	le.PutUint64(b[0:], h.Seq)
	le.PutUint64(b[8:], h.Tid)
	le.PutUint16(b[16:], h.Type)
	le.PutUint16(b[18:], h.Priority)
	le.PutUint16(b[20:], h.Version)
	le.PutUint32(b[22:], h.FrontLen)
	le.PutUint32(b[26:], h.MiddleLen)
	le.PutUint32(b[30:], h.DataLen)
	le.PutUint16(b[34:], h.DataOff)
	b[36] = h.Src.Type
	le.PutUint64(b[37:], uint64(h.Src.Num))
	le.PutUint16(b[45:], h.CompatVersion)
	le.PutUint16(b[47:], h.Reserved)
	le.PutUint32(b[HeaderCRCLen:], CRC32C(0, b[:HeaderCRCLen]))
}

// DecodeHeader decodes the first 53 bytes of b and verifies the header crc.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("%w: header needs %d bytes, have %d", ErrShort, HeaderLen, len(b))
	}
	if got, want := CRC32C(0, b[:HeaderCRCLen]), le.Uint32(b[HeaderCRCLen:]); got != want {
		return Header{}, fmt.Errorf("%w: computed %#08x, header says %#08x", ErrHeaderCRC, got, want)
	}
	return decodeHeader(b), nil
}

// decodeHeader decodes without the crc check; b has at least HeaderLen bytes.
func decodeHeader(b []byte) Header {
	_ = b[HeaderLen-1]
	return Header{
		Seq:           le.Uint64(b[0:]),
		Tid:           le.Uint64(b[8:]),
		Type:          le.Uint16(b[16:]),
		Priority:      le.Uint16(b[18:]),
		Version:       le.Uint16(b[20:]),
		FrontLen:      le.Uint32(b[22:]),
		MiddleLen:     le.Uint32(b[26:]),
		DataLen:       le.Uint32(b[30:]),
		DataOff:       le.Uint16(b[34:]),
		Src:           EntityName{Type: b[36], Num: int64(le.Uint64(b[37:]))},
		CompatVersion: le.Uint16(b[45:]),
		Reserved:      le.Uint16(b[47:]),
	}
}

// AppendFooter appends the 21-byte ceph_msg_footer.
func AppendFooter(dst []byte, f *Footer) []byte {
	var b [FooterLen]byte
	putFooter(&b, f)
	return append(dst, b[:]...)
}

func putFooter(b *[FooterLen]byte, f *Footer) {
	le.PutUint32(b[0:], f.FrontCRC)
	le.PutUint32(b[4:], f.MiddleCRC)
	le.PutUint32(b[8:], f.DataCRC)
	le.PutUint64(b[12:], f.Sig)
	b[20] = f.Flags
}

// DecodeFooter decodes the first 21 bytes of b. Crcs are checked against the
// segments by Footer.Check, not here.
func DecodeFooter(b []byte) (Footer, error) {
	if len(b) < FooterLen {
		return Footer{}, fmt.Errorf("%w: footer needs %d bytes, have %d", ErrShort, FooterLen, len(b))
	}
	return decodeFooter(b), nil
}

func decodeFooter(b []byte) Footer {
	_ = b[FooterLen-1]
	return Footer{
		FrontCRC:  le.Uint32(b[0:]),
		MiddleCRC: le.Uint32(b[4:]),
		DataCRC:   le.Uint32(b[8:]),
		Sig:       le.Uint64(b[12:]),
		Flags:     b[20],
	}
}

// FooterFor returns the footer Ceph writes for these segments: their crcs and
// FooterComplete, no signature.
func FooterFor(front, middle, data []byte) Footer {
	return Footer{
		FrontCRC:  segCRC(front),
		MiddleCRC: segCRC(middle),
		DataCRC:   segCRC(data),
		Flags:     FooterComplete,
	}
}

// Check verifies the segment crcs as Ceph's decode_message does: not at all
// when FooterNoCRC is set; the error wraps ErrFrontCRC, ErrMiddleCRC or
// ErrDataCRC.
func (f *Footer) Check(front, middle, data []byte) error {
	if f.Flags&FooterNoCRC != 0 {
		return nil
	}
	if c := segCRC(front); c != f.FrontCRC {
		return fmt.Errorf("%w: computed %#08x, footer says %#08x", ErrFrontCRC, c, f.FrontCRC)
	}
	if c := segCRC(middle); c != f.MiddleCRC {
		return fmt.Errorf("%w: computed %#08x, footer says %#08x", ErrMiddleCRC, c, f.MiddleCRC)
	}
	if c := segCRC(data); c != f.DataCRC {
		return fmt.Errorf("%w: computed %#08x, footer says %#08x", ErrDataCRC, c, f.DataCRC)
	}
	return nil
}

// segCRC is CRC32C(0, b), skipping the call for the common empty segment.
func segCRC(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return CRC32C(0, b)
}

// DecodeTimespec decodes the 8-byte ceph_timespec at the start of b.
func DecodeTimespec(b []byte) (Timespec, error) {
	if len(b) < TimespecLen {
		return Timespec{}, fmt.Errorf("%w: timespec needs %d bytes, have %d", ErrShort, TimespecLen, len(b))
	}
	return Timespec{Sec: le.Uint32(b), Nsec: le.Uint32(b[4:])}, nil
}

// AppendTimespec appends the 8-byte ceph_timespec.
func AppendTimespec(dst []byte, t Timespec) []byte {
	return le.AppendUint32(le.AppendUint32(dst, t.Sec), t.Nsec)
}
