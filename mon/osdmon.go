package mon

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gomgr/clustermap"
)

// OSDConfig holds the OSDMonitor's timing and pool defaults.
type OSDConfig struct {
	// DownGrace: an up OSD with no report for longer is marked down (6 s;
	// Ceph's mon_osd_report_timeout is 900 s, too slow for a demo).
	DownGrace time.Duration
	// OutInterval is mon_osd_down_out_interval: a down OSD is marked out
	// after this long (30 s; Ceph: 600 s).
	OutInterval time.Duration
	// ProposeInterval is paxos_propose_interval: OSD boots and reports
	// that change the map within this long of the last epoch are batched
	// into the next one (1 s), so a boot storm of 10,000 OSDs makes a few
	// epochs, not 10,000. Commands commit at once.
	ProposeInterval time.Duration
	// DefaultPGNum and DefaultSize are osd_pool_default_pg_num / _size.
	DefaultPGNum int
	DefaultSize  int
	// MaxOSDID bounds OSD ids accepted from the network.
	MaxOSDID int
}

// DefaultOSDConfig returns the defaults documented on OSDConfig.
func DefaultOSDConfig() OSDConfig {
	return OSDConfig{
		DownGrace:       6 * time.Second,
		OutInterval:     30 * time.Second,
		ProposeInterval: time.Second,
		DefaultPGNum:    32,
		DefaultSize:     3,
		MaxOSDID:        99999,
	}
}

// OSDBoot is MOSDBoot: an OSD announcing itself.
type OSDBoot struct {
	ID           int
	UUID         string
	FSID         string // checked when not empty
	PublicAddrs  clustermap.AddrVec
	ClusterAddrs clustermap.AddrVec
	Metadata     map[string]string
}

// OSDMonitor keeps the OSDMap, after Ceph's OSDMonitor: boots, liveness
// from reports, down and out on timeouts, pools. Owned by one goroutine.
type OSDMonitor struct {
	cfg        OSDConfig
	fsid       string
	cur        *clustermap.OSDMap
	hist       []*clustermap.OSDMap // the last osdHistory committed maps, oldest first, cur last
	pend       *clustermap.OSDMap   // uncommitted changes, nil when clean
	lastCommit time.Time
	lastReport timesByID
	downSince  timesByID
	autoOut    map[int]bool
	metadata   map[int]map[string]string
	healthOf   *clustermap.OSDMap // the map health was computed for
	health     map[string]clustermap.HealthCheck
}

// NewOSDMonitor starts from initial (a loaded map) or a new epoch-1 map.
func NewOSDMonitor(cfg OSDConfig, fsid string, initial *clustermap.OSDMap, now time.Time) *OSDMonitor {
	if initial == nil {
		initial = newOSDMap(fsid, now)
	}
	initial.Normalize()
	return &OSDMonitor{cfg: cfg, fsid: fsid, cur: initial, hist: []*clustermap.OSDMap{initial}, autoOut: map[int]bool{}, metadata: map[int]map[string]string{}}
}

func newOSDMap(fsid string, now time.Time) *clustermap.OSDMap {
	m := &clustermap.OSDMap{
		Epoch: 1, FSID: fsid, Created: clustermap.Stamp{Time: now}, Modified: clustermap.Stamp{Time: now},
		FlagsSet:               []string{"pglog_hardlimit", "purged_snapdirs", "recovery_deletes", "sortbitwise"},
		FullRatio:              0.95,
		BackfillfullRatio:      0.90,
		NearfullRatio:          0.85,
		RequireMinCompatClient: "luminous",
		MinCompatClient:        "jewel",
		RequireOSDRelease:      "pacific",
		ErasureCodeProfiles: map[string]map[string]string{
			"default": {"k": "2", "m": "2", "plugin": "jerasure", "technique": "reed_sol_van"},
		},
	}
	return m
}

// userFlags are the flags `osd set|unset` accepts.
var userFlags = []string{"nodown", "noin", "noout", "noup", "nobackfill", "norebalance", "norecover", "noscrub", "nodeep-scrub", "pause"}

