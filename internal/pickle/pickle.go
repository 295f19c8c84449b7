// Package pickle reads and writes the plain-data subset of Python's pickle
// format: None, bools, ints that fit in 64 bits, floats, str, bytes, and
// lists, tuples, sets and str-keyed dicts of them. It is how a module on
// gpython takes and makes the arguments and results of `self.remote()`
// calls, which CPython modules exchange as pickles (modules/cpython). An
// object pickle (a class instance, a global) is refused with
// ErrUnsupported: only data crosses between the two runtimes.
package pickle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
)

// Tuple is a Python tuple (a list decodes as []any).
type Tuple []any

var (
	// ErrUnsupported is a pickle of something that is not plain data, or
	// a value Dumps cannot write.
	ErrUnsupported = errors.New("pickle: not plain data")
	// ErrMalformed is a pickle that does not parse.
	ErrMalformed = errors.New("pickle: malformed")
)

// Opcodes of protocols 2-5 (Python's Lib/pickletools.py).
const (
	opMark          = '('
	opStop          = '.'
	opPop           = '0'
	opPopMark       = '1'
	opBinInt        = 'J'
	opBinInt1       = 'K'
	opBinInt2       = 'M'
	opNone          = 'N'
	opBinUnicode    = 'X'
	opAppend        = 'a'
	opEmptyDict     = '}'
	opAppends       = 'e'
	opBinGet        = 'h'
	opLongBinGet    = 'j'
	opEmptyList     = ']'
	opBinPut        = 'q'
	opLongBinPut    = 'r'
	opSetItem       = 's'
	opTuple         = 't'
	opEmptyTuple    = ')'
	opSetItems      = 'u'
	opBinFloat      = 'G'
	opBinBytes      = 'B'
	opShortBinBytes = 'C'
	opProto         = 0x80
	opTuple1        = 0x85
	opTuple2        = 0x86
	opTuple3        = 0x87
	opNewTrue       = 0x88
	opNewFalse      = 0x89
	opLong1         = 0x8a
	opLong4         = 0x8b
	opShortBinUni   = 0x8c
	opBinUnicode8   = 0x8d
	opBinBytes8     = 0x8e
	opEmptySet      = 0x8f
	opAddItems      = 0x90
	opFrozenSet     = 0x91
	opMemoize       = 0x94
	opFrame         = 0x95
	opByteArray8    = 0x96
)

const (
	maxNest         = 1000 // bounds the marks and nesting a hostile pickle can build
	maxStack        = 1 << 16
	maxLen          = 1 << 30
	maxMemo         = 1 << 20
	maxNodes        = 1 << 22
	protocolWritten = 4
	shortStrMax     = 255
)

// Loads decodes a pickle. Lists and sets decode as []any, tuples as Tuple,
// dicts as map[string]any, ints as int64, floats as float64, str as
// string, bytes as []byte.
func Loads(b []byte) (any, error) {
	d := decoder{b: b, memo: map[uint32]any{}}
	v, err := d.run()
	if err != nil {
		return nil, err
	}
	return v, nil
}

type decoder struct {
	b     []byte
	i     int
	stack []any
	marks []int
	memo  map[uint32]any
}

func (d *decoder) fail(format string, a ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrMalformed, d.i, fmt.Sprintf(format, a...))
}

func (d *decoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.i {
		return nil, d.fail("%d bytes wanted, %d left", n, len(d.b)-d.i)
	}
	p := d.b[d.i : d.i+n]
	d.i += n
	return p, nil
}

func (d *decoder) uint(n int) (uint64, error) {
	p, err := d.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(p[i])
	}
	return v, nil
}

func (d *decoder) push(v any) error {
	if len(d.stack) >= maxStack {
		return d.fail("stack too deep")
	}
	d.stack = append(d.stack, v)
	return nil
}

func (d *decoder) pop() (any, error) {
	if len(d.stack) == 0 || (len(d.marks) > 0 && len(d.stack) == d.marks[len(d.marks)-1]) {
		return nil, d.fail("stack underflow")
	}
	v := d.stack[len(d.stack)-1]
	d.stack = d.stack[:len(d.stack)-1]
	return v, nil
}

// popMark returns the items above the last mark.
func (d *decoder) popMark() ([]any, error) {
	if len(d.marks) == 0 {
		return nil, d.fail("no mark")
	}
	at := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := make([]any, len(d.stack)-at)
	copy(items, d.stack[at:])
	d.stack = d.stack[:at]
	return items, nil
}

// top is the object under the items an APPENDS/SETITEMS added.
func (d *decoder) top() (any, error) {
	if len(d.stack) == 0 {
		return nil, d.fail("stack underflow")
	}
	return d.stack[len(d.stack)-1], nil
}

func (d *decoder) str(n int) error {
	p, err := d.take(n)
	if err != nil {
		return err
	}
	return d.push(string(p))
}

func (d *decoder) bytes(n int) error {
	p, err := d.take(n)
	if err != nil {
		return err
	}
	return d.push(append([]byte(nil), p...))
}

