package messages

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// Denc is one pass over a value's fields in Ceph's denc style: a type lists
// its fields once, in a method that takes a Denc, and the same method
// encodes (over an Encoder) or decodes (over a Decoder). Every field method
// takes a pointer: encoding reads through it, decoding writes through it.
// Where the two directions genuinely differ (a field derived from others, a
// default for an older struct version) the method asks Decoding.
//
// Encoding must never write through the pointers it is given: payloads are
// shared between goroutines once built, and a visitor that stored even an
// unchanged value would race.
//
// A Denc is two pointers passed by value; its field methods allocate
// nothing beyond what the Encoder or Decoder does.
type Denc struct {
	e *Encoder
	d *Decoder
}

// The read* methods are the decoding side of Denc's fixed-size fields: a
// fast path with no call when the bytes are there, the Decoder's checked
// read otherwise. Being too big to inline themselves, they keep Denc's
// field methods small enough to inline, so a visited field costs about
// what a direct Encoder or Decoder call does.
func (d *Decoder) readU8(p *uint8) {
	if d.err == nil && d.off < len(d.buf) {
		*p = d.buf[d.off]
		d.off++
		return
	}
	*p = d.U8()
}

func (d *Decoder) readBool(p *bool) {
	if d.err == nil && d.off < len(d.buf) {
		*p = d.buf[d.off] != 0
		d.off++
		return
	}
	*p = d.Bool()
}

func (d *Decoder) readU16(p *uint16) {
	if d.err == nil && len(d.buf)-d.off >= 2 {
		*p = binary.LittleEndian.Uint16(d.buf[d.off:])
		d.off += 2
		return
	}
	*p = d.U16()
}

func (d *Decoder) readU32(p *uint32) {
	if d.err == nil && len(d.buf)-d.off >= 4 {
		*p = binary.LittleEndian.Uint32(d.buf[d.off:])
		d.off += 4
		return
	}
	*p = d.U32()
}

func (d *Decoder) readU64(p *uint64) {
	if d.err == nil && len(d.buf)-d.off >= 8 {
		*p = binary.LittleEndian.Uint64(d.buf[d.off:])
		d.off += 8
		return
	}
	*p = d.U64()
}

func (d *Decoder) readS16(p *int16) {
	if d.err == nil && len(d.buf)-d.off >= 2 {
		*p = int16(binary.LittleEndian.Uint16(d.buf[d.off:]))
		d.off += 2
		return
	}
	*p = d.S16()
}

func (d *Decoder) readS32(p *int32) {
	if d.err == nil && len(d.buf)-d.off >= 4 {
		*p = int32(binary.LittleEndian.Uint32(d.buf[d.off:]))
		d.off += 4
		return
	}
	*p = d.S32()
}

func (d *Decoder) readS64(p *int64) {
	if d.err == nil && len(d.buf)-d.off >= 8 {
		*p = int64(binary.LittleEndian.Uint64(d.buf[d.off:]))
		d.off += 8
		return
	}
	*p = d.S64()
}

// Denc returns a Denc that appends to e.
func (e *Encoder) Denc() Denc { return Denc{e: e} }

// Denc returns a Denc that reads from d.
func (d *Decoder) Denc() Denc { return Denc{d: d} }

// Decoding reports whether c decodes (fills the fields in) rather than
// encodes them.
func (c Denc) Decoding() bool { return c.d != nil }

// Err is the decoder's first error; encoding never fails.
func (c Denc) Err() error {
	if c.d != nil {
		return c.d.err
	}
	return nil
}

// Fail records a decoding error, as Decoder.Fail does. Checks that call it
// look at decoded values only, so it is a no-op when encoding.
func (c Denc) Fail(err error) {
	if c.d != nil {
		c.d.Fail(err)
	}
}

// More is for optional parts at the end of a message or struct: when
// encoding it reports present (whether to write the part), when decoding
// whether any bytes are left to read it from.
func (c Denc) More(present bool) bool {
	if c.d != nil {
		return !c.d.Done()
	}
	return present
}

// U8 encodes or decodes a u8.
func (c Denc) U8(p *uint8) {
	if c.d != nil {
		c.d.readU8(p)
	} else {
		c.e.U8(*p)
	}
}