// Map returns the committed OSDMap (immutable).
func (o *OSDMonitor) Map() *clustermap.OSDMap { return o.cur }

// osdHistory is how many committed maps the monitor keeps, so that a
// subscriber a few epochs behind catches up with incrementals. They share
// their OSD entries: 10,000 OSDs cost 80 KB a map.
const osdHistory = 32

// Prev returns the committed map of the epoch before Map's (immutable),
// nil when this monitor has not seen it.
func (o *OSDMonitor) Prev() *clustermap.OSDMap {
	if ms := o.Since(o.cur.Epoch - 1); len(ms) == 2 {
		return ms[0]
	}
	return nil
}

// Since returns the committed maps from epoch to Map's, oldest first (so
// the first is the one a subscriber holds), or nil when the monitor no
// longer (or never) had epoch. Immutable.
func (o *OSDMonitor) Since(epoch uint64) []*clustermap.OSDMap {
	for i, m := range o.hist {
		if m.Epoch == epoch {
			return o.hist[i:]
		}
	}
	return nil
}

// Metadata returns what osd id sent at boot.
func (o *OSDMonitor) Metadata(id int) (map[string]string, bool) {
	md, ok := o.metadata[id]
	return md, ok
}

func (o *OSDMonitor) pending() *clustermap.OSDMap {
	if o.pend == nil {
		o.pend = o.cur.Clone()
		o.pend.Epoch = o.cur.Epoch + 1
	}
	return o.pend
}

// view is the newest state, committed or not: decisions read it so that a
// batched change is not made twice.
func (o *OSDMonitor) view() *clustermap.OSDMap {
	if o.pend != nil {
		return o.pend
	}
	return o.cur
}

// setOSD replaces (never modifies) an entry of the pending map.
func setOSD(p *clustermap.OSDMap, info *clustermap.OSDInfo) {
	i := sort.Search(len(p.OSDs), func(i int) bool { return p.OSDs[i].OSD >= info.OSD })
	if i < len(p.OSDs) && p.OSDs[i].OSD == info.OSD {
		p.OSDs[i] = info
		return
	}
	p.OSDs = append(p.OSDs, nil)
	copy(p.OSDs[i+1:], p.OSDs[i:])
	p.OSDs[i] = info
}

// commit publishes the pending map unless force is false and the last
// epoch is younger than ProposeInterval.
func (o *OSDMonitor) commit(now time.Time, force bool, e *Effects) {
	if o.pend == nil {
		return
	}
	if !force && !o.lastCommit.IsZero() && now.Sub(o.lastCommit) < o.cfg.ProposeInterval {
		return
	}
	p := o.pend
	p.Modified = clustermap.Stamp{Time: now}
	p.Normalize()
	o.cur, o.pend = p, nil
	o.hist = append(o.hist, p)
	if n := len(o.hist); n > osdHistory {
		o.hist = append(o.hist[:0:0], o.hist[n-osdHistory:]...)
	}
	o.lastCommit = now
	e.OSDMap = p
}

func osdState(up bool) []string {
	if up {
		return []string{"exists", "up"}
	}
	return []string{"exists"}
}

