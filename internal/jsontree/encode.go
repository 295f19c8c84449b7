package jsontree

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// ErrInvalidNumber is a json.Number whose text is not a JSON number.
var ErrInvalidNumber = errors.New("jsontree: invalid number literal")

// maxFastDepth is where Append hands a sub-value to encoding/json: past
// encoding/json's own cycle-detection threshold, so a cyclic tree fails
// there with its error instead of overflowing the stack here.
const maxFastDepth = 1000

// Marshal encodes v as encoding/json.Marshal does, byte for byte, for the
// trees Parse produces (map[string]any, []any, string, int64, float64,
// bool, nil, json.Number) and a few types hosts add (int, int32, uint32,
// uint64, float32, []string, map[string]string, map[string]int64,
// []map[string]any), without reflection. Other types are encoded by
// encoding/json. NaN and infinities fail with a wrapped
// *json.UnsupportedValueError. Safe from any goroutine; v must not change
// while it runs.
func Marshal(v any) ([]byte, error) {
	// Encode into a pooled buffer and copy out, as encoding/json does:
	// growing a fresh multi-megabyte slice by append allocates several
	// times its size, and the GC then rescans the caller's whole tree.
	bp, _ := bufPool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b, err := Append((*bp)[:0], v)
	var out []byte
	if err == nil {
		out = append([]byte(nil), b...)
	}
	if cap(b) <= maxPooledBuf {
		*bp = b[:0]
		bufPool.Put(bp)
	}
	return out, err
}

// bufPool holds Marshal's scratch buffers (*[]byte); ones past
// maxPooledBuf are left to the GC rather than kept.
var bufPool sync.Pool

const maxPooledBuf = 64 << 20

