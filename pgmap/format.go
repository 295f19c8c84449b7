package pgmap

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gomgr/messages"
)

// formatter is Ceph's Formatter as PGMap's dump functions use it. jsonFmt
// is JSONFormatter (`-f json` and `-f json-pretty`), pyFmt the PyFormatter
// that turns a dump into a module's get() value.
type formatter interface {
	openObject(name string)
	openArray(name string)
	closeSection()
	dumpInt(name string, v int64)
	dumpUnsigned(name string, v uint64)
	dumpFloat(name string, v float64)
	dumpString(name, v string)
	dumpBool(name string, v bool)
	// dumpStream is dump_stream: the value as a string (PyFormatter adds
	// streams to their section when the section closes).
	dumpStream(name, v string)
	// dumpUnquoted is dump_format_unquoted: the text as a bare JSON value.
	dumpUnquoted(name, v string)
}

// jsonFmt is Ceph's JSONFormatter, byte for byte: pretty output indents by
// four spaces per level, flush writes what was formatted so far and keeps
// the open sections, and section names are not escaped.
type jsonFmt struct {
	pretty bool
	buf    bytes.Buffer
	stack  []jsonEntry
}

type jsonEntry struct {
	isArray bool
	size    int
}

func newJSONFmt(pretty bool) *jsonFmt { return &jsonFmt{pretty: pretty} }

func (f *jsonFmt) indent(n int) {
	for i := 0; i < n; i++ {
		f.buf.WriteString("    ")
	}
}

func (f *jsonFmt) printName(name string) {
	if len(f.stack) == 0 {
		return
	}
	e := &f.stack[len(f.stack)-1]
	if e.size > 0 {
		if f.pretty {
			f.buf.WriteString(",\n")
			f.indent(len(f.stack) - 1)
		} else {
			f.buf.WriteByte(',')
		}
	} else if f.pretty {
		f.buf.WriteByte('\n')
		f.indent(len(f.stack) - 1)
	}
	if f.pretty && e.isArray {
		f.buf.WriteString("    ")
	}
	if !e.isArray {
		if f.pretty {
			f.buf.WriteString("    ")
		}
		f.buf.WriteByte('"')
		f.buf.WriteString(name)
		f.buf.WriteByte('"')
		if f.pretty {
			f.buf.WriteString(": ")
		} else {
			f.buf.WriteByte(':')
		}
	}
	e.size++
}

func (f *jsonFmt) open(name string, array bool) {
	f.printName(name)
	if array {
		f.buf.WriteByte('[')
	} else {
		f.buf.WriteByte('{')
	}
	f.stack = append(f.stack, jsonEntry{isArray: array})
}

func (f *jsonFmt) openObject(name string) { f.open(name, false) }
func (f *jsonFmt) openArray(name string)  { f.open(name, true) }

func (f *jsonFmt) closeSection() {
	if len(f.stack) == 0 {
		return
	}
	e := f.stack[len(f.stack)-1]
	if f.pretty && e.size > 0 {
		f.buf.WriteByte('\n')
		f.indent(len(f.stack) - 1)
	}
	if e.isArray {
		f.buf.WriteByte(']')
	} else {
		f.buf.WriteByte('}')
	}
	f.stack = f.stack[:len(f.stack)-1]
	if f.pretty && len(f.stack) == 0 {
		f.buf.WriteByte('\n')
	}
}

func (f *jsonFmt) dumpInt(name string, v int64) {
	f.printName(name)
	f.buf.WriteString(strconv.FormatInt(v, 10))
}

func (f *jsonFmt) dumpUnsigned(name string, v uint64) {
	f.printName(name)
	f.buf.WriteString(strconv.FormatUint(v, 10))
}

func (f *jsonFmt) dumpFloat(name string, v float64) {
	f.printName(name)
	f.buf.WriteString(cFloat17(v))
}

func (f *jsonFmt) dumpString(name, v string) {
	f.printName(name)
	writeJSONString(&f.buf, v)
}

func (f *jsonFmt) dumpStream(name, v string) { f.dumpString(name, v) }

func (f *jsonFmt) dumpBool(name string, v bool) {
	f.printName(name)
	if v {
		f.buf.WriteString("true")
	} else {
		f.buf.WriteString("false")
	}
}

func (f *jsonFmt) dumpUnquoted(name, v string) {
	f.printName(name)
	f.buf.WriteString(v)
}

// flush returns what was formatted since the last flush.
func (f *jsonFmt) flush() []byte {
	out := bytes.Clone(f.buf.Bytes())
	f.buf.Reset()
	return out
}