// S8 encodes or decodes an s8.
func (c Denc) S8(p *int8) {
	if c.d != nil {
		*p = int8(c.d.U8())
	} else {
		c.e.U8(uint8(*p))
	}
}

// U16 encodes or decodes an le16.
func (c Denc) U16(p *uint16) {
	if c.d != nil {
		c.d.readU16(p)
	} else {
		c.e.U16(*p)
	}
}

// U32 encodes or decodes an le32.
func (c Denc) U32(p *uint32) {
	if c.d != nil {
		c.d.readU32(p)
	} else {
		c.e.U32(*p)
	}
}

// U64 encodes or decodes an le64.
func (c Denc) U64(p *uint64) {
	if c.d != nil {
		c.d.readU64(p)
	} else {
		c.e.U64(*p)
	}
}

// S16 encodes or decodes a signed le16.
func (c Denc) S16(p *int16) {
	if c.d != nil {
		c.d.readS16(p)
	} else {
		c.e.U16(uint16(*p))
	}
}

// S32 encodes or decodes a signed le32.
func (c Denc) S32(p *int32) {
	if c.d != nil {
		c.d.readS32(p)
	} else {
		c.e.U32(uint32(*p))
	}
}

// S64 encodes or decodes a signed le64.
func (c Denc) S64(p *int64) {
	if c.d != nil {
		c.d.readS64(p)
	} else {
		c.e.U64(uint64(*p))
	}
}

// F32 encodes or decodes a Ceph float.
func (c Denc) F32(p *float32) {
	if c.d != nil {
		*p = c.d.F32()
	} else {
		c.e.F32(*p)
	}
}

// Bool encodes or decodes a bool byte.
func (c Denc) Bool(p *bool) {
	if c.d != nil {
		c.d.readBool(p)
	} else if *p {
		c.e.U8(1)
	} else {
		c.e.U8(0)
	}
}

// String encodes or decodes a string.
func (c Denc) String(p *string) {
	if c.d != nil {
		*p = c.d.String()
	} else {
		c.e.String(*p)
	}
}

// Bufferlist encodes or decodes a bufferlist (an empty one decodes as nil).
func (c Denc) Bufferlist(p *[]byte) {
	if c.d != nil {
		*p = c.d.Bufferlist()
	} else {
		c.e.Bufferlist(*p)
	}
}

// UUID encodes or decodes a uuid_d.
func (c Denc) UUID(p *UUID) {
	if c.d != nil {
		*p = c.d.UUID()
	} else {
		c.e.UUID(*p)
	}
}

// Utime encodes or decodes a utime_t.
func (c Denc) Utime(p *Utime) {
	c.U32(&p.Sec)
	c.U32(&p.Nsec)
}

// EntityName encodes or decodes an entity_name_t.
func (c Denc) EntityName(p *wire.EntityName) {
	c.U8(&p.Type)
	c.S64(&p.Num)
}

// AuthName encodes or decodes an EntityName.
func (c Denc) AuthName(p *AuthName) {
	c.U32(&p.Type)
	c.String(&p.ID)
}

// EntityAddr encodes an entity_addr_t in its denc form, or decodes any of
// Ceph's forms (Decoder.EntityAddr).
func (c Denc) EntityAddr(p *wire.EntityAddr) {
	if c.d != nil {
		*p = c.d.EntityAddr()
	} else {
		c.e.EntityAddr(*p)
	}
}

// AddrVec encodes or decodes an entity_addrvec_t.
func (c Denc) AddrVec(p *[]wire.EntityAddr) {
	if c.d != nil {
		*p = c.d.AddrVec()
	} else {
		c.e.AddrVec(*p)
	}
}

// Strings encodes or decodes a vector<string>.
func (c Denc) Strings(p *[]string) {
	if c.d != nil {
		*p = c.d.Strings()
	} else {
		c.e.Strings(*p)
	}
}

// StringSet encodes a set<string> (sorted, without duplicates) or decodes
// one as it came.
func (c Denc) StringSet(p *[]string) {
	if c.d != nil {
		*p = c.d.Strings()
	} else {
		c.e.StringSet(*p)
	}
}

// StringMap encodes or decodes a map<string,string>.
func (c Denc) StringMap(p *map[string]string) {
	if c.d != nil {
		*p = c.d.StringMap()
	} else {
		c.e.StringMap(*p)
	}
}