func (d *decoder) length(n int) (int, error) {
	v, err := d.uint(n)
	if err != nil {
		return 0, err
	}
	if v > maxLen {
		return 0, d.fail("length %d", v)
	}
	return int(v), nil
}

func (d *decoder) run() (any, error) {
	for {
		if d.i >= len(d.b) {
			return nil, d.fail("no STOP")
		}
		op := d.b[d.i]
		d.i++
		var err error
		switch op {
		case opProto:
			_, err = d.take(1)
		case opFrame:
			_, err = d.uint(8) // frames only group opcodes
		case opStop:
			if len(d.stack) != 1 || len(d.marks) != 0 {
				return nil, d.fail("%d values on the stack at STOP", len(d.stack))
			}
			nodes := 0
			return resolve(d.stack[0], 0, &nodes)
		case opMark:
			if len(d.marks) >= maxNest {
				return nil, d.fail("marks nested too deep")
			}
			d.marks = append(d.marks, len(d.stack))
		case opPop:
			_, err = d.pop()
		case opPopMark:
			_, err = d.popMark()
		case opNone:
			err = d.push(nil)
		case opNewTrue:
			err = d.push(true)
		case opNewFalse:
			err = d.push(false)
		case opBinInt:
			var v uint64
			if v, err = d.uint(4); err == nil {
				err = d.push(int64(int32(uint32(v))))
			}
		case opBinInt1:
			var v uint64
			if v, err = d.uint(1); err == nil {
				err = d.push(int64(v))
			}
		case opBinInt2:
			var v uint64
			if v, err = d.uint(2); err == nil {
				err = d.push(int64(v))
			}
		case opLong1, opLong4:
			width := 1
			if op == opLong4 {
				width = 4
			}
			var n int
			if n, err = d.length(width); err == nil {
				err = d.long(n)
			}
		case opBinFloat:
			var p []byte
			if p, err = d.take(8); err == nil {
				err = d.push(math.Float64frombits(binary.BigEndian.Uint64(p)))
			}
		case opShortBinUni, opShortBinBytes:
			var n int
			if n, err = d.length(1); err == nil {
				if op == opShortBinUni {
					err = d.str(n)
				} else {
					err = d.bytes(n)
				}
			}
		case opBinUnicode, opBinBytes:
			var n int
			if n, err = d.length(4); err == nil {
				if op == opBinUnicode {
					err = d.str(n)
				} else {
					err = d.bytes(n)
				}
			}
		case opBinUnicode8, opBinBytes8, opByteArray8:
			var n int
			if n, err = d.length(8); err == nil {
				if op == opBinUnicode8 {
					err = d.str(n)
				} else {
					err = d.bytes(n)
				}
			}
		case opEmptyList:
			err = d.push(&list{})
		case opEmptyTuple:
			err = d.push(Tuple{})
		case opEmptyDict:
			err = d.push(map[string]any{})
		case opEmptySet:
			err = d.push(&list{})
		case opTuple:
			var items []any
			if items, err = d.popMark(); err == nil {
				err = d.push(Tuple(items))
			}
		case opFrozenSet:
			var items []any
			if items, err = d.popMark(); err == nil {
				err = d.push(&list{items: items})
			}
		case opTuple1, opTuple2, opTuple3:
			n := int(op-opTuple1) + 1
			if len(d.stack) < n || (len(d.marks) > 0 && len(d.stack)-n < d.marks[len(d.marks)-1]) {
				return nil, d.fail("stack underflow")
			}
			t := make(Tuple, n)
			copy(t, d.stack[len(d.stack)-n:])
			d.stack = d.stack[:len(d.stack)-n]
			err = d.push(t)
		case opAppend:
			var v any
			if v, err = d.pop(); err == nil {
				err = d.extend([]any{v})
			}
		case opAppends, opAddItems:
			var items []any
			if items, err = d.popMark(); err == nil {
				err = d.extend(items)
			}
		case opSetItem:
			var k, v any
			if v, err = d.pop(); err == nil {
				if k, err = d.pop(); err == nil {
					err = d.setItems([]any{k, v})
				}
			}
		case opSetItems:
			var items []any
			if items, err = d.popMark(); err == nil {
				err = d.setItems(items)
			}
		case opMemoize:
			var v any
			if v, err = d.top(); err == nil {
				err = d.put(uint32(len(d.memo)), v)
			}
		case opBinPut, opLongBinPut:
			width := 1
			if op == opLongBinPut {
				width = 4
			}
			var k uint64
			var v any
			if k, err = d.uint(width); err == nil {
				if v, err = d.top(); err == nil {
					err = d.put(uint32(k), v)
				}
			}
		case opBinGet, opLongBinGet:
			width := 1
			if op == opLongBinGet {
				width = 4
			}
			var k uint64
			if k, err = d.uint(width); err == nil {
				v, ok := d.memo[uint32(k)]
				if !ok {
					return nil, d.fail("memo %d not set", k)
				}
				err = d.push(v)
			}
		default:
			return nil, fmt.Errorf("%w: opcode %#x at byte %d (an object, not data?)", ErrUnsupported, op, d.i-1)
		}
		if err != nil {
			return nil, err
		}
	}
}

