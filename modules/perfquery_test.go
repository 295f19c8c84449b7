package modules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/registry"
)

// perfFakeHost is a fakeHost that also collects OSD perf queries.
type perfFakeHost struct {
	*fakeHost
	*testutil.PerfQueries
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
	h := &perfFakeHost{fakeHost: newFakeHost("perfq", m.Info().Options), PerfQueries: &testutil.PerfQueries{FirstID: 5}}
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
		"counters":     map[string]any{"counters": []any{map[string]any{"k": []any{[]any{"2", "^(.*)$"}}, "c": []any{[]any{7.0, 0.0}, []any{float64(1 << 40), 3.0}}}}},
		"gone":         nil,
		"empty":        nil,
		"unknown_name": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("module saw %v\nwant %v", got, want)
	}
	if n := h.Len(); n != 0 {
		t.Errorf("%d queries left", n)
	}
	logs := fmt.Sprint(h.logLines())
	for _, w := range []string{"no key or no counters", `unknown field "key"`, "query_id=5 failed"} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q: %s", w, logs)
		}
	}
}
