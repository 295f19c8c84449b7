package host

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
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
// and kept current by this mgr's own writes and the mon's pushes. Modules
// write on the active mgr only; any mgr may write a Go plugin's first pin
// (plugins.StorePins, see pinStore).
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

// storeUser is a Source that keeps state of its own in the mgr's store:
// Go plugins keep their binaries' pins there (plugins.Source.UseStore),
// so that every mgr trusts the same binaries, across failover.
type storeUser interface {
	UseStore(st registry.Store)
}

// lendTo hands the sources that want one the store their state lives in.
func (s *ConfigStore) lendTo(srcs []registry.Source) {
	for _, src := range srcs {
		if u, ok := src.(storeUser); ok {
			u.UseStore(pinStore{s})
		}
	}
}

// pinStore is the ConfigStore as Go plugins' pins use it: each Get asks
// the mon, so that a pin an operator removed is seen at the plugin's next
// start even where the mon pushes no config-keys (a real ceph-mon); the
// cache answers only when the mon does not. A pin is read once per plugin
// process start.
type pinStore struct{ *ConfigStore }

// Get implements registry.Store.
func (p pinStore) Get(ctx context.Context, key string) (string, bool, error) {
	// Loaded first, so a later push has a cache to compare pins with
	// (pinChanges).
	if err := p.ensure(ctx); err != nil {
		return "", false, err
	}
	res, err := p.mon.Command(ctx, map[string]any{"prefix": "config-key get", "key": key}, nil)
	switch {
	case err != nil:
		return p.ConfigStore.Get(ctx, key)
	case res.Retval == codeENOENT:
		return "", false, nil
	case res.Retval != 0:
		return "", false, fmt.Errorf("%w: config-key get %s: %s", ErrMonCommand, key, res.Status)
	}
	return string(res.Out), true, nil
}

// pinKeyPrefix and pinKeySuffix frame a Go plugin's pin among the mgr/
// config-keys (plugins.PinKey: mgr/plugins/NAME/sha256).
const (
	pinKeyPrefix = "mgr/plugins/"
	pinKeySuffix = "/sha256"
)

// pinChanges returns the plugins whose pin differs between the cache and
// kv, the config-keys the mon pushed: pins that an operator removed or
// replaced (or that a mgr took). Nothing before the cache is loaded.
func (s *ConfigStore) pinChanges(kv map[string]string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		return nil
	}
	var names []string
	for _, m := range []map[string]string{s.cache, kv} {
		for k := range m {
			name, ok := strings.CutPrefix(k, pinKeyPrefix)
			if !ok {
				continue
			}
			name, ok = strings.CutSuffix(name, pinKeySuffix)
			if !ok || name == "" || strings.Contains(name, "/") || slices.Contains(names, name) {
				continue
			}
			old, had := s.cache[k]
			cur, has := kv[k]
			if had != has || old != cur {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// retryRepinned gives the plugins whose pin changed another try, on the
// run goroutine: an enabled one that failed (its binary was refused) is
// started afresh, one that could not load is opened again. A plugin that
// runs is left alone: its pin is checked at its next process start.
func (s *Standby) retryRepinned(names []string) {
	if len(names) == 0 {
		return
	}
	retry := func() {
		ctx := context.Background()
		rescan := false
		for _, st := range s.reg.Modules() {
			if !slices.Contains(names, st.Name) {
				continue
			}
			switch {
			case st.State == registry.StateUnloadable:
				rescan = true
			case st.Enabled && st.State == registry.StateFailed:
				s.log.WithField("module", st.Name).Info("plugin pin changed: retrying the module")
				if err := s.reg.Enable(ctx, st.Name); err != nil {
					s.log.WithError(err).WithField("module", st.Name).Warn("module retry failed")
				}
			}
		}
		if rescan {
			if err := s.reg.Rescan(ctx); err != nil {
				s.log.WithError(err).Warn("module rescan incomplete")
			}
		}
	}
	select {
	case s.events <- retry:
	case <-s.quit:
	}
}
