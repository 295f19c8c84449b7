package mon

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gomgr/clustermap"
)

// Config configures a Mon.
type Config struct {
	// FSID is the cluster fsid for a new store ("" picks a random one);
	// an existing store must match it when set.
	FSID string
	// Name is the mon's name ("a") and Addrs its public address vector;
	// a restart on a new address bumps the MonMap epoch.
	Name  string
	Addrs clustermap.AddrVec
	Mgr   MgrConfig
	OSD   OSDConfig
	// LogSize is how many cluster log entries are kept (1000).
	LogSize int
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	return Config{Name: "a", Mgr: DefaultMgrConfig(), OSD: DefaultOSDConfig(), LogSize: 1000}
}

// WithDefaults fills every zero field from DefaultConfig, so a partly
// filled Config is safe.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.LogSize <= 0 {
		c.LogSize = d.LogSize
	}
	dur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	dur(&c.Mgr.TickPeriod, d.Mgr.TickPeriod)
	dur(&c.Mgr.BeaconGrace, d.Mgr.BeaconGrace)
	dur(&c.Mgr.TickInterval, d.Mgr.TickInterval)
	if c.Mgr.SessionGrace == 0 {
		c.Mgr.SessionGrace = d.Mgr.SessionGrace
	}
	dur(&c.Mgr.MkfsGrace, d.Mgr.MkfsGrace)
	dur(&c.Mgr.InactiveGrace, d.Mgr.InactiveGrace)
	dur(&c.OSD.DownGrace, d.OSD.DownGrace)
	dur(&c.OSD.OutInterval, d.OSD.OutInterval)
	if c.OSD.ProposeInterval < 0 {
		c.OSD.ProposeInterval = 0
	}
	if c.Mgr.Release == "" {
		c.Mgr.Release = d.Mgr.Release
	}
	if c.OSD.DefaultPGNum <= 0 {
		c.OSD.DefaultPGNum = d.OSD.DefaultPGNum
	}
	if c.OSD.DefaultSize <= 0 {
		c.OSD.DefaultSize = d.OSD.DefaultSize
	}
	if c.OSD.MaxOSDID <= 0 {
		c.OSD.MaxOSDID = d.OSD.MaxOSDID
	}
	return c
}

// Mon composes the map authority: MgrMonitor, OSDMonitor, the MonMap, FSMap
// and ServiceMap, the cluster log, health, config-keys and the store. Every
// method must be called from the one goroutine that owns the Mon. Methods
// that change state persist it before returning; a store error is fatal
// (memory is then ahead of disk, so the daemon must stop, as ceph-mon
// aborts).
type Mon struct {
	cfg       Config
	store     *Store
	fsid      string
	started   time.Time
	mgr       *MgrMonitor
	osd       *OSDMonitor
	monmap    *clustermap.MonMap
	fsmap     *clustermap.FSMap
	svcmap    *clustermap.ServiceMap
	clog      *ClusterLog
	keys      map[string][]byte
	mgrChecks map[string]clustermap.HealthCheck
	pg        *clustermap.PGSummary
	health    clustermap.Health // as of the last event, for "Health check failed/cleared"
	subs      subscriptions
	// The osdmap is stored whole every osdFullEvery epochs or so and as
	// incrementals in between: a 10,000-OSD map is 7 MB, its change a few
	// KiB.
	osdFull   uint64 // epoch of the stored full osdmap
	osdStored uint64 // newest stored osdmap epoch, full or incremental
}

const (
	osdFullEvery = 32     // CompactOSDMap's threshold
	osdFullMax   = 4 * 32 // persist writes whole past this chain
)

const objOSDMapIncPrefix = "osdmap.inc."

func objOSDMapInc(epoch uint64) string {
	return objOSDMapIncPrefix + strconv.FormatUint(epoch, 10) + ".json"
}

// Snapshot is the committed maps at one instant. All of it is immutable
// and safe to share between goroutines.
type Snapshot struct {
	FSID       string
	MgrMap     *clustermap.MgrMap
	OSDMap     *clustermap.OSDMap
	MonMap     *clustermap.MonMap
	FSMap      *clustermap.FSMap
	ServiceMap *clustermap.ServiceMap
}

