package isolate

import (
	"fmt"

	"gomgr/internal/jsontree"
)

// decodeJSON decodes a Value's JSON into the shape registry.Value documents
// (map[string]any, []any, string, int64, float64, bool, nil): integral
// numbers become int64 (json.Number, exact, beyond int64's range), the rest
// float64. A float 2.0 in the parent arrives as int64 2: JSON does not
// keep the difference.
func decodeJSON(raw []byte) (any, error) {
	v, err := jsontree.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: value JSON: %w", ErrProtocol, err)
	}
	return v, nil
}