// Boot marks an OSD up (and in, unless an operator marked it out).
func (o *OSDMonitor) Boot(now time.Time, b OSDBoot) (Effects, error) {
	var e Effects
	if b.FSID != "" && b.FSID != o.fsid {
		return e, fmt.Errorf("%w: boot from osd.%d has fsid %q, cluster is %q", ErrWrongFSID, b.ID, b.FSID, o.fsid)
	}
	if b.ID < 0 || b.ID > o.cfg.MaxOSDID {
		return e, fmt.Errorf("%w: osd id %d out of range [0, %d]", ErrInvalid, b.ID, o.cfg.MaxOSDID)
	}
	if b.UUID == "" {
		return e, fmt.Errorf("%w: boot from osd.%d has no uuid", ErrInvalid, b.ID)
	}
	if len(b.ClusterAddrs.Addrvec) == 0 {
		b.ClusterAddrs = b.PublicAddrs
	}
	old := o.view().OSD(b.ID)
	if old != nil && old.UUID != b.UUID {
		return e, fmt.Errorf("%w: osd.%d is %s, boot claims %s", ErrUUIDMismatch, b.ID, old.UUID, b.UUID)
	}
	o.lastReport.set(b.ID, now)
	o.metadata[b.ID] = copyStrMap(b.Metadata)
	if old != nil && old.Up == 1 && old.PublicAddrs.Equal(b.PublicAddrs) && old.ClusterAddrs.Equal(b.ClusterAddrs) {
		return e, nil // a repeated boot of a live instance
	}
	p := o.pending()
	n := &clustermap.OSDInfo{OSD: b.ID, UUID: b.UUID, Weight: 1, In: 1, PrimaryAffinity: 1}
	if old != nil {
		c := *old
		n = &c
		if n.In == 0 && o.autoOut[b.ID] {
			n.In, n.Weight = 1, 1
			p.LastInChange = clustermap.Stamp{Time: now}
		}
	} else {
		p.LastInChange = clustermap.Stamp{Time: now}
	}
	delete(o.autoOut, b.ID)
	o.downSince.set(b.ID, time.Time{})
	n.Up = 1
	n.UpFrom = p.Epoch
	n.PublicAddrs = b.PublicAddrs.Clone()
	n.ClusterAddrs = b.ClusterAddrs.Clone()
	n.HeartbeatBackAddrs = n.ClusterAddrs
	n.HeartbeatFrontAddr = n.PublicAddrs
	n.PublicAddr = n.PublicAddrs.Legacy()
	n.ClusterAddr = n.ClusterAddrs.Legacy()
	n.HeartbeatBackAdd = n.ClusterAddr
	n.HeartbeatFrontAdd = n.PublicAddr
	n.State = osdState(true)
	setOSD(p, n)
	p.LastUpChange = clustermap.Stamp{Time: now}
	e.log(clustermap.PrioInfo, fmt.Sprintf("osd.%d %s boot", b.ID, n.PublicAddrs))
	o.commit(now, false, &e)
	return e, nil
}

// ReportAlive records that osd id is alive (MOSDBeacon / a stats report).
func (o *OSDMonitor) ReportAlive(now time.Time, id int) error {
	if o.view().OSD(id) == nil {
		return fmt.Errorf("%w: report from unknown osd.%d", ErrNotFound, id)
	}
	o.lastReport.set(id, now)
	return nil
}

// Tick marks silent OSDs down, long-down OSDs out, and commits batched
// changes once ProposeInterval has passed.
func (o *OSDMonitor) Tick(now time.Time) Effects {
	var e Effects
	v := o.view()
	noout := slices.Contains(v.FlagsSet, "noout")
	nodown := slices.Contains(v.FlagsSet, "nodown")
	for _, info := range v.OSDs {
		id := info.OSD
		if info.Up == 1 {
			last := o.lastReport.get(id)
			if last.IsZero() { // loaded from the store: a full grace from now
				o.lastReport.set(id, now)
				continue
			}
			if !nodown && now.Sub(last) > o.cfg.DownGrace {
				o.markDown(now, id, &e)
				e.log(clustermap.PrioInfo, fmt.Sprintf("osd.%d marked down after no beacon for %.6f seconds", id, now.Sub(last).Seconds()))
			}
			continue
		}
		if info.In == 1 {
			since := o.downSince.get(id)
			if since.IsZero() {
				o.downSince.set(id, now)
				continue
			}
			if !noout && now.Sub(since) >= o.cfg.OutInterval {
				o.markOut(now, id)
				o.autoOut[id] = true
				e.log(clustermap.PrioInfo, fmt.Sprintf("Marking osd.%d out (has been down for %d seconds)", id, int(now.Sub(since).Seconds())))
			}
		}
	}
	o.commit(now, false, &e)
	return e
}

func (o *OSDMonitor) markDown(now time.Time, id int, e *Effects) bool {
	p := o.pending()
	old := p.OSD(id)
	if old == nil || old.Up == 0 {
		return false
	}
	c := *old
	c.Up = 0
	c.DownAt = p.Epoch
	c.State = osdState(false)
	setOSD(p, &c)
	p.LastUpChange = clustermap.Stamp{Time: now}
	o.downSince.set(id, now)
	return true
}

