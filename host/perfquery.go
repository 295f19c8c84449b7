package host

import (
	"fmt"
	"maps"
	"regexp/syntax"
	"slices"
	"sync"

	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

// osdPerfCollector is Ceph's OSDPerfMetricCollector (MetricCollector.cc):
// the modules' OSD perf metric queries, and the counters the OSDs report
// for them, summed over the OSDs per key until a module reads them. Query
// ids are numbered from 0 for the mgr's life, as Ceph's; queries that are
// the same query (equal encodings) are sent to the OSDs once, and each id
// gets the counters. Safe from any goroutine.
type osdPerfCollector struct {
	mu      sync.Mutex
	next    int64
	queries map[string]*perfQuery // by the query's encoding
	ids     map[int64]*perfQuery
	// counters: per query id, per key (its encoding), since the last read.
	counters map[int64]map[string]*registry.OSDPerfCounters
}

// perfQuery is one query and the limit each id that asked for it gave
// (nil: none).
type perfQuery struct {
	q      messages.OSDPerfMetricQuery
	limits map[int64]*messages.OSDPerfMetricLimit
}

func newOSDPerfCollector() *osdPerfCollector {
	return &osdPerfCollector{queries: map[string]*perfQuery{}, ids: map[int64]*perfQuery{},
		counters: map[int64]map[string]*registry.OSDPerfCounters{}}
}

// limited is Ceph's is_limited: every id of the query gave a limit, so the
// OSDs may report the top keys only.
func (p *perfQuery) limited() bool {
	for _, l := range p.limits {
		if l == nil {
			return false
		}
	}
	return true
}

// osdPerfQuery checks a module's query as ceph_add_osd_perf_query does
// and turns it into Ceph's.
func osdPerfQuery(q registry.OSDPerfQuery) (messages.OSDPerfMetricQuery, *messages.OSDPerfMetricLimit, error) {
	var out messages.OSDPerfMetricQuery
	for i, k := range q.Key {
		t := slices.Index(messages.OSDPerfSubKeyNames, k.Type)
		if t < 0 {
			return out, nil, fmt.Errorf("%w: key %d: sub-key type %q", ErrBadPerfQuery, i, k.Type)
		}
		if k.Regex == "" {
			return out, nil, fmt.Errorf("%w: key %d: no regex", ErrBadPerfQuery, i)
		}
		// The OSDs match with std::regex (ECMAScript), which takes what
		// RE2 does not (lookaheads): only a regex RE2 reads is checked
		// here for the capturing group Ceph requires.
		if re, err := syntax.Parse(k.Regex, syntax.Perl); err == nil && re.MaxCap() == 0 {
			return out, nil, fmt.Errorf("%w: key %d: regex %q has no capturing group", ErrBadPerfQuery, i, k.Regex)
		}
		out.KeyDescriptor = append(out.KeyDescriptor, messages.OSDPerfSubKeyDescriptor{Type: uint8(t), Regex: k.Regex})
	}
	for _, c := range q.Counters {
		t := slices.Index(messages.OSDPerfCounterNames, c)
		if t < 0 {
			return out, nil, fmt.Errorf("%w: counter type %q", ErrBadPerfQuery, c)
		}
		out.Counters = append(out.Counters, uint8(t))
	}
	if len(out.KeyDescriptor) == 0 || len(out.Counters) == 0 {
		return out, nil, fmt.Errorf("%w: no key or no counters", ErrBadPerfQuery)
	}
	if q.Limit == nil {
		return out, nil, nil
	}
	t := slices.Index(messages.OSDPerfCounterNames, q.Limit.OrderBy)
	if t < 0 || !slices.Contains(out.Counters, uint8(t)) {
		return out, nil, fmt.Errorf("%w: limit order_by %q not among the counters", ErrBadPerfQuery, q.Limit.OrderBy)
	}
	return out, &messages.OSDPerfMetricLimit{OrderBy: uint8(t), MaxCount: q.Limit.MaxCount}, nil
}

// add registers a query; changed says whether the OSDs' set changed (a
// new query, or a limited one), as MetricCollector::add_query.
func (c *osdPerfCollector) add(q messages.OSDPerfMetricQuery, limit *messages.OSDPerfMetricLimit) (id int64, changed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id = c.next
	c.next++
	key := string(q.Marshal())
	p := c.queries[key]
	if p == nil {
		p = &perfQuery{q: q, limits: map[int64]*messages.OSDPerfMetricLimit{}}
		c.queries[key] = p
		changed = true
	} else if p.limited() {
		changed = true
	}
	p.limits[id] = limit
	c.ids[id] = p
	c.counters[id] = map[string]*registry.OSDPerfCounters{}
	return id, changed
}

// remove unregisters a query id, as MetricCollector::remove_query.
func (c *osdPerfCollector) remove(id int64) (changed bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.ids[id]
	if p == nil {
		return false, fmt.Errorf("osd perf query %d: %w", id, registry.ErrNoData)
	}
	delete(p.limits, id)
	delete(c.ids, id)
	delete(c.counters, id)
	if len(p.limits) == 0 {
		delete(c.queries, string(p.q.Marshal()))
		return true, nil
	}
	return p.limited(), nil
}

// clear forgets every query: a mgr that becomes active starts with none,
// as a freshly started ceph-mgr does.
func (c *osdPerfCollector) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.queries)
	clear(c.ids)
	clear(c.counters)
}

