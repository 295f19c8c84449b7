package modules

import (
	"encoding/json"
	"fmt"
	"gomgr/internal/pickle"
	"math"
	"math/big"
	"reflect"
	"strconv"

	"github.com/go-python/gpython/py"
)

// toPy converts a JSON-shaped Go value (what registry.Value.Data holds,
// possibly decoded with UseNumber) into fresh Python objects. Map keys stay
// strings: gpython dicts only take string keys.
func toPy(v any) (py.Object, error) {
	switch x := v.(type) {
	case nil:
		return py.None, nil
	case map[string]any:
		d := py.NewStringDictSized(len(x))
		for k, e := range x {
			o, err := toPy(e)
			if err != nil {
				return nil, err
			}
			d[k] = o
		}
		return d, nil
	case map[string]string:
		d := py.NewStringDictSized(len(x))
		for k, e := range x {
			d[k] = py.String(e)
		}
		return d, nil
	case []any:
		items := make([]py.Object, len(x))
		for i, e := range x {
			o, err := toPy(e)
			if err != nil {
				return nil, err
			}
			items[i] = o
		}
		return py.NewListFromItems(items), nil
	case []string:
		return py.NewListFromStrings(x), nil
	case pickle.Tuple: // a remote call's arguments or result
		items := make(py.Tuple, len(x))
		for i, e := range x {
			o, err := toPy(e)
			if err != nil {
				return nil, err
			}
			items[i] = o
		}
		return items, nil
	case []byte:
		return py.Bytes(x), nil
	case string:
		return py.String(x), nil
	case bool:
		return py.NewBool(x), nil
	case float64:
		return py.Float(x), nil
	case float32:
		return py.Float(x), nil
	case int:
		return py.Int(x), nil
	case int32:
		return py.Int(x), nil
	case int64:
		return py.Int(x), nil
	case uint32:
		return py.Int(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return (*py.BigInt)(new(big.Int).SetUint64(x)), nil
		}
		return py.Int(int64(x)), nil
	case json.Number:
		return numberToPy(string(x))
	default:
		return reflectToPy(reflect.ValueOf(v))
	}
}

// reflectToPy covers the JSON-shaped values the fast path does not name
// (map[string]int64, []map[string]any, named string types, ...).
func reflectToPy(rv reflect.Value) (py.Object, error) {
	switch rv.Kind() {
	case reflect.Invalid:
		return py.None, nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return py.None, nil
		}
		return toPy(rv.Elem().Interface())
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("modules: cannot convert %s to Python: keys must be strings", rv.Type())
		}
		d := py.NewStringDictSized(rv.Len())
		it := rv.MapRange()
		for it.Next() {
			o, err := toPy(it.Value().Interface())
			if err != nil {
				return nil, err
			}
			d[it.Key().String()] = o
		}
		return d, nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return py.NewList(), nil
		}
		items := make([]py.Object, rv.Len())
		for i := range items {
			o, err := toPy(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			items[i] = o
		}
		return py.NewListFromItems(items), nil
	case reflect.String:
		return py.String(rv.String()), nil
	case reflect.Bool:
		return py.NewBool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return py.Int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return toPy(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return py.Float(rv.Float()), nil
	}
	return nil, fmt.Errorf("modules: cannot convert %s to Python", rv.Type())
}

// numberToPy keeps integers integers, as Python's json does.
func numberToPy(s string) (py.Object, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return py.Int(i), nil
	}
	if b, ok := new(big.Int).SetString(s, 10); ok {
		return (*py.BigInt)(b), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("modules: bad JSON number %q: %w", s, err)
	}
	return py.Float(f), nil
}

// fromPy converts Python data (dict, list, tuple, str, int, float, bool,
// None) into JSON-shaped Go values. Anything else is a TypeError, as for
// Python's json.dumps.
func fromPy(o py.Object) (any, error) {
	return fromPyDepth(o, 0)
}

// maxDepth bounds fromPy on self-referencing containers (l.append(l)).
const maxDepth = 200

func fromPyDepth(o py.Object, depth int) (any, error) {
	if depth > maxDepth {
		return nil, py.ExceptionNewf(py.ValueError, "value nested deeper than %d levels (circular reference?)", maxDepth)
	}
	switch x := o.(type) {
	case nil, py.NoneType:
		return nil, nil
	case py.Bool:
		return bool(x), nil
	case py.Int:
		return int64(x), nil
	case *py.BigInt:
		return json.Number((*big.Int)(x).String()), nil
	case py.Float:
		return float64(x), nil
	case py.String:
		return string(x), nil
	case py.StringDict:
		m := make(map[string]any, len(x))
		for k, e := range x {
			v, err := fromPyDepth(e, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case *py.List:
		return seqFromPy(x.Items, depth)
	case py.Tuple:
		return seqFromPy(x, depth)
	default:
		return nil, py.ExceptionNewf(py.TypeError, "object of type '%s' is not JSON serializable", o.Type().Name)
	}
}

func seqFromPy(items []py.Object, depth int) ([]any, error) {
	out := make([]any, len(items))
	for i, e := range items {
		v, err := fromPyDepth(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// pyStr is str(o) for messages; it never fails.
func pyStr(o py.Object) string {
	if s, ok := o.(py.String); ok {
		return string(s)
	}
	s, err := py.StrAsString(o)
	if err != nil {
		return fmt.Sprintf("<%s>", o.Type().Name)
	}
	return s
}
