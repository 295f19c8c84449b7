package jsontree

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// ErrSyntax is JSON that does not parse.
var ErrSyntax = errors.New("jsontree: invalid JSON")

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// Parse decodes JSON straight into a tree (map[string]any, []any, string,
// int64, float64, bool, nil; integers beyond int64 stay exact as
// json.Number), as ParseStd does (encoding/json with UseNumber, then
// normalized) but about three times faster on a large map. Strings with
// escapes or non-ASCII bytes are unquoted by encoding/json itself, so the
// two agree byte for byte (FuzzParse checks it). Errors wrap ErrSyntax.
func Parse(raw []byte) (any, error) {
	p := jsonParser{b: raw}
	p.space()
	v := p.value(0)
	if p.err == nil {
		p.space()
		if p.i != len(p.b) {
			p.fail("trailing data")
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return v, nil
}

type jsonParser struct {
	b    []byte
	i    int
	err  error
	keys map[string]string // object keys repeat (every OSD has "up"): one string each
}

func (p *jsonParser) fail(what string) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: %s at offset %d", ErrSyntax, what, p.i)
	}
}

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) any {
	if depth > maxJSONDepth {
		p.fail("nesting too deep")
		return nil
	}
	if p.i >= len(p.b) {
		p.fail("unexpected end")
		return nil
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", true)
	case c == 'f':
		return p.literal("false", false)
	case c == 'n':
		return p.literal("null", nil)
	default:
		p.fail("unexpected character")
		return nil
	}
}

func (p *jsonParser) literal(word string, v any) any {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		p.fail("bad literal")
		return nil
	}
	p.i += len(word)
	return v
}

func (p *jsonParser) object(depth int) any {
	p.i++ // {
	m := make(map[string]any)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return m
	}
	for p.err == nil {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			p.fail("expected a key")
			return nil
		}
		k := p.key()
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			p.fail("expected ':'")
			return nil
		}
		p.i++
		p.space()
		m[k] = p.value(depth + 1)
		p.space()
		if p.i >= len(p.b) {
			p.fail("unexpected end in object")
			return nil
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return m
		default:
			p.fail("expected ',' or '}'")
			return nil
		}
	}
	return nil
}

func (p *jsonParser) array(depth int) any {
	p.i++ // [
	a := make([]any, 0, 4)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a
	}
	for p.err == nil {
		p.space()
		a = append(a, p.value(depth+1))
		p.space()
		if p.i >= len(p.b) {
			p.fail("unexpected end in array")
			return nil
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return a
		default:
			p.fail("expected ',' or ']'")
			return nil
		}
	}
	return nil
}

// key reads an object key, interned.
func (p *jsonParser) key() string {
	raw, plain := p.token()
	if p.err != nil {
		return ""
	}
	if !plain {
		return p.unquote(raw)
	}
	body := raw[1 : len(raw)-1]
	if k, ok := p.keys[string(body)]; ok { // no allocation to look up
		return k
	}
	k := string(body)
	if p.keys == nil {
		p.keys = make(map[string]string)
	}
	if len(p.keys) < 4096 {
		p.keys[k] = k
	}
	return k
}

// str reads a string value.
func (p *jsonParser) str() string {
	raw, plain := p.token()
	if p.err != nil {
		return ""
	}
	if plain {
		return string(raw[1 : len(raw)-1])
	}
	return p.unquote(raw)
}

// unquote leaves strings with escapes or non-ASCII bytes to encoding/json,
// so that escapes, surrogates and invalid UTF-8 come out the same as there.
func (p *jsonParser) unquote(raw []byte) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.fail("bad string")
	}
	return s
}

// token scans a string token, quotes included; plain means printable ASCII
// without escapes.
func (p *jsonParser) token() (raw []byte, plain bool) {
	start := p.i
	p.i++ // "
	plain = true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start:p.i], plain
		case c == '\\':
			plain = false
			p.i += 2
		case c < 0x20:
			p.fail("control character in string")
			return nil, false
		case c >= utf8.RuneSelf:
			plain = false
			p.i++
		default:
			p.i++
		}
	}
	p.fail("unterminated string")
	return nil, false
}

func (p *jsonParser) number() any {
	start := p.i
	integer := true
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		p.fail("bad number")
		return nil
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		integer = false
		p.i++
		if p.digits() == 0 {
			p.fail("bad fraction")
			return nil
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		integer = false
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			p.fail("bad exponent")
			return nil
		}
	}
	text := p.b[start:p.i]
	if integer && len(text) <= 18 {
		// Fits int64 without overflow checks: at most 18 digits.
		var n int64
		neg := text[0] == '-'
		digits := text
		if neg {
			digits = text[1:]
		}
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n
	}
	s := string(text)
	if integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		return json.Number(s) // beyond int64: kept exact, as normalize does
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s // out of float range: the text is all there is, as normalize does
	}
	return f
}

func (p *jsonParser) digits() int {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// ParseStd is Parse done by encoding/json with UseNumber: the reference
// Parse is checked against.
func ParseStd(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrSyntax)
	}
	return normalize(v), nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		if isInteger(string(x)) {
			// Beyond int64 (a uint64 counter): kept exact, as json.Number,
			// which the Python engine reads as an int.
			return x
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			// Out of float range: the text is all there is.
			return string(x)
		}
		return f
	case []any:
		for i, el := range x {
			x[i] = normalize(el)
		}
		return x
	case map[string]any:
		for k, el := range x {
			x[k] = normalize(el)
		}
		return x
	default:
		return v
	}
}

// isInteger reports whether a JSON number's text has no fraction or
// exponent.
func isInteger(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}