func (o *OSDMonitor) markOut(now time.Time, id int) bool {
	p := o.pending()
	old := p.OSD(id)
	if old == nil || old.In == 0 {
		return false
	}
	c := *old
	c.In, c.Weight = 0, 0
	setOSD(p, &c)
	p.LastInChange = clustermap.Stamp{Time: now}
	return true
}

func (o *OSDMonitor) markIn(now time.Time, id int) bool {
	p := o.pending()
	old := p.OSD(id)
	if old == nil || old.In == 1 {
		return false
	}
	c := *old
	c.In, c.Weight = 1, 1
	setOSD(p, &c)
	p.LastInChange = clustermap.Stamp{Time: now}
	delete(o.autoOut, id)
	return true
}

// MarkDown, MarkOut and MarkIn are `osd down|out|in <ids>`: each id must
// exist; the status line lists what changed, as Ceph's.
func (o *OSDMonitor) MarkDown(now time.Time, ids []int) (int, string, Effects) {
	return o.mark(now, ids, "down", func(id int) bool { var e Effects; return o.markDown(now, id, &e) })
}

// MarkOut marks OSDs out.
func (o *OSDMonitor) MarkOut(now time.Time, ids []int) (int, string, Effects) {
	return o.mark(now, ids, "out", func(id int) bool { return o.markOut(now, id) })
}

// MarkIn marks OSDs in.
func (o *OSDMonitor) MarkIn(now time.Time, ids []int) (int, string, Effects) {
	return o.mark(now, ids, "in", func(id int) bool { return o.markIn(now, id) })
}

func (o *OSDMonitor) mark(now time.Time, ids []int, what string, f func(int) bool) (int, string, Effects) {
	var e Effects
	for _, id := range ids {
		if o.view().OSD(id) == nil {
			return ENOENT, fmt.Sprintf("osd.%d does not exist", id), e
		}
	}
	var sb strings.Builder
	for _, id := range ids {
		if f(id) {
			fmt.Fprintf(&sb, "marked %s osd.%d. ", what, id)
		} else {
			fmt.Fprintf(&sb, "osd.%d is already %s. ", id, what)
		}
	}
	o.commit(now, true, &e)
	return EOK, strings.TrimSpace(sb.String()), e
}

// SetFlag is `osd set|unset <flag>`.
func (o *OSDMonitor) SetFlag(now time.Time, flag string, set bool) (int, string, Effects) {
	var e Effects
	if !slices.Contains(userFlags, flag) {
		return EINVAL, "unrecognized flag '" + flag + "'", e
	}
	flags := []string{flag}
	if flag == "pause" {
		flags = []string{"pauserd", "pausewr"}
	}
	v := o.view()
	changed := false
	for _, f := range flags {
		if slices.Contains(v.FlagsSet, f) != set {
			changed = true
		}
	}
	verb := "set"
	if !set {
		verb = "unset"
	}
	if !changed {
		return EOK, flag + " is " + verb, e
	}
	p := o.pending()
	var out []string
	for _, f := range p.FlagsSet {
		if !slices.Contains(flags, f) {
			out = append(out, f)
		}
	}
	if set {
		out = append(out, flags...)
	}
	p.FlagsSet = out
	o.commit(now, true, &e)
	return EOK, flag + " is " + verb, e
}

