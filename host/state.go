package host

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
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
// derived from PG statistics (pg_summary, osd_stats, pool_stats, df) are
// computed at most once per statistics generation, on first read.
type ClusterState struct {
	maps atomic.Pointer[map[string]*registry.Value]
	mapW sync.Mutex // serializes map writers (copy on write)

	Daemons *DaemonIndex

	statsMu  sync.Mutex
	osdStats map[int]OSDStat
	pgStates map[int]map[string]int // by osd: state -> count of its primary PGs
	pools    map[int]PoolStat       // summed over reporters
	poolFrom map[int]map[int]PoolStat
	statsGen uint64
	derived  map[string]*registry.Value // by name, valid for statsGen

	// PG is Ceph's PGMap, fed by MPGStats (real OSDs'). Once it has had
	// one, it answers the PG-derived names in Ceph's shapes, in place of
	// the statistics gomgr's simulated OSDs send in their private block.
	PG      *pgmap.PGMap
	pgFed   atomic.Bool
	pgCache map[string]*registry.Value // by name, valid for PG.Version()
}

// OSDStat and PoolStat are what OSDs report of their usage (the PG
// statistics block of their MgrReport).
type (
	OSDStat  = messages.OSDStat
	PoolStat = messages.PoolStat
)

// NewClusterState returns an empty cache that keeps history samples of
// each counter.
func NewClusterState(history int) *ClusterState {
	c := &ClusterState{
		Daemons:  NewDaemonIndex(history),
		osdStats: map[int]OSDStat{},
		pgStates: map[int]map[string]int{},
		pools:    map[int]PoolStat{},
		poolFrom: map[int]map[int]PoolStat{},
		derived:  map[string]*registry.Value{},
		PG:       pgmap.New(),
		pgCache:  map[string]*registry.Value{},
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

// ReportPGStats records one OSD's statistics, replacing its previous ones.
func (c *ClusterState) ReportPGStats(osd OSDStat, states map[string]int, pools []PoolStat) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	c.osdStats[osd.OSD] = osd
	c.pgStates[osd.OSD] = states
	mine := make(map[int]PoolStat, len(pools))
	for _, p := range pools {
		mine[p.Pool] = p
	}
	c.poolFrom[osd.OSD] = mine
	c.statsGen++
}

// ForgetOSD drops an OSD's statistics (it left the map).
func (c *ClusterState) ForgetOSD(id int) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	delete(c.osdStats, id)
	delete(c.pgStates, id)
	delete(c.poolFrom, id)
	c.statsGen++
}

// StatsGeneration changes whenever PG statistics do.
func (c *ClusterState) StatsGeneration() uint64 {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	return c.statsGen
}

// Get implements registry.State.
func (c *ClusterState) Get(name string) (*registry.Value, error) {
	if v, ok := (*c.maps.Load())[name]; ok {
		return v, nil
	}
	switch name {
	case "pg_summary", "osd_stats", "pool_stats", "df", "pg_status", "pg_dump", "pg_stats", "io_rate",
		"osd_pool_stats", "osd_ping_times", "pg_progress":
		if c.pgFed.Load() {
			return c.pgValue(name)
		}
		if name == "pg_summary" || name == "osd_stats" || name == "pool_stats" || name == "df" || name == "pg_status" {
			return c.derivedValue(name), nil
		}
	case "osd_metadata":
		return c.Daemons.metadataValue("osd"), nil
	case "mds_metadata":
		return c.Daemons.metadataValue("mds"), nil
	}
	return nil, registry.ErrNoData
}

// IngestPGStats feeds one MPGStats of osd to the PGMap.
func (c *ClusterState) IngestPGStats(osd int32, st *messages.PGStatsT, now time.Time) error {
	if err := c.PG.Ingest(osd, st, now); err != nil {
		return err
	}
	c.pgFed.Store(true)
	return nil
}

// PGFed reports whether the PGMap has had a report.
func (c *ClusterState) PGFed() bool { return c.pgFed.Load() }

