package modules

import (
	"fmt"
	"sort"
	"strings"
)

// The front end rewrites, before gpython compiles a module, the constructs
// its compiler gets wrong or lacks. Every rewrite keeps each line on its
// line, so tracebacks still point at the author's source:
//
//   - f"..." becomes "...".format(...) (gpython has no f-strings);
//   - super() inside a method becomes super(__class__, <first arg>)
//     (gpython's compiler already makes the __class__ cell);
//   - a decorated def whose parameters have defaults or annotations gets
//     them moved into its innermost decorator,
//     @_gomgr_defaults(dec, (defaults...), {kwdefaults...}): gpython
//     pushes defaults before decorators and so calls a default as the
//     decorator;
//   - a string literal followed by % becomes _gomgr_pct("...") so
//     %-formatting is Python's, not Go's fmt;
//   - in a module defining __eq__ or __ne__, a == b, !=, in and not in
//     become calls that honour them (frontend_eq.go).
//
// Source without any of these comes back unchanged and costs one scan.

// tok is one token of Python source: its kind, byte span and the column of
// its line's first token.
type tok struct {
	kind       tokKind
	start, end int
	lineStart  bool // first token of a logical line
	indent     int  // column of that line's first token
	depth      int  // bracket depth before this token
}

type tokKind uint8

const (
	tName tokKind = iota
	tNumber
	tString
	tOp
	tNewline // end of a logical line
)

// tokenize splits src into tokens; comments, blank lines and
// continuation lines produce none.
func tokenize(src string) ([]tok, error) {
	var toks []tok
	depth, col, lineStart := 0, 0, true
	indent := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			if depth == 0 && !lineStart {
				toks = append(toks, tok{kind: tNewline, start: i, end: i + 1})
				lineStart = true
			}
			i++
			col = 0
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
			col++
			continue
		case c == '\\' && i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == '\r'):
			i += 2
			if i < len(src) && src[i-1] == '\r' && src[i] == '\n' {
				i++
			}
			col = 0
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		if lineStart {
			indent = col
		}
		t := tok{start: i, lineStart: lineStart, indent: indent, depth: depth}
		lineStart = false
		switch {
		case isStringStart(src, i):
			end, err := stringEnd(src, i)
			if err != nil {
				return nil, err
			}
			t.kind, i = tString, end
		case isIdentStart(c):
			for i < len(src) && isIdentChar(src[i]) {
				i++
			}
			t.kind = tName
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			for i < len(src) && (isIdentChar(src[i]) || src[i] == '.' ||
				(src[i] == '+' || src[i] == '-') && (src[i-1] == 'e' || src[i-1] == 'E') && !strings.HasPrefix(src[t.start:], "0x")) {
				i++
			}
			t.kind = tNumber
		default:
			t.kind = tOp
			n := 1
			for _, op := range []string{"**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="} {
				if strings.HasPrefix(src[i:], op) {
					n = len(op)
					break
				}
			}
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			i += n
		}
		t.end = i
		col += t.end - t.start
		toks = append(toks, t)
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// stringPrefix returns the prefix letters of a string literal at i ("" if
// none) and whether a literal starts there.
func stringPrefix(src string, i int) (string, bool) {
	j := i
	for j < len(src) && j-i < 2 && strings.IndexByte("rRbBuUfF", src[j]) >= 0 {
		j++
	}
	if j < len(src) && (src[j] == '"' || src[j] == '\'') {
		return src[i:j], true
	}
	return "", false
}

func isStringStart(src string, i int) bool {
	if i > 0 && isIdentChar(src[i-1]) {
		return false
	}
	_, ok := stringPrefix(src, i)
	return ok
}