// take returns the counters of a query id in key order and starts them
// again from zero (MetricCollector::get_counters_generic).
func (c *osdPerfCollector) take(id int64) ([]registry.OSDPerfCounters, error) {
	c.mu.Lock()
	cs, ok := c.counters[id]
	if ok {
		c.counters[id] = map[string]*registry.OSDPerfCounters{}
	}
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("osd perf query %d: %w", id, registry.ErrNoData)
	}
	out := make([]registry.OSDPerfCounters, 0, len(cs))
	for _, k := range cs {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b registry.OSDPerfCounters) int { return messages.CompareOSDPerfKeys(a.Key, b.Key) })
	return out, nil
}

// osdQueries is what the OSDs are sent (OSDPerfMetricCollector::
// get_queries): each query, with its limits when every id gave one.
func (c *osdPerfCollector) osdQueries() []messages.OSDPerfQueryLimits {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]messages.OSDPerfQueryLimits, 0, len(c.queries))
	for _, p := range c.queries {
		e := messages.OSDPerfQueryLimits{Query: p.q}
		if p.limited() {
			for _, l := range p.limits {
				e.Limits = append(e.Limits, *l)
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b messages.OSDPerfQueryLimits) int { return messages.CompareOSDPerfQueries(a.Query, b.Query) })
	return out
}

// process adds one OSD's reports to every id of their queries, as
// MetricCollector::process_reports_generic: a report's counters are
// matched to the query's in order (an OSD may have left out counters it
// does not know), values and latency counts summed. Reports for queries
// no module has (an OSD keeps what an earlier mgr sent it) are ignored.
// What does not unpack is left out, and said in the error.
func (c *osdPerfCollector) process(reports []messages.OSDPerfQueryReport) error {
	if len(reports) == 0 {
		return nil
	}
	var bad error
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range reports {
		p := c.queries[string(r.Query.Marshal())]
		if p == nil {
			continue
		}
		n := len(p.q.Counters)
		for _, g := range r.Report.Groups {
			vals, err := messages.UnpackOSDPerfCounters(r.Report.Counters, g.Packed)
			if err != nil && bad == nil {
				bad = fmt.Errorf("%w: %w", ErrReportMismatch, err)
			}
			key := string(messages.OSDPerfKeyBytes(g.Key))
			// Report counter j goes to the query's counter i of its type.
			into := make([]int, 0, len(vals))
			j := 0
			for i := 0; i < n && j < len(r.Report.Counters); i++ {
				if r.Report.Counters[j] != p.q.Counters[i] {
					continue
				}
				into = append(into, i)
				j++
			}
			for id := range p.limits {
				kc := c.counters[id][key]
				if kc == nil {
					kc = &registry.OSDPerfCounters{Key: g.Key, Values: make([][2]uint64, n)}
					c.counters[id][key] = kc
				}
				for j, i := range into {
					if j < len(vals) {
						kc.Values[i][0] += vals[j][0]
						kc.Values[i][1] += vals[j][1]
					}
				}
			}
		}
	}
	return bad
}

// AddOSDPerfQuery implements registry.PerfQueries: the query goes to every
// OSD session at once when the OSDs' set changes.
func (c clusterCalls) AddOSDPerfQuery(q registry.OSDPerfQuery) (int64, error) {
	mq, limit, err := osdPerfQuery(q)
	if err != nil {
		return 0, err
	}
	id, changed := c.s.perf.add(mq, limit)
	if changed {
		c.s.sendPerfQueries()
	}
	return id, nil
}

// RemoveOSDPerfQuery implements registry.PerfQueries.
func (c clusterCalls) RemoveOSDPerfQuery(id int64) error {
	changed, err := c.s.perf.remove(id)
	if changed {
		c.s.sendPerfQueries()
	}
	return err
}

// OSDPerfCounters implements registry.PerfQueries.
func (c clusterCalls) OSDPerfCounters(id int64) ([]registry.OSDPerfCounters, error) {
	return c.s.perf.take(id)
}

var _ registry.PerfQueries = clusterCalls{}

// mgrConfigure is the MMgrConfigure for a daemon session (Ceph's
// DaemonServer::_send_configure): an OSD gets the perf queries in the map
// a pacific mgr sends them in. With none, and clear set (the last query
// went), it gets an empty OSD MetricConfig too, which a pacific OSD takes
// for "no queries" where an empty map alone leaves it collecting the
// last ones.
func (s *Standby) mgrConfigure(peerType uint8, clear bool) *msgr.Message {
	p := &messages.MgrConfigure{StatsPeriod: uint32(s.cfg.StatsPeriod.Seconds())}
	if peerType == wire.EntityOSD {
		p.OSDPerfMetricQueries = s.perf.osdQueries()
		if len(p.OSDPerfMetricQueries) == 0 && clear {
			p.MetricConfig = &messages.MetricConfig{Type: messages.MetricTypeOSD}
		}
	}
	return messages.Encode(p)
}

// sendPerfQueries sends every OSD session of the active side the current
// queries (DaemonServer::handle_osd_perf_metric_query_updated). A
// standby has no sessions: the OSDs get them when they open one.
func (s *Standby) sendPerfQueries() {
	s.mu.Lock()
	a := s.act
	s.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	conns := slices.Collect(maps.Keys(a.sessions))
	a.mu.Unlock()
	var m *msgr.Message
	for _, c := range conns {
		if c.PeerType() != wire.EntityOSD {
			continue
		}
		if m == nil {
			m = s.mgrConfigure(wire.EntityOSD, true)
		}
		if err := c.Send(m); err != nil {
			s.log.WithError(err).WithField("peer", c.String()).Debug("perf queries not sent: the session is closing")
		}
	}
}