// list is a list or set being built: the memo may hold it while APPENDS
// still add to it.
type list struct{ items []any }

// resolve turns the lists built into []any. A structure that holds itself
// (a recursive pickle) is refused at maxNest, and one that shares its
// parts so often that copying them out would explode, at maxNodes.
func resolve(v any, depth int, nodes *int) (any, error) {
	if depth > maxNest {
		return nil, fmt.Errorf("%w: nested deeper than %d (a recursive structure?)", ErrUnsupported, maxNest)
	}
	if *nodes++; *nodes > maxNodes {
		return nil, fmt.Errorf("%w: more than %d values", ErrUnsupported, maxNodes)
	}
	var err error
	switch x := v.(type) {
	case *list:
		out := make([]any, len(x.items))
		for i, e := range x.items {
			if out[i], err = resolve(e, depth+1, nodes); err != nil {
				return nil, err
			}
		}
		return out, nil
	case Tuple:
		out := make(Tuple, len(x))
		for i, e := range x {
			if out[i], err = resolve(e, depth+1, nodes); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if out[k], err = resolve(e, depth+1, nodes); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

func (d *decoder) put(k uint32, v any) error {
	if len(d.memo) >= maxMemo {
		return d.fail("memo too large")
	}
	d.memo[k] = v
	return nil
}

func (d *decoder) long(n int) error {
	p, err := d.take(n)
	if err != nil {
		return err
	}
	if n == 0 {
		return d.push(int64(0))
	}
	// Little-endian two's complement.
	be := make([]byte, n)
	for i := range p {
		be[n-1-i] = p[i]
	}
	v := new(big.Int).SetBytes(be)
	if p[n-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	if !v.IsInt64() {
		return fmt.Errorf("%w: an int of %d bits", ErrUnsupported, v.BitLen())
	}
	return d.push(v.Int64())
}

func (d *decoder) extend(items []any) error {
	t, err := d.top()
	if err != nil {
		return err
	}
	c, ok := t.(*list) // a list, or a set
	if !ok {
		return d.fail("append to a %T", t)
	}
	c.items = append(c.items, items...)
	return nil
}

func (d *decoder) setItems(items []any) error {
	if len(items)%2 != 0 {
		return d.fail("odd SETITEMS")
	}
	t, err := d.top()
	if err != nil {
		return err
	}
	m, ok := t.(map[string]any)
	if !ok {
		return d.fail("set item of a %T", t)
	}
	for i := 0; i < len(items); i += 2 {
		k, ok := items[i].(string)
		if !ok {
			return fmt.Errorf("%w: a dict key of type %T (only str keys cross)", ErrUnsupported, items[i])
		}
		m[k] = items[i+1]
	}
	return nil
}

// Dumps encodes v (nil, bool, ints, float64, string, []byte, []any,
// Tuple, map[string]any) as a protocol 4 pickle.
func Dumps(v any) ([]byte, error) {
	b := []byte{opProto, protocolWritten}
	b, err := appendValue(b, v, 0)
	if err != nil {
		return nil, err
	}
	return append(b, opStop), nil
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxNest {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrUnsupported, maxNest)
	}
	var err error
	switch x := v.(type) {
	case nil:
		return append(b, opNone), nil
	case bool:
		if x {
			return append(b, opNewTrue), nil
		}
		return append(b, opNewFalse), nil
	case int:
		return appendInt(b, int64(x)), nil
	case int64:
		return appendInt(b, x), nil
	case float64:
		b = append(b, opBinFloat)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(x)), nil
	case string:
		if len(x) <= shortStrMax {
			b = append(b, opShortBinUni, byte(len(x)))
		} else {
			b = append(b, opBinUnicode8)
			b = binary.LittleEndian.AppendUint64(b, uint64(len(x)))
		}
		return append(b, x...), nil
	case []byte:
		b = append(b, opBinBytes8)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(x)))
		return append(b, x...), nil
	case []any:
		b = append(b, opEmptyList)
		if len(x) == 0 {
			return b, nil
		}
		b = append(b, opMark)
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, opAppends), nil
	case Tuple:
		b = append(b, opMark)
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, opTuple), nil
	case map[string]any:
		b = append(b, opEmptyDict)
		if len(x) == 0 {
			return b, nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // a pickle that does not depend on map order
		b = append(b, opMark)
		for _, k := range keys {
			if b, err = appendValue(b, k, depth+1); err != nil {
				return nil, err
			}
			if b, err = appendValue(b, x[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, opSetItems), nil
	}
	return nil, fmt.Errorf("%w: a Go %T", ErrUnsupported, v)
}

func appendInt(b []byte, v int64) []byte {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		b = append(b, opBinInt)
		return binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
	}
	b = append(b, opLong1, 8)
	return binary.LittleEndian.AppendUint64(b, uint64(v))
}
