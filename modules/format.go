package modules

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-python/gpython/py"
)

// formatString implements str.format: positional ({} and {0}) and keyword
// ({name}) fields, attribute and item lookups ({0.attr}, {d[key]}), !r/!s
// conversions and the format-spec mini-language (fill, align, sign, 0,
// width, grouping, precision, types s d f e g x X o b %), with nested
// fields inside the spec ({:>{w}}).
func formatString(s string, args py.Tuple, kwargs py.StringDict) (string, error) {
	var b strings.Builder
	auto := 0 // next automatic field number; -1 once manual numbering is used
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte('{')
			i += 2
		case c == '}' && i+1 < len(s) && s[i+1] == '}':
			b.WriteByte('}')
			i += 2
		case c == '}':
			return "", py.ExceptionNewf(py.ValueError, "Single '}' encountered in format string")
		case c == '{':
			end, err := matchBrace(s, i)
			if err != nil {
				return "", err
			}
			out, err := formatField(s[i+1:end], args, kwargs, &auto)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
			i = end + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// matchBrace returns the index of the '}' closing the field opened at i.
func matchBrace(s string, i int) (int, error) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j, nil
			}
		}
	}
	return 0, py.ExceptionNewf(py.ValueError, "expected '}' before end of string")
}

func formatField(field string, args py.Tuple, kwargs py.StringDict, auto *int) (string, error) {
	name, spec := field, ""
	conv := byte(0)
	// The name ends at the first '!' or ':' outside brackets.
	depth := 0
	for j := 0; j < len(field); j++ {
		switch field[j] {
		case '[':
			depth++
		case ']':
			depth--
		case '!', ':':
			if depth > 0 {
				continue
			}
			name = field[:j]
			rest := field[j:]
			if rest[0] == '!' {
				if len(rest) < 2 {
					return "", py.ExceptionNewf(py.ValueError, "end of string while looking for conversion specifier")
				}
				conv = rest[1]
				rest = rest[2:]
				if rest != "" && rest[0] != ':' {
					return "", py.ExceptionNewf(py.ValueError, "expected ':' after conversion specifier")
				}
			}
			if rest != "" {
				spec = rest[1:]
			}
			j = len(field)
		}
	}
	obj, err := lookupField(name, args, kwargs, auto)
	if err != nil {
		return "", err
	}
	switch conv {
	case 0:
	case 'r':
		if obj, err = py.Repr(obj); err != nil {
			return "", err
		}
	case 's':
		s, err := strOf(obj)
		if err != nil {
			return "", err
		}
		obj = py.String(s)
	default:
		return "", py.ExceptionNewf(py.ValueError, "Unknown conversion specifier %c", conv)
	}
	if strings.Contains(spec, "{") {
		if spec, err = formatString(spec, args, kwargs); err != nil {
			return "", err
		}
	}
	return formatValue(obj, spec)
}

func lookupField(name string, args py.Tuple, kwargs py.StringDict, auto *int) (py.Object, error) {
	// Split the first part (index or keyword) from .attr / [key] accessors.
	end := strings.IndexAny(name, ".[")
	if end < 0 {
		end = len(name)
	}
	first, rest := name[:end], name[end:]
	var obj py.Object
	switch {
	case first == "":
		if *auto < 0 {
			return nil, py.ExceptionNewf(py.ValueError, "cannot switch from manual field specification to automatic field numbering")
		}
		if *auto >= len(args) {
			return nil, py.ExceptionNewf(py.IndexError, "Replacement index %d out of range for positional args tuple", *auto)
		}
		obj = args[*auto]
		*auto++
	case first[0] >= '0' && first[0] <= '9':
		n, err := strconv.Atoi(first)
		if err != nil {
			return nil, py.ExceptionNewf(py.ValueError, "bad field name %q", first)
		}
		if *auto > 0 {
			return nil, py.ExceptionNewf(py.ValueError, "cannot switch from automatic field numbering to manual field specification")
		}
		*auto = -1
		if n >= len(args) {
			return nil, py.ExceptionNewf(py.IndexError, "Replacement index %d out of range for positional args tuple", n)
		}
		obj = args[n]
	default:
		v, ok := kwargs[first]
		if !ok {
			return nil, py.ExceptionNewf(py.KeyError, "%q", first)
		}
		obj = v
	}
	for rest != "" {
		var err error
		switch rest[0] {
		case '.':
			j := strings.IndexAny(rest[1:], ".[")
			if j < 0 {
				j = len(rest) - 1
			}
			attr := rest[1 : j+1]
			rest = rest[j+1:]
			if obj, err = py.GetAttrString(obj, attr); err != nil {
				return nil, err
			}
		case '[':
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return nil, py.ExceptionNewf(py.ValueError, "Missing ']' in format string")
			}
			key := rest[1:j]
			rest = rest[j+1:]
			var k py.Object = py.String(key)
			if n, e := strconv.Atoi(key); e == nil {
				k = py.Int(n)
			}
			if obj, err = py.GetItem(obj, k); err != nil {
				return nil, err
			}
		default:
			return nil, py.ExceptionNewf(py.ValueError, "Only '.' or '[' may follow ']' in format field specifier")
		}
	}
	return obj, nil
}

