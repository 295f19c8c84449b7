package messages

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gomgr/msgr/wire"
)

// UUID is Ceph's uuid_d (an fsid): 16 raw bytes on the wire.
type UUID [16]byte

// String formats u the way Ceph prints an fsid.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Utime is Ceph's utime_t and ceph_timespec: le32 seconds, le32 nanoseconds.
type Utime struct {
	Sec  uint32
	Nsec uint32
}

// UtimeOf converts t, truncating to what utime_t can hold.
func UtimeOf(t time.Time) Utime {
	if t.IsZero() {
		return Utime{}
	}
	return Utime{Sec: uint32(t.Unix()), Nsec: uint32(t.Nanosecond())}
}

// Time converts u back; the zero Utime is the zero time.
func (u Utime) Time() time.Time {
	if u == (Utime{}) {
		return time.Time{}
	}
	return time.Unix(int64(u.Sec), int64(u.Nsec)).UTC()
}

// AuthName is Ceph's EntityName (the cephx identity, "client.admin"):
// le32 type + string id. Not to be confused with wire.EntityName.
type AuthName struct {
	Type uint32
	ID   string
}

// authTypes are the entity types by the names Ceph prints them with.
var authTypes = map[string]uint32{"mon": uint32(wire.EntityMon), "mds": uint32(wire.EntityMDS),
	"osd": uint32(wire.EntityOSD), "client": uint32(wire.EntityClient), "mgr": uint32(wire.EntityMgr),
	"auth": uint32(wire.EntityAuth)}

// String is Ceph's "type.id": "mon.a", "client.admin", "mgr.x".
func (n AuthName) String() string {
	typ, _, _ := strings.Cut(wire.EntityName{Type: uint8(n.Type)}.String(), ".")
	return typ + "." + n.ID
}

// ParseAuthName reads "type.id"; false for an unknown type or no dot.
func ParseAuthName(s string) (AuthName, bool) {
	typ, id, ok := strings.Cut(s, ".")
	t, known := authTypes[typ]
	if !ok || !known {
		return AuthName{}, false
	}
	return AuthName{Type: t, ID: id}, true
}

// Address families as Linux numbers them; entity_addr_t carries the raw
// sockaddr, so these are on the wire.
const (
	afInet  = 2
	afInet6 = 10
)

// Encoder appends Ceph denc encodings to a byte slice. The zero value is
// ready to use. An Encoder is not safe for concurrent use.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an Encoder appending to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf} }

// Bytes returns everything encoded so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len is the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

// U8 appends v.
func (e *Encoder) U8(v uint8) { e.buf = append(e.buf, v) }

// U16 appends v little-endian.
func (e *Encoder) U16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }

// U32 appends v little-endian.
func (e *Encoder) U32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// U64 appends v little-endian.
func (e *Encoder) U64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// S16 appends v little-endian.
func (e *Encoder) S16(v int16) { e.U16(uint16(v)) }

// S32 appends v little-endian.
func (e *Encoder) S32(v int32) { e.U32(uint32(v)) }

// S64 appends v little-endian.
func (e *Encoder) S64(v int64) { e.U64(uint64(v)) }

// F32 appends v as IEEE 754 binary32, little-endian (Ceph's float).
func (e *Encoder) F32(v float32) { e.U32(math.Float32bits(v)) }

// Bool appends v as one byte.
func (e *Encoder) Bool(v bool) {
	if v {
		e.U8(1)
	} else {
		e.U8(0)
	}
}

// Raw appends b with no length prefix.
func (e *Encoder) Raw(b []byte) { e.buf = append(e.buf, b...) }

// String appends an le32 length and the bytes of s.
func (e *Encoder) String(s string) {
	e.U32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}

