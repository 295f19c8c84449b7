package testutil

import (
	"errors"
	"fmt"
	"sync"

	"gomgr/registry"
)

// PerfQueries is an in-test registry.PerfQueries: it keeps the queries it
// is given, numbered from FirstID, refuses one without a key or counters,
// and reports for each query one key, ["2", its first sub-key's regex],
// with the values [7, 0] and [1<<40, 3].
type PerfQueries struct {
	FirstID int64

	mu      sync.Mutex
	queries map[int64]registry.OSDPerfQuery
}

var _ registry.PerfQueries = (*PerfQueries)(nil)

// AddOSDPerfQuery implements registry.PerfQueries.
func (p *PerfQueries) AddOSDPerfQuery(q registry.OSDPerfQuery) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(q.Key) == 0 || len(q.Counters) == 0 {
		return 0, errors.New("no key or no counters")
	}
	if p.queries == nil {
		p.queries = map[int64]registry.OSDPerfQuery{}
	}
	id := p.FirstID + int64(len(p.queries))
	p.queries[id] = q
	return id, nil
}

// RemoveOSDPerfQuery implements registry.PerfQueries.
func (p *PerfQueries) RemoveOSDPerfQuery(id int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.queries[id]; !ok {
		return fmt.Errorf("query %d: %w", id, registry.ErrNoData)
	}
	delete(p.queries, id)
	return nil
}

// OSDPerfCounters implements registry.PerfQueries.
func (p *PerfQueries) OSDPerfCounters(id int64) ([]registry.OSDPerfCounters, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q, ok := p.queries[id]
	if !ok {
		return nil, fmt.Errorf("query %d: %w", id, registry.ErrNoData)
	}
	return []registry.OSDPerfCounters{{Key: [][]string{{"2", q.Key[0].Regex}}, Values: [][2]uint64{{7, 0}, {1 << 40, 3}}}}, nil
}

// Len is how many queries are kept.
func (p *PerfQueries) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queries)
}