// cFloat17 is printf("%.17g"), which JSONFormatter::dump_float uses.
func cFloat17(v float64) string {
	switch {
	case math.IsNaN(v):
		if math.Signbit(v) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return fmt.Sprintf("%.17g", v)
}

// writeJSONString writes s quoted as Ceph's json_stream_escaper does.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// pyFmt is the PyFormatter behind a module's get(): it builds the Python
// value a dump describes. dump_stream values join their section when the
// section closes, after its other members, as PyFormatter's pending
// streams do. The result is JSON in that order, with Python's float repr,
// so a host that hands it to json.loads gets the same objects.
type pyFmt struct {
	stack []*pyNode
	root  *pyNode
}

type pyNode struct {
	isArray bool
	keys    []string
	vals    []any // *pyNode or a JSON text (string of raw JSON)
	pending [][2]string
}

type pyRaw string

func newPyFmt() *pyFmt {
	root := &pyNode{}
	return &pyFmt{stack: []*pyNode{root}, root: root}
}

func (f *pyFmt) top() *pyNode { return f.stack[len(f.stack)-1] }

func (f *pyFmt) add(name string, v any) {
	t := f.top()
	t.keys = append(t.keys, name)
	t.vals = append(t.vals, v)
}

func (f *pyFmt) open(name string, array bool) {
	n := &pyNode{isArray: array}
	f.add(name, n)
	f.stack = append(f.stack, n)
}

func (f *pyFmt) openObject(name string) { f.open(name, false) }
func (f *pyFmt) openArray(name string)  { f.open(name, true) }

func (f *pyFmt) finishPending(n *pyNode) {
	for _, p := range n.pending {
		var b bytes.Buffer
		writeJSONString(&b, p[1])
		n.keys = append(n.keys, p[0])
		n.vals = append(n.vals, pyRaw(b.String()))
	}
	n.pending = nil
}

func (f *pyFmt) closeSection() {
	if len(f.stack) <= 1 {
		return
	}
	f.finishPending(f.top())
	f.stack = f.stack[:len(f.stack)-1]
}

func (f *pyFmt) dumpInt(name string, v int64) { f.add(name, pyRaw(strconv.FormatInt(v, 10))) }
func (f *pyFmt) dumpUnsigned(name string, v uint64) {
	f.add(name, pyRaw(strconv.FormatUint(v, 10)))
}
func (f *pyFmt) dumpFloat(name string, v float64) { f.add(name, pyRaw(pyFloat(v))) }
func (f *pyFmt) dumpString(name, v string) {
	var b bytes.Buffer
	writeJSONString(&b, v)
	f.add(name, pyRaw(b.String()))
}
func (f *pyFmt) dumpBool(name string, v bool) {
	if v {
		f.add(name, pyRaw("true"))
	} else {
		f.add(name, pyRaw("false"))
	}
}
func (f *pyFmt) dumpStream(name, v string) {
	t := f.top()
	t.pending = append(t.pending, [2]string{name, v})
}
func (f *pyFmt) dumpUnquoted(name, v string) { f.add(name, pyRaw(v)) }

// json returns the root object's JSON.
func (f *pyFmt) json() []byte {
	for len(f.stack) > 1 {
		f.closeSection()
	}
	f.finishPending(f.root)
	var b bytes.Buffer
	f.root.write(&b)
	return b.Bytes()
}

func (n *pyNode) write(b *bytes.Buffer) {
	if n.isArray {
		b.WriteByte('[')
	} else {
		b.WriteByte('{')
	}
	for i, v := range n.vals {
		if i > 0 {
			b.WriteString(", ")
		}
		if !n.isArray {
			writeJSONString(b, n.keys[i])
			b.WriteString(": ")
		}
		switch v := v.(type) {
		case *pyNode:
			v.write(b)
		case pyRaw:
			b.WriteString(string(v))
		}
	}
	if n.isArray {
		b.WriteByte(']')
	} else {
		b.WriteByte('}')
	}
}

// pyFloat is Python's repr of a float, in a form json.loads reads back as
// a float.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	a := math.Abs(v)
	if a == 0 || (a >= 1e-4 && a < 1e16) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'e', -1, 64)
	// Python writes at least two exponent digits, as Go does.
	return s
}

// textTable is Ceph's TextTable: columns two spaces apart, each as wide
// as its widest cell or heading; rows shorter than the header are padded
// with empty cells.
type textTable struct {
	heads  []string
	hAlign []bool // true: right
	cAlign []bool
	width  []int
	rows   [][]string
	cur    []string
}

const (
	alignLeft  = false
	alignRight = true
)

func (t *textTable) define(heading string, hd, col bool) {
	t.heads = append(t.heads, heading)
	t.hAlign = append(t.hAlign, hd)
	t.cAlign = append(t.cAlign, col)
	t.width = append(t.width, len(heading))
}

// add appends cells to the current row.
func (t *textTable) add(cells ...any) {
	for _, c := range cells {
		var s string
		switch c := c.(type) {
		case string:
			s = c
		case fmt.Stringer:
			s = c.String()
		default:
			s = fmt.Sprint(c)
		}
		i := len(t.cur)
		if i < len(t.width) && len(s) > t.width[i] {
			t.width[i] = len(s)
		}
		t.cur = append(t.cur, s)
	}
}

func (t *textTable) endRow() {
	t.rows = append(t.rows, t.cur)
	t.cur = nil
}

