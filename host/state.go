package host

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gomgr/internal/jsontree"
	"gomgr/messages"
	"gomgr/pgmap"
	"gomgr/registry"
)

// ClusterState is the active mgr's cache: the cluster maps by name, the
// daemons' reports and the PG statistics, served to modules as
// registry.State. Writers are the mgr's dispatch goroutines; readers are
// module goroutines.
//
// Maps are immutable *registry.Value snapshots behind an atomic pointer, so
// get("osd_map") takes no lock and a module converts each epoch once. Values
// derived from PG statistics (pg_summary, pg_dump, df, ...) come from the
// PGMap, converted at most once per PGMap version, on first read.
type ClusterState struct {
	maps atomic.Pointer[map[string]*registry.Value]
	mapW sync.Mutex // serializes map writers (copy on write)

	Daemons *DaemonIndex

	// PG is Ceph's PGMap, fed by the OSDs' MPGStats (real OSDs' and
	// gomgr's simulated ones alike); it answers the PG-derived names.
	PG      *pgmap.PGMap
	pgMu    sync.Mutex
	pgCache map[string]*registry.Value // by name, valid for PG.Version()
}

// NewClusterState returns an empty cache that keeps history samples of
// each counter.
func NewClusterState(history int) *ClusterState {
	c := &ClusterState{
		Daemons: NewDaemonIndex(history),
		PG:      pgmap.New(),
		pgCache: map[string]*registry.Value{},
	}
	empty := map[string]*registry.Value{}
	c.maps.Store(&empty)
	return c
}

// SetMap publishes data as the named map at epoch. An epoch not newer than
// the cached one is ignored and reported false: maps only move forward.
func (c *ClusterState) SetMap(name string, epoch uint64, data any) bool {
	return c.set(name, registry.NewValueEncoder(epoch, data, jsontree.Marshal))
}

// SetMapJSON is SetMap for a map that arrived as JSON: raw is kept so that
// module processes are sent it as it came, not encoded again.
func (c *ClusterState) SetMapJSON(name string, epoch uint64, data any, raw []byte) bool {
	return c.set(name, registry.NewValueJSON(epoch, data, raw))
}

func (c *ClusterState) set(name string, v *registry.Value) bool {
	c.mapW.Lock()
	defer c.mapW.Unlock()
	old := *c.maps.Load()
	if cur, ok := old[name]; ok && cur.Version >= v.Version {
		return false
	}
	next := maps.Clone(old)
	next[name] = v
	c.maps.Store(&next)
	return true
}

// Epoch is the cached epoch of a map, 0 when absent. Safe from any goroutine.
func (c *ClusterState) Epoch(name string) uint64 {
	if v, ok := (*c.maps.Load())[name]; ok {
		return v.Version
	}
	return 0
}

// Get implements registry.State.
func (c *ClusterState) Get(name string) (*registry.Value, error) {
	if v, ok := (*c.maps.Load())[name]; ok {
		return v, nil
	}
	switch name {
	case "pg_summary", "osd_stats", "pool_stats", "df", "pg_status", "pg_dump", "pg_stats", "io_rate",
		"osd_pool_stats", "osd_ping_times", "pg_progress":
		return c.pgValue(name)
	case "modified_config_options":
		return c.Daemons.modifiedConfig(), nil
	case "devices":
		return c.Daemons.devicesValue(), nil
	case "pg_ready":
		return registry.NewValue(c.PG.Version(), map[string]any{"pg_ready": c.PG.Ready()}), nil
	case "osdmap_crush_map_text":
		// Ceph returns the encoded CRUSH map as a C string: it begins with
		// the little-endian magic 0x00010000, so it is always empty.
		return registry.NewValue(1, ""), nil
	case "osd_metadata":
		return c.Daemons.metadataValue("osd"), nil
	case "mds_metadata":
		return c.Daemons.metadataValue("mds"), nil
	}
	return nil, registry.ErrNoData
}

