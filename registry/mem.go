package registry

import (
	"context"
	"maps"
	"sort"
	"strings"
	"sync"
)

// DefaultRetain is how many samples MemState keeps per counter.
const DefaultRetain = 20

type svcKey struct{ typ, id string }

type counterKey struct {
	svcKey
	path string
}

// MemState is a ready State the application just updates. The zero value
// is empty and ready; every method is safe for concurrent use. Values and
// maps handed in are copied where the application might keep changing
// them (Set takes ownership of data: do not modify it afterwards).
type MemState struct {
	mu      sync.RWMutex
	version uint64
	retain  int
	enc     func(any) ([]byte, error) // for the values Set makes; nil: encoding/json
	data    map[string]*Value
	servers map[string]Server
	meta    map[svcKey]map[string]string
	samples map[counterKey][]Sample
	schema  map[svcKey]map[string]PerfCounter
}

var _ State = (*MemState)(nil)

// NewMemState returns an empty MemState keeping DefaultRetain samples per counter.
func NewMemState() *MemState { return &MemState{} }

// SetRetain sets how many samples each counter keeps (at least 1).
func (s *MemState) SetRetain(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retain = max(n, 1)
}

// Set publishes data under name as a new version and returns it. data is a
// JSON-shaped tree (see Value) that must not change afterwards.
func (s *MemState) Set(name string, data any) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = make(map[string]*Value)
	}
	s.version++
	s.data[name] = NewValueEncoder(s.version, data, s.enc)
	return s.version
}

// SetEncoder sets the JSON encoder of the values Set makes from now on, for
// an application with a faster one for its data (see NewValueEncoder); nil
// is encoding/json.
func (s *MemState) SetEncoder(enc func(any) ([]byte, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enc = enc
}

// Delete forgets name: Get returns ErrNoData again.
func (s *MemState) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, name)
}

// Get returns the current version of name, or ErrNoData.
func (s *MemState) Get(name string) (*Value, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.data[name]
	if !ok {
		return nil, ErrNoData
	}
	return v, nil
}

// SetServer adds or replaces a server, by hostname.
func (s *MemState) SetServer(srv Server) {
	srv.Services = append([]ServiceRef(nil), srv.Services...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.servers == nil {
		s.servers = make(map[string]Server)
	}
	s.servers[srv.Hostname] = srv
}

// RemoveServer forgets a server.
func (s *MemState) RemoveServer(hostname string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.servers, hostname)
}

// ListServers returns every server, sorted by hostname.
func (s *MemState) ListServers() []Server {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Server, 0, len(s.servers))
	for _, srv := range s.servers {
		srv.Services = append([]ServiceRef(nil), srv.Services...)
		out = append(out, srv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hostname < out[j].Hostname })
	return out
}

// GetServer returns one server.
func (s *MemState) GetServer(hostname string) (Server, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	srv, ok := s.servers[hostname]
	srv.Services = append([]ServiceRef(nil), srv.Services...)
	return srv, ok
}

// SetMetadata replaces one daemon's metadata (copied).
func (s *MemState) SetMetadata(svcType, svcID string, md map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.meta == nil {
		s.meta = make(map[svcKey]map[string]string)
	}
	s.meta[svcKey{svcType, svcID}] = maps.Clone(md)
}

// Metadata returns a copy of one daemon's metadata.
func (s *MemState) Metadata(svcType, svcID string) (map[string]string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	md, ok := s.meta[svcKey{svcType, svcID}]
	return maps.Clone(md), ok
}

// AddSample appends a sample to one counter, keeping the newest retained.
func (s *MemState) AddSample(svcType, svcID, path string, smp Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples == nil {
		s.samples = make(map[counterKey][]Sample)
	}
	k := counterKey{svcKey{svcType, svcID}, path}
	keep := s.retain
	if keep == 0 {
		keep = DefaultRetain
	}
	l := append(s.samples[k], smp)
	if len(l) > keep {
		l = append(l[:0:0], l[len(l)-keep:]...)
	}
	s.samples[k] = l
}

// Counter returns a copy of one counter's samples, oldest first.
func (s *MemState) Counter(svcType, svcID, path string) []Sample {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Sample(nil), s.samples[counterKey{svcKey{svcType, svcID}, path}]...)
}

// SetPerfSchema replaces one daemon's perf schema (copied).
func (s *MemState) SetPerfSchema(svcType, svcID string, schema map[string]PerfCounter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.schema == nil {
		s.schema = make(map[svcKey]map[string]PerfCounter)
	}
	s.schema[svcKey{svcType, svcID}] = maps.Clone(schema)
}

// PerfSchema returns a copy of one daemon's perf schema, or nil.
func (s *MemState) PerfSchema(svcType, svcID string) map[string]PerfCounter {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.schema[svcKey{svcType, svcID}])
}

// MemStore is an in-memory Store. The zero value is ready; safe for
// concurrent use.
type MemStore struct {
	mu sync.RWMutex
	kv map[string]string
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{} }

// Get returns the value of key.
func (m *MemStore) Get(ctx context.Context, key string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.kv[key]
	return v, ok, nil
}

// Set stores value under key, or deletes key when value is nil.
func (m *MemStore) Set(ctx context.Context, key string, value *string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if value == nil {
		delete(m.kv, key)
		return nil
	}
	if m.kv == nil {
		m.kv = make(map[string]string)
	}
	m.kv[key] = *value
	return nil
}

// List returns every key with prefix, and its value.
func (m *MemStore) List(ctx context.Context, prefix string) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]string)
	for k, v := range m.kv {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}
