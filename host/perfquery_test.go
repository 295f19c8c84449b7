package host

import (
	"errors"
	"reflect"
	"testing"

	"gomgr/messages"
	"gomgr/registry"
)

var testPerfQuery = registry.OSDPerfQuery{
	Key:      []registry.OSDPerfSubKey{{Type: "pool_id", Regex: "^(.*)$"}},
	Counters: []string{"write_ops", "write_latency", "write_bytes"},
}

func mustQuery(t *testing.T, q registry.OSDPerfQuery) (messages.OSDPerfMetricQuery, *messages.OSDPerfMetricLimit) {
	t.Helper()
	mq, l, err := osdPerfQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return mq, l
}

// TestOSDPerfQueryChecks: the queries ceph_add_osd_perf_query refuses.
func TestOSDPerfQueryChecks(t *testing.T) {
	mq, l := mustQuery(t, registry.OSDPerfQuery{Key: testPerfQuery.Key, Counters: testPerfQuery.Counters,
		Limit: &registry.OSDPerfLimit{OrderBy: "write_bytes", MaxCount: 5}})
	want := messages.OSDPerfMetricQuery{KeyDescriptor: []messages.OSDPerfSubKeyDescriptor{{Type: messages.OSDPerfSubKeyPoolID, Regex: "^(.*)$"}},
		Counters: []uint8{messages.OSDPerfWriteOps, messages.OSDPerfWriteLatency, messages.OSDPerfWriteBytes}}
	if !reflect.DeepEqual(mq, want) || *l != (messages.OSDPerfMetricLimit{OrderBy: messages.OSDPerfWriteBytes, MaxCount: 5}) {
		t.Fatalf("query %+v limit %+v", mq, l)
	}
	key := func(typ, re string) []registry.OSDPerfSubKey { return []registry.OSDPerfSubKey{{Type: typ, Regex: re}} }
	for name, q := range map[string]registry.OSDPerfQuery{
		"no key":              {Counters: []string{"ops"}},
		"no counters":         {Key: key("pool_id", "(.*)")},
		"unknown sub-key":     {Key: key("pool", "(.*)"), Counters: []string{"ops"}},
		"no regex":            {Key: key("pool_id", ""), Counters: []string{"ops"}},
		"no capture group":    {Key: key("pool_id", "^.*$"), Counters: []string{"ops"}},
		"unknown counter":     {Key: key("pool_id", "(.*)"), Counters: []string{"iops"}},
		"order_by not wanted": {Key: key("pool_id", "(.*)"), Counters: []string{"ops"}, Limit: &registry.OSDPerfLimit{OrderBy: "bytes"}},
	} {
		if _, _, err := osdPerfQuery(q); !errors.Is(err, ErrBadPerfQuery) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A regex RE2 cannot read is the OSDs' to judge (std::regex takes lookaheads).
	if _, _, err := osdPerfQuery(registry.OSDPerfQuery{Key: key("object_name", "^(?=rbd)(.*)$"), Counters: []string{"ops"}}); err != nil {
		t.Errorf("lookahead: %v", err)
	}
}

// TestOSDPerfCollector follows MetricCollector: ids from 0, one query sent
// once for two ids, limits sent only when every id has one, reports summed
// per key over OSDs (latencies as [sum, count]), counters cleared on read.
func TestOSDPerfCollector(t *testing.T) {
	c := newOSDPerfCollector()
	mq, _ := mustQuery(t, testPerfQuery)
	limit := &messages.OSDPerfMetricLimit{OrderBy: messages.OSDPerfWriteOps, MaxCount: 10}
	id0, changed0 := c.add(mq, limit)
	id1, changed1 := c.add(mq, limit) // the same query, limited: the limits sent change
	if id0 != 0 || id1 != 1 || !changed0 || !changed1 {
		t.Fatalf("ids %d %d, changed %v %v", id0, id1, changed0, changed1)
	}
	if q := c.osdQueries(); len(q) != 1 || len(q[0].Limits) != 2 {
		t.Fatalf("sent %+v, want one query with both limits", q)
	}
	id2, changed2 := c.add(mq, nil) // unlimited: the OSDs report every key
	if id2 != 2 || !changed2 {
		t.Fatalf("id %d changed %v", id2, changed2)
	}
	if q := c.osdQueries(); len(q) != 1 || len(q[0].Limits) != 0 {
		t.Fatalf("sent %+v, want the query unlimited", q)
	}

	report := func(keys map[string][][2]uint64) messages.OSDPerfQueryReport {
		r := messages.OSDPerfQueryReport{Query: mq, Report: messages.OSDPerfMetricReport{Counters: mq.Counters}}
		for k, v := range keys {
			r.Report.Groups = append(r.Report.Groups, messages.OSDPerfGroup{Key: [][]string{{k}}, Packed: messages.PackOSDPerfCounters(mq.Counters, v)})
		}
		return r
	}
	other := messages.OSDPerfQueryReport{Query: messages.OSDPerfMetricQuery{KeyDescriptor: mq.KeyDescriptor, Counters: []uint8{0}}}
	// osd.0 and osd.1 report pool 1; osd.1 pool 2 too; a query no module has is ignored.
	for _, r := range [][]messages.OSDPerfQueryReport{
		{report(map[string][][2]uint64{"1": {{3, 0}, {300, 3}, {12288, 0}}})},
		{report(map[string][][2]uint64{"1": {{1, 0}, {50, 1}, {4096, 0}}, "2": {{2, 0}, {20, 2}, {8192, 0}}}), other},
	} {
		if err := c.process(r); err != nil {
			t.Fatal(err)
		}
	}
	want := []registry.OSDPerfCounters{
		{Key: [][]string{{"1"}}, Values: [][2]uint64{{4, 0}, {350, 4}, {16384, 0}}},
		{Key: [][]string{{"2"}}, Values: [][2]uint64{{2, 0}, {20, 2}, {8192, 0}}},
	}
	for _, id := range []int64{id0, id1, id2} {
		got, err := c.take(id)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("query %d: %+v, %v; want %+v", id, got, err, want)
		}
	}
	if got, err := c.take(id0); err != nil || len(got) != 0 {
		t.Fatalf("read again: %+v, %v; want nothing new", got, err)
	}

	// A report that left out a counter (an older OSD) fills the others.
	partial := messages.OSDPerfQueryReport{Query: mq, Report: messages.OSDPerfMetricReport{
		Counters: []uint8{messages.OSDPerfWriteOps, messages.OSDPerfWriteBytes},
		Groups:   []messages.OSDPerfGroup{{Key: [][]string{{"1"}}, Packed: messages.PackOSDPerfCounters([]uint8{1, 4}, [][2]uint64{{5, 0}, {10, 0}})}}}}
	if err := c.process([]messages.OSDPerfQueryReport{partial}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.take(id1); !reflect.DeepEqual(got, []registry.OSDPerfCounters{{Key: [][]string{{"1"}}, Values: [][2]uint64{{5, 0}, {0, 0}, {10, 0}}}}) {
		t.Fatalf("partial report: %+v", got)
	}

	// Removing ids: the query goes when its last id does.
	if changed, err := c.remove(id2); err != nil || !changed {
		t.Fatalf("remove the unlimited id: changed %v, %v (the rest are limited)", changed, err)
	}
	if changed, err := c.remove(id0); err != nil || !changed {
		t.Fatalf("remove a limited id: %v %v", changed, err)
	}
	if changed, err := c.remove(id1); err != nil || !changed || len(c.osdQueries()) != 0 {
		t.Fatalf("remove the last id: %v %v %+v", changed, err, c.osdQueries())
	}
	if _, err := c.remove(id1); !errors.Is(err, registry.ErrNoData) {
		t.Fatalf("remove twice: %v", err)
	}
	if _, err := c.take(id1); !errors.Is(err, registry.ErrNoData) {
		t.Fatalf("read a removed query: %v", err)
	}
	if id, _ := c.add(mq, nil); id != 3 {
		t.Fatalf("ids are not reused: got %d", id)
	}
}