// pgValue is a PGMap-derived name, converted once per PGMap version.
func (c *ClusterState) pgValue(name string) (*registry.Value, error) {
	ver := c.PG.Version()
	c.pgMu.Lock()
	defer c.pgMu.Unlock()
	if v, ok := c.pgCache[name]; ok && v.Version == ver {
		return v, nil
	}
	raw, ok := c.PG.Get(name)
	if !ok {
		return nil, registry.ErrNoData
	}
	js, ok := raw.(json.RawMessage)
	if !ok {
		return nil, fmt.Errorf("host: pgmap %s is %T, not JSON", name, raw)
	}
	tree, err := jsontree.Parse(js)
	if err != nil {
		return nil, fmt.Errorf("host: pgmap %s: %w", name, err)
	}
	v := registry.NewValueJSON(ver, tree, js)
	c.pgCache[name] = v
	return v, nil
}

// ListServers implements registry.State.
func (c *ClusterState) ListServers() []registry.Server { return c.Daemons.servers() }

// GetServer implements registry.State.
func (c *ClusterState) GetServer(hostname string) (registry.Server, bool) {
	for _, s := range c.Daemons.servers() {
		if s.Hostname == hostname {
			return s, true
		}
	}
	return registry.Server{}, false
}

// Metadata implements registry.State.
func (c *ClusterState) Metadata(svcType, svcID string) (map[string]string, bool) {
	d := c.Daemons.get(DaemonKey{svcType, svcID})
	if d == nil {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Metadata, true
}

// Counter implements registry.State.
func (c *ClusterState) Counter(svcType, svcID, path string) []registry.Sample {
	return c.Daemons.counter(DaemonKey{svcType, svcID}, path)
}

// PerfSchema implements registry.State.
func (c *ClusterState) PerfSchema(svcType, svcID string) map[string]registry.PerfCounter {
	d := c.Daemons.get(DaemonKey{svcType, svcID})
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.Schema
}

var _ registry.State = (*ClusterState)(nil)

// DaemonKey names one daemon: ("osd", "3").
type DaemonKey struct{ Type, ID string }

func (k DaemonKey) String() string { return k.Type + "." + k.ID }

// DaemonState is what the mgr knows of one daemon; mu guards every field.
// Metadata and Schema are replaced, never mutated, so callers may keep them.
type DaemonState struct {
	Key      DaemonKey
	Hostname string
	Metadata map[string]string
	Schema   map[string]registry.PerfCounter
	Order    []string // declared counter paths, the order of report values
	// Config names the options the daemon set (the config_bl of its
	// MMgrOpen and MMgrReport); replaced, never mutated.
	Config   []string
	LastSeen time.Time

	mu       sync.Mutex
	counters map[string]*ring
}

// DaemonIndex holds every daemon that opened a session with the mgr.
type DaemonIndex struct {
	history int
	mu      sync.RWMutex
	byKey   map[DaemonKey]*DaemonState
	meta    map[string]*registry.Value // cached osd_metadata etc., by type
	metaGen uint64
	confGen uint64 // bumped when a daemon's Config changes
}

// NewDaemonIndex keeps history samples per counter.
func NewDaemonIndex(history int) *DaemonIndex {
	if history <= 0 {
		history = 60
	}
	return &DaemonIndex{history: history, byKey: map[DaemonKey]*DaemonState{}, meta: map[string]*registry.Value{}}
}

// Open records a daemon's session: its host and metadata. A re-open keeps
// its counters.
func (x *DaemonIndex) Open(key DaemonKey, hostname string, metadata map[string]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.daemon(key)
	d.mu.Lock()
	// A Ceph OSD opens without metadata: keep what the mon said of it.
	if len(metadata) > 0 {
		d.Hostname, d.Metadata = hostname, metadata
	}
	d.LastSeen = time.Now()
	d.mu.Unlock()
	x.metaGen++
	delete(x.meta, key.Type)
}

// daemon is key's state, made if new. x.mu must be held.
func (x *DaemonIndex) daemon(key DaemonKey) *DaemonState {
	d := x.byKey[key]
	if d == nil {
		d = &DaemonState{Key: key, counters: map[string]*ring{}}
		x.byKey[key] = d
	}
	return d
}

// SetMetadata records what the mon says of a daemon (`osd metadata`)
// whether or not it has a session with this mgr; a session's own metadata
// (MMgrOpen) replaces it.
func (x *DaemonIndex) SetMetadata(key DaemonKey, hostname string, metadata map[string]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.daemon(key)
	d.mu.Lock()
	d.Hostname = hostname
	d.Metadata = metadata
	d.mu.Unlock()
	x.metaGen++
	delete(x.meta, key.Type)
}

// update runs f on a daemon that opened a session, under both locks.
func (x *DaemonIndex) update(key DaemonKey, f func(d *DaemonState)) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.byKey[key]
	if d == nil {
		return ErrUnknownDaemon
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d)
	return nil
}