// RawStruct encodes or decodes a versioned struct kept uninterpreted.
func (c Denc) RawStruct(p *RawStruct) {
	if c.d != nil {
		*p = DecodeRawStruct(c.d)
	} else {
		p.Encode(c.e)
	}
}

// Rest encodes *p with no length, or decodes everything left into it
// (never nil, so a present-but-empty part stays present).
func (c Denc) Rest(p *[]byte) {
	if c.d == nil {
		c.e.Raw(*p)
		return
	}
	if *p = c.d.Rest(); *p == nil {
		*p = []byte{}
	}
}

// Count encodes *n as an le32 element count, or decodes one that the input
// left could hold with elements of at least minSize bytes (Decoder.Count).
func (c Denc) Count(n *int, minSize int) {
	if c.d != nil {
		*n = c.d.Count(minSize)
	} else {
		c.e.U32(uint32(*n))
	}
}

// Start is DENC_START(v, compat): encoding writes the versions and a length
// placeholder; decoding reads them, refusing a struct whose compat version
// is above v (ErrIncompatible). The returned Struct's V is the version being
// encoded or the one decoded, for fields that depend on it; Finish ends
// the struct.
func (c Denc) Start(v, compat uint8, what string) Struct {
	return c.StartCompat(v, compat, v, what)
}

// StartCompat is Start for a struct whose decoder accepts compat versions
// up to maxCompat rather than up to v (Ceph's DECODE_START(maxCompat)
// paired with ENCODE_START(v, compat)).
func (c Denc) StartCompat(v, compat, maxCompat uint8, what string) Struct {
	if c.d != nil {
		return c.d.StartStruct(maxCompat, what)
	}
	return Struct{V: v, Compat: compat, end: c.e.StartStruct(v, compat), what: what}
}

// Finish is DENC_FINISH: encoding fills in the struct's length, decoding
// skips what a newer encoder appended (Decoder.FinishStruct).
func (c Denc) Finish(st Struct) {
	if c.d != nil {
		c.d.FinishStruct(st, st.what)
	} else {
		c.e.FinishStruct(st.end)
	}
}

// MinVersion fails decoding with ErrIncompatible when st is older than
// minV, whose legacy layout gomgr does not read; why names that layout
// ("pre-nautilus"). Encoding always writes a version that passes.
func (c Denc) MinVersion(st Struct, minV uint8, why string) {
	if c.d != nil && c.d.err == nil && st.V < minV {
		c.d.Fail(fmt.Errorf("%w: %s v%d (%s) not supported", ErrIncompatible, st.what, st.V, why))
	}
}

// elem adapts a type's denc method to the element function DencSlice and
// DencMap take: elem[PGShard] visits one PGShard.
func elem[T any, P interface {
	*T
	denc(Denc)
}](c Denc, v *T) {
	P(v).denc(c)
}

// prealloc is how many elements of type T to make room for ahead of
// decoding n of them: all n, unless that would take more memory than the
// input left holds, so a hostile count cannot make the decoder allocate
// beyond its input (the rest grows as elements decode).
func prealloc[T any](c Denc, n int) int {
	size := max(int(unsafe.Sizeof(*new(T))), 1)
	return min(n, max(c.d.Remaining()/size, 1))
}

// DencSlice encodes or decodes a vector<T> (also list<T>, deque<T>, and
// std::map kept as a list of entries): le32 count, then each element,
// visited with f. Decoding checks the count against minSize (the least
// bytes an element takes), decodes each element in place and, after an
// error, keeps the elements read so far (the one cut short included); an
// empty vector decodes as nil.
func DencSlice[T any](c Denc, v *[]T, minSize int, f func(Denc, *T)) {
	dencSlice(c, v, minSize, false, f)
}

// dencSlice is DencSlice with the count an le32 or, with varint, a
// varint: the two differ in nothing else.
func dencSlice[T any](c Denc, v *[]T, minSize int, varint bool, f func(Denc, *T)) {
	if c.d == nil {
		if varint {
			c.e.buf = binary.AppendUvarint(c.e.buf, uint64(len(*v)))
		} else {
			c.e.U32(uint32(len(*v)))
		}
		for i := range *v {
			f(c, &(*v)[i])
		}
		return
	}
	var n int
	if varint {
		n = c.d.varCount(minSize)
	} else {
		n = c.d.Count(minSize)
	}
	if n == 0 {
		*v = nil
		return
	}
	out := make([]T, 0, prealloc[T](c, n))
	for i := 0; i < n && c.d.err == nil; i++ {
		out = append(out, *new(T))
		f(c, &out[len(out)-1])
	}
	*v = out
}