func (t *textTable) String() string {
	var b strings.Builder
	line := func(cells []string, aligns []bool) {
		for i := range t.heads {
			if i > 0 {
				b.WriteString("  ")
			}
			s := ""
			if i < len(cells) {
				s = cells[i]
			}
			pad := strings.Repeat(" ", max(0, t.width[i]-len(s)))
			if aligns[i] == alignRight {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
		}
		b.WriteByte('\n')
	}
	line(t.heads, t.hAlign)
	for _, r := range t.rows {
		line(r, t.cAlign)
	}
	return b.String()
}

// appendStream is bufferlist::append(std::istream&), which Ceph uses to
// copy a stringstream into a command's output: every non-empty line gets
// a newline, empty lines vanish.
func appendStream(dst []byte, s string) []byte {
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			dst = append(dst, l...)
			dst = append(dst, '\n')
		}
	}
	return dst
}

// formatU is format_u from Ceph's include/types.h.
func formatU(v, n uint64, index int, mult uint64, unit string) string {
	if index == 0 || v%mult == 0 {
		return strconv.FormatUint(n, 10) + unit
	}
	var s string
	for i := 2; i >= 0; i-- {
		s = strconv.FormatFloat(float64(v)/float64(mult), 'f', i, 64) + unit
		if len(s) <= 7 {
			break
		}
	}
	return s
}

// ByteU is byte_u_t's output ("285 MiB").
func ByteU(v uint64) string {
	units := []string{" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"}
	n, i := v, 0
	for n >= 1024 && i < 6 {
		n /= 1024
		i++
	}
	return formatU(v, n, i, 1<<(10*i), units[i])
}

// SIU is si_u_t's output ("4.54k").
func SIU(v uint64) string {
	units := []string{"", "k", "M", "G", "T", "P", "E"}
	n, i, mult := v, 0, uint64(1)
	for n >= 1000 && i < 6 {
		n /= 1000
		i++
		mult *= 1000
	}
	return formatU(v, n, i, mult, units[i])
}

// weightf is weightf_t's output.
func weightf(v float32) string {
	switch {
	case v < -0.01:
		return "-"
	case v < 0.000001:
		return "0"
	}
	return strconv.FormatFloat(float64(v), 'f', 5, 64)
}

// lowPrecision is OSDUtilizationPlainDumper's lowprecision_t output.
func lowPrecision(v float32) string {
	switch {
	case v < -0.01:
		return "-"
	case v < 0.001:
		return "0"
	}
	return strconv.FormatFloat(float64(v), 'f', 2, 64)
}

// percentify is PGMap.cc's percentify.
func percentify(a float32) string {
	if a < 0.01 {
		return "0"
	}
	return strconv.FormatFloat(float64(a), 'f', 2, 64)
}

// cG6 is a double written by an ostream with default flags (%g, 6
// significant digits).
func cG6(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// timespanStr is Ceph's timespan_str (and utimespan_str) for a duration
// in nanoseconds.
func timespanStr(nsec uint64) string {
	if nsec < 2000000000 {
		return strconv.FormatFloat(float64(float32(nsec)/float32(1e9)), 'g', 6, 64) + "s"
	}
	sec := nsec / 1000000000
	if sec < 120 {
		return strconv.FormatUint(sec, 10) + "s"
	}
	min := sec / 60
	if min < 120 {
		return strconv.FormatUint(min, 10) + "m"
	}
	hr := min / 60
	if hr < 48 {
		return strconv.FormatUint(hr, 10) + "h"
	}
	day := hr / 24
	if day < 14 {
		return strconv.FormatUint(day, 10) + "d"
	}
	wk := day / 7
	if wk < 12 {
		return strconv.FormatUint(wk, 10) + "w"
	}
	mn := day / 30
	if mn < 24 {
		return strconv.FormatUint(mn, 10) + "M"
	}
	return strconv.FormatUint(day/365, 10) + "y"
}

// utimeSpanStr is utimespan_str(age).
func utimeSpanStr(age messages.Utime) string {
	return timespanStr(uint64(age.Sec)*1000000000 + uint64(age.Nsec))
}

// utimeStr is a utime_t written to an ostream: seconds and microseconds
// for a relative time (under ten years), else ISO 8601 in local time.
func utimeStr(u messages.Utime) string {
	if int64(u.Sec) < 60*60*24*365*10 {
		return fmt.Sprintf("%d.%06d", u.Sec, u.Nsec/1000)
	}
	t := time.Unix(int64(u.Sec), 0).In(time.Local)
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06d%s", t.Year(), int(t.Month()), t.Day(),
		t.Hour(), t.Minute(), t.Second(), u.Nsec/1000, t.Format("-0700"))
}

// ctimeStr is ctime_r's text without its newline ("Thu Jan  1 00:00:00 1970").
func ctimeStr(sec uint32) string {
	return time.Unix(int64(sec), 0).In(time.Local).Format("Mon Jan _2 15:04:05 2006")
}

// vecStr is a vector<int> written by Ceph's operator<< ("[1,2]").
func vecStr(v []int32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	b.WriteByte(']')
	return b.String()
}

// fixedUToString is Ceph's fixed_u_to_string(num, scale).
func fixedUToString(num uint64, scale int) string {
	s := strconv.FormatUint(num, 10)
	for len(s) <= scale {
		s = "0" + s
	}
	return s[:len(s)-scale] + "." + s[len(s)-scale:]
}