// CreatePool is `osd pool create <pool> [pg_num] [size]`.
func (o *OSDMonitor) CreatePool(now time.Time, name string, pgNum, size int) (int, string, Effects) {
	var e Effects
	if name == "" || len(name) > 256 || strings.ContainsAny(name, "\x00/") {
		return EINVAL, fmt.Sprintf("invalid pool name %q", name), e
	}
	if pgNum == 0 {
		pgNum = o.cfg.DefaultPGNum
	}
	if size == 0 {
		size = o.cfg.DefaultSize
	}
	if pgNum < 1 || pgNum > 65536 {
		return ERANGE, "pg_num " + strconv.Itoa(pgNum) + " out of range [1, 65536]", e
	}
	if size < 1 || size > 10 {
		return ERANGE, "pool size " + strconv.Itoa(size) + " out of range [1, 10]", e
	}
	if o.view().PoolByName(name) != nil {
		return EOK, "pool '" + name + "' already exists", e
	}
	p := o.pending()
	p.PoolMax++
	minSize := size - size/2
	if size == 1 {
		minSize = 1
	}
	p.Pools = append(p.Pools, clustermap.Pool{
		Pool: p.PoolMax, PoolName: name, CreateTime: clustermap.Stamp{Time: now}, Flags: 1, FlagsNames: "hashpspool",
		Type: 1, Size: size, MinSize: minSize, ObjectHash: 2, PGAutoscaleMode: "on",
		PGNum: pgNum, PGPlacementNum: pgNum, PGPlacementNumTarget: pgNum, PGNumTarget: pgNum, PGNumPending: pgNum,
		LastPGMergeMeta: clustermap.LastPGMergeMeta{SourcePGID: "0.0", SourceVersion: "0'0", TargetVersion: "0'0"},
		LastChange:      strconv.FormatUint(p.Epoch, 10), SnapMode: "selfmanaged", PoolSnaps: []any{},
		RemovedSnaps: "[]", Tiers: []int64{}, TierOf: -1, ReadTier: -1, WriteTier: -1, CacheMode: "none",
		Options: map[string]any{}, ApplicationMetadata: map[string]map[string]any{},
	})
	o.commit(now, true, &e)
	return EOK, "pool '" + name + "' created", e
}

// healthChecks adds OSD_DOWN, OSDMAP_FLAGS and POOL_NO_REDUNDANCY. They
// depend on the committed map only, so they are computed once per epoch.
func (o *OSDMonitor) healthChecks(out map[string]clustermap.HealthCheck) {
	if o.healthOf != o.cur {
		o.healthOf = o.cur
		o.health = map[string]clustermap.HealthCheck{}
		o.computeHealth(o.health)
	}
	for k, c := range o.health {
		out[k] = c
	}
}

func (o *OSDMonitor) computeHealth(out map[string]clustermap.HealthCheck) {
	m := o.cur
	var down []string
	for _, info := range m.OSDs {
		if info.Up == 0 && info.In == 1 {
			down = append(down, fmt.Sprintf("osd.%d is down", info.OSD))
		}
	}
	if len(down) > 0 {
		out["OSD_DOWN"] = clustermap.NewCheck(clustermap.HealthWarn, fmt.Sprintf("%d osds down", len(down)), len(down), down...)
	}
	var flags []string
	for _, f := range m.FlagsSet {
		switch f {
		case "sortbitwise", "recovery_deletes", "purged_snapdirs", "pglog_hardlimit":
		default:
			flags = append(flags, f)
		}
	}
	if len(flags) > 0 {
		out["OSDMAP_FLAGS"] = clustermap.NewCheck(clustermap.HealthWarn, strings.Join(flags, ",")+" flag(s) set", len(flags))
	}
	var single []string
	for _, p := range m.Pools {
		if p.Size == 1 {
			single = append(single, "pool '"+p.PoolName+"' has no replicas configured")
		}
	}
	if len(single) > 0 {
		out["POOL_NO_REDUNDANCY"] = clustermap.NewCheck(clustermap.HealthWarn, fmt.Sprintf("%d pool(s) have no replicas configured", len(single)), len(single), single...)
	}
}

// timesByID is a per-OSD time, indexed by id (ids are small and dense);
// the zero time means unknown.
type timesByID []time.Time

func (t timesByID) get(id int) time.Time {
	if id < 0 || id >= len(t) {
		return time.Time{}
	}
	return t[id]
}

func (t *timesByID) set(id int, v time.Time) {
	if id < 0 {
		return
	}
	if id >= len(*t) {
		if v.IsZero() {
			return
		}
		n := make(timesByID, id+1, max(id+1, 2*len(*t)))
		copy(n, *t)
		*t = n
	}
	(*t)[id] = v
}