// DencSorted is DencSlice for a std::map or std::set gomgr keeps as a
// slice: encoding writes the elements in cmp order (stably, so equal ones
// keep their order, as std::multimap does) without reordering *v;
// decoding keeps the order they came in.
func DencSorted[T any](c Denc, v *[]T, minSize int, cmp func(a, b T) int, f func(Denc, *T)) {
	if c.d == nil && !slices.IsSortedFunc(*v, cmp) {
		s := slices.Clone(*v)
		slices.SortStableFunc(s, cmp)
		v = &s
	}
	DencSlice(c, v, minSize, f)
}

// DencSet encodes a std::set<T> held in a slice (sorted, without
// duplicates), or decodes one as it came.
func DencSet[T cmp.Ordered](c Denc, v *[]T, minSize int, f func(Denc, *T)) {
	if c.d == nil && !isStrictlySorted(*v) {
		s := slices.Clone(*v)
		slices.Sort(s)
		s = slices.Compact(s)
		v = &s
	}
	DencSlice(c, v, minSize, f)
}

func isStrictlySorted[T cmp.Ordered](v []T) bool {
	for i := 1; i < len(v); i++ {
		if !cmp.Less(v[i-1], v[i]) {
			return false
		}
	}
	return true
}

// DencMap encodes a std::map<K,V> in ascending key order, or decodes one
// whose entries take at least minSize bytes each. An empty map decodes as
// nil; after an error the map keeps the entries read whole before it.
// Keys and values are visited through a sorted copy of the entries
// (encoding) or one scratch entry (decoding): the element functions are
// func values, so what they are handed lives on the heap. That is one
// allocation per non-empty map, none per entry.
func DencMap[K cmp.Ordered, V any](c Denc, m *map[K]V, minSize int, fk func(Denc, *K), fv func(Denc, *V)) {
	type entry struct {
		k K
		v V
	}
	if c.d == nil {
		ents := make([]entry, 0, len(*m))
		for k, v := range *m {
			ents = append(ents, entry{k, v})
		}
		slices.SortFunc(ents, func(a, b entry) int { return cmp.Compare(a.k, b.k) })
		c.e.U32(uint32(len(ents)))
		for i := range ents {
			fk(c, &ents[i].k)
			fv(c, &ents[i].v)
		}
		return
	}
	n := c.d.Count(minSize)
	if n == 0 {
		*m = nil
		return
	}
	out := make(map[K]V, prealloc[entry](c, n))
	ent := new(entry)
	for i := 0; i < n; i++ {
		*ent = entry{}
		fk(c, &ent.k)
		fv(c, &ent.v)
		if c.d.err != nil {
			break
		}
		out[ent.k] = ent.v
	}
	*m = out
}

// payload is a message whose front fields are listed once, in denc. v is
// the message header version: the one being encoded, or the one received.
type payload interface {
	denc(c Denc, v uint16)
}

// encodePayload encodes p's front as message version v (compat compat)
// and fills in what every EncodeTo sets.
func encodePayload(m *msgr.Message, p payload, v, compat uint16) {
	e := NewEncoder(nil)
	p.denc(e.Denc(), v)
	setHeader(m, v, compat, e)
}

// decodePayload decodes m's front into p and reports the decoder's error.
func decodePayload(m *msgr.Message, p payload) error {
	d := NewDecoder(m.Front)
	p.denc(d.Denc(), m.Version)
	return d.Err()
}

// parseStruct decodes a whole struct from b with its denc method; what
// names it in the error.
func parseStruct[T any](b []byte, what string, denc func(*T, Denc)) (*T, error) {
	d := NewDecoder(b)
	v := new(T)
	denc(v, d.Denc())
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: %s: %w", what, err)
	}
	return v, nil
}

// marshalStruct encodes v with its denc method.
func marshalStruct[T any](v *T, denc func(*T, Denc)) []byte {
	e := NewEncoder(nil)
	denc(v, e.Denc())
	return e.Bytes()
}
