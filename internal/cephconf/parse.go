package cephconf

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// This file is Ceph's ceph.conf grammar (src/common/ConfUtils.cc, a
// boost::spirit::qi grammar, the same in 16.2 as today), one function per
// rule, so that gomgr accepts exactly the files Ceph accepts and reads the
// same values from them:
//
//	skipper        = continue_marker | comment
//	continue_marker= '\\' eol
//	comment        = *blank >> ('#' | ';') > *(char_ - eol)
//	text_char      = ('\\' >> (char_ - eol)) | (char_ - ('#' | ';' | eol))
//	blanks         = *blank
//	empty_line     = -(blanks | comment) >> eol
//	key            = raw[+(text_char - char_("=[ ")) % +blank]
//	quoted_value   = lexeme['"' >> *(text_char - '"') > '"'] | (the same with ')
//	unquoted_value = *text_char
//	value          = quoted_value | unquoted_value
//	key_val        = blanks >> key >> blanks >> '=' > blanks > value > +empty_line
//	heading        = '[' > +(text_char - ']') > ']' > +empty_line
//	section        = heading >> *(key_val - heading) >> *eol
//	conf_file      = (key_val | (*eol >> *section)) > eoi
//
// With a skipper, spirit skips (here: backslash-newlines and comments)
// before every element of a rule, so a backslash at the end of a line joins
// it to the next almost anywhere; inside lexeme[] (quoted values) and
// inside the rules without a skipper it does not. A failed '>' expectation
// is an error, a failed '>>' sequence backtracks. What follows from the
// grammar, and was checked against ceph-conf 16.2.15 (TestInteropCephConf):
//
//   - the file must end with a newline (or a comment): "k = v" at the very
//     end is an error;
//   - before the first section, only empty lines and comments (a line of
//     blanks is an error), except that a file of exactly one "key = value"
//     is that key in [global];
//   - section headings and keys start in column 1 ... of their logical
//     line: no blanks before '[', but blanks before a key are fine;
//   - a line that is neither a heading nor "key = value" is an error;
//   - '#' and ';' start a comment anywhere outside quotes, and cannot be
//     inside quotes at all (unless escaped: \#);
//   - a backslash escapes the next character (it is dropped), except in
//     keys, which are the raw text;
//   - keys are case-sensitive; their leading and trailing white space is
//     dropped and every inner run of it becomes one '_' (mon host ->
//     mon_host); a dash stays a dash;
//   - values lose their leading and trailing white space, quoted or not;
//   - later lines win over earlier ones, and a section that appears twice
//     is merged;
//   - the file must be valid UTF-8, and a byte above 0x7f anywhere but in
//     a comment or a quoted value makes Ceph abort: spirit's isblank
//     asserts that its argument is ASCII (the Debian build keeps asserts).
//     gomgr reports an error there instead.

// line is one "key = value" of a section.
type line struct {
	key, value string
	line       int // where the key starts
}

// section is one [heading] and its lines, in file order.
type section struct {
	name  string
	line  int
	lines []line
}

// parser holds the input; positions are byte offsets into buf. Hard errors
// (failed expectations) panic with *SyntaxError and are recovered in parse.
type parser struct {
	buf        []byte
	lineStarts []int // offsets where lines start, computed when first needed
	// The last run of blanks scanned, [runFrom, runEnd): the skipper looks
	// for a comment after the blanks at every position, which would make a
	// long run quadratic.
	runFrom, runEnd int
}

