package modules

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-python/gpython/py"

	"gomgr/registry"
)

// pyOSDPerfQuery is the dict Ceph's add_osd_perf_query takes; names it does
// not know are refused, as Ceph's ceph_add_osd_perf_query refuses them.
type pyOSDPerfQuery struct {
	Key []struct {
		Type  string `json:"type"`
		Regex string `json:"regex"`
	} `json:"key_descriptor"`
	Counters []string `json:"performance_counter_descriptors"`
	Limit    *struct {
		OrderBy  string `json:"order_by"`
		MaxCount uint64 `json:"max_count"`
	} `json:"limit"`
}

// pyAddOSDPerfQuery is add_osd_perf_query(query): the query's id, or None
// when the query is refused (logged), as Ceph's.
func (m *pyModule) pyAddOSDPerfQuery(args py.Tuple) (py.Object, error) {
	if len(args) != 1 {
		return nil, py.ExceptionNewf(py.TypeError, "add_osd_perf_query(query)")
	}
	ph, err := hostAs[registry.PerfQueryHost](m, "add_osd_perf_query")
	if err != nil {
		return nil, err
	}
	q, err := osdPerfQuery(args[0])
	if err == nil {
		var id int64
		if id, err = ph.AddOSDPerfQuery(q); err == nil {
			return py.Int(id), nil
		}
	}
	m.host.Log("error", "add_osd_perf_query: "+err.Error())
	return py.None, nil
}

// osdPerfQuery reads a module's query dict.
func osdPerfQuery(o py.Object) (registry.OSDPerfQuery, error) {
	var q registry.OSDPerfQuery
	v, err := fromPy(o)
	if err != nil {
		return q, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return q, err
	}
	var pq pyOSDPerfQuery
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&pq); err != nil {
		return q, fmt.Errorf("query %s: %w", b, err)
	}
	for _, k := range pq.Key {
		q.Key = append(q.Key, registry.OSDPerfSubKey{Type: k.Type, Regex: k.Regex})
	}
	q.Counters = pq.Counters
	if pq.Limit != nil {
		q.Limit = &registry.OSDPerfLimit{OrderBy: pq.Limit.OrderBy, MaxCount: pq.Limit.MaxCount}
	}
	return q, nil
}

// pyRemoveOSDPerfQuery is remove_osd_perf_query(query_id); an unknown id
// is logged, as Ceph's.
func (m *pyModule) pyRemoveOSDPerfQuery(args py.Tuple) (py.Object, error) {
	id, ph, err := m.perfQueryID("remove_osd_perf_query", args)
	if err != nil {
		return nil, err
	}
	if err := ph.RemoveOSDPerfQuery(id); err != nil {
		m.host.Log("info", fmt.Sprintf("remove_osd_perf_query for query_id=%d failed: %v", id, err))
	}
	return py.None, nil
}

// pyGetOSDPerfCounters is get_osd_perf_counters(query_id): Ceph's
// {"counters": [{"k": [[sub-key groups]...], "c": [[value, count]...]}]}
// since the last call, or None for an unknown id.
func (m *pyModule) pyGetOSDPerfCounters(args py.Tuple) (py.Object, error) {
	id, ph, err := m.perfQueryID("get_osd_perf_counters", args)
	if err != nil {
		return nil, err
	}
	cs, err := ph.OSDPerfCounters(id)
	if err != nil {
		m.host.Log("info", fmt.Sprintf("get_osd_perf_counters for query_id=%d failed: %v", id, err))
		return py.None, nil
	}
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		k := make([]any, 0, len(c.Key))
		for _, sub := range c.Key {
			groups := make([]any, 0, len(sub))
			for _, g := range sub {
				groups = append(groups, g)
			}
			k = append(k, groups)
		}
		vals := make([]any, 0, len(c.Values))
		for _, v := range c.Values {
			vals = append(vals, []any{int64(v[0]), int64(v[1])})
		}
		out = append(out, map[string]any{"k": k, "c": vals})
	}
	return toPy(map[string]any{"counters": out})
}

func (m *pyModule) perfQueryID(what string, args py.Tuple) (int64, registry.PerfQueryHost, error) {
	if len(args) != 1 {
		return 0, nil, py.ExceptionNewf(py.TypeError, "%s(query_id)", what)
	}
	id, ok := args[0].(py.Int)
	if !ok {
		return 0, nil, py.ExceptionNewf(py.TypeError, "an integer is required (got type %s)", args[0].Type().Name)
	}
	ph, err := hostAs[registry.PerfQueryHost](m, what)
	return int64(id), ph, err
}