// stringEnd returns the index just past the string literal at i.
func stringEnd(src string, i int) (int, error) {
	p, _ := stringPrefix(src, i)
	raw := strings.ContainsAny(p, "rR")
	j := i + len(p)
	q := src[j : j+1]
	if strings.HasPrefix(src[j:], q+q+q) {
		q = q + q + q
	}
	j += len(q)
	for j < len(src) {
		switch {
		case src[j] == '\\' && !raw || src[j] == '\\' && raw && j+1 < len(src):
			j += 2
		case strings.HasPrefix(src[j:], q):
			return j + len(q), nil
		case src[j] == '\n' && len(q) == 1:
			return 0, fmt.Errorf("line %d: unterminated string literal", strings.Count(src[:i], "\n")+1)
		default:
			j++
		}
	}
	return 0, fmt.Errorf("line %d: unterminated string literal", strings.Count(src[:i], "\n")+1)
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
	group      int // >0: applied only with every edit of its group
}

// rewriteSource applies the front end to a module's source.
func rewriteSource(src string) (string, error) {
	if !strings.Contains(src, "super()") && !strings.Contains(src, "@") &&
		!strings.Contains(src, "%") && !hasFString(src) &&
		!strings.Contains(src, "__eq__") && !strings.Contains(src, "__ne__") {
		return src, nil
	}
	toks, err := tokenize(src)
	if err != nil {
		return "", err
	}
	var edits []edit
	type scope struct {
		indent int
		first  string // first parameter of a def
	}
	var defs []scope
	userEq := definesEq(src, toks)
	decorator := false // on a decorator line, which may be moved whole
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.lineStart {
			for len(defs) > 0 && defs[len(defs)-1].indent >= t.indent {
				defs = defs[:len(defs)-1]
			}
			decorator = src[t.start:t.end] == "@"
		}
		text := src[t.start:t.end]
		switch {
		case userEq && !decorator && (t.kind == tOp && (text == "==" || text == "!=") || t.kind == tName && (text == "in" || text == "not")):
			edits = append(edits, compareEdits(src, toks, i, len(edits)+1)...)
		case t.kind == tName && text == "def" && i+2 < len(toks):
			first := ""
			if j := i + 3; j < len(toks) && toks[j].kind == tName {
				first = src[toks[j].start:toks[j].end]
			}
			defs = append(defs, scope{indent: t.indent, first: first})
		case t.kind == tName && text == "super" && i+2 < len(toks) &&
			src[toks[i+1].start:toks[i+1].end] == "(" && src[toks[i+2].start:toks[i+2].end] == ")" &&
			(i == 0 || src[toks[i-1].start:toks[i-1].end] != "."):
			if len(defs) > 0 && defs[len(defs)-1].first != "" {
				edits = append(edits, edit{start: toks[i+1].start, end: toks[i+2].end, text: "(__class__, " + defs[len(defs)-1].first + ")"})
			}
		case t.kind == tOp && text == "@" && t.lineStart:
			e, err := decoratorEdits(src, toks, i)
			if err != nil {
				return "", err
			}
			edits = append(edits, e...)
		case t.kind == tString:
			j := i
			for j+1 < len(toks) && toks[j+1].kind == tString {
				j++
			}
			e, err := stringEdits(src, toks[i:j+1], j+1 < len(toks) && src[toks[j+1].start:toks[j+1].end] == "%")
			if err != nil {
				return "", err
			}
			edits = append(edits, e...)
			i = j
		}
	}
	if len(edits) == 0 {
		return src, nil
	}
	// Edits in source order (an insertion before a replacement at the
	// same place, an outer span before an inner one); one inside another's
	// span (a string in a moved default) is dropped: the outer one carries
	// that text.
	sort.SliceStable(edits, func(a, b int) bool {
		ea, eb := edits[a], edits[b]
		if ea.start != eb.start {
			return ea.start < eb.start
		}
		if (ea.start == ea.end) != (eb.start == eb.end) {
			return ea.start == ea.end
		}
		return ea.end > eb.end
	})
	// A group (a comparison's three parts) is kept whole or dropped
	// whole; dropping one can keep another edit, so repeat until stable.
	dropped := map[int]bool{}
	keep := make([]bool, len(edits))
	for again := true; again; {
		again = false
		pos := 0
		for k, e := range edits {
			keep[k] = e.start >= pos && !dropped[e.group]
			if keep[k] {
				pos = e.end
			}
		}
		for k, e := range edits {
			if !keep[k] && e.group > 0 && !dropped[e.group] {
				dropped[e.group], again = true, true
			}
		}
	}
	var b strings.Builder
	pos := 0
	for k, e := range edits {
		if !keep[k] {
			continue
		}
		b.WriteString(src[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.WriteString(src[pos:])
	return b.String(), nil
}

func hasFString(src string) bool {
	for _, q := range []string{`f"`, `f'`, `F"`, `F'`} {
		if strings.Contains(src, q) {
			return true
		}
	}
	return false
}

// stringEdits rewrites a run of adjacent string literals: f-strings become
// str.format calls, and a run followed by % is wrapped in _gomgr_pct.
func stringEdits(src string, run []tok, pct bool) ([]edit, error) {
	hasF := false
	for _, t := range run {
		p, _ := stringPrefix(src, t.start)
		if strings.ContainsAny(p, "fF") {
			hasF = true
		}
		if strings.ContainsAny(p, "bB") {
			return nil, nil
		}
	}
	if !hasF && !pct {
		return nil, nil
	}
	start, end := run[0].start, run[len(run)-1].end
	var b strings.Builder
	if pct {
		b.WriteString("_gomgr_pct(")
	}
	if hasF {
		b.WriteString("(")
	}
	pos := start
	for k, t := range run {
		gap := src[pos:t.start]
		if k > 0 && hasF {
			// Keep the gap's newlines and comments; join the parts with +.
			b.WriteString(gap)
			b.WriteString("+ ")
		} else {
			b.WriteString(gap)
		}
		lit := src[t.start:t.end]
		if p, _ := stringPrefix(src, t.start); strings.ContainsAny(p, "fF") {
			s, err := fstringToFormat(lit, p)
			if err != nil {
				return nil, fmt.Errorf("line %d: f-string: %w", strings.Count(src[:t.start], "\n")+1, err)
			}
			lit = s
		}
		b.WriteString(lit)
		pos = t.end
	}
	if hasF {
		b.WriteString(")")
	}
	if pct {
		b.WriteString(")")
	}
	return []edit{{start: start, end: end, text: b.String()}}, nil
}

// fstringToFormat turns one f-string literal into "...".format(args).
// Newlines inside replacement fields move into the argument list, so the
// line count is unchanged.
func fstringToFormat(lit, prefix string) (string, error) {
	p := strings.NewReplacer("f", "", "F", "").Replace(prefix)
	body := lit[len(prefix):]
	q := body[:1]
	if strings.HasPrefix(body, q+q+q) {
		q = q + q + q
	}
	body = body[len(q) : len(body)-len(q)]
	var out strings.Builder
	var args []string
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '{' && strings.HasPrefix(body[i:], "{{"), c == '}' && strings.HasPrefix(body[i:], "}}"):
			out.WriteString(body[i : i+2])
			i += 2
		case c == '{':
			field, n, err := fstringField(body[i+1:], &args)
			if err != nil {
				return "", err
			}
			out.WriteString(field)
			i += 1 + n
		case c == '}':
			return "", fmt.Errorf("single '}' is not allowed")
		case c == '\\' && i+1 < len(body):
			out.WriteString(body[i : i+2])
			i += 2
		default:
			out.WriteByte(c)
			i++
		}
	}
	return p + q + out.String() + q + ".format(" + strings.Join(args, ", ") + ")", nil
}

