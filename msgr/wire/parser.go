package wire

import "fmt"

// Kind is what a Frame holds, and what a Parser can be told to expect.
type Kind uint8

// Frame kinds. The handshake kinds are read only when expected (see
// Parser.Expect); the tagged kinds are read in the open state.
const (
	KindNone          Kind = iota
	KindBanner             // 9-byte banner, checked
	KindAddr               // one entity_addr_t (a client's own address): Addrs[0]
	KindAddrPair           // server's own address, then the peer's as seen: Addrs[0], Addrs[1]
	KindConnect            // ceph_msg_connect + Authorizer
	KindConnectReply       // ceph_msg_connect_reply + Authorizer (after TagSeq an le64 follows: expect KindSeq)
	KindSeq                // bare le64: Seq
	KindOpen               // expectation only: tag-prefixed frames from here on
	KindMsg                // TagMsg: Header, Front, Middle, Data, Footer
	KindAck                // TagAck: Seq
	KindKeepalive          // TagKeepalive
	KindKeepalive2         // TagKeepalive2: Stamp
	KindKeepalive2Ack      // TagKeepalive2Ack: Stamp
	KindClose              // TagClose
	KindMsgHeader          // a MSG header that passed its checks, its segments still to come (Parser.EmitHeaders): Header
)

