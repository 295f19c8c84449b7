package host

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"

	"gomgr/monclient"
	"gomgr/registry"
)

// monCommander is the part of mon.Client the store needs.
type monCommander interface {
	Command(ctx context.Context, args map[string]any, inbuf []byte) (monclient.CommandResult, error)
}

// ConfigStore is the modules' registry.Store on the mon's config-keys, as
// Ceph's mgr keeps module options and get_store data: writes go to the mon
// first, reads are served from a cache loaded once (`config-key dump mgr/`)
// and kept current by this mgr's own writes; only the active mgr writes.
type ConfigStore struct {
	mon monCommander

	mu     sync.Mutex
	loaded bool
	cache  map[string]string
}

// NewConfigStore makes a store over a mon client.
func NewConfigStore(m monCommander) *ConfigStore {
	return &ConfigStore{mon: m, cache: map[string]string{}}
}

// Load (re)reads every mgr/ key from the mon: on activation, so a new
// active sees what the previous one stored.
func (s *ConfigStore) Load(ctx context.Context) error {
	res, err := s.mon.Command(ctx, map[string]any{"prefix": "config-key dump", "key": "mgr/", "format": "json"}, nil)
	if err != nil {
		return fmt.Errorf("host: config-key dump: %w", err)
	}
	if res.Retval != 0 {
		return fmt.Errorf("%w: config-key dump: %s", ErrMonCommand, res.Status)
	}
	kv := map[string]string{}
	if err := json.Unmarshal(res.Out, &kv); err != nil {
		return fmt.Errorf("host: config-key dump: %w", err)
	}
	s.mu.Lock()
	s.cache, s.loaded = kv, true
	s.mu.Unlock()
	return nil
}

func (s *ConfigStore) ensure(ctx context.Context) error {
	s.mu.Lock()
	loaded := s.loaded
	s.mu.Unlock()
	if loaded {
		return nil
	}
	return s.Load(ctx)
}

// Replace swaps the cache for what the mon pushed (every mgr/ key), and
// reports whether anything changed.
func (s *ConfigStore) Replace(kv map[string]string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := !s.loaded || !maps.Equal(s.cache, kv)
	s.cache, s.loaded = kv, true
	return changed
}

// Get implements registry.Store.
func (s *ConfigStore) Get(ctx context.Context, key string) (string, bool, error) {
	if err := s.ensure(ctx); err != nil {
		return "", false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.cache[key]
	return v, ok, nil
}

// Set implements registry.Store.
func (s *ConfigStore) Set(ctx context.Context, key string, value *string) error {
	args := map[string]any{"prefix": "config-key rm", "key": key}
	if value != nil {
		args = map[string]any{"prefix": "config-key set", "key": key, "val": *value}
	}
	res, err := s.mon.Command(ctx, args, nil)
	if err != nil {
		return fmt.Errorf("host: %s %s: %w", args["prefix"], key, err)
	}
	if res.Retval != 0 && !(value == nil && res.Retval == codeENOENT) {
		return fmt.Errorf("%w: %s %s: %s", ErrMonCommand, args["prefix"], key, res.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == nil {
		delete(s.cache, key)
	} else {
		s.cache[key] = *value
	}
	return nil
}

// List implements registry.Store.
func (s *ConfigStore) List(ctx context.Context, prefix string) (map[string]string, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range maps.All(s.cache) {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

var _ registry.Store = (*ConfigStore)(nil)