// fstringField parses one replacement field after its '{' and returns the
// str.format field for it, and how many bytes it used (with the '}').
func fstringField(s string, args *[]string) (string, int, error) {
	end, stop := exprEnd(s, true)
	if end >= len(s) {
		return "", 0, fmt.Errorf("expecting '}'")
	}
	expr := s[:end]
	if strings.TrimSpace(expr) == "" {
		return "", 0, fmt.Errorf("empty expression not allowed")
	}
	var field strings.Builder
	debug := false
	i := end
	if stop == '=' {
		debug = true
		i++
	}
	*args = append(*args, "("+expr+")")
	if debug {
		field.WriteString(strings.NewReplacer("{", "{{", "}", "}}").Replace(expr) + "=")
	}
	field.WriteString(fmt.Sprintf("{%d", len(*args)-1))
	conv := ""
	if i < len(s) && s[i] == '!' && i+1 < len(s) {
		conv = s[i : i+2]
		i += 2
	}
	if debug && conv == "" && (i >= len(s) || s[i] != ':') {
		conv = "!r"
	}
	field.WriteString(conv)
	if i < len(s) && s[i] == ':' {
		field.WriteByte(':')
		i++
		// The spec, with nested {expr} fields.
		for i < len(s) && s[i] != '}' {
			if s[i] == '{' {
				e, _ := exprEnd(s[i+1:], false)
				if i+1+e >= len(s) || s[i+1+e] != '}' {
					return "", 0, fmt.Errorf("bad nested format spec")
				}
				*args = append(*args, "("+s[i+1:i+1+e]+")")
				field.WriteString(fmt.Sprintf("{%d}", len(*args)-1))
				i += e + 2
				continue
			}
			field.WriteByte(s[i])
			i++
		}
	}
	if i >= len(s) || s[i] != '}' {
		return "", 0, fmt.Errorf("expecting '}'")
	}
	field.WriteByte('}')
	return field.String(), i + 1, nil
}

