package isolate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// decodeJSON decodes a Value's JSON into the shape registry.Value documents
// (map[string]any, []any, string, int64, float64, bool, nil): integral
// numbers become int64 (all their bits kept), the rest float64.
func decodeJSON(raw []byte) (any, error) { return parseJSON(raw) }

// decodeJSONStd is decodeJSON by encoding/json with UseNumber: the
// reference parseJSON is checked against.
func decodeJSONStd(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: value JSON: %w", ErrProtocol, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: value JSON: trailing data", ErrProtocol)
	}
	return normalize(v), nil
}

func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
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
