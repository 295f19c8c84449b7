package isolate

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/registry"
)

// perfHost is a fakeHost that also collects OSD perf queries.
type perfHost struct {
	*fakeHost
	*testutil.PerfQueries
}

var _ registry.PerfQueryHost = (*perfHost)(nil)

// perfCalls is the goModule's "perf" command: it adds a query through its
// host, reads its counters, removes it, and reads them again.
func (m *goModule) perfCalls() (registry.CommandResult, error) {
	ph, ok := m.host.(registry.PerfQueryHost)
	if !ok {
		return registry.CommandResult{}, errors.New("child host is not a PerfQueryHost")
	}
	id, err := ph.AddOSDPerfQuery(registry.OSDPerfQuery{
		Key:      []registry.OSDPerfSubKey{{Type: "pool_id", Regex: "^(.*)$"}},
		Counters: []string{"write_ops", "write_latency"},
		Limit:    &registry.OSDPerfLimit{OrderBy: "write_ops", MaxCount: 10},
	})
	if err != nil {
		return registry.CommandResult{}, err
	}
	cs, err := ph.OSDPerfCounters(id)
	rmErr := ph.RemoveOSDPerfQuery(id)
	_, goneErr := ph.OSDPerfCounters(id)
	return registry.CommandResult{Stdout: fmt.Sprintf("id=%d counters=%v %v remove=%v after=%v", id, cs, err, rmErr,
		errors.Is(goneErr, registry.ErrNoData))}, nil
}

// TestPerfQueryCalls: a module's perf query calls reach its host's
// PerfQueryHost across the process boundary, typed; a host without one
// answers ErrNotSupported.
func TestPerfQueryCalls(t *testing.T) {
	s := testSourceCfg(Config{})
	h := &perfHost{fakeHost: newFakeHost(), PerfQueries: &testutil.PerfQueries{FirstID: 3}}
	m := open(t, s, "ok", h)
	res, err := command(m, 5*time.Second, map[string]any{"prefix": "perf"})
	if err != nil {
		t.Fatal(err)
	}
	want := "id=3 counters=[{[[2 ^(.*)$]] [[7 0] [1099511627776 3]]}] <nil> remove=<nil> after=true"
	if res.Stdout != want {
		t.Errorf("got  %s\nwant %s", res.Stdout, want)
	}

	m2 := open(t, s, "other", newFakeHost())
	if _, err := command(m2, 5*time.Second, map[string]any{"prefix": "perf"}); !errors.Is(err, registry.ErrNotSupported) {
		t.Errorf("without a PerfQueryHost: %v", err)
	}
}

// TestPerfQueryCodec: the ops' payloads decode to what was encoded.
func TestPerfQueryCodec(t *testing.T) {
	for _, q := range []registry.OSDPerfQuery{
		{Key: []registry.OSDPerfSubKey{{Type: "pool_id", Regex: "^(.*)$"}, {Type: "object_name", Regex: `^rbd_data\.([^.]+)\.`}},
			Counters: []string{"ops", "read_latency"}, Limit: &registry.OSDPerfLimit{OrderBy: "ops", MaxCount: 64}},
		{Key: []registry.OSDPerfSubKey{{Type: "client_id", Regex: "(.*)"}}, Counters: []string{"bytes"}},
	} {
		var e enc
		e.osdPerfQuery(q)
		d := dec{b: e.b}
		if got := d.osdPerfQuery(); d.err != nil || len(d.b) != 0 || !reflect.DeepEqual(got, q) {
			t.Errorf("query %+v: got %+v, %v", q, got, d.err)
		}
	}
	cs := []registry.OSDPerfCounters{{Key: [][]string{{"^1$", "1"}, {""}}, Values: [][2]uint64{{1, 0}, {^uint64(0), 2}}}, {Key: [][]string{{"x"}}}}
	var e enc
	e.osdPerfCounters(cs)
	d := dec{b: e.b}
	if got := d.osdPerfCounters(); d.err != nil || len(d.b) != 0 || !reflect.DeepEqual(got, cs) {
		t.Errorf("counters: got %+v, %v", got, d.err)
	}
}

// FuzzPerfQueryCodec: the perf query ops' decoders never panic, and what
// decodes re-encodes to the same value.
func FuzzPerfQueryCodec(f *testing.F) {
	var e enc
	e.osdPerfQuery(registry.OSDPerfQuery{Key: []registry.OSDPerfSubKey{{Type: "pool_id", Regex: "(.*)"}}, Counters: []string{"ops"},
		Limit: &registry.OSDPerfLimit{OrderBy: "ops", MaxCount: 2}})
	f.Add(e.b)
	var e2 enc
	e2.osdPerfCounters([]registry.OSDPerfCounters{{Key: [][]string{{"a", "b"}}, Values: [][2]uint64{{1, 2}}}})
	f.Add(e2.b)
	f.Fuzz(func(t *testing.T, b []byte) {
		d := dec{b: b}
		if q := d.osdPerfQuery(); d.err == nil {
			var e enc
			e.osdPerfQuery(q)
			d2 := dec{b: e.b}
			if again := d2.osdPerfQuery(); d2.err != nil || !reflect.DeepEqual(again, q) {
				t.Fatalf("query %+v re-decoded as %+v, %v", q, again, d2.err)
			}
		}
		d = dec{b: b}
		if cs := d.osdPerfCounters(); d.err == nil {
			var e enc
			e.osdPerfCounters(cs)
			d2 := dec{b: e.b}
			if again := d2.osdPerfCounters(); d2.err != nil || !reflect.DeepEqual(again, cs) {
				t.Fatalf("counters %+v re-decoded as %+v, %v", cs, again, d2.err)
			}
		}
	})
}
