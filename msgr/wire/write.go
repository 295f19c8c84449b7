package wire

import "slices"

// The write side of an open session. A connection writes a message as five
// pieces with one writev: head (tag + header), front, middle, data, tail
// (footer), so payloads are never copied; MessageHeadTail builds head and tail.

// AppendMessageHead appends TagMsg and the header (crc computed). The header's
// lengths must match the segments that follow. It encodes in place in dst's spare capacity: a local array would escape
// (the crc code makes its input escape) and cost an allocation a message.
func AppendMessageHead(dst []byte, h *Header) []byte {
	n := len(dst)
	dst = slices.Grow(dst, MsgHeadLen)[:n+MsgHeadLen]
	dst[n] = TagMsg
	putHeader((*[HeaderLen]byte)(dst[n+1:]), h)
	return dst
}

// MessageHeadTail returns the bytes that go before and after a message's
// segments: TagMsg + header, with FrontLen/MiddleLen/DataLen taken from the
// segments (whatever h says), and the footer with their crcs and
// FooterComplete. Segments over 4 GiB are the caller's bug (Ceph's lengths
// are le32). It costs one small allocation (the crc code makes its input
// escape); PutMessageHeadTail into arrays the connection keeps costs none.
func MessageHeadTail(h Header, front, middle, data []byte) (head [MsgHeadLen]byte, tail [FooterLen]byte) {
	PutMessageHeadTail(&head, &tail, &h, front, middle, data)
	return head, tail
}

// PutMessageHeadTail is MessageHeadTail writing into head and tail, and
// setting h's lengths from the segments.
func PutMessageHeadTail(head *[MsgHeadLen]byte, tail *[FooterLen]byte, h *Header, front, middle, data []byte) {
	h.FrontLen, h.MiddleLen, h.DataLen = uint32(len(front)), uint32(len(middle)), uint32(len(data))
	head[0] = TagMsg
	putHeader((*[HeaderLen]byte)(head[1:]), h)
	f := FooterFor(front, middle, data)
	putFooter(tail, &f)
}

// AppendMessage appends a whole MSG frame (tag, header, segments, footer),
// copying the segments; for tests, tools, and small messages where one
// buffer beats a writev.
func AppendMessage(dst []byte, h Header, front, middle, data []byte) []byte {
	head, tail := MessageHeadTail(h, front, middle, data)
	dst = append(dst, head[:]...)
	dst = append(dst, front...)
	dst = append(dst, middle...)
	dst = append(dst, data...)
	return append(dst, tail[:]...)
}

// AppendAck appends TagAck and the le64 seq being acknowledged.
func AppendAck(dst []byte, seq uint64) []byte {
	return le.AppendUint64(append(dst, TagAck), seq)
}

// AppendKeepalive appends the old, payload-less TagKeepalive.
func AppendKeepalive(dst []byte) []byte { return append(dst, TagKeepalive) }

// AppendKeepalive2 appends TagKeepalive2 and its timestamp.
func AppendKeepalive2(dst []byte, t Timespec) []byte {
	return AppendTimespec(append(dst, TagKeepalive2), t)
}

// AppendKeepalive2Ack appends TagKeepalive2Ack echoing the peer's timestamp.
func AppendKeepalive2Ack(dst []byte, t Timespec) []byte {
	return AppendTimespec(append(dst, TagKeepalive2Ack), t)
}

// AppendClose appends TagClose.
func AppendClose(dst []byte) []byte { return append(dst, TagClose) }

// AppendFrame re-encodes a frame as it was on the wire (handshake items
// included), which is how the tests check that parsing loses nothing.
// KindOpen and KindNone append nothing.
func AppendFrame(dst []byte, f *Frame) []byte {
	switch f.Kind {
	case KindBanner:
		return AppendBanner(dst)
	case KindAddr:
		return AppendAddr(dst, &f.Addrs[0])
	case KindAddrPair:
		return AppendAddr(AppendAddr(dst, &f.Addrs[0]), &f.Addrs[1])
	case KindConnect:
		return append(AppendConnect(dst, &f.Connect), f.Authorizer...)
	case KindConnectReply:
		return append(AppendConnectReply(dst, &f.Reply), f.Authorizer...)
	case KindSeq:
		return AppendSeq(dst, f.Seq)
	case KindMsg:
		dst = AppendMessageHead(dst, &f.Header)
		dst = append(dst, f.Front...)
		dst = append(dst, f.Middle...)
		dst = append(dst, f.Data...)
		return AppendFooter(dst, &f.Footer)
	case KindAck:
		return AppendAck(dst, f.Seq)
	case KindKeepalive:
		return AppendKeepalive(dst)
	case KindKeepalive2:
		return AppendKeepalive2(dst, f.Stamp)
	case KindKeepalive2Ack:
		return AppendKeepalive2Ack(dst, f.Stamp)
	case KindClose:
		return AppendClose(dst)
	}
	return dst
}
