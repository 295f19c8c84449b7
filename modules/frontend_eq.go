package modules

import "strings"

// Comparisons that honour a user __eq__: gpython compares instances of
// Python classes by identity whatever their class defines. In a module
// that defines __eq__ or __ne__ (and only there, so other modules pay
// nothing), the front end rewrites each unchained comparison whose
// operands are both non-literals:
//
//	a == b      ->  _gomgr_eq(a, b)
//	a != b      ->  _gomgr_ne(a, b)
//	a in b      ->  _gomgr_in(a, b)
//	a not in b  ->  _gomgr_notin(a, b)
//
// which dispatch to the user methods and otherwise compare as gpython
// does (eq.go). Chains (a == b == c, a < b == c) and comparisons with a
// literal operand (x == "up", x == None) are left as they are.

// pyKeywords are the keywords that end an operand (True, False and None
// are operands).
var pyKeywords = map[string]bool{
	"and": true, "as": true, "assert": true, "async": true, "await": true, "break": true,
	"class": true, "continue": true, "def": true, "del": true, "elif": true, "else": true,
	"except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true,
	"or": true, "pass": true, "raise": true, "return": true, "try": true, "while": true,
	"with": true, "yield": true,
}

// compareOps are the operators of a comparison chain.
var compareOps = map[string]bool{"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true, "<>": true, "in": true, "is": true}

// definesEq reports whether src defines __eq__ or __ne__.
func definesEq(src string, toks []tok) bool {
	if !strings.Contains(src, "__eq__") && !strings.Contains(src, "__ne__") {
		return false
	}
	for i := 0; i+1 < len(toks); i++ {
		if src[toks[i].start:toks[i].end] == "def" {
			if n := src[toks[i+1].start:toks[i+1].end]; n == "__eq__" || n == "__ne__" {
				return true
			}
		}
	}
	return false
}

// compareEdits rewrites the comparison whose operator starts at toks[i]
// (==, !=, in, or not followed by in) as edits of the given group; nil
// when it is left as it is.
func compareEdits(src string, toks []tok, i, group int) []edit {
	text := func(k int) string { return src[toks[k].start:toks[k].end] }
	op, opEnd := text(i), i
	var fn string
	switch op {
	case "==":
		fn = "_gomgr_eq("
	case "!=":
		fn = "_gomgr_ne("
	case "in":
		if isForIn(src, toks, i) {
			return nil
		}
		fn = "_gomgr_in("
	case "not":
		if i+1 >= len(toks) || text(i+1) != "in" || i > 0 && text(i-1) == "is" {
			return nil
		}
		fn, opEnd = "_gomgr_notin(", i+1
	default:
		return nil
	}
	d := toks[i].depth
	// The left operand: back to a boundary at this depth.
	l := i
	for l > 0 {
		p := toks[l-1]
		if p.depth > d || p.depth == d && !isBoundary(src, p) {
			l--
			continue
		}
		if ps := src[p.start:p.end]; p.depth == d && (compareOps[ps] || ps == "not" && l >= 2 && text(l-2) == "is") {
			return nil // part of a chain
		}
		break
	}
	// A leading * or ** is a call's unpacking, not multiplication.
	for l < i && (text(l) == "*" || text(l) == "**") {
		l++
	}
	// The right operand: on to a boundary at this depth (a closing
	// bracket at this depth closes the enclosing one).
	r := opEnd + 1
	for r < len(toks) {
		t := toks[r]
		if t.depth > d || t.depth == d && !isBoundary(src, t) && !isCloser(src, t) {
			r++
			continue
		}
		if ts := src[t.start:t.end]; t.depth == d && (compareOps[ts] || ts == "not") {
			return nil
		}
		break
	}
	if l == i || r == opEnd+1 || isLiteral(src, toks[l:i]) || isLiteral(src, toks[opEnd+1:r]) {
		return nil
	}
	return []edit{
		{toks[l].start, toks[l].start, fn, group},
		{toks[i].start, toks[opEnd].end, "," + keepNewlines(src[toks[i].start:toks[opEnd].end]), group},
		{toks[r-1].end, toks[r-1].end, ")", group},
	}
}

// isBoundary reports whether t ends an operand of a comparison.
func isBoundary(src string, t tok) bool {
	s := src[t.start:t.end]
	switch t.kind {
	case tNewline:
		return true
	case tName:
		return pyKeywords[s]
	case tOp:
		switch s {
		case ",", ":", ";", "=", "->", "@":
			return s != "@" || t.lineStart
		}
		if compareOps[s] {
			return true
		}
		// Augmented assignments.
		return len(s) >= 2 && s[len(s)-1] == '=' && s != "==" && s != "!=" && s != "<=" && s != ">="
	}
	return false
}

func isCloser(src string, t tok) bool {
	return t.kind == tOp && strings.Contains(")]}", src[t.start:t.end])
}

// isLiteral reports whether an operand is a number, string, None, True or
// False (possibly negated): comparing one with a user object is rare and
// these stay gpython's fast comparison.
func isLiteral(src string, ts []tok) bool {
	if len(ts) == 2 && ts[1].kind == tNumber && src[ts[0].start:ts[0].end] == "-" {
		return true
	}
	strs := len(ts) > 0
	for _, t := range ts {
		strs = strs && t.kind == tString // adjacent literals join
	}
	if strs {
		return true
	}
	if len(ts) != 1 {
		return false
	}
	switch s := src[ts[0].start:ts[0].end]; {
	case ts[0].kind == tNumber:
		return true
	case s == "None" || s == "True" || s == "False":
		return true
	}
	return false
}

// isForIn reports whether the `in` at toks[i] is a for loop's (for x, y in
// ...), not a membership test: back from it at its depth there are only
// the target's names, commas, dots, stars and brackets before `for`.
func isForIn(src string, toks []tok, i int) bool {
	d := toks[i].depth
	for k := i - 1; k >= 0; k-- {
		t := toks[k]
		if t.depth > d {
			continue
		}
		if t.depth < d {
			return false
		}
		s := src[t.start:t.end]
		switch {
		case s == "for":
			return true
		case t.kind == tName && !pyKeywords[s], s == ",", s == ".", s == "*", s == "(", s == "[":
		default:
			return false
		}
	}
	return false
}
