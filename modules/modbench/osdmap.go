package modbench

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// osdDump is a real `ceph osd dump -f json` (../shared/ceph-json), the
// template OSDMap grows.
//
//go:embed osd_dump.json
var osdDump []byte

// OSDMap returns a Ceph-shaped osd_map (the JSON of `ceph osd dump -f
// json`) with n OSDs and their osd_xinfo, each a copy of the template's
// first OSD with its own id and uuid. Integers are int64, other numbers
// float64, as registry.Value expects.
func OSDMap(n int) (map[string]any, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: %d osds", ErrOptions, n)
	}
	m, err := decodeTemplate()
	if err != nil {
		return nil, err
	}
	osds, _ := m["osds"].([]any)
	xinfo, _ := m["osd_xinfo"].([]any)
	if len(osds) == 0 || len(xinfo) == 0 {
		return nil, fmt.Errorf("%w: template osd dump has no osds", ErrOptions)
	}
	tmpl, _ := osds[0].(map[string]any)
	xtmpl, _ := xinfo[0].(map[string]any)
	newOSDs := make([]any, n)
	newX := make([]any, n)
	for i := range n {
		o := make(map[string]any, len(tmpl))
		for k, v := range tmpl {
			o[k] = v // nested values are shared: the map is immutable once published
		}
		o["osd"] = int64(i)
		o["uuid"] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		newOSDs[i] = o
		x := make(map[string]any, len(xtmpl))
		for k, v := range xtmpl {
			x[k] = v
		}
		x["osd"] = int64(i)
		newX[i] = x
	}
	m["osds"] = newOSDs
	m["osd_xinfo"] = newX
	m["max_osd"] = int64(n)
	return m, nil
}

func decodeTemplate() (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(osdDump))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: template osd dump: %w", ErrOptions, err)
	}
	m, ok := numbers(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: template osd dump is not an object", ErrOptions)
	}
	return m, nil
}

// numbers turns json.Number into int64 when integral, float64 otherwise.
func numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