// exprEnd finds where an f-string expression ends: the index of the
// top-level '}', '!' (not '!='), ':' or debug '=', and which it was.
func exprEnd(s string, top bool) (int, byte) {
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return len(s), 0
			}
			i += j + 1
		case '(', '[', '{':
			depth++
		case ')', ']':
			depth--
		case '}':
			if depth == 0 {
				return i, c
			}
			depth--
		case '!':
			if depth == 0 && top && !strings.HasPrefix(s[i:], "!=") {
				return i, c
			}
		case ':':
			if depth == 0 && top {
				return i, c
			}
		case '=':
			if depth == 0 && top && i+1 < len(s) && strings.IndexByte("}!:", s[i+1]) >= 0 &&
				(i == 0 || strings.IndexByte("=!<>", s[i-1]) < 0) {
				return i, c
			}
		}
	}
	return len(s), 0
}

// decoratorEdits handles the decorators starting at toks[at] ('@' at a line
// start): when the def they decorate has defaults or annotations, these
// move into the innermost decorator.
func decoratorEdits(src string, toks []tok, at int) ([]edit, error) {
	// Find the def: skip decorator lines.
	last := at // index of the innermost decorator's '@'
	i := at
	for i < len(toks) {
		for i < len(toks) && toks[i].kind != tNewline {
			i++
		}
		i++
		if i >= len(toks) || !toks[i].lineStart {
			return nil, nil
		}
		if src[toks[i].start:toks[i].end] == "@" {
			last = i
			continue
		}
		break
	}
	if i >= len(toks) || src[toks[i].start:toks[i].end] != "def" || i+2 >= len(toks) || src[toks[i+2].start:toks[i+2].end] != "(" {
		return nil, nil // a class, or something else
	}
	// Walk the parameter list at depth+1 of the '('.
	open := i + 2
	pdepth := toks[open].depth + 1
	var defaults []string
	var kwdefaults []string
	var edits []edit
	kwOnly := false
	param := ""
	j := open + 1
	for ; j < len(toks); j++ {
		t := toks[j]
		text := src[t.start:t.end]
		if t.depth == pdepth-1 || (t.depth == pdepth && text == ")") {
			break
		}
		if t.depth != pdepth {
			continue
		}
		switch {
		case t.kind == tName && param == "":
			param = text
		case text == "*" || text == "**":
			kwOnly = true
			param = ""
		case text == ",":
			param = ""
		case text == "=" || text == ":":
			// The default or annotation runs to the next ',' or ')' at
			// this depth (an annotation may be followed by a default).
			k := j + 1
			for k < len(toks) {
				tk := toks[k]
				tt := src[tk.start:tk.end]
				if tk.depth == pdepth && (tt == "," || tt == ")" || tt == "=" && text == ":") {
					break
				}
				k++
			}
			if k >= len(toks) {
				return nil, nil
			}
			edits = append(edits, edit{start: t.start, end: toks[k-1].end, text: keepNewlines(src[t.start:toks[k-1].end])})
			if text == "=" {
				if kwOnly {
					kwdefaults = append(kwdefaults, fmt.Sprintf("%q: (%s)", param, flatten(src, toks[j+1:k])))
				} else {
					defaults = append(defaults, "("+flatten(src, toks[j+1:k])+")")
				}
			}
			j = k - 1
		}
	}
	if j >= len(toks) {
		return nil, nil
	}
	// A return annotation: '->' up to the ':' ending the def line.
	if j+1 < len(toks) && src[toks[j+1].start:toks[j+1].end] == "->" {
		k := j + 2
		for k < len(toks) && !(toks[k].depth == toks[open].depth && src[toks[k].start:toks[k].end] == ":") {
			k++
		}
		if k < len(toks) {
			edits = append(edits, edit{start: toks[j+1].start, end: toks[k-1].end, text: keepNewlines(src[toks[j+1].start:toks[k-1].end])})
		}
	}
	if len(edits) == 0 {
		// gpython compiles a dotted decorator (@size.setter) as one name:
		// make each an argument expression.
		for d := at; d < open; d++ {
			if toks[d].lineStart && src[toks[d].start:toks[d].end] == "@" {
				e := d + 1
				for e < len(toks) && toks[e].kind != tNewline {
					e++
				}
				if dec := src[toks[d+1].start:toks[e-1].end]; strings.Contains(strings.SplitN(dec, "(", 2)[0], ".") {
					edits = append(edits, edit{start: toks[d+1].start, end: toks[e-1].end, text: "_gomgr_defaults(" + dec + ", (), {})"})
				}
			}
		}
		return edits, nil
	}
	// Wrap the innermost decorator's expression.
	d := last + 1
	e := d
	for e < len(toks) && toks[e].kind != tNewline {
		e++
	}
	dec := src[toks[d].start:toks[e-1].end]
	wrap := fmt.Sprintf("_gomgr_defaults(%s, (%s), {%s})", dec, strings.Join(append(defaults, ""), ", "), strings.Join(kwdefaults, ", "))
	if len(defaults) == 0 {
		wrap = fmt.Sprintf("_gomgr_defaults(%s, (), {%s})", dec, strings.Join(kwdefaults, ", "))
	}
	return append([]edit{{start: toks[d].start, end: toks[e-1].end, text: wrap}}, edits...), nil
}

// keepNewlines is s with everything but its newlines removed, so a
// removed span keeps the lines after it in place.
func keepNewlines(s string) string { return strings.Repeat("\n", strings.Count(s, "\n")) }

// flatten joins tokens' text on one line (dropping comments and newlines
// between them) for an expression moved to another line.
func flatten(src string, ts []tok) string {
	var b strings.Builder
	for k, t := range ts {
		if k > 0 {
			b.WriteByte(' ')
		}
		text := src[t.start:t.end]
		if t.kind == tString {
			// A multi-line string cannot move lines.
			text = strings.ReplaceAll(text, "\n", `\n`)
		}
		b.WriteString(text)
	}
	return b.String()
}