// Append is Marshal appending to dst. On error it returns dst as it was
// (its spare capacity may have been written to).
func Append(dst []byte, v any) ([]byte, error) {
	var e encoder
	out, err := e.value(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// encoder is one Append's scratch. An object that must be sorted pushes
// its entries on pairs, sorts that window and pops it when done, so a
// document sorts in one reused slice; its sorted keys become the shape for
// its depth, which the next object there (the next OSD in a list) checks
// with lookups instead of sorting again.
type encoder struct {
	pairs  []pair
	shapes []shape  // by depth
	keys   []string // pairs for typed maps, whose values are not boxed
}

type pair struct {
	k string
	v any
}

func (e *encoder) value(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendString(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x, 64)
	case map[string]any:
		if depth >= maxFastDepth {
			return appendStd(dst, v)
		}
		return e.object(dst, x, depth+1)
	case []any:
		if depth >= maxFastDepth {
			return appendStd(dst, v)
		}
		return e.array(dst, x, depth+1)
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case nil:
		return append(dst, "null"...), nil
	case json.Number:
		return appendNumber(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float32:
		return appendFloat(dst, float64(x), 32)
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), nil
	case []map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		if depth >= maxFastDepth {
			return appendStd(dst, v)
		}
		dst = append(dst, '[')
		for i, m := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.object(dst, m, depth+2); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case map[string]string:
		return appendTyped(e, dst, x, func(dst []byte, s string) []byte { return appendString(dst, s) }), nil
	case map[string]int64:
		return appendTyped(e, dst, x, func(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }), nil
	default:
		return appendStd(dst, v)
	}
}

func (e *encoder) object(dst []byte, m map[string]any, depth int) ([]byte, error) {
	switch len(m) {
	case 0:
		if m == nil {
			return append(dst, "null"...), nil
		}
		return append(dst, "{}"...), nil
	case 1:
		var err error
		for k, v := range m {
			dst = appendString(append(dst, '{'), k)
			if dst, err = e.value(append(dst, ':'), v, depth); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	if depth < len(e.shapes) && len(e.shapes[depth].keys) == len(m) {
		if out, ok, err := e.sameShape(dst, m, depth); ok {
			return out, err
		}
	}
	base := len(e.pairs)
	for k, v := range m {
		e.pairs = append(e.pairs, pair{k, v})
	}
	slices.SortFunc(e.pairs[base:], func(a, b pair) int { return strings.Compare(a.k, b.k) })
	e.remember(e.pairs[base:], depth)
	end := len(e.pairs)
	// Copies of the slice headers: deeper objects may grow e.shapes, but
	// only an object at this depth rewrites this shape, and none comes
	// before this one is done.
	text, ends := e.shapes[depth].text, e.shapes[depth].ends
	from := 0
	var err error
	// Index e.pairs afresh each time: nested maps push onto it and may
	// reallocate it.
	for i := base; i < end; i++ {
		to := ends[i-base]
		dst = append(dst, text[from:to]...)
		from = to
		if dst, err = e.value(dst, e.pairs[i].v, depth); err != nil {
			break
		}
	}
	clear(e.pairs[base:end]) // drop references to the caller's tree
	e.pairs = e.pairs[:base]
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

func (e *encoder) array(dst []byte, a []any, depth int) ([]byte, error) {
	if a == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	var err error
	for i, v := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = e.value(dst, v, depth); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// shape is the sorted key set of an object, with the text that precedes
// each value: '{' or ',', the quoted key, ':'.
type shape struct {
	keys []string
	text []byte
	ends []int // where each key's text ends
}

// sameShape encodes m if it has the keys of the last object sorted at its
// depth, looking each up in order: the objects of a list (OSDs, pools,
// addresses) share their keys, and lookups cost less than iterating and
// sorting. The caller has checked the lengths are equal, so every key
// found means the same key set; at the first key not found it returns
// dst as it was and ok false. Deeper objects only rewrite deeper shapes,
// so this one stays put while values are encoded.
func (e *encoder) sameShape(dst []byte, m map[string]any, depth int) (out []byte, ok bool, err error) {
	sh := e.shapes[depth]
	mark, from := len(dst), 0
	for i, k := range sh.keys {
		v, found := m[k]
		if !found {
			return dst[:mark], false, nil
		}
		to := sh.ends[i]
		dst = append(dst, sh.text[from:to]...)
		from = to
		if dst, err = e.value(dst, v, depth); err != nil {
			return dst, true, err
		}
	}
	return append(dst, '}'), true, nil
}

// remember makes sorted pairs the shape for their depth.
func (e *encoder) remember(ps []pair, depth int) {
	for len(e.shapes) <= depth {
		e.shapes = append(e.shapes, shape{})
	}
	sh := &e.shapes[depth]
	sh.keys, sh.text, sh.ends = sh.keys[:0], sh.text[:0], sh.ends[:0]
	for i, p := range ps {
		sh.keys = append(sh.keys, p.k)
		if i == 0 {
			sh.text = append(sh.text, '{')
		} else {
			sh.text = append(sh.text, ',')
		}
		sh.text = append(appendString(sh.text, p.k), ':')
		sh.ends = append(sh.ends, len(sh.text))
	}
}

// appendTyped encodes a map whose values need no error path; keys are
// sorted alone and values looked up, which avoids boxing each value.
func appendTyped[V any](e *encoder, dst []byte, m map[string]V, enc func([]byte, V) []byte) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	base := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[base:]
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = enc(dst, m[k])
	}
	clear(keys)
	e.keys = e.keys[:base]
	return append(dst, '}')
}

// appendStd encodes anything else with encoding/json: the bytes it gives a
// value alone are the bytes it gives that value inside a larger one.
func appendStd(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("jsontree: encoding %T: %w", v, err)
	}
	return append(dst, b...), nil
}

// appendFloat is encoding/json's floatEncoder: ES6 number formatting, 'e'
// only outside [1e-6, 1e21), exponents without a padding zero.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		var rv reflect.Value
		if bits == 32 {
			rv = reflect.ValueOf(float32(f))
		} else {
			rv = reflect.ValueOf(f)
		}
		return dst, fmt.Errorf("jsontree: %w", &json.UnsupportedValueError{Value: rv, Str: strconv.FormatFloat(f, 'g', -1, bits)})
	}
	abs := math.Abs(f)
	format := byte('f')
	// float32 values need float32 comparisons for exact cutoffs.
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendNumber writes a json.Number as-is, after encoding/json's check
// (and its "" as 0).
func appendNumber(dst []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if s == "" {
		s = "0"
	}
	if !isValidNumber(s) {
		return dst, fmt.Errorf("%w %q", ErrInvalidNumber, s)
	}
	return append(dst, s...), nil
}

// isValidNumber is encoding/json's JSON number grammar check.
func isValidNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	default:
		return false
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

// htmlSafe marks the ASCII bytes encoding/json (with HTML escaping, as
// Marshal does) copies unescaped.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

const hex = "0123456789abcdef"

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// safe8 reports whether the eight bytes of x are all htmlSafe: none
// non-ASCII, below 0x20, or one of " \ < > &.
func safe8(x uint64) bool {
	// zero reports a zero byte (exactly, as a whole).
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	bad := x&highs | // non-ASCII
		(x-0x20*ones)&^x&highs | // below 0x20
		zero(x^('\\'*ones)) |
		zero((x|0x04*ones)^('&'*ones)) | // " (0x22) or & (0x26)
		zero((x|0x02*ones)^('>'*ones)) // < (0x3c) or > (0x3e)
	return bad == 0
}

// appendString is encoding/json's appendString with escapeHTML set: \b \f
// \n \r \t short forms, other controls and <>& as \u00XX, invalid UTF-8 as
// \ufffd, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	i := 0
	// Skip safe ASCII eight bytes at a time: most strings are all of it.
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if !safe8(x) {
			break
		}
	}
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