// SetConfig records the options a daemon reported set (its config_bl).
func (x *DaemonIndex) SetConfig(key DaemonKey, cfg messages.DaemonConfig) error {
	names := slices.Sorted(maps.Keys(cfg))
	return x.update(key, func(d *DaemonState) {
		if !slices.Equal(d.Config, names) {
			d.Config = names
			x.confGen++
		}
	})
}

// modifiedConfig is get("modified_config_options"): every option some
// daemon reported set, as Ceph's ActivePyModules lists them.
func (x *DaemonIndex) modifiedConfig() *registry.Value {
	x.mu.RLock()
	defer x.mu.RUnlock()
	set := map[string]bool{}
	for _, d := range x.byKey {
		d.mu.Lock()
		for _, n := range d.Config {
			set[n] = true
		}
		d.mu.Unlock()
	}
	names := []any{}
	for _, n := range slices.Sorted(maps.Keys(set)) {
		names = append(names, n)
	}
	return registry.NewValue(x.confGen+1, map[string]any{"options": names})
}

// Declare replaces a daemon's counter schema; order is the order of the
// values its reports will carry.
func (x *DaemonIndex) Declare(key DaemonKey, schema map[string]registry.PerfCounter, order []string) error {
	return x.update(key, func(d *DaemonState) { d.Schema, d.Order = schema, order })
}

// Report appends one sample per declared counter, in declared order.
func (x *DaemonIndex) Report(key DaemonKey, at time.Time, values []registry.Sample) error {
	x.mu.RLock()
	d := x.byKey[key]
	x.mu.RUnlock()
	if d == nil {
		return ErrUnknownDaemon
	}
	t := float64(at.UnixNano()) / 1e9
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(values) != len(d.Order) {
		return ErrReportMismatch
	}
	d.LastSeen = at
	for i, path := range d.Order {
		r := d.counters[path]
		if r == nil {
			r = newRing(x.history)
			d.counters[path] = r
		}
		r.add(registry.Sample{T: t, V: values[i].V, Count: values[i].Count})
	}
	return nil
}

// Len is the number of daemons known.
func (x *DaemonIndex) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byKey)
}

// Keys lists daemons, sorted.
func (x *DaemonIndex) Keys() []DaemonKey {
	x.mu.RLock()
	keys := slices.Collect(maps.Keys(x.byKey))
	x.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Type != keys[j].Type {
			return keys[i].Type < keys[j].Type
		}
		return naturalLess(keys[i].ID, keys[j].ID)
	})
	return keys
}

func (x *DaemonIndex) get(k DaemonKey) *DaemonState {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byKey[k]
}

func (x *DaemonIndex) counter(k DaemonKey, path string) []registry.Sample {
	d := x.get(k)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.counters[path]; r != nil {
		return r.samples()
	}
	return nil
}

// each calls fn with every daemon's key and state, in key order, under
// the daemon's lock.
func (x *DaemonIndex) each(fn func(DaemonKey, *DaemonState)) {
	for _, k := range x.Keys() {
		if d := x.get(k); d != nil {
			d.mu.Lock()
			fn(k, d)
			d.mu.Unlock()
		}
	}
}