// Bufferlist appends an le32 length and b (Ceph's bufferlist encoding).
func (e *Encoder) Bufferlist(b []byte) {
	e.U32(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// UUID appends the 16 bytes of u.
func (e *Encoder) UUID(u UUID) { e.buf = append(e.buf, u[:]...) }

// Utime appends a utime_t (also ceph_timespec).
func (e *Encoder) Utime(t Utime) {
	e.U32(t.Sec)
	e.U32(t.Nsec)
}

// EntityName appends an entity_name_t: u8 type, le64 num.
func (e *Encoder) EntityName(n wire.EntityName) {
	e.U8(n.Type)
	e.S64(n.Num)
}

// AuthName appends an EntityName: le32 type, string id.
func (e *Encoder) AuthName(n AuthName) {
	e.U32(n.Type)
	e.String(n.ID)
}

// Strings appends a vector<string>.
func (e *Encoder) Strings(v []string) {
	e.U32(uint32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// StringSet appends a set<string>: sorted, without duplicates, as std::set
// iterates.
func (e *Encoder) StringSet(v []string) {
	s := slices.Clone(v)
	slices.Sort(s)
	s = slices.Compact(s)
	e.Strings(s)
}

// StringMap appends a map<string,string> in key order, as std::map does.
func (e *Encoder) StringMap(m map[string]string) {
	EncodeMap(e, m, (*Encoder).String, (*Encoder).String)
}

// StartStruct begins ENCODE_START(v, compat, bl): it writes the versions
// and a length placeholder, and returns the token FinishStruct needs.
func (e *Encoder) StartStruct(v, compat uint8) int {
	e.U8(v)
	e.U8(compat)
	e.U32(0)
	return len(e.buf)
}

// FinishStruct is ENCODE_FINISH: it fills in the length of the struct begun
// by the StartStruct that returned start.
func (e *Encoder) FinishStruct(start int) {
	binary.LittleEndian.PutUint32(e.buf[start-4:start], uint32(len(e.buf)-start))
}

// EntityAddr appends the denc form of entity_addr_t (what Ceph sends to
// peers with MSG_ADDR2 and SERVER_NAUTILUS): marker 1, ENCODE_START(1, 1),
// le32 type, le32 nonce, le32 sockaddr length, and the Linux sockaddr itself
// (le16 family, be16 port, address, zero padding). A nil IP is the blank
// address and is sent with no sockaddr at all.
func (e *Encoder) EntityAddr(a wire.EntityAddr) {
	e.U8(1)
	st := e.StartStruct(1, 1)
	e.U32(a.Type)
	e.U32(a.Nonce)
	switch len(a.IP) {
	case 4:
		e.U32(16) // sizeof(sockaddr_in)
		e.U16(afInet)
		e.buf = binary.BigEndian.AppendUint16(e.buf, a.Port)
		e.Raw(a.IP)
		e.Raw(make([]byte, 8))
	case 16:
		e.U32(28) // sizeof(sockaddr_in6); flowinfo and scope id are not kept
		e.U16(afInet6)
		e.buf = binary.BigEndian.AppendUint16(e.buf, a.Port)
		e.U32(0)
		e.Raw(a.IP)
		e.U32(0)
	default:
		e.U32(0)
	}
	e.FinishStruct(st)
}

// AddrVec appends an entity_addrvec_t: marker 2, then a vector of
// entity_addr_t.
func (e *Encoder) AddrVec(v []wire.EntityAddr) {
	e.U8(2)
	EncodeSlice(e, v, (*Encoder).EntityAddr)
}

// EncodeSlice appends a vector<T> (also list<T>, deque<T>): le32 count,
// then each element.
func EncodeSlice[T any](e *Encoder, v []T, f func(*Encoder, T)) {
	e.U32(uint32(len(v)))
	for _, x := range v {
		f(e, x)
	}
}

// EncodeMap appends a map<K,V> in ascending key order, which is std::map's
// order for integer and string keys.
func EncodeMap[K cmp.Ordered, V any](e *Encoder, m map[K]V, fk func(*Encoder, K), fv func(*Encoder, V)) {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.U32(uint32(len(keys)))
	for _, k := range keys {
		fk(e, k)
		fv(e, m[k])
	}
}

// Decoder reads Ceph denc encodings from a byte slice. The first error sticks:
// every later read returns a zero value, and Err reports the error. It never
// panics and never allocates more than the input it still holds, whatever
// lengths the input claims. A Decoder is not safe for concurrent use.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder over b. Returned byte slices are copies, so b
// may be reused once decoding is done.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err is the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset is how many bytes have been consumed.
func (d *Decoder) Offset() int { return d.off }

// Remaining is how many bytes are left.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Done reports whether every byte has been consumed (or an error stopped
// decoding).
func (d *Decoder) Done() bool { return d.err != nil || d.off >= len(d.buf) }

// Fail records err (wrapped with the offset) unless an error is already
// recorded. Payload decoders use it for checks of their own.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("at offset %d: %w", d.off, err)
	}
}

func (d *Decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.buf)-d.off {
		d.Fail(fmt.Errorf("%w: %s needs %d bytes, %d left", ErrTruncated, what, n, len(d.buf)-d.off))
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// U8 reads one byte.
func (d *Decoder) U8() uint8 {
	b := d.take(1, "u8")
	if b == nil {
		return 0
	}
	return b[0]
}

// U16 reads an le16.
func (d *Decoder) U16() uint16 {
	b := d.take(2, "u16")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

// U32 reads an le32.
func (d *Decoder) U32() uint32 {
	b := d.take(4, "u32")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// U64 reads an le64.
func (d *Decoder) U64() uint64 {
	b := d.take(8, "u64")
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// S16 reads a signed le16.
func (d *Decoder) S16() int16 { return int16(d.U16()) }

// S32 reads a signed le32.
func (d *Decoder) S32() int32 { return int32(d.U32()) }

// S64 reads a signed le64.
func (d *Decoder) S64() int64 { return int64(d.U64()) }

// Bool reads one byte; any non-zero value is true, as in Ceph.
func (d *Decoder) Bool() bool { return d.U8() != 0 }

// F32 reads a Ceph float.
func (d *Decoder) F32() float32 { return math.Float32frombits(d.U32()) }

// Raw reads n bytes with no length prefix, copied.
func (d *Decoder) Raw(n int) []byte {
	b := d.take(n, "raw bytes")
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}

// Rest consumes and returns (a copy of) everything left.
func (d *Decoder) Rest() []byte {
	if d.err != nil {
		return nil
	}
	return d.Raw(d.Remaining())
}

func (d *Decoder) length(what string) int {
	n := d.U32()
	if d.err != nil {
		return 0
	}
	if uint64(n) > uint64(len(d.buf)-d.off) {
		d.Fail(fmt.Errorf("%w: %s claims %d bytes, %d left", ErrTruncated, what, n, len(d.buf)-d.off))
		return 0
	}
	return int(n)
}

// String reads an le32 length and that many bytes.
func (d *Decoder) String() string {
	n := d.length("string")
	b := d.take(n, "string")
	return string(b)
}

// Bufferlist reads an le32 length and that many bytes (copied). An empty
// bufferlist decodes as nil.
func (d *Decoder) Bufferlist() []byte {
	n := d.length("bufferlist")
	if n == 0 {
		return nil
	}
	return slices.Clone(d.take(n, "bufferlist"))
}

// Count reads an le32 element count and checks that the input left could
// hold that many elements of at least minSize bytes each, so a hostile
// count cannot make the caller allocate.
func (d *Decoder) Count(minSize int) int {
	n := d.U32()
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if uint64(n)*uint64(minSize) > uint64(len(d.buf)-d.off) {
		d.Fail(fmt.Errorf("%w: %d elements of at least %d bytes, %d bytes left", ErrTruncated, n, minSize, len(d.buf)-d.off))
		return 0
	}
	return int(n)
}

// UUID reads 16 raw bytes.
func (d *Decoder) UUID() UUID {
	var u UUID
	copy(u[:], d.take(16, "uuid"))
	return u
}

// Utime reads a utime_t (also ceph_timespec).
func (d *Decoder) Utime() Utime {
	return Utime{Sec: d.U32(), Nsec: d.U32()}
}

// EntityName reads an entity_name_t.
func (d *Decoder) EntityName() wire.EntityName {
	return wire.EntityName{Type: d.U8(), Num: d.S64()}
}

// AuthName reads an EntityName (le32 type, string id).
func (d *Decoder) AuthName() AuthName {
	return AuthName{Type: d.U32(), ID: d.String()}
}

// Strings reads a vector<string> (also set<string>, list<string>).
func (d *Decoder) Strings() []string {
	return DecodeSlice(d, 4, (*Decoder).String)
}

// StringMap reads a map<string,string>.
func (d *Decoder) StringMap() map[string]string {
	return DecodeMap(d, 8, (*Decoder).String, (*Decoder).String)
}

// Struct is what StartStruct read: the versions of the struct and where it
// ends.
type Struct struct {
	V, Compat uint8
	end       int    // where the struct ends (decoding) or its body starts (Denc encoding)
	what      string // for errors
}

// StartStruct is DECODE_START(maxCompat, p): it reads the struct's version,
// compat version and length, and fails with ErrIncompatible when the struct
// says a decoder must understand a version above maxCompat.
func (d *Decoder) StartStruct(maxCompat uint8, what string) Struct {
	v, c := d.U8(), d.U8()
	n := d.length(what)
	if d.err != nil {
		return Struct{end: d.off, what: what}
	}
	if c > maxCompat {
		d.Fail(fmt.Errorf("%w: %s v%d needs a decoder for v%d, have v%d", ErrIncompatible, what, v, c, maxCompat))
		return Struct{end: d.off, what: what}
	}
	return Struct{V: v, Compat: c, end: d.off + n, what: what}
}

// Left is how many bytes of the struct remain unread.
func (d *Decoder) Left(s Struct) int {
	if d.err != nil {
		return 0
	}
	return s.end - d.off
}

// FinishStruct is DECODE_FINISH: it skips what a newer encoder appended to
// the struct, and fails if decoding ran past the struct's end.
func (d *Decoder) FinishStruct(s Struct, what string) {
	if d.err != nil {
		return
	}
	if d.off > s.end {
		d.Fail(fmt.Errorf("%w: decoded past the end of %s", ErrMalformed, what))
		return
	}
	d.off = s.end
}

// EntityAddr reads an entity_addr_t in any of Ceph's forms: the denc form
// (marker 1) or the legacy 136-byte form (marker 0, as in pre-nautilus
// encodings).
func (d *Decoder) EntityAddr() wire.EntityAddr {
	marker := d.U8()
	if d.err != nil {
		return wire.EntityAddr{}
	}
	switch marker {
	case 0:
		return d.legacyAddrAfterMarker()
	case 1:
		return d.entityAddrBody()
	default:
		d.Fail(fmt.Errorf("%w: entity_addr_t marker %d", ErrMalformed, marker))
		return wire.EntityAddr{}
	}
}

func (d *Decoder) entityAddrBody() wire.EntityAddr {
	st := d.StartStruct(1, "entity_addr_t")
	a := wire.EntityAddr{Type: d.U32(), Nonce: d.U32()}
	elen := d.U32()
	if d.err != nil {
		return wire.EntityAddr{}
	}
	if elen > 0 {
		sa := d.take(int(min(elen, math.MaxInt32)), "sockaddr")
		if sa == nil {
			return wire.EntityAddr{}
		}
		a.IP, a.Port = parseSockaddr(d, sa, binary.LittleEndian.Uint16, false)
	}
	d.FinishStruct(st, "entity_addr_t")
	return a
}

// parseSockaddr reads a Linux sockaddr_in or sockaddr_in6. family reads the
// family field, whose byte order differs between the denc form (host order)
// and the legacy form (network order). The legacy form sends a whole
// sockaddr_storage, so storage lifts the upper bounds on its length.
func parseSockaddr(d *Decoder, sa []byte, family func([]byte) uint16, storage bool) ([]byte, uint16) {
	if len(sa) < 2 {
		d.Fail(fmt.Errorf("%w: sockaddr of %d bytes", ErrMalformed, len(sa)))
		return nil, 0
	}
	switch f := family(sa); f {
	case afInet:
		if len(sa) < 8 || (len(sa) > 16 && !storage) {
			d.Fail(fmt.Errorf("%w: sockaddr_in of %d bytes", ErrMalformed, len(sa)))
			return nil, 0
		}
		return slices.Clone(sa[4:8]), binary.BigEndian.Uint16(sa[2:4])
	case afInet6:
		if len(sa) < 24 || (len(sa) > 28 && !storage) {
			d.Fail(fmt.Errorf("%w: sockaddr_in6 of %d bytes", ErrMalformed, len(sa)))
			return nil, 0
		}
		return slices.Clone(sa[8:24]), binary.BigEndian.Uint16(sa[2:4])
	case 0:
		return nil, 0
	default:
		d.Fail(fmt.Errorf("%w: address family %d", ErrMalformed, f))
		return nil, 0
	}
}

func (d *Decoder) legacyAddrAfterMarker() wire.EntityAddr {
	d.take(3, "legacy entity_addr_t type") // the rest of a zero le32 type
	a := wire.EntityAddr{Type: 0, Nonce: d.U32()}
	ss := d.take(128, "sockaddr_storage")
	if ss == nil {
		return wire.EntityAddr{}
	}
	a.IP, a.Port = parseSockaddr(d, ss, binary.BigEndian.Uint16, true)
	if d.err == nil && a.IP != nil && a.Port == 0 && allZero(a.IP) {
		a.IP = nil // the blank address
	}
	return a
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// AddrVec reads an entity_addrvec_t in any of Ceph's forms: marker 2 and a
// vector, or a single entity_addr_t (marker 1 or legacy 0).
func (d *Decoder) AddrVec() []wire.EntityAddr {
	marker := d.U8()
	if d.err != nil {
		return nil
	}
	switch marker {
	case 0:
		return []wire.EntityAddr{d.legacyAddrAfterMarker()}
	case 1:
		return []wire.EntityAddr{d.entityAddrBody()}
	case 2:
		return DecodeSlice(d, 7, (*Decoder).EntityAddr)
	default:
		d.Fail(fmt.Errorf("%w: entity_addrvec_t marker %d", ErrMalformed, marker))
		return nil
	}
}

// DecodeSlice reads a vector<T> whose elements take at least minSize bytes
// each. It returns nil for an empty vector and on error.
func DecodeSlice[T any](d *Decoder, minSize int, f func(*Decoder) T) []T {
	n := d.Count(minSize)
	if n == 0 {
		return nil
	}
	out := make([]T, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, f(d))
	}
	if d.err != nil {
		return nil
	}
	return out
}

// DecodeMap reads a map<K,V> whose entries take at least minSize bytes
// each. It returns nil for an empty map and on error.
func DecodeMap[K comparable, V any](d *Decoder, minSize int, fk func(*Decoder) K, fv func(*Decoder) V) map[K]V {
	n := d.Count(minSize)
	if n == 0 {
		return nil
	}
	out := make(map[K]V, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := fk(d)
		out[k] = fv(d)
	}
	if d.err != nil {
		return nil
	}
	return out
}
