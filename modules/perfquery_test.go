package modules

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gomgr/registry"
)

// perfFakeHost is a fakeHost that also collects OSD perf queries: it keeps
// what it was given and reports fixed counters for it.
type perfFakeHost struct {
	*fakeHost
	mu      sync.Mutex
	queries map[int64]registry.OSDPerfQuery
}

func (h *perfFakeHost) AddOSDPerfQuery(q registry.OSDPerfQuery) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(q.Key) == 0 || len(q.Counters) == 0 {
		return 0, errors.New("no key or no counters")
	}
	id := int64(len(h.queries) + 5)
	h.queries[id] = q
	return id, nil
}

func (h *perfFakeHost) RemoveOSDPerfQuery(id int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.queries[id]; !ok {
		return fmt.Errorf("query %d: %w", id, registry.ErrNoData)
	}
	delete(h.queries, id)
	return nil
}

func (h *perfFakeHost) OSDPerfCounters(id int64) ([]registry.OSDPerfCounters, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.queries[id]; !ok {
		return nil, fmt.Errorf("query %d: %w", id, registry.ErrNoData)
	}
	return []registry.OSDPerfCounters{{Key: [][]string{{"2"}}, Values: [][2]uint64{{12, 0}, {900, 4}}}}, nil
}

var _ registry.PerfQueryHost = (*perfFakeHost)(nil)

// TestOSDPerfQueries: a gpython module adds a query (its dict read as
// Ceph's), reads counters in Ceph's shape, removes it; a refused query is
// None, and an unknown id's counters are None.
func TestOSDPerfQueries(t *testing.T) {
	m, err := openSrc(t, "perfq", `
import json
from mgr_module import MgrModule

class Module(MgrModule):
    COMMANDS = [{"cmd": "perf", "desc": "perf queries", "perm": "rw"}]

    def handle_command(self, inbuf, cmd):
        qid = self.add_osd_perf_query({
            "key_descriptor": [{"type": "pool_id", "regex": "^(.*)$"}],
            "performance_counter_descriptors": ["write_ops", "latency"],
            "limit": {"order_by": "write_ops", "max_count": 5}})
        counters = self.get_osd_perf_counters(qid)
        self.remove_osd_perf_query(qid)
        out = {"id": qid, "counters": counters, "gone": self.get_osd_perf_counters(qid),
               "empty": self.add_osd_perf_query({"key_descriptor": []}),
               "unknown_name": self.add_osd_perf_query({"key": []})}
        return 0, json.dumps(out), ""
`)
	if err != nil {
		t.Fatal(err)
	}
	h := &perfFakeHost{fakeHost: newFakeHost("perfq", m.Info().Options), queries: map[int64]registry.OSDPerfQuery{}}
	if err := m.Start(ctxT(t, 10*time.Second), h); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	res := command(t, m, map[string]any{"prefix": "perf"})
	if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
		t.Fatalf("%v: %q", err, res.Stdout)
	}
	want := map[string]any{
		"id":           5.0,
		"counters":     map[string]any{"counters": []any{map[string]any{"k": []any{[]any{"2"}}, "c": []any{[]any{12.0, 0.0}, []any{900.0, 4.0}}}}},
		"gone":         nil,
		"empty":        nil,
		"unknown_name": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("module saw %v\nwant %v", got, want)
	}
	if len(h.queries) != 0 {
		t.Errorf("queries left: %v", h.queries)
	}
	logs := fmt.Sprint(h.logLines())
	for _, w := range []string{"no key or no counters", `unknown field "key"`, "query_id=5 failed"} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q: %s", w, logs)
		}
	}
}