// pgValue is a PGMap-derived name, converted once per PGMap version.
func (c *ClusterState) pgValue(name string) (*registry.Value, error) {
	ver := c.PG.Version()
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
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

func (c *ClusterState) derivedValue(name string) *registry.Value {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	if v, ok := c.derived[name]; ok && v.Version == c.statsGen {
		return v
	}
	var data any
	switch name {
	case "pg_summary":
		data = c.pgSummaryLocked()
	case "pg_status":
		data = c.pgStatusLocked()
	case "osd_stats":
		data = c.osdStatsLocked()
	case "pool_stats":
		data = c.poolStatsLocked()
	case "df":
		data = c.dfLocked()
	}
	v := registry.NewValue(c.statsGen, data)
	c.derived[name] = v
	return v
}

// pgSummaryLocked has the shape of Ceph's get("pg_summary").
func (c *ClusterState) pgSummaryLocked() map[string]any {
	byOSD := map[string]any{}
	all := map[string]int64{}
	for osd, states := range c.pgStates {
		m := map[string]any{}
		for s, n := range states {
			m[s] = int64(n)
			all[s] += int64(n)
		}
		byOSD[strconv.Itoa(osd)] = m
	}
	byPool := map[string]any{}
	for id, p := range c.sumPoolsLocked() {
		byPool[strconv.Itoa(id)] = map[string]any{"active+clean": int64(p.NumPG)}
	}
	allAny := map[string]any{}
	for s, n := range all {
		allAny[s] = n
	}
	return map[string]any{"by_osd": byOSD, "by_pool": byPool, "all": allAny}
}

// pgStatusLocked has the shape of `ceph pg stat -f json`.
func (c *ClusterState) pgStatusLocked() map[string]any {
	all := map[string]int64{}
	var num int64
	for _, states := range c.pgStates {
		for s, n := range states {
			all[s] += int64(n)
			num += int64(n)
		}
	}
	names := slices.Sorted(maps.Keys(all))
	byState := make([]any, 0, len(names))
	for _, s := range names {
		byState = append(byState, map[string]any{"name": s, "num": all[s]})
	}
	var total, used, avail uint64
	for _, o := range c.osdStats {
		total += o.KB * 1024
		used += o.KBUsed * 1024
		avail += o.KBAvail * 1024
	}
	var stored uint64
	for _, p := range c.sumPoolsLocked() {
		stored += p.Stored
	}
	return map[string]any{
		"pg_ready": len(c.pgStates) > 0,
		"pg_summary": map[string]any{
			"num_pg_by_state": byState, "num_pgs": num, "num_bytes": stored,
			"total_bytes": total, "total_avail_bytes": avail, "total_used_bytes": used,
			"total_used_raw_bytes": used,
		},
	}
}

func (c *ClusterState) osdStatsLocked() map[string]any {
	ids := slices.Sorted(maps.Keys(c.osdStats))
	list := make([]any, 0, len(ids))
	var sum OSDStat
	for _, id := range ids {
		o := c.osdStats[id]
		list = append(list, osdStatJSON(o))
		sum.KB += o.KB
		sum.KBUsed += o.KBUsed
		sum.KBAvail += o.KBAvail
		sum.NumPGs += o.NumPGs
	}
	sum.OSD = -1
	return map[string]any{"osd_stats": list, "osd_stats_sum": osdStatJSON(sum)}
}

func osdStatJSON(o OSDStat) map[string]any {
	return map[string]any{
		"osd": int64(o.OSD), "kb": o.KB, "kb_used": o.KBUsed, "kb_avail": o.KBAvail,
		"num_pgs": int64(o.NumPGs),
		"perf_stat": map[string]any{
			"commit_latency_ms": o.CommitMs, "apply_latency_ms": o.ApplyMs,
		},
	}
}

// sumPoolsLocked adds up every reporter's view of each pool.
func (c *ClusterState) sumPoolsLocked() map[int]PoolStat {
	out := map[int]PoolStat{}
	for _, pools := range c.poolFrom {
		for id, p := range pools {
			s := out[id]
			s.Pool, s.Name = id, p.Name
			s.NumPG += p.NumPG
			s.Stored += p.Stored
			s.Objects += p.Objects
			s.Used += p.Used
			s.RdOps += p.RdOps
			s.RdKB += p.RdKB
			s.WrOps += p.WrOps
			s.WrKB += p.WrKB
			out[id] = s
		}
	}
	return out
}

func (c *ClusterState) poolStatsLocked() map[string]any {
	sum := c.sumPoolsLocked()
	ids := slices.Sorted(maps.Keys(sum))
	list := make([]any, 0, len(ids))
	for _, id := range ids {
		p := sum[id]
		list = append(list, map[string]any{
			"poolid": int64(id), "name": p.Name, "num_pg": int64(p.NumPG),
			"stat_sum": map[string]any{
				"num_bytes": p.Stored, "num_objects": p.Objects,
				"num_read": p.RdOps, "num_read_kb": p.RdKB,
				"num_write": p.WrOps, "num_write_kb": p.WrKB,
			},
		})
	}
	return map[string]any{"pool_stats": list}
}

// dfLocked has the shape of `ceph df -f json`.
func (c *ClusterState) dfLocked() map[string]any {
	var total, used, avail uint64
	for _, o := range c.osdStats {
		total += o.KB * 1024
		used += o.KBUsed * 1024
		avail += o.KBAvail * 1024
	}
	ratio := 0.0
	if total > 0 {
		ratio = float64(used) / float64(total)
	}
	stats := map[string]any{
		"total_bytes": total, "total_avail_bytes": avail, "total_used_bytes": used,
		"total_used_raw_bytes": used, "total_used_raw_ratio": ratio,
		"num_osds": int64(len(c.osdStats)),
	}
	sum := c.sumPoolsLocked()
	ids := slices.Sorted(maps.Keys(sum))
	pools := make([]any, 0, len(ids))
	for _, id := range ids {
		p := sum[id]
		pct := 0.0
		if p.Used+avail > 0 {
			pct = float64(p.Used) / float64(p.Used+avail)
		}
		pools = append(pools, map[string]any{
			"name": p.Name, "id": int64(id),
			"stats": map[string]any{
				"stored": p.Stored, "objects": p.Objects, "kb_used": p.Used / 1024,
				"bytes_used": p.Used, "percent_used": pct, "max_avail": avail,
			},
		})
	}
	return map[string]any{
		"stats":          stats,
		"stats_by_class": map[string]any{"hdd": stats},
		"pools":          pools,
	}
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
	d := x.byKey[key]
	if d == nil {
		d = &DaemonState{Key: key, counters: map[string]*ring{}}
		x.byKey[key] = d
	}
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

// SetMetadata records what the mon says of a daemon (`osd metadata`)
// whether or not it has a session with this mgr; a session's own metadata
// (MMgrOpen) replaces it.
func (x *DaemonIndex) SetMetadata(key DaemonKey, hostname string, metadata map[string]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.byKey[key]
	if d == nil {
		d = &DaemonState{Key: key, counters: map[string]*ring{}}
		x.byKey[key] = d
	}
	d.mu.Lock()
	d.Hostname = hostname
	d.Metadata = metadata
	d.mu.Unlock()
	x.metaGen++
	delete(x.meta, key.Type)
}

// Declare replaces a daemon's counter schema; order is the order of the
// values its reports will carry.
func (x *DaemonIndex) Declare(key DaemonKey, schema map[string]registry.PerfCounter, order []string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.byKey[key]
	if d == nil {
		return ErrUnknownDaemon
	}
	d.mu.Lock()
	d.Schema = schema
	d.Order = order
	d.mu.Unlock()
	return nil
}

// Report appends one sample per declared counter, in declared order.
func (x *DaemonIndex) Report(key DaemonKey, at time.Time, values []float64) error {
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
		r.add(registry.Sample{T: t, V: values[i]})
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

func (x *DaemonIndex) servers() []registry.Server {
	byHost := map[string]*registry.Server{}
	for _, k := range x.Keys() {
		d := x.get(k)
		if d == nil {
			continue
		}
		d.mu.Lock()
		host, ver := d.Hostname, d.Metadata["ceph_version"]
		d.mu.Unlock()
		s := byHost[host]
		if s == nil {
			s = &registry.Server{Hostname: host, CephVer: ver}
			byHost[host] = s
		}
		s.Services = append(s.Services, registry.ServiceRef{Type: k.Type, ID: k.ID})
	}
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