func (x *DaemonIndex) servers() []registry.Server {
	byHost := map[string]*registry.Server{}
	x.each(func(k DaemonKey, d *DaemonState) {
		host, ver, name := d.Hostname, d.Metadata["ceph_version"], d.Metadata["id"]
		s := byHost[host]
		if s == nil {
			s = &registry.Server{Hostname: host, CephVer: ver}
			byHost[host] = s
		}
		s.Services = append(s.Services, registry.ServiceRef{Type: k.Type, ID: k.ID, CephVersion: ver, Name: name})
	})
	out := make([]registry.Server, 0, len(byHost))
	for _, h := range slices.Sorted(maps.Keys(byHost)) {
		out = append(out, *byHost[h])
	}
	return out
}

// metadataValue is get("osd_metadata"): {id: {key: value}}, built once per
// change of the daemon set.
func (x *DaemonIndex) metadataValue(typ string) *registry.Value {
	x.mu.Lock()
	defer x.mu.Unlock()
	if v := x.meta[typ]; v != nil {
		return v
	}
	out := map[string]any{}
	for k, d := range x.byKey {
		if k.Type != typ {
			continue
		}
		d.mu.Lock()
		m := make(map[string]any, len(d.Metadata))
		for mk, mv := range d.Metadata {
			m[mk] = mv
		}
		d.mu.Unlock()
		out[k.ID] = m
	}
	v := registry.NewValue(x.metaGen, out)
	x.meta[typ] = v
	return v
}

// ring keeps the last n samples of one counter.
type ring struct {
	buf   []registry.Sample
	start int
	n     int
}

func newRing(n int) *ring { return &ring{buf: make([]registry.Sample, n)} }

func (r *ring) add(s registry.Sample) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = s
		r.n++
		return
	}
	r.buf[r.start] = s
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring) samples() []registry.Sample {
	out := make([]registry.Sample, r.n)
	for i := range r.n {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}

// naturalLess orders "2" before "10".
func naturalLess(a, b string) bool {
	ai, aerr := strconv.Atoi(a)
	bi, berr := strconv.Atoi(b)
	if aerr == nil && berr == nil {
		return ai < bi
	}
	return a < b
}

// devicesValue is get("devices"): the devices daemons report in their
// metadata ("device_ids": "sda=VENDOR_MODEL_SERIAL,..."), with where each
// is attached and which daemons use it, as Ceph's DeviceState::dump.
func (x *DaemonIndex) devicesValue() *registry.Value {
	type dev struct {
		location []any
		daemons  []any
	}
	devs := map[string]*dev{}
	x.mu.Lock()
	gen := x.metaGen
	x.mu.Unlock()
	x.each(func(k DaemonKey, d *DaemonState) {
		host, ids, paths := d.Hostname, d.Metadata["device_ids"], d.Metadata["device_paths"]
		pathOf := map[string]string{}
		for _, kv := range strings.Split(paths, ",") {
			if name, p, ok := strings.Cut(kv, "="); ok {
				pathOf[name] = p
			}
		}
		for _, kv := range strings.Split(ids, ",") {
			name, id, ok := strings.Cut(kv, "=")
			if !ok || id == "" {
				continue
			}
			e := devs[id]
			if e == nil {
				e = &dev{}
				devs[id] = e
			}
			e.location = append(e.location, map[string]any{"host": host, "dev": name, "path": pathOf[name]})
			e.daemons = append(e.daemons, k.Type+"."+k.ID)
		}
	})
	list := make([]any, 0, len(devs))
	for _, id := range slices.Sorted(maps.Keys(devs)) {
		list = append(list, map[string]any{"devid": id, "location": devs[id].location, "daemons": devs[id].daemons})
	}
	return registry.NewValue(gen, map[string]any{"devices": list})
}
