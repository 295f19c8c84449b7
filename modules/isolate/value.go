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
// numbers become int64 (json.Number, exact, beyond int64's range), the rest
// float64. A float 2.0 in the parent arrives as int64 2: JSON does not
// keep the difference.
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