const (
	objFSID       = "fsid"
	objMgrMap     = "mgrmap.json"
	objOSDMap     = "osdmap.json"
	objMonMap     = "monmap.json"
	objFSMap      = "fsmap.json"
	objServiceMap = "servicemap.json"
	objLogSeq     = "logseq"
)

// Open loads the mon's state from dir (created on first use), or keeps it
// in memory only when dir is "".
func Open(now time.Time, dir string, cfg Config) (*Mon, error) {
	cfg = cfg.WithDefaults()
	m := &Mon{cfg: cfg, started: now, keys: map[string][]byte{}, mgrChecks: map[string]clustermap.HealthCheck{}}
	var (
		mgrMap *clustermap.MgrMap
		osdMap *clustermap.OSDMap
		logSeq uint64 = 1
		fresh         = true
	)
	if dir != "" {
		// OpenStore makes the config-key directory: an initialised store
		// (it has an fsid) without it is refused first.
		if _, err := os.Stat(filepath.Join(dir, objFSID)); err == nil {
			if _, err := os.Stat(filepath.Join(dir, keyDir)); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s has no %s directory (the module store): refusing to start without it", ErrStoreCorrupt, dir, keyDir)
			}
		}
		st, err := OpenStore(dir)
		if err != nil {
			return nil, err
		}
		m.store = st
		if b, err := st.Get(objFSID); err == nil {
			fresh = false
			m.fsid = string(b)
			if cfg.FSID != "" && cfg.FSID != m.fsid {
				return nil, fmt.Errorf("%w: %s holds %s, configured %s", ErrFSIDMismatch, dir, m.fsid, cfg.FSID)
			}
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if fresh {
			// A new cluster is made only in an empty directory: files of
			// a mon without the fsid (written last at mkfs) are a store
			// that lost it, or a mkfs that did not finish.
			if err := checkEmpty(st, dir); err != nil {
				return nil, err
			}
		} else {
			for _, name := range []string{objMgrMap, objOSDMap, objMonMap, objFSMap, objServiceMap} {
				if _, err := st.Get(name); errors.Is(err, ErrNotFound) {
					return nil, fmt.Errorf("%w: %s has no %s: refusing to start without it (a new cluster needs an empty directory)", ErrStoreCorrupt, dir, name)
				}
			}
			if err := loadOpt(st, objMgrMap, &mgrMap); err != nil {
				return nil, err
			}
			if err := loadOpt(st, objOSDMap, &osdMap); err != nil {
				return nil, err
			}
			if osdMap != nil {
				m.osdFull = osdMap.Epoch
				if osdMap, err = loadOSDMapIncs(st, osdMap); err != nil {
					return nil, err
				}
				m.osdStored = osdMap.Epoch
			}
			if err := loadOpt(st, objMonMap, &m.monmap); err != nil {
				return nil, err
			}
			if err := loadOpt(st, objFSMap, &m.fsmap); err != nil {
				return nil, err
			}
			if err := loadOpt(st, objServiceMap, &m.svcmap); err != nil {
				return nil, err
			}
			if err := validateLoaded(m.fsid, cfg.OSD.MaxOSDID, mgrMap, osdMap, m.monmap, m.fsmap, m.svcmap); err != nil {
				return nil, err
			}
			if b, err := st.Get(objLogSeq); err == nil {
				if n, perr := strconv.ParseUint(string(b), 10, 64); perr == nil {
					logSeq = n
				}
			}
			keys, err := st.Keys()
			if err != nil {
				return nil, err
			}
			m.keys = keys
		}
	}
	if m.fsid == "" {
		m.fsid = cfg.FSID
		if m.fsid == "" {
			m.fsid = newUUID()
		}
	}
	m.mgr = NewMgrMonitor(cfg.Mgr, m.fsid, mgrMap, now)
	m.osd = NewOSDMonitor(cfg.OSD, m.fsid, osdMap, now)
	var e Effects
	if m.monmap == nil {
		m.monmap = newMonMap(m.fsid, cfg.Name, cfg.Addrs, now)
		e.MonMap = m.monmap
	} else if len(cfg.Addrs.Addrvec) > 0 && !m.monmap.Mons[0].PublicAddrs.Equal(cfg.Addrs) {
		m.monmap = withAddrs(m.monmap, cfg.Addrs, now)
		e.MonMap = m.monmap
	}
	if m.fsmap == nil {
		m.fsmap = newFSMap()
		e.FSMap = m.fsmap
	}
	if m.svcmap == nil {
		m.svcmap = &clustermap.ServiceMap{Epoch: 1, Modified: clustermap.Stamp{Time: now}, Services: map[string]any{}}
		e.ServiceMap = m.svcmap
	}
	m.clog = NewClusterLog(cfg.LogSize, "mon."+cfg.Name, "mon.0", m.monmap.Mons[0].PublicAddrs, logSeq)
	if m.store != nil && !fresh {
		entries, err := m.store.LoadLog()
		if err != nil {
			return nil, err
		}
		m.clog.restore(entries)
	}
	if m.mgr.changedOnLoad {
		e.MgrMap = m.mgr.Map()
	}
	if fresh {
		e.MgrMap, e.OSDMap = m.mgr.Map(), m.osd.Map()
	}
	m.health = m.Health(now, true)
	if err := m.persist(e); err != nil {
		return nil, err
	}
	// The fsid last: it marks a store whose maps are all written.
	if fresh && m.store != nil {
		if err := m.store.Put(objFSID, []byte(m.fsid)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkEmpty refuses a directory without an fsid that holds a mon's files.
func checkEmpty(st *Store, dir string) error {
	names, err := st.List("")
	if err != nil {
		return err
	}
	keys, err := st.Keys()
	if err != nil {
		return err
	}
	if len(names) > 0 || len(keys) > 0 {
		return fmt.Errorf("%w: %s holds a mon's files (%s, %d config-keys) but no %s: not making a new cluster over them; restore %s or use an empty directory",
			ErrStoreCorrupt, dir, strings.Join(names, ", "), len(keys), objFSID, objFSID)
	}
	return nil
}

func validateLoaded(fsid string, maxID int, mgr *clustermap.MgrMap, osd *clustermap.OSDMap, mon *clustermap.MonMap, fs *clustermap.FSMap, svc *clustermap.ServiceMap) error {
	if mgr != nil {
		if err := validateMgrMap(mgr); err != nil {
			return err
		}
	}
	if osd != nil {
		if err := validateOSDMap(osd, fsid, maxID); err != nil {
			return err
		}
	}
	if mon != nil {
		if err := validateMonMap(mon, fsid); err != nil {
			return err
		}
	}
	if fs != nil {
		if err := validateFSMap(fs); err != nil {
			return err
		}
	}
	if svc != nil {
		return validateServiceMap(svc)
	}
	return nil
}

// loadOSDMapIncs applies the stored incrementals that follow full, in
// epoch order; older ones (superseded by full) are ignored.
func loadOSDMapIncs(st *Store, full *clustermap.OSDMap) (*clustermap.OSDMap, error) {
	m := full
	for {
		var inc clustermap.OSDMapIncremental
		name := objOSDMapInc(m.Epoch + 1)
		err := st.GetJSON(name, &inc)
		if errors.Is(err, ErrNotFound) {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		next, err := inc.Apply(m)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrStoreCorrupt, name, err)
		}
		m = next
	}
}

func loadOpt[T any](st *Store, name string, into **T) error {
	var v T
	err := st.GetJSON(name, &v)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	*into = &v
	return nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func newMonMap(fsid, name string, addrs clustermap.AddrVec, now time.Time) *clustermap.MonMap {
	mm := &clustermap.MonMap{Epoch: 1, FSID: fsid, Modified: clustermap.ZStamp{Time: now}, Created: clustermap.ZStamp{Time: now},
		MinMonRelease: 16, MinMonReleaseName: "pacific", ElectionStrategy: 1,
		Features: clustermap.MonFeatures{Persistent: []string{"kraken", "luminous", "mimic", "osdmap-prune", "nautilus", "octopus", "pacific", "elector-pinging"}, Optional: []string{}},
		Mons:     []clustermap.MonInfo{{Rank: 0, Name: name, CrushLocation: "{}"}},
		Quorum:   []int{0},
	}
	setAddrs(&mm.Mons[0], addrs)
	return mm
}

func setAddrs(mi *clustermap.MonInfo, a clustermap.AddrVec) {
	mi.PublicAddrs = a.Clone()
	mi.Addr = a.Legacy()
	mi.PublicAddr = mi.Addr
}

func withAddrs(mm *clustermap.MonMap, a clustermap.AddrVec, now time.Time) *clustermap.MonMap {
	c := *mm
	c.Epoch++
	c.Modified = clustermap.ZStamp{Time: now}
	c.Mons = append([]clustermap.MonInfo{}, mm.Mons...)
	setAddrs(&c.Mons[0], a)
	return &c
}

func newFSMap() *clustermap.FSMap {
	f := &clustermap.FSMap{Epoch: 1, DefaultFSCID: -1, Standbys: []any{}, Filesystems: []any{}}
	f.Compat = json.RawMessage(`{"compat":{},"ro_compat":{},"incompat":{"feature_1":"base v0.20","feature_2":"client writeable ranges","feature_3":"default file layouts on dirs","feature_4":"dir inode in separate object","feature_5":"mds uses versioned encoding","feature_6":"dirfrag is stored in omap","feature_8":"no anchor table","feature_9":"file layout v2","feature_10":"snaprealm v2"}}`)
	f.FeatureFlags.EnableMultiple = true
	f.FeatureFlags.EverEnabledMultiple = true
	return f
}

// FSID is the cluster fsid.
func (m *Mon) FSID() string { return m.fsid }

// Snapshot returns the committed maps.
func (m *Mon) Snapshot() Snapshot {
	return Snapshot{FSID: m.fsid, MgrMap: m.mgr.Map(), OSDMap: m.osd.Map(), MonMap: m.monmap, FSMap: m.fsmap, ServiceMap: m.svcmap}
}

// MgrMonitor and OSDMonitor expose the parts (read-only use).
func (m *Mon) MgrMonitor() *MgrMonitor { return m.mgr }

// OSDMonitor returns the OSD part.
func (m *Mon) OSDMonitor() *OSDMonitor { return m.osd }

// Log returns the cluster log.
func (m *Mon) Log() *ClusterLog { return m.clog }

// Beacon applies a mgr beacon. Rejected beacons (wrong fsid, no gid or
// name) return an error and change nothing.
func (m *Mon) Beacon(now time.Time, b Beacon) (Effects, error) {
	e, err := m.mgr.Beacon(now, b)
	if err != nil {
		return Effects{}, err
	}
	return m.finish(now, e)
}

// MgrSessionLost records that a mgr's session closed (see
// MgrConfig.SessionGrace) and returns when a Tick acts on it; false when
// none will (an unknown gid, SessionGrace off).
func (m *Mon) MgrSessionLost(now time.Time, gid uint64) (time.Time, bool) {
	return m.mgr.SessionLost(now, gid)
}

// OSDBoot applies an OSD boot.
func (m *Mon) OSDBoot(now time.Time, b OSDBoot) (Effects, error) {
	e, err := m.osd.Boot(now, b)
	if err != nil {
		return Effects{}, err
	}
	return m.finish(now, e)
}

// OSDReport records that an OSD is alive; it never changes a map by itself.
func (m *Mon) OSDReport(now time.Time, id int) error { return m.osd.ReportAlive(now, id) }

// Tick runs the timeouts of every monitor; the daemon calls it every
// Mgr.TickInterval.
func (m *Mon) Tick(now time.Time) (Effects, error) {
	e := m.mgr.Tick(now)
	e.merge(m.osd.Tick(now))
	return m.finish(now, e)
}

// SetMgrHealthChecks replaces the health checks the active mgr's modules
// raise (they arrive with its reports).
func (m *Mon) SetMgrHealthChecks(now time.Time, checks map[string]clustermap.HealthCheck) (Effects, error) {
	m.mgrChecks = make(map[string]clustermap.HealthCheck, len(checks))
	for k, c := range checks {
		if k == "" {
			continue
		}
		if c.Severity != clustermap.HealthErr {
			c.Severity = clustermap.HealthWarn
		}
		if c.Detail == nil {
			d := []clustermap.HealthDetail{}
			c.Detail = &d
		}
		m.mgrChecks[k] = c
	}
	return m.finish(now, Effects{})
}

// AddLog appends a cluster log entry sent by another daemon (MLog) or a
// client (`log`), and hands it to log subscribers. Priority must be one of
// Ceph's ("[DBG]", "[INF]", "[SEC]", "[WRN]", "[ERR]"); the channel
// defaults to "cluster" and the stamp to now.
func (m *Mon) AddLog(now time.Time, in clustermap.LogEntry) (Effects, error) {
	if _, ok := prioLevel[in.Priority]; !ok {
		return Effects{}, fmt.Errorf("%w: log priority %q", ErrInvalid, in.Priority)
	}
	if in.Name == "" || in.Message == "" || len(in.Message) > 64<<10 {
		return Effects{}, fmt.Errorf("%w: log entry needs a sender and a message of at most 64 KiB", ErrInvalid)
	}
	if in.Channel == "" {
		in.Channel = "cluster"
	}
	if in.Stamp.IsZero() {
		in.Stamp = clustermap.Stamp{Time: now}
	}
	in.Addrs = in.Addrs.Clone()
	e := Effects{Log: []clustermap.LogEntry{m.clog.AppendFrom(in)}}
	return m.finish(now, e)
}

// SetPGSummary records the pgmap summary the active mgr computed.
func (m *Mon) SetPGSummary(s clustermap.PGSummary) { m.pg = &s }

// SetServices replaces the ServiceMap's services (reported by the active
// mgr); a change is a new epoch.
func (m *Mon) SetServices(now time.Time, services map[string]any) (Effects, error) {
	if services == nil {
		services = map[string]any{}
	}
	a, _ := json.Marshal(m.svcmap.Services)
	b, err := json.Marshal(services)
	if err != nil {
		return Effects{}, fmt.Errorf("%w: services: %w", ErrInvalid, err)
	}
	if string(a) == string(b) {
		return Effects{}, nil
	}
	var copyOf map[string]any
	_ = json.Unmarshal(b, &copyOf) // a deep copy: callers keep their map
	m.svcmap = &clustermap.ServiceMap{Epoch: m.svcmap.Epoch + 1, Modified: clustermap.Stamp{Time: now}, Services: copyOf}
	return m.finish(now, Effects{ServiceMap: m.svcmap})
}

// finish stamps log lines, logs health transitions and persists.
func (m *Mon) finish(now time.Time, e Effects) (Effects, error) {
	for _, l := range e.pending {
		e.Log = append(e.Log, m.clog.Append(now, "cluster", l.Priority, l.Message))
	}
	e.pending = nil
	h := m.Health(now, true)
	e.Log = append(e.Log, m.healthTransitions(now, m.health, h)...)
	m.health = h
	// Persist before anyone is told: a subscriber never sees an epoch that
	// a restart could lose.
	if err := m.persist(e); err != nil {
		return e, err
	}
	m.route(&e)
	return e, nil
}

func (m *Mon) healthTransitions(now time.Time, old, cur clustermap.Health) []clustermap.LogEntry {
	var out []clustermap.LogEntry
	codes := make([]string, 0, len(cur.Checks))
	for c := range cur.Checks {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, code := range codes {
		c := cur.Checks[code]
		prio := clustermap.PrioWarn
		if c.Severity == clustermap.HealthErr {
			prio = clustermap.PrioError
		}
		o, ok := old.Checks[code]
		switch {
		case !ok:
			out = append(out, m.clog.Append(now, "cluster", prio, "Health check failed: "+c.Summary.Message+" ("+code+")"))
		case o.Summary.Message != c.Summary.Message || o.Severity != c.Severity:
			out = append(out, m.clog.Append(now, "cluster", prio, "Health check update: "+c.Summary.Message+" ("+code+")"))
		}
	}
	codes = codes[:0]
	for c := range old.Checks {
		if _, ok := cur.Checks[c]; !ok {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		out = append(out, m.clog.Append(now, "cluster", clustermap.PrioInfo, "Health check cleared: "+code+" (was: "+old.Checks[code].Summary.Message+")"))
	}
	if cur.Status == clustermap.HealthOK && old.Status != clustermap.HealthOK && old.Status != "" {
		out = append(out, m.clog.Append(now, "cluster", clustermap.PrioInfo, "Cluster is now healthy"))
	}
	return out
}

func (m *Mon) persist(e Effects) error {
	if m.store == nil {
		return nil
	}
	if e.OSDMap != nil {
		if err := m.persistOSDMap(e.OSDMap); err != nil {
			return err
		}
	}
	for _, o := range []struct {
		name string
		v    any
		ok   bool
	}{
		{objMgrMap, e.MgrMap, e.MgrMap != nil},
		{objMonMap, e.MonMap, e.MonMap != nil},
		{objFSMap, e.FSMap, e.FSMap != nil},
		{objServiceMap, e.ServiceMap, e.ServiceMap != nil},
	} {
		if o.ok {
			if err := m.store.PutJSON(o.name, o.v); err != nil {
				return err
			}
		}
	}
	if len(e.Log) > 0 {
		if err := m.store.AppendLog(e.Log, m.cfg.LogSize); err != nil {
			return err
		}
		if err := m.store.Put(objLogSeq, []byte(strconv.FormatUint(m.clog.NextSeq(), 10))); err != nil {
			return err
		}
	}
	return nil
}

// persistOSDMap stores cur as an incremental over the stored epoch when
// it directly follows it, else whole. CompactOSDMap bounds the chain; past
// osdFullMax (a core whose owner never compacts) the full map is written
// here.
func (m *Mon) persistOSDMap(cur *clustermap.OSDMap) error {
	if prev := m.osd.Prev(); prev != nil && cur == m.osd.Map() && prev.Epoch == m.osdStored && cur.Epoch-m.osdFull < osdFullMax {
		inc, err := clustermap.DiffOSDMaps(prev, cur)
		if err != nil {
			return err
		}
		if err := m.store.PutJSON(objOSDMapInc(cur.Epoch), inc); err != nil {
			return err
		}
		m.osdStored = cur.Epoch
		return nil
	}
	return m.writeFullOSDMap(cur)
}

func (m *Mon) writeFullOSDMap(cur *clustermap.OSDMap) error {
	if err := m.store.PutJSON(objOSDMap, cur); err != nil {
		return err
	}
	m.osdFull, m.osdStored = cur.Epoch, cur.Epoch
	names, err := m.store.List(objOSDMapIncPrefix)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := m.store.Remove(n); err != nil {
			return err
		}
	}
	return nil
}

// CompactOSDMap stores the osdmap whole once osdFullEvery incrementals
// follow the stored full map, and drops them. The daemon calls it after
// sending an epoch, so that writing a large map (7 MB at 10,000 OSDs)
// never delays one. An error is a store failure.
func (m *Mon) CompactOSDMap() error {
	cur := m.osd.Map()
	if m.store == nil || cur.Epoch != m.osdStored || cur.Epoch-m.osdFull < osdFullEvery {
		return nil
	}
	return m.writeFullOSDMap(cur)
}

// Health computes `health detail` (detail=true) or `health` now.
func (m *Mon) Health(now time.Time, detail bool) clustermap.Health {
	checks := map[string]clustermap.HealthCheck{}
	for k, c := range m.mgrChecks {
		checks[k] = c
	}
	m.mgr.healthChecks(now, len(m.osd.Map().OSDs), m.monmap.Created.Time, checks)
	m.osd.healthChecks(checks)
	h := clustermap.Health{Status: clustermap.HealthOK, Checks: checks, Mutes: []any{}}
	for _, c := range checks {
		if c.Severity == clustermap.HealthErr {
			h.Status = clustermap.HealthErr
		} else if h.Status == clustermap.HealthOK {
			h.Status = clustermap.HealthWarn
		}
	}
	if !detail {
		h = h.WithoutDetail()
	}
	return h
}

// Status is `ceph status -f json`.
type Status struct {
	FSID          string                 `json:"fsid"`
	Health        clustermap.Health      `json:"health"`
	ElectionEpoch int                    `json:"election_epoch"`
	Quorum        []int                  `json:"quorum"`
	QuorumNames   []string               `json:"quorum_names"`
	QuorumAge     int64                  `json:"quorum_age"`
	MonMap        StatusMonMap           `json:"monmap"`
	OSDMap        StatusOSDMap           `json:"osdmap"`
	PGMap         clustermap.PGSummary   `json:"pgmap"`
	FSMap         StatusFSMap            `json:"fsmap"`
	MgrMap        StatusMgrMap           `json:"mgrmap"`
	ServiceMap    *clustermap.ServiceMap `json:"servicemap"`
	Progress      map[string]any         `json:"progress_events"`
}

// StatusMonMap is status.monmap.
type StatusMonMap struct {
	Epoch             uint64 `json:"epoch"`
	MinMonReleaseName string `json:"min_mon_release_name"`
	NumMons           int    `json:"num_mons"`
}

// StatusOSDMap is status.osdmap.
type StatusOSDMap struct {
	Epoch          uint64 `json:"epoch"`
	NumOSDs        int    `json:"num_osds"`
	NumUpOSDs      int    `json:"num_up_osds"`
	OSDUpSince     int64  `json:"osd_up_since"`
	NumInOSDs      int    `json:"num_in_osds"`
	OSDInSince     int64  `json:"osd_in_since"`
	NumRemappedPGs int    `json:"num_remapped_pgs"`
}

// StatusFSMap is status.fsmap.
type StatusFSMap struct {
	Epoch     uint64 `json:"epoch"`
	ByRank    []any  `json:"by_rank"`
	UpStandby int    `json:"up:standby"`
}

// StatusMgrMap is status.mgrmap.
type StatusMgrMap struct {
	Available   bool              `json:"available"`
	NumStandbys int               `json:"num_standbys"`
	Modules     []string          `json:"modules"`
	Services    map[string]string `json:"services"`
}

func unixOrZero(s clustermap.Stamp) int64 {
	if s.IsZero() {
		return 0
	}
	return s.Unix()
}

// Status computes `status` now.
func (m *Mon) Status(now time.Time) Status {
	om := m.osd.Map()
	n, up, in := om.Counts()
	mm := m.mgr.Map()
	pg := clustermap.PGSummary{PGsByState: []clustermap.PGStateCount{}}
	if m.pg != nil {
		pg = *m.pg
	} else {
		for _, p := range om.Pools {
			pg.NumPGs += p.PGNum
		}
		pg.NumPools = len(om.Pools)
		if pg.NumPGs > 0 {
			pg.PGsByState = []clustermap.PGStateCount{{StateName: "unknown", Count: pg.NumPGs}}
			pg.UnknownPGsRatio = 1
		}
	}
	return Status{
		FSID: m.fsid, Health: m.Health(now, false), ElectionEpoch: 1,
		Quorum: []int{0}, QuorumNames: []string{m.cfg.Name}, QuorumAge: int64(now.Sub(m.started).Seconds()),
		MonMap: StatusMonMap{Epoch: m.monmap.Epoch, MinMonReleaseName: m.monmap.MinMonReleaseName, NumMons: len(m.monmap.Mons)},
		OSDMap: StatusOSDMap{Epoch: om.Epoch, NumOSDs: n, NumUpOSDs: up, OSDUpSince: unixOrZero(om.LastUpChange),
			NumInOSDs: in, OSDInSince: unixOrZero(om.LastInChange)},
		PGMap:      pg,
		FSMap:      StatusFSMap{Epoch: m.fsmap.Epoch, ByRank: []any{}},
		MgrMap:     StatusMgrMap{Available: mm.Available, NumStandbys: len(mm.Standbys), Modules: mm.Modules, Services: mm.Services},
		ServiceMap: m.svcmap,
		Progress:   map[string]any{},
	}
}

// MonStatus is the mon_status part of the mgr digest.
type MonStatus struct {
	Name          string             `json:"name"`
	Rank          int                `json:"rank"`
	State         string             `json:"state"`
	ElectionEpoch int                `json:"election_epoch"`
	Quorum        []int              `json:"quorum"`
	QuorumAge     int64              `json:"quorum_age"`
	OutsideQuorum []any              `json:"outside_quorum"`
	MonMap        *clustermap.MonMap `json:"monmap"`
}

// Digest is MMgrDigest's two JSON documents: `health detail` and
// mon_status, which the daemon sends to the active mgr periodically.
func (m *Mon) Digest(now time.Time) (health, monStatus []byte) {
	health, _ = json.Marshal(m.Health(now, true))
	monStatus, _ = json.Marshal(MonStatus{Name: m.cfg.Name, State: "leader", ElectionEpoch: 1, Quorum: []int{0},
		QuorumAge: int64(now.Sub(m.started).Seconds()), OutsideQuorum: []any{}, MonMap: m.monmap})
	return health, monStatus
}

// ConfigKey returns a config-key's value.
func (m *Mon) ConfigKey(key string) ([]byte, bool) {
	v, ok := m.keys[key]
	return v, ok
}