// parse returns the sections of buf in file order, the lines of each in
// file order (duplicates included).
func parse(buf []byte) (secs []section, err error) {
	p := &parser{buf: buf}
	if !utf8.Valid(buf) {
		i := 0
		for i < len(buf) {
			r, n := utf8.DecodeRune(buf[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, p.errorAt(i, "invalid UTF-8")
	}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			secs, err = nil, se
		}
	}()
	return p.confFile(), nil
}

func (p *parser) fail(pos int, format string, args ...any) {
	panic(p.errorAt(pos, fmt.Sprintf(format, args...)))
}

// errorAt makes a SyntaxError at byte offset pos.
func (p *parser) errorAt(pos int, msg string) *SyntaxError {
	ln, col := p.lineCol(pos)
	return &SyntaxError{Line: ln, Col: col, Msg: msg}
}

// lineCol converts a byte offset into a 1-based line and column; "\r\n",
// "\r" and "\n" each end a line.
func (p *parser) lineCol(pos int) (ln, col int) {
	if p.lineStarts == nil {
		p.lineStarts = []int{0}
		for i := 0; i < len(p.buf); i++ {
			switch p.buf[i] {
			case '\r':
				if i+1 < len(p.buf) && p.buf[i+1] == '\n' {
					i++
				}
				p.lineStarts = append(p.lineStarts, i+1)
			case '\n':
				p.lineStarts = append(p.lineStarts, i+1)
			}
		}
	}
	// the last line start at or before pos
	n, _ := slices.BinarySearch(p.lineStarts, pos+1)
	return n, pos - p.lineStarts[n-1] + 1
}

func (p *parser) lineAt(pos int) int {
	ln, _ := p.lineCol(pos)
	return ln
}

// isBlank is spirit's blank, with its ASCII assertion turned into an error.
// i < len(buf).
func (p *parser) isBlank(i int) bool {
	c := p.buf[i]
	if c >= 0x80 {
		p.fail(i, "byte %#x outside a comment or a quoted value: Ceph 16.2 aborts on it (boost::spirit isblank assertion)", c)
	}
	return c == ' ' || c == '\t'
}

func isEOLByte(c byte) bool { return c == '\n' || c == '\r' }

// eol matches "\r\n", "\r" or "\n" at i.
func (p *parser) eol(i int) (int, bool) {
	if i < len(p.buf) {
		switch p.buf[i] {
		case '\r':
			if i+1 < len(p.buf) && p.buf[i+1] == '\n' {
				return i + 2, true
			}
			return i + 1, true
		case '\n':
			return i + 1, true
		}
	}
	return i, false
}

// skip is spirit's pre-skip: the skipper, as many times as it matches.
func (p *parser) skip(i int) int {
	for {
		j, ok := p.skipOnce(i)
		if !ok {
			return i
		}
		i = j
	}
}

// skipOnce is the skipper: continue_marker | comment.
func (p *parser) skipOnce(i int) (int, bool) {
	n := len(p.buf)
	if i < n && p.buf[i] == '\\' {
		if j, ok := p.eol(i + 1); ok {
			return j, true
		}
	}
	j := p.blanks(i)
	if j < n && (p.buf[j] == '#' || p.buf[j] == ';') {
		for j++; j < n && !isEOLByte(p.buf[j]); j++ {
		}
		return j, true
	}
	return i, false
}

// blanks is *blank, without skipping.
func (p *parser) blanks(i int) int {
	if i >= p.runFrom && i <= p.runEnd && p.runEnd > 0 {
		return p.runEnd
	}
	j := i
	for j < len(p.buf) && p.isBlank(j) {
		j++
	}
	p.runFrom, p.runEnd = i, j
	return j
}

// textChar matches text_char at i (no skipping) and returns the character
// it stands for.
func (p *parser) textChar(i int) (c byte, next int, ok bool) {
	n := len(p.buf)
	if i >= n {
		return 0, i, false
	}
	if p.buf[i] == '\\' && i+1 < n && !isEOLByte(p.buf[i+1]) {
		return p.buf[i+1], i + 2, true
	}
	switch c := p.buf[i]; c {
	case '#', ';', '\r', '\n':
		return 0, i, false
	default:
		return c, i + 1, true
	}
}

// emptyLine is empty_line, called from a rule with the skipper.
func (p *parser) emptyLine(i int) (int, bool) {
	return p.eol(p.blanks(p.skip(i)))
}

// keyElem is +(text_char - char_("=[ ")).
func (p *parser) keyElem(i int) (int, bool) {
	matched := false
	for {
		j := p.skip(i)
		if j < len(p.buf) {
			if c := p.buf[j]; c == '=' || c == '[' || c == ' ' {
				break
			}
		}
		_, k, ok := p.textChar(j)
		if !ok {
			break
		}
		i, matched = k, true
	}
	return i, matched
}

// key is raw[keyElem % +blank]: the raw text, escapes and joined lines
// included, normalised later.
func (p *parser) key(i int) (string, int, bool) {
	i = p.skip(i)
	start := i
	i, ok := p.keyElem(i)
	if !ok {
		return "", start, false
	}
	for {
		// +blank, each blank after a pre-skip
		k := p.skip(i)
		if k >= len(p.buf) || !p.isBlank(k) {
			break
		}
		k++
		for {
			m := p.skip(k)
			if m >= len(p.buf) || !p.isBlank(m) {
				break
			}
			k = m + 1
		}
		e, ok := p.keyElem(k)
		if !ok {
			break
		}
		i = e
	}
	return string(p.buf[start:i]), i, true
}

// value is quoted_value | unquoted_value.
func (p *parser) value(i int) (string, int) {
	n := len(p.buf)
	if j := p.skip(i); j < n && (p.buf[j] == '"' || p.buf[j] == '\'') {
		q := p.buf[j]
		var v []byte
		k := j + 1
		for k < n && p.buf[k] != q {
			c, next, ok := p.textChar(k)
			if !ok {
				break
			}
			v, k = append(v, c), next
		}
		if k >= n || p.buf[k] != q {
			if k < n && (p.buf[k] == '#' || p.buf[k] == ';') {
				p.fail(k, "expected %c to end the quoted value: %c cannot be inside quotes (escape it: \\%c)", q, p.buf[k], p.buf[k])
			}
			p.fail(k, "expected %c to end the quoted value", q)
		}
		return string(v), k + 1
	}
	var v []byte
	for {
		j := p.skip(i)
		c, next, ok := p.textChar(j)
		if !ok {
			return string(v), j
		}
		v, i = append(v, c), next
	}
}

// keyVal is key_val. ok is false if it did not match before its '='; after
// the '=' a mismatch is an error.
func (p *parser) keyVal(i int) (l line, next int, ok bool) {
	i = p.blanks(p.skip(i))
	keyPos := p.skip(i)
	raw, i, ok := p.key(i)
	if !ok {
		return line{}, i, false
	}
	i = p.skip(p.blanks(p.skip(i)))
	if i >= len(p.buf) || p.buf[i] != '=' {
		return line{}, i, false
	}
	i = p.blanks(p.skip(i + 1))
	val, i := p.value(i)
	j, ok := p.emptyLine(i)
	if !ok {
		if p.skip(i) >= len(p.buf) {
			p.fail(i, "missing newline at the end of the file (Ceph requires it)")
		}
		p.fail(i, "expected the end of the line after the value")
	}
	for {
		k, ok := p.emptyLine(j)
		if !ok {
			break
		}
		j = k
	}
	return line{key: normalizeKey(raw), value: trimSpace(val), line: p.lineAt(keyPos)}, j, true
}

// heading is heading: ok is false if there is no '[' at i; after it, a
// mismatch is an error.
func (p *parser) heading(i int) (name string, next int, ok bool) {
	i = p.skip(i)
	if i >= len(p.buf) || p.buf[i] != '[' {
		return "", i, false
	}
	i++
	var b []byte
	for {
		j := p.skip(i)
		if j < len(p.buf) && p.buf[j] == ']' {
			break
		}
		c, k, ok := p.textChar(j)
		if !ok {
			break
		}
		b, i = append(b, c), k
	}
	if len(b) == 0 {
		p.fail(i, "expected a section name")
	}
	if j := p.skip(i); j >= len(p.buf) || p.buf[j] != ']' {
		p.fail(j, "expected ] to end the section name")
	} else {
		i = j + 1
	}
	j, ok := p.emptyLine(i)
	if !ok {
		if p.skip(i) >= len(p.buf) {
			p.fail(i, "missing newline at the end of the file (Ceph requires it)")
		}
		p.fail(i, "expected the end of the line after [%s]", b)
	}
	for {
		k, ok := p.emptyLine(j)
		if !ok {
			break
		}
		j = k
	}
	return string(b), j, true
}

// eols is *eol, each after a pre-skip.
func (p *parser) eols(i int) int {
	for {
		j, ok := p.eol(p.skip(i))
		if !ok {
			return i
		}
		i = j
	}
}

// section is section; ok is false if there is no heading at i.
func (p *parser) section(i int) (section, int, bool) {
	start := p.skip(i)
	name, i, ok := p.heading(i)
	if !ok {
		return section{}, i, false
	}
	s := section{name: name, line: p.lineAt(start)}
	for {
		if _, _, ok := p.heading(i); ok {
			break
		}
		l, next, ok := p.keyVal(i)
		if !ok {
			break
		}
		s.lines, i = append(s.lines, l), next
	}
	return s, p.eols(i), true
}

// confFile is conf_file.
func (p *parser) confFile() []section {
	var secs []section
	if l, i, ok := p.keyVal(0); ok {
		// A file of a single "key = value" is that key in [global].
		p.eoi(i, true)
		return []section{{name: "global", line: l.line, lines: []line{l}}}
	}
	i := p.eols(0)
	for {
		s, next, ok := p.section(i)
		if !ok {
			break
		}
		secs, i = append(secs, s), next
	}
	p.eoi(i, false)
	return secs
}

// eoi expects the end of the input, after a pre-skip. single says the
// file began with a key outside any section.
func (p *parser) eoi(i int, single bool) {
	i = p.skip(i)
	if i >= len(p.buf) {
		return
	}
	switch c := p.buf[i]; {
	case single:
		p.fail(i, `a key before the first [section] is allowed only if it is the whole file`)
	case c == ' ' || c == '\t':
		p.fail(i, `expected a [section] or "key = value" line (a [section] cannot be indented, a line of blanks cannot come before the first section)`)
	default:
		p.fail(i, `expected a [section] or "key = value" line`)
	}
}

// normalizeKey is ConfFile::normalize_key_name: leading and trailing white
// space dropped, every inner run of it replaced by one '_'.
func normalizeKey(k string) string {
	var b []byte
	space := false
	for i := 0; i < len(k); i++ {
		if isSpace(k[i]) {
			space = true
			continue
		}
		if space && len(b) > 0 {
			b = append(b, '_')
		}
		space = false
		b = append(b, k[i])
	}
	return string(b)
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}
