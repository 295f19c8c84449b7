package modules

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strings"

	"github.com/go-python/gpython/py"
)

// jsonModule is the `json` module gpython lacks: dumps and loads with the
// arguments modules use (indent, sort_keys, separators). Keys are always
// written sorted: gpython dicts have no order, so sorting is the only
// stable choice.
func jsonModule() *py.ModuleImpl {
	return &py.ModuleImpl{
		Info: py.ModuleInfo{Name: "json", Doc: "JSON encoder and decoder (gomgr, Go implementation)"},
		Methods: []*py.Method{
			py.MustNewMethod("dumps", jsonDumps, 0, "dumps(obj, indent=None, sort_keys=False, separators=None) -> str"),
			py.MustNewMethod("loads", jsonLoads, 0, "loads(s) -> object"),
		},
	}
}

func jsonDumps(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var obj, indent, sortKeys, separators, defaultFn, ensureASCII py.Object = nil, py.None, py.False, py.None, py.None, py.True
	err := py.ParseTupleAndKeywords(args, kwargs, "O|OOOOO:dumps",
		[]string{"obj", "indent", "sort_keys", "separators", "default", "ensure_ascii"},
		&obj, &indent, &sortKeys, &separators, &defaultFn, &ensureASCII)
	if err != nil {
		return nil, err
	}
	e := jsonEncoder{itemSep: ", ", keySep: ": "}
	switch x := indent.(type) {
	case py.NoneType:
	case py.Int:
		e.indent = strings.Repeat(" ", int(x))
		e.pretty = true
		e.itemSep = ","
	case py.String:
		e.indent = string(x)
		e.pretty = true
		e.itemSep = ","
	default:
		return nil, py.ExceptionNewf(py.TypeError, "indent must be None, int or str")
	}
	if separators != py.None {
		t, err := py.SequenceTuple(separators)
		if err != nil || len(t) != 2 {
			return nil, py.ExceptionNewf(py.TypeError, "separators must be a (item_separator, key_separator) pair")
		}
		e.itemSep, e.keySep = pyStr(t[0]), pyStr(t[1])
	}
	if err := e.encode(obj, 0); err != nil {
		return nil, err
	}
	return py.String(e.buf.String()), nil
}

type jsonEncoder struct {
	buf             bytes.Buffer
	indent          string
	pretty          bool
	itemSep, keySep string
}

func (e *jsonEncoder) newline(depth int) {
	if e.pretty {
		e.buf.WriteByte('\n')
		for i := 0; i < depth; i++ {
			e.buf.WriteString(e.indent)
		}
	}
}

func (e *jsonEncoder) str(s string) {
	enc := json.NewEncoder(&e.buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // strings always encode
	e.buf.Truncate(e.buf.Len() - 1)
}

func (e *jsonEncoder) encode(o py.Object, depth int) error {
	if depth > maxDepth {
		return py.ExceptionNewf(py.ValueError, "Circular reference detected")
	}
	switch x := o.(type) {
	case py.NoneType:
		e.buf.WriteString("null")
	case py.Bool:
		if x {
			e.buf.WriteString("true")
		} else {
			e.buf.WriteString("false")
		}
	case py.Int, *py.BigInt:
		e.buf.WriteString(pyStr(x))
	case py.Float:
		f := float64(x)
		switch {
		case math.IsNaN(f):
			e.buf.WriteString("NaN")
		case math.IsInf(f, 1):
			e.buf.WriteString("Infinity")
		case math.IsInf(f, -1):
			e.buf.WriteString("-Infinity")
		default:
			if f < 0 {
				e.buf.WriteByte('-')
			}
			e.buf.WriteString(pyFloatRepr(math.Abs(f)))
		}
	case py.String:
		e.str(string(x))
	case py.StringDict:
		if len(x) == 0 {
			e.buf.WriteString("{}")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.buf.WriteString(e.itemSep)
			}
			e.newline(depth + 1)
			e.str(k)
			e.buf.WriteString(e.keySep)
			if err := e.encode(x[k], depth+1); err != nil {
				return err
			}
		}
		e.newline(depth)
		e.buf.WriteByte('}')
	case *py.List:
		return e.seq(x.Items, depth)
	case py.Tuple:
		return e.seq(x, depth)
	default:
		return py.ExceptionNewf(py.TypeError, "Object of type %s is not JSON serializable", o.Type().Name)
	}
	return nil
}

func (e *jsonEncoder) seq(items []py.Object, depth int) error {
	if len(items) == 0 {
		e.buf.WriteString("[]")
		return nil
	}
	e.buf.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			e.buf.WriteString(e.itemSep)
		}
		e.newline(depth + 1)
		if err := e.encode(it, depth+1); err != nil {
			return err
		}
	}
	e.newline(depth)
	e.buf.WriteByte(']')
	return nil
}

func jsonLoads(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var s py.Object
	if err := py.ParseTupleAndKeywords(args, kwargs, "O:loads", []string{"s"}, &s); err != nil {
		return nil, err
	}
	var text string
	switch x := s.(type) {
	case py.String:
		text = string(x)
	case py.Bytes:
		text = string(x)
	default:
		return nil, py.ExceptionNewf(py.TypeError, "the JSON object must be str or bytes, not %s", s.Type().Name)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, py.ExceptionNewf(py.ValueError, "JSON decode error: %v", err)
	}
	if dec.More() {
		return nil, py.ExceptionNewf(py.ValueError, "JSON decode error: extra data after the value")
	}
	return toPy(v)
}