const maxFormatWidth = 10000

// fmtSpec is a parsed format spec: [[fill]align][sign][#][0][width][,_][.precision][type].
type fmtSpec struct {
	fill      string
	align     byte
	sign      byte
	alt       bool
	width     int
	grouping  byte
	precision int // -1 when absent
	typ       byte
}

func parseSpec(spec string) (fmtSpec, error) {
	f := fmtSpec{fill: " ", precision: -1}
	bad := func() (fmtSpec, error) {
		return fmtSpec{}, py.ExceptionNewf(py.ValueError, "Invalid format specifier %q", spec)
	}
	s := spec
	isAlign := func(c byte) bool { return c == '<' || c == '>' || c == '^' || c == '=' }
	if r, n := utf8.DecodeRuneInString(s); n > 0 && n < len(s) && isAlign(s[n]) {
		f.fill, f.align, s = string(r), s[n], s[n+1:]
	} else if len(s) > 0 && isAlign(s[0]) {
		f.align, s = s[0], s[1:]
	}
	if len(s) > 0 && (s[0] == '+' || s[0] == '-' || s[0] == ' ') {
		f.sign, s = s[0], s[1:]
	}
	if len(s) > 0 && s[0] == '#' {
		f.alt, s = true, s[1:]
	}
	if len(s) > 0 && s[0] == '0' {
		if f.align == 0 {
			f.fill, f.align = "0", '='
		}
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 {
		if i > 9 {
			return bad()
		}
		f.width, _ = strconv.Atoi(s[:i])
		s = s[i:]
	}
	if len(s) > 0 && (s[0] == ',' || s[0] == '_') {
		f.grouping, s = s[0], s[1:]
	}
	if len(s) > 0 && s[0] == '.' {
		i = 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 1 {
			return bad()
		}
		if i > 10 {
			return bad()
		}
		f.precision, _ = strconv.Atoi(s[1:i])
		s = s[i:]
	}
	if len(s) > 1 {
		return bad()
	}
	// Bounded so a template cannot make the host allocate gigabytes.
	if f.width > maxFormatWidth || f.precision > maxFormatWidth {
		return fmtSpec{}, py.ExceptionNewf(py.ValueError, "width or precision above %d in %q", maxFormatWidth, spec)
	}
	if len(s) == 1 {
		f.typ = s[0]
	}
	return f, nil
}

// formatValue is format(obj, spec).
func formatValue(obj py.Object, spec string) (string, error) {
	f, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	switch x := obj.(type) {
	case py.Bool:
		if f.typ == 0 || f.typ == 's' {
			return f.pad(pyStr(x), '<'), nil
		}
		if x {
			return f.formatInt(big.NewInt(1))
		}
		return f.formatInt(big.NewInt(0))
	case py.Int:
		if isFloatType(f.typ) {
			return f.formatFloat(float64(x))
		}
		return f.formatInt(big.NewInt(int64(x)))
	case *py.BigInt:
		if isFloatType(f.typ) {
			v, _ := new(big.Float).SetInt((*big.Int)(x)).Float64()
			return f.formatFloat(v)
		}
		return f.formatInt((*big.Int)(x))
	case py.Float:
		return f.formatFloat(float64(x))
	}
	if f.typ != 0 && f.typ != 's' {
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code '%c' for object of type '%s'", f.typ, obj.Type().Name)
	}
	s, err := strOf(obj)
	if err != nil {
		return "", err
	}
	if f.precision >= 0 && utf8.RuneCountInString(s) > f.precision {
		s = string([]rune(s)[:f.precision])
	}
	return f.pad(s, '<'), nil
}

func isFloatType(t byte) bool { return strings.IndexByte("eEfFgG%", t) >= 0 && t != 0 }

func (f fmtSpec) formatInt(v *big.Int) (string, error) {
	neg := v.Sign() < 0
	a := new(big.Int).Abs(v)
	var digits, prefix string
	switch f.typ {
	case 0, 'd', 'n':
		digits = a.String()
		digits = group(digits, f.grouping)
	case 'x':
		digits, prefix = a.Text(16), "0x"
	case 'X':
		digits, prefix = strings.ToUpper(a.Text(16)), "0X"
	case 'o':
		digits, prefix = a.Text(8), "0o"
	case 'b':
		digits, prefix = a.Text(2), "0b"
	case 'c':
		return f.pad(string(rune(a.Int64())), '<'), nil
	default:
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code '%c' for object of type 'int'", f.typ)
	}
	if !f.alt {
		prefix = ""
	}
	return f.padNumber(f.signOf(neg), prefix+digits), nil
}

func (f fmtSpec) formatFloat(v float64) (string, error) {
	neg := math.Signbit(v) && !math.IsNaN(v)
	a := math.Abs(v)
	prec := f.precision
	var s string
	switch f.typ {
	case 'f', 'F':
		if prec < 0 {
			prec = 6
		}
		s = strconv.FormatFloat(a, 'f', prec, 64)
	case 'e', 'E':
		if prec < 0 {
			prec = 6
		}
		s = strconv.FormatFloat(a, byte(f.typ), prec, 64)
	case 'g', 'G':
		if prec < 0 {
			prec = 6
		}
		if prec == 0 {
			prec = 1
		}
		s = strconv.FormatFloat(a, byte(f.typ), prec, 64)
	case '%':
		if prec < 0 {
			prec = 6
		}
		s = strconv.FormatFloat(a*100, 'f', prec, 64) + "%"
	case 0:
		if prec >= 0 {
			s = strconv.FormatFloat(a, 'g', max(prec, 1), 64)
		} else {
			s = pyFloatRepr(a)
		}
	default:
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code '%c' for object of type 'float'", f.typ)
	}
	if math.IsInf(a, 0) {
		s = "inf"
	} else if math.IsNaN(a) {
		s = "nan"
	}
	if f.grouping != 0 {
		intPart, frac := s, ""
		if i := strings.IndexAny(s, ".e%"); i >= 0 {
			intPart, frac = s[:i], s[i:]
		}
		s = group(intPart, f.grouping) + frac
	}
	return f.padNumber(f.signOf(neg), s), nil
}

// pyFloatRepr is Python's repr(float): shortest round-trip, always with a
// decimal point or exponent.
func pyFloatRepr(a float64) string {
	if a != 0 && (a >= 1e16 || a < 1e-4) {
		s := strconv.FormatFloat(a, 'e', -1, 64)
		// Python writes 1e+16, Go writes 1e+16: same; but Go pads exponent to two digits.
		return s
	}
	s := strconv.FormatFloat(a, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func group(digits string, sep byte) string {
	if sep == 0 || len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

func (f fmtSpec) signOf(neg bool) string {
	switch {
	case neg:
		return "-"
	case f.sign == '+':
		return "+"
	case f.sign == ' ':
		return " "
	}
	return ""
}

// padNumber pads a signed number; '=' puts the fill between sign and digits.
func (f fmtSpec) padNumber(sign, digits string) string {
	if f.align == '=' {
		n := f.width - utf8.RuneCountInString(sign) - utf8.RuneCountInString(digits)
		if n > 0 {
			return sign + strings.Repeat(f.fill, n) + digits
		}
		return sign + digits
	}
	return f.pad(sign+digits, '>')
}

func (f fmtSpec) pad(s string, def byte) string {
	a := f.align
	if a == 0 || a == '=' {
		a = def
	}
	return align(s, f.width, f.fill, a)
}

func align(s string, width int, fill string, a byte) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	switch a {
	case '<':
		return s + strings.Repeat(fill, n)
	case '^':
		l := n / 2
		return strings.Repeat(fill, l) + s + strings.Repeat(fill, n-l)
	default:
		return strings.Repeat(fill, n) + s
	}
}

// builtinRound replaces gpython's round, whose ndigits form returns 0.0.
// round(x) rounds half to even and returns an int; round(x, n) returns a
// float correctly rounded to n decimals (as CPython's).
func builtinRound(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var x, nd py.Object = nil, py.None
	if err := py.ParseTupleAndKeywords(args, kwargs, "O|O:round", []string{"number", "ndigits"}, &x, &nd); err != nil {
		return nil, err
	}
	if i, ok := x.(py.Int); ok && nd == py.None {
		return i, nil
	}
	f, err := py.FloatAsFloat64(x)
	if err != nil {
		return nil, py.ExceptionNewf(py.TypeError, "type %s doesn't define __round__ method", x.Type().Name)
	}
	if nd == py.None {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, py.ExceptionNewf(py.ValueError, "cannot convert float %v to integer", f)
		}
		r := math.RoundToEven(f)
		if math.Abs(r) < 1<<62 {
			return py.Int(int64(r)), nil
		}
		b, _ := new(big.Float).SetFloat64(r).Int(nil)
		return (*py.BigInt)(b), nil
	}
	n, err := py.Index(nd)
	if err != nil {
		return nil, err
	}
	if _, ok := x.(py.Int); ok && n >= 0 {
		return x, nil
	}
	if n > 300 || math.IsInf(f, 0) || math.IsNaN(f) {
		return py.Float(f), nil
	}
	if n < 0 {
		p := math.Pow(10, float64(-n))
		return py.Float(math.RoundToEven(f/p) * p), nil
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'f', int(n), 64), 64)
	if err != nil {
		return nil, py.ExceptionNewf(py.ValueError, "round: %v", err)
	}
	return py.Float(r), nil
}