var kindNames = [...]string{"none", "banner", "addr", "addr pair", "connect",
	"connect_reply", "seq", "open", "msg", "ack", "keepalive", "keepalive2",
	"keepalive2_ack", "close", "msg header"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Frame is one decoded item. Only the fields of its Kind are meaningful;
// the others hold leftovers. Every slice in it is owned by the receiver
// (never aliases parser input), but the Frame itself is reused by the Parser.
type Frame struct {
	Kind Kind

	Addrs      [2]EntityAddr // KindAddr: [0]; KindAddrPair: both
	Connect    Connect       // KindConnect
	Reply      ConnectReply  // KindConnectReply
	Authorizer []byte        // KindConnect, KindConnectReply; nil when empty
	Seq        uint64        // KindSeq, KindAck
	Stamp      Timespec      // KindKeepalive2, KindKeepalive2Ack

	// KindMsg (Header also for KindMsgHeader). Front, Middle and Data are
	// sub-slices (with capped capacity) of one buffer holding exactly this
	// message's segments; nil when empty. If
	// Footer.Flags lacks FooterComplete the sender aborted the message: its
	// crcs were not checked and Ceph drops it.
	Header Header
	Footer Footer
	Front  []byte
	Middle []byte
	Data   []byte
}

// Default limits.
const (
	DefaultMaxMessageLen    = 64 << 20 // front+middle+data
	DefaultMaxAuthorizerLen = 64 << 10
)

// parser states: what the next input byte belongs to.
type pstate uint8

const (
	stIdle pstate = iota
	stBanner
	stAddr
	stAddrPair
	stConnect
	stReply
	stAuth // authorizer of a connect or reply
	stSeq
	stTag
	stAck
	stKeepalive2
	stKeepalive2Ack
	stHeader
	stSegments
	stFooter
	stFailed
)

var stateNames = [...]string{"idle", "banner", "addr", "addr pair", "connect",
	"connect_reply", "authorizer", "seq", "tag", "ack", "keepalive2",
	"keepalive2_ack", "msg header", "msg segments", "msg footer", "failed"}

const maxQueue = 8

// Parser is the incremental v1 frame parser kept on a connection. Feed it
// whatever the socket returned, in any chunking: a frame split at any byte
// decodes exactly as if it had arrived whole. It never retains the input;
// bytes of a partial fixed-size item wait in a small scratch array, and
// message segments (and authorizers) are copied into a buffer that grows as
// their bytes arrive, never past the size the header claimed: a peer that
// announces 60 MiB and sends 1 KiB costs about 4 KiB, not 60 MiB.
// Growth quadruples, so a large message costs a third of a copy of itself
// (and as much garbage); Direct lets a caller read the bulk straight into
// the buffer.
//
// The zero Parser expects nothing: tell it what comes next with Expect. A
// Parser is used by one goroutine at a time.
type Parser struct {
	// MaxMessageLen caps front+middle+data of one message and
	// MaxAuthorizerLen an authorizer; 0 means the default. A header or
	// connect claiming more is rejected before anything is allocated.
	MaxMessageLen    int
	MaxAuthorizerLen int
	// EmitHeaders makes Next return each message header that passed its
	// checks as a KindMsgHeader frame, before any of its segments is read:
	// a caller that cannot take the message yet stops feeding there and
	// feeds the rest later (nothing is allocated for it meanwhile).
	EmitHeaders bool

	st       pstate
	queue    [maxQueue]Kind
	qhead    int
	qlen     int
	off      int64 // stream offset of the next byte to consume
	frameOff int64 // stream offset of the first byte of the current frame
	err      error

	have    int               // bytes of the current fixed item in scratch
	scratch [AddrPairLen]byte // largest fixed item

	buf     []byte // message segments or authorizer received so far; grows up to want
	want    int    // size of the item buf is filling
	authFor Kind   // KindConnect or KindConnectReply while in stAuth

	f Frame
}

// Reset returns p to its zero state (nothing expected, offset 0), keeping the
// limits and EmitHeaders. A partly received item is dropped.
func (p *Parser) Reset() {
	*p = Parser{MaxMessageLen: p.MaxMessageLen, MaxAuthorizerLen: p.MaxAuthorizerLen, EmitHeaders: p.EmitHeaders}
}

// Held is the bytes allocated for the message (or authorizer) being
// received: a small multiple of what has arrived of it (at most 20
// times, plus 4 KiB or what Direct asked for), never more than its
// claimed size.
func (p *Parser) Held() int { return cap(p.buf) }

// Offset is the stream offset of the next byte the parser will consume.
func (p *Parser) Offset() int64 { return p.off }

// Partial reports whether the parser holds the beginning of a frame it has
// not completed: at EOF that means the peer stopped mid-frame.
func (p *Parser) Partial() bool { return p.off > p.frameOff && p.st != stFailed }

// Expect queues the handshake items the peer will send next, in order.
// KindOpen, which must come last, switches to tag-prefixed frames for good.
// Expect can be called from inside a Feed callback, which is how a
// connection decides, frame by frame, what comes next.
func (p *Parser) Expect(kinds ...Kind) error {
	if p.st == stFailed {
		return p.err
	}
	if p.st >= stTag {
		return fmt.Errorf("%w: already open", ErrBadExpect)
	}
	if p.qlen+len(kinds) > maxQueue {
		return fmt.Errorf("%w: more than %d queued", ErrBadExpect, maxQueue)
	}
	if len(kinds) > 0 && p.qlen > 0 && p.queue[(p.qhead+p.qlen-1)%maxQueue] == KindOpen {
		return fmt.Errorf("%w: %v after open", ErrBadExpect, kinds[0])
	}
	for i, k := range kinds { // all or nothing
		if k < KindBanner || k > KindOpen || (k == KindOpen && i != len(kinds)-1) {
			return fmt.Errorf("%w: %v", ErrBadExpect, k)
		}
	}
	for _, k := range kinds {
		p.queue[(p.qhead+p.qlen)%maxQueue] = k
		p.qlen++
	}
	if p.st == stIdle {
		p.pop()
	}
	return nil
}

// pop moves to the state of the next queued expectation, or idle.
func (p *Parser) pop() {
	if p.qlen == 0 {
		p.st = stIdle
		return
	}
	k := p.queue[p.qhead]
	p.qhead = (p.qhead + 1) % maxQueue
	p.qlen--
	switch k {
	case KindBanner:
		p.st = stBanner
	case KindAddr:
		p.st = stAddr
	case KindAddrPair:
		p.st = stAddrPair
	case KindConnect:
		p.st = stConnect
	case KindConnectReply:
		p.st = stReply
	case KindSeq:
		p.st = stSeq
	case KindOpen:
		p.st = stTag
	}
}

func (p *Parser) maxMsg() uint64 {
	if p.MaxMessageLen > 0 {
		return uint64(p.MaxMessageLen)
	}
	return DefaultMaxMessageLen
}

func (p *Parser) maxAuth() uint64 {
	if p.MaxAuthorizerLen > 0 {
		return uint64(p.MaxAuthorizerLen)
	}
	return DefaultMaxAuthorizerLen
}

// fail records a sticky ParseError for the current frame.
func (p *Parser) fail(err error) error {
	pe := &ParseError{State: stateNames[p.st], Offset: p.frameOff, Err: err}
	p.st, p.err, p.buf = stFailed, pe, nil
	return pe
}

// Feed parses all of b, calling fn for each complete frame (fn may call
// Expect). It returns the bytes consumed, which is len(b) unless an error
// (from the parser, or fn's own, returned as is) stopped it early.
func (p *Parser) Feed(b []byte, fn func(*Frame) error) (int, error) {
	n := 0
	for n < len(b) {
		f, m, err := p.Next(b[n:])
		n += m
		if err != nil {
			return n, err
		}
		if f == nil {
			break
		}
		if err := fn(f); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Next consumes bytes from b until one frame is complete and returns it with
// the count consumed. A nil frame means all of b was consumed (and kept as
// far as needed) and more input is required. Bytes arriving while nothing is
// expected fail with ErrUnexpected. The returned *Frame is reused by the next
// call.
func (p *Parser) Next(b []byte) (*Frame, int, error) {
	n := 0
	for {
		switch p.st {
		case stFailed:
			return nil, n, p.err

		case stIdle:
			p.off += int64(n)
			if n < len(b) {
				return nil, n, p.fail(ErrUnexpected)
			}
			return nil, n, nil

		case stTag:
			if n == len(b) {
				p.off += int64(n)
				return nil, n, nil
			}
			tag := b[n]
			n++
			switch tag {
			case TagMsg:
				p.st = stHeader
			case TagAck:
				p.st = stAck
			case TagKeepalive2:
				p.st = stKeepalive2
			case TagKeepalive2Ack:
				p.st = stKeepalive2Ack
			case TagKeepalive:
				return p.emit(KindKeepalive, n)
			case TagClose:
				return p.emit(KindClose, n)
			default:
				p.off += int64(n - 1)
				return nil, n - 1, p.fail(fmt.Errorf("%w: %d", ErrUnknownTag, tag))
			}

		case stHeader:
			h, ok := p.fixed(b, &n, HeaderLen)
			if !ok {
				return p.more(n)
			}
			if got, want := CRC32C(0, h[:HeaderCRCLen]), le.Uint32(h[HeaderCRCLen:]); got != want {
				p.off += int64(n)
				return nil, n, p.fail(fmt.Errorf("%w: computed %#08x, header says %#08x", ErrHeaderCRC, got, want))
			}
			p.f.Header = decodeHeader(h)
			hd := &p.f.Header
			total := uint64(hd.FrontLen) + uint64(hd.MiddleLen) + uint64(hd.DataLen)
			if total > p.maxMsg() {
				p.off += int64(n)
				return nil, n, p.fail(fmt.Errorf("%w: message of %d bytes (front %d, middle %d, data %d), max %d",
					ErrTooLarge, total, hd.FrontLen, hd.MiddleLen, hd.DataLen, p.maxMsg()))
			}
			// Nothing is allocated yet: the claim costs only when bytes come.
			p.buf, p.want = nil, int(total)
			p.st = stSegments
			if total == 0 {
				p.st = stFooter
			}
			if p.EmitHeaders {
				p.off += int64(n)
				p.f.Kind = KindMsgHeader
				return &p.f, n, nil
			}

		case stSegments:
			n += p.fill(b[n:])
			if len(p.buf) < p.want {
				return p.more(n)
			}
			p.st = stFooter

		case stFooter:
			fb, ok := p.fixed(b, &n, FooterLen)
			if !ok {
				return p.more(n)
			}
			f := &p.f
			f.Footer = decodeFooter(fb)
			fl, ml := int(f.Header.FrontLen), int(f.Header.MiddleLen)
			buf := p.buf
			p.buf = nil
			f.Front, f.Middle, f.Data = nil, nil, nil
			if fl > 0 {
				f.Front = buf[:fl:fl]
			}
			if ml > 0 {
				f.Middle = buf[fl : fl+ml : fl+ml]
			}
			if len(buf) > fl+ml {
				f.Data = buf[fl+ml:]
			}
			if f.Footer.Flags&FooterComplete != 0 {
				if err := f.Footer.Check(f.Front, f.Middle, f.Data); err != nil {
					p.off += int64(n)
					return nil, n, p.fail(err)
				}
			}
			return p.emit(KindMsg, n)

		case stAck, stSeq:
			v, ok := p.fixed(b, &n, SeqLen)
			if !ok {
				return p.more(n)
			}
			p.f.Seq = le.Uint64(v)
			if p.st == stAck {
				return p.emit(KindAck, n)
			}
			return p.emit(KindSeq, n)

		case stKeepalive2, stKeepalive2Ack:
			v, ok := p.fixed(b, &n, TimespecLen)
			if !ok {
				return p.more(n)
			}
			p.f.Stamp = Timespec{Sec: le.Uint32(v), Nsec: le.Uint32(v[4:])}
			if p.st == stKeepalive2 {
				return p.emit(KindKeepalive2, n)
			}
			return p.emit(KindKeepalive2Ack, n)

		case stBanner:
			v, ok := p.fixed(b, &n, BannerLen)
			if !ok {
				return p.more(n)
			}
			if err := CheckBanner(v); err != nil {
				p.off += int64(n)
				return nil, n, p.fail(err)
			}
			return p.emit(KindBanner, n)

		case stAddr, stAddrPair:
			size := AddrLen
			if p.st == stAddrPair {
				size = AddrPairLen
			}
			v, ok := p.fixed(b, &n, size)
			if !ok {
				return p.more(n)
			}
			for i := 0; i*AddrLen < size; i++ {
				a, err := DecodeAddr(v[i*AddrLen:])
				if err != nil {
					p.off += int64(n)
					return nil, n, p.fail(err)
				}
				p.f.Addrs[i] = a
			}
			if p.st == stAddr {
				p.f.Addrs[1] = EntityAddr{}
				return p.emit(KindAddr, n)
			}
			return p.emit(KindAddrPair, n)

		case stConnect, stReply:
			var alen uint32
			kind := KindConnect
			if p.st == stConnect {
				v, ok := p.fixed(b, &n, ConnectLen)
				if !ok {
					return p.more(n)
				}
				p.f.Connect, _ = DecodeConnect(v)
				alen = p.f.Connect.AuthorizerLen
			} else {
				v, ok := p.fixed(b, &n, ConnectReplyLen)
				if !ok {
					return p.more(n)
				}
				p.f.Reply, _ = DecodeConnectReply(v)
				alen = p.f.Reply.AuthorizerLen
				kind = KindConnectReply
			}
			if uint64(alen) > p.maxAuth() {
				p.off += int64(n)
				return nil, n, p.fail(fmt.Errorf("%w: authorizer of %d bytes, max %d", ErrTooLarge, alen, p.maxAuth()))
			}
			p.f.Authorizer = nil
			if alen == 0 {
				return p.emit(kind, n)
			}
			p.authFor = kind
			p.buf, p.want = nil, int(alen)
			p.st = stAuth

		case stAuth:
			n += p.fill(b[n:])
			if len(p.buf) < p.want {
				return p.more(n)
			}
			p.f.Authorizer = p.buf
			p.buf = nil
			return p.emit(p.authFor, n)
		}
	}
}

// minGrow is the smallest allocation for a segment or authorizer buffer
// that is not its whole size: small enough that a bare claim costs little,
// large enough that trickled bytes do not reallocate at every read.
const minGrow = 4 << 10

// grow makes room for k more bytes of the item being received. The buffer
// grows fourfold (doubling would copy the whole message once more and
// leave as much garbage), and straight to the claimed size once that is
// within one more step (and a bit: reads leave odd sizes), rather than
// after a step just short of it: a 4 MiB message takes 64 KiB, 256 KiB,
// then 4 MiB. A complete item's buffer is exactly its size.
func (p *Parser) grow(k int) {
	have := len(p.buf)
	if cap(p.buf)-have >= k {
		return
	}
	n := max(have+k, 4*cap(p.buf), minGrow)
	if 5*n >= p.want {
		n = p.want
	}
	nb := make([]byte, have, n)
	copy(nb, p.buf)
	p.buf = nb
}

// fill appends what b holds of the item being received and returns the
// count taken.
func (p *Parser) fill(b []byte) int {
	k := min(len(b), p.want-len(p.buf))
	if k == 0 {
		return 0
	}
	p.grow(k)
	p.buf = append(p.buf, b[:k]...)
	return k
}

// Direct returns room in the buffer of the message being read when at
// least min bytes of it remain, else nil: a caller reads into it straight
// from the socket, saving a copy of large messages, then reports the count
// with Filled before any other call. The room (min bytes or more, never
// past the message's segments) is allocated by this call, as the
// buffer's growth: ask only when min bytes are likely to come.
func (p *Parser) Direct(min int) []byte {
	if p.st != stSegments || p.want-len(p.buf) < min {
		return nil
	}
	p.grow(min)
	return p.buf[len(p.buf):cap(p.buf)]
}

// Filled records n bytes read into Direct's slice (n no more than its
// length).
func (p *Parser) Filled(n int) {
	p.buf = p.buf[:len(p.buf)+n]
	p.off += int64(n)
	if len(p.buf) >= p.want {
		p.st = stFooter
	}
}

// more ends a call that ran out of input mid-frame.
func (p *Parser) more(n int) (*Frame, int, error) {
	p.off += int64(n)
	return nil, n, nil
}

// emit completes a frame of kind k after n bytes of this call.
func (p *Parser) emit(k Kind, n int) (*Frame, int, error) {
	p.off += int64(n)
	p.frameOff = p.off
	p.f.Kind = k
	if p.st >= stTag {
		p.st = stTag
	} else {
		p.pop()
	}
	return &p.f, n, nil
}

// fixed returns the k bytes of the current fixed-size item: straight from b
// when they are all there and nothing is pending (the fast path), else via
// the scratch array once enough has accumulated. ok is false when b ran out.
func (p *Parser) fixed(b []byte, n *int, k int) (v []byte, ok bool) {
	rest := b[*n:]
	if p.have == 0 && len(rest) >= k {
		*n += k
		return rest[:k], true
	}
	c := copy(p.scratch[p.have:k], rest)
	p.have += c
	*n += c
	if p.have < k {
		return nil, false
	}
	p.have = 0
	return p.scratch[:k], true
}
