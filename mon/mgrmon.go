package mon

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"time"

	"gomgr/clustermap"
)

// MgrConfig holds the MgrMonitor's timing and module policy.
type MgrConfig struct {
	// TickPeriod is mgr_tick_period: how often mgrs send beacons (1 s).
	TickPeriod time.Duration
	// BeaconGrace is mon_mgr_beacon_grace: a mgr silent for longer is
	// dropped (3 s: three beacon periods).
	BeaconGrace time.Duration
	// TickInterval is how often the daemon is expected to call Tick
	// (500 ms); with BeaconGrace it bounds failover at 3.5 s.
	TickInterval time.Duration
	// SessionGrace: a mgr whose session with the mon closed (its process
	// died: the kernel resets the connection at once) and that has not
	// beaconed again within SessionGrace is dropped then, not a
	// BeaconGrace later (500 ms; negative: only BeaconGrace counts). A
	// mgr that lost its session but lives beacons again on its next one.
	SessionGrace time.Duration
	// MkfsGrace is mon_mgr_mkfs_grace: MGR_DOWN is not raised before the
	// cluster is this old (Ceph: 120 s; gomgr: 10 s so the demo shows it).
	MkfsGrace time.Duration
	// InactiveGrace is mon_mgr_inactive_grace: MGR_DOWN turns HEALTH_ERR
	// after no mgr has been available for this long (60 s).
	InactiveGrace time.Duration
	// Release keys always_on_modules ("pacific").
	Release string
	// AlwaysOnModules cannot be disabled and count as enabled.
	AlwaysOnModules []string
	// InitialModules is mgr_initial_modules: enabled in a new cluster.
	InitialModules []string
}

// DefaultMgrConfig returns the defaults documented on MgrConfig.
func DefaultMgrConfig() MgrConfig {
	return MgrConfig{
		TickPeriod:    1 * time.Second,
		BeaconGrace:   3 * time.Second,
		TickInterval:  500 * time.Millisecond,
		SessionGrace:  500 * time.Millisecond,
		MkfsGrace:     10 * time.Second,
		InactiveGrace: 60 * time.Second,
		Release:       "pacific",
	}
}

// Beacon is MMgrBeacon: what a mgr daemon tells the mon every TickPeriod.
type Beacon struct {
	GID              uint64
	Name             string
	FSID             string
	Addrs            clustermap.AddrVec // server addrs; meaningful only from the active
	Available        bool               // the active has finished starting its modules
	AvailableModules []clustermap.ModuleInfo
	Metadata         map[string]string
	Services         map[string]string // module URIs ("dashboard": "http://...")
	MgrFeatures      uint64
	// Runtime is what a gomgr mgr says of each module it runs (not part
	// of the MgrMap: a real ceph-mgr has no such field).
	Runtime map[string]ModuleRuntime
	// From is the sender's address as the mon's session sees it, for
	// messages only.
	From string
}

// ModuleRuntime is a module as its mgr runs it, for `mgr module ls`.
type ModuleRuntime struct {
	Kind  string // "python", "cpython", "go plugin"...
	State string // "running", "failed", "restarting"...
}

// MgrMonitor decides which mgr is active, after Ceph's MgrMonitor. It holds
// the committed MgrMap and the last beacon time of every known gid.
// Owned by one goroutine.
type MgrMonitor struct {
	cfg           MgrConfig
	fsid          string
	cur           *clustermap.MgrMap
	lastBeacon    map[uint64]time.Time
	sessionLost   map[uint64]time.Time // gid -> when its session closed, until it beacons
	lastTick      time.Time
	metadata      map[string]map[string]string
	runtime       map[uint64]map[string]ModuleRuntime // by gid, from the last beacon
	everHadActive bool
	inactiveSince time.Time       // when the map last became unavailable
	changedOnLoad bool            // the loaded map was moved to a new epoch
	dupes         map[uint64]dupe // gids refused for the name of a live mgr
}

// dupe is a mgr whose beacons are refused: its name belongs to a live one.
type dupe struct {
	gid, owner uint64 // owner: the live gid with the name
	name       string
	from, pid  string    // where it runs (Beacon.From, its metadata's pid)
	last       time.Time // its last refused beacon
}

// who says which daemon it is: "gid 4100, addr v1:127.0.0.1:0/12, pid 77".
func (d dupe) who() string {
	s := "gid " + strconv.FormatUint(d.gid, 10)
	if d.from != "" && d.from != "-" {
		s += ", addr " + d.from
	}
	if d.pid != "" {
		s += ", pid " + d.pid
	}
	return s
}

// NewMgrMonitor starts from initial (a loaded map) or, when nil, a new
// epoch-1 map with cfg.InitialModules enabled.
func NewMgrMonitor(cfg MgrConfig, fsid string, initial *clustermap.MgrMap, now time.Time) *MgrMonitor {
	m := &MgrMonitor{cfg: cfg, fsid: fsid, lastBeacon: map[uint64]time.Time{}, sessionLost: map[uint64]time.Time{},
		metadata: map[string]map[string]string{}, runtime: map[uint64]map[string]ModuleRuntime{}, dupes: map[uint64]dupe{}}
	loaded := initial != nil
	if !loaded {
		initial = &clustermap.MgrMap{Epoch: 1, Modules: sortedUnique(cfg.InitialModules)}
	} else {
		initial = initial.Clone()
		m.everHadActive = initial.ActiveGID != 0 || initial.Epoch > 1
	}
	// Like Ceph's on_active: the always-on set follows the configuration,
	// and a loaded map whose set differs moves to a new epoch.
	always := map[string][]string{cfg.Release: sortedUnique(cfg.AlwaysOnModules)}
	if loaded && !reflect.DeepEqual(initial.AlwaysOnModules, always) {
		initial.Epoch++
		m.changedOnLoad = true
	}
	initial.AlwaysOnModules = always
	initial.Normalize()
	m.cur = initial
	if !initial.Available {
		m.inactiveSince = now
	}
	return m
}

// Map returns the committed MgrMap (immutable).
func (m *MgrMonitor) Map() *clustermap.MgrMap { return m.cur }

// Metadata returns the metadata a mgr sent with its first beacon.
func (m *MgrMonitor) Metadata(name string) (map[string]string, bool) {
	md, ok := m.metadata[name]
	return md, ok
}

// Runtime is what the active mgr last said of its modules (nil from a
// real ceph-mgr).
func (m *MgrMonitor) Runtime() map[string]ModuleRuntime { return m.runtime[m.cur.ActiveGID] }

func (m *MgrMonitor) pending() *clustermap.MgrMap {
	p := m.cur.Clone()
	p.Epoch++
	return p
}

func (m *MgrMonitor) commit(now time.Time, p *clustermap.MgrMap, e *Effects) {
	p.Normalize()
	m.cur = p
	e.MgrMap = p
	if p.ActiveGID != 0 {
		m.everHadActive = true
	}
	if p.Available {
		m.inactiveSince = time.Time{}
	} else if m.inactiveSince.IsZero() {
		m.inactiveSince = now
	}
}

func normalizeModules(in []clustermap.ModuleInfo) []clustermap.ModuleInfo {
	out := make([]clustermap.ModuleInfo, 0, len(in))
	for _, mi := range in {
		// A deep copy: the caller keeps its beacon, the map keeps this.
		opts := make(map[string]clustermap.ModuleOption, len(mi.ModuleOptions))
		for k, o := range mi.ModuleOptions {
			o.EnumAllowed = append([]string{}, o.EnumAllowed...)
			o.Tags = append([]string{}, o.Tags...)
			o.SeeAlso = append([]string{}, o.SeeAlso...)
			opts[k] = o
		}
		mi.ModuleOptions = opts
		out = append(out, mi)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Beacon applies one beacon (Ceph's prepare_beacon). A beacon with the
// wrong fsid, no gid or no name is rejected with no state change; one with
// the name of another, live gid is refused without an error (see refuse).
func (m *MgrMonitor) Beacon(now time.Time, b Beacon) (Effects, error) {
	var e Effects
	if b.FSID != m.fsid {
		return e, fmt.Errorf("%w: beacon from mgr.%s (gid %d) has fsid %q, cluster is %q", ErrWrongFSID, b.Name, b.GID, b.FSID, m.fsid)
	}
	if b.GID == 0 || b.Name == "" {
		return e, fmt.Errorf("%w: beacon needs a gid and a name (gid %d, name %q)", ErrInvalid, b.GID, b.Name)
	}
	for _, mi := range b.AvailableModules {
		if mi.Name == "" {
			return e, fmt.Errorf("%w: beacon from mgr.%s lists a module with no name", ErrInvalid, b.Name)
		}
	}
	// Another gid has this name. If it is alive, this is a second daemon
	// beside it: refused, or each would evict the other at every beacon.
	// If it is gone, this is its restart, which replaces it at once.
	if owner, ok := m.liveHolder(now, b); ok {
		return m.refuse(now, b, owner), nil
	}
	delete(m.dupes, b.GID)
	mods := normalizeModules(b.AvailableModules)
	services := b.Services
	if services == nil {
		services = map[string]string{}
	}
	addrs := b.Addrs.Clone()

	p := m.pending()
	updated := false

	// Same name, new gid, the old one gone: the active restarted; drop
	// the old instance.
	if b.Name == p.ActiveName && b.GID != p.ActiveGID {
		e.log(clustermap.PrioInfo, "Active manager daemon "+b.Name+" restarted")
		m.dropActive(now, p)
		updated = true
	}
	for i, s := range p.Standbys {
		if s.Name == b.Name && s.GID != b.GID {
			e.log(clustermap.PrioDebug, "Standby manager daemon "+b.Name+" restarted")
			m.dropStandby(p, i, true)
			updated = true
			break
		}
	}

	m.lastBeacon[b.GID] = now
	delete(m.sessionLost, b.GID)
	if b.Runtime != nil {
		m.runtime[b.GID] = b.Runtime
	}

	switch {
	case p.ActiveGID == b.GID:
		if !reflect.DeepEqual(p.Services, services) {
			p.Services = copyStrMap(services)
			updated = true
		}
		if !p.ActiveAddrs.Equal(addrs) {
			p.ActiveAddrs = addrs
			updated = true
		}
		if p.Available != b.Available {
			if b.Available {
				e.log(clustermap.PrioInfo, "Manager daemon "+p.ActiveName+" is now available")
			} else {
				e.log(clustermap.PrioInfo, "Manager daemon "+p.ActiveName+" is now unavailable")
			}
			p.Available = b.Available
			updated = true
		}
		if !reflect.DeepEqual(p.AvailableModules, mods) {
			p.AvailableModules = mods
			updated = true
		}
	case b.Available:
		// It thinks it is active but it is not: tell it the truth.
		e.Reply = m.cur
	case p.ActiveGID == 0:
		if i := standbyIndex(p, b.GID); i >= 0 {
			m.dropStandby(p, i, false)
		}
		p.ActiveGID = b.GID
		p.ActiveName = b.Name
		p.ActiveChange = clustermap.Stamp{Time: now}
		p.ActiveMgrFeatures = b.MgrFeatures
		p.AvailableModules = mods
		m.metadata[b.Name] = copyStrMap(b.Metadata)
		e.log(clustermap.PrioInfo, "Activating manager daemon "+b.Name)
		updated = true
	default:
		if i := standbyIndex(p, b.GID); i >= 0 {
			if !reflect.DeepEqual(p.Standbys[i].AvailableModules, mods) {
				p.Standbys[i].AvailableModules = mods
				updated = true
			}
		} else {
			e.log(clustermap.PrioDebug, "Standby manager daemon "+b.Name+" started")
			p.Standbys = append(p.Standbys, clustermap.StandbyInfo{GID: b.GID, Name: b.Name, MgrFeatures: b.MgrFeatures, AvailableModules: mods})
			sort.Slice(p.Standbys, func(i, j int) bool { return p.Standbys[i].GID < p.Standbys[j].GID })
			m.metadata[b.Name] = copyStrMap(b.Metadata)
			updated = true
		}
	}
	if updated {
		m.commit(now, p, &e)
	}
	return e, nil
}

// liveHolder returns the gid, other than b's, that holds b's name (as the
// active or a standby) and is alive.
func (m *MgrMonitor) liveHolder(now time.Time, b Beacon) (uint64, bool) {
	if m.cur.ActiveGID != 0 && m.cur.ActiveGID != b.GID && m.cur.ActiveName == b.Name && m.live(now, m.cur.ActiveGID) {
		return m.cur.ActiveGID, true
	}
	for _, s := range m.cur.Standbys {
		if s.GID != b.GID && s.Name == b.Name && m.live(now, s.GID) {
			return s.GID, true
		}
	}
	return 0, false
}

// live reports whether mgr gid keeps its name against a newcomer: its
// session is open and it beaconed within BeaconGrace. A gid known only from
// a loaded map counts as alive until Tick has given it its grace.
func (m *MgrMonitor) live(now time.Time, gid uint64) bool {
	if _, lost := m.sessionLost[gid]; lost {
		return false
	}
	last, ok := m.lastBeacon[gid]
	return !ok || !last.Before(now.Add(-m.cfg.BeaconGrace))
}

// refuse turns away a beacon that uses the name of live gid owner. Nothing
// changes but the record of the duplicate (MGR_DUPLICATE_NAME, until it
// stops beaconing); the cluster log says so once per duplicate, and the
// map goes back to it, naming the owner: a gomgr mgr stops on seeing it
// (a real ceph-mgr just stays out of the map).
func (m *MgrMonitor) refuse(now time.Time, b Beacon, owner uint64) Effects {
	var e Effects
	d := dupe{gid: b.GID, owner: owner, name: b.Name, from: b.From, pid: b.Metadata["pid"], last: now}
	if _, seen := m.dupes[b.GID]; !seen {
		e.log(clustermap.PrioWarn, fmt.Sprintf("Manager daemon %s (%s) refused: the name belongs to live gid %d", b.Name, d.who(), owner))
	}
	m.dupes[b.GID] = d
	e.Reply = m.cur
	return e
}

// SessionLost records that mgr gid's session with the mon closed at now:
// unless it beacons again within SessionGrace, a Tick from then on drops
// it. It returns when that Tick is due; false for an unknown gid or with
// SessionGrace off.
func (m *MgrMonitor) SessionLost(now time.Time, gid uint64) (time.Time, bool) {
	delete(m.dupes, gid) // a refused duplicate went away
	if m.cfg.SessionGrace < 0 || (gid != m.cur.ActiveGID && standbyIndex(m.cur, gid) < 0) {
		return time.Time{}, false
	}
	m.sessionLost[gid] = now
	return now.Add(m.cfg.SessionGrace), true
}

// gone reports whether mgr gid is to be dropped at now: silent past
// BeaconGrace, or its session closed more than SessionGrace ago.
func (m *MgrMonitor) gone(now time.Time, gid uint64) bool {
	if m.lastBeacon[gid].Before(now.Add(-m.cfg.BeaconGrace)) {
		return true
	}
	lost, ok := m.sessionLost[gid]
	return ok && !now.Before(lost.Add(m.cfg.SessionGrace))
}

// Tick drops mgrs silent for longer than BeaconGrace, or whose session
// closed more than SessionGrace ago, and promotes the lowest-gid standby
// when there is no active (Ceph's MgrMonitor::tick).
func (m *MgrMonitor) Tick(now time.Time) Effects {
	var e Effects
	// A gap between ticks longer than grace-period means the mon itself was
	// stalled; nobody could have reached it, so restart every clock.
	if !m.lastTick.IsZero() && now.Sub(m.lastTick) > m.cfg.BeaconGrace-m.cfg.TickPeriod {
		for gid := range m.lastBeacon {
			m.lastBeacon[gid] = now
		}
	}
	m.lastTick = now
	for gid, d := range m.dupes {
		if d.last.Before(now.Add(-m.cfg.BeaconGrace)) {
			delete(m.dupes, gid) // it stopped trying
		}
	}
	// Daemons known only from the loaded map get a full grace from now.
	if m.cur.ActiveGID != 0 {
		if _, ok := m.lastBeacon[m.cur.ActiveGID]; !ok {
			m.lastBeacon[m.cur.ActiveGID] = now
		}
	}
	for _, s := range m.cur.Standbys {
		if _, ok := m.lastBeacon[s.GID]; !ok {
			m.lastBeacon[s.GID] = now
		}
	}

	p := m.pending()
	updated := false
	// Cull standbys first so that only live ones can be promoted.
	for i := 0; i < len(p.Standbys); {
		if m.gone(now, p.Standbys[i].GID) {
			m.dropStandby(p, i, true)
			updated = true
			continue
		}
		i++
	}
	if p.ActiveGID != 0 && m.gone(now, p.ActiveGID) {
		old := p.ActiveName
		m.dropActive(now, p)
		updated = true
		if m.promote(now, p, &e) {
			e.log(clustermap.PrioInfo, "Manager daemon "+old+" is unresponsive, replacing it with standby daemon "+p.ActiveName)
		} else {
			e.log(clustermap.PrioInfo, "Manager daemon "+old+" is unresponsive.  No standby daemons available.")
		}
	} else if p.ActiveGID == 0 && m.promote(now, p, &e) {
		updated = true
	}
	if updated {
		m.commit(now, p, &e)
	}
	return e
}

// Fail is `mgr fail [who]`: who is a name or a gid; empty means the active.
// It returns Ceph's status line; an unknown daemon is not an error (Ceph
// answers 0 with "already failed?").
func (m *MgrMonitor) Fail(now time.Time, who string) (string, Effects) {
	var e Effects
	if who == "" {
		if m.cur.ActiveGID == 0 {
			return "Currently no active mgr", e
		}
		who = m.cur.ActiveName
	}
	p := m.pending()
	changed := false
	if gid, err := strconv.ParseUint(who, 10, 64); err == nil {
		if p.ActiveGID == gid && gid != 0 {
			m.dropActive(now, p)
			changed = true
		} else if i := standbyIndex(p, gid); i >= 0 {
			m.dropStandby(p, i, true)
			changed = true
		}
	} else if p.ActiveName == who && p.ActiveGID != 0 {
		m.dropActive(now, p)
		changed = true
	} else {
		for i, s := range p.Standbys {
			if s.Name == who {
				m.dropStandby(p, i, true)
				changed = true
				break
			}
		}
	}
	if !changed {
		return "Daemon not found '" + who + "', already failed?", e
	}
	if p.ActiveGID == 0 {
		m.promote(now, p, &e)
	}
	m.commit(now, p, &e)
	return "", e
}

// EnableModule is `mgr module enable <module> [--force]`. It returns
// Ceph's retval and status line.
func (m *MgrMonitor) EnableModule(now time.Time, module string, force bool) (int, string, Effects) {
	var e Effects
	if module == "" {
		return EINVAL, "module name is required", e
	}
	if slices.Contains(m.cur.AlwaysOnModules[m.cfg.Release], module) {
		return EOK, "module '" + module + "' is already enabled (always-on)", e
	}
	if !force && !allSupport(m.cur, module) {
		return ENOENT, "all mgr daemons do not support module '" + module + "', pass --force to force enablement", e
	}
	if !force {
		for _, mi := range m.cur.AvailableModules {
			if mi.Name == module && !mi.CanRun {
				return ENOENT, "module '" + module + "' reports that it cannot run on the active manager daemon: " + mi.ErrorString + " (pass --force to force enablement)", e
			}
		}
	}
	if slices.Contains(m.cur.Modules, module) {
		return EOK, "module '" + module + "' is already enabled", e
	}
	p := m.pending()
	p.Modules = sortedUnique(append(p.Modules, module))
	m.commit(now, p, &e)
	return EOK, "", e
}

// DisableModule is `mgr module disable <module>`.
func (m *MgrMonitor) DisableModule(now time.Time, module string) (int, string, Effects) {
	var e Effects
	if module == "" {
		return EINVAL, "module name is required", e
	}
	if slices.Contains(m.cur.AlwaysOnModules[m.cfg.Release], module) {
		return EINVAL, "module '" + module + "' cannot be disabled (always-on)", e
	}
	if !slices.Contains(m.cur.Modules, module) {
		return EOK, "module '" + module + "' is already disabled", e
	}
	p := m.pending()
	out := p.Modules[:0]
	for _, x := range p.Modules {
		if x != module {
			out = append(out, x)
		}
	}
	p.Modules = out
	m.commit(now, p, &e)
	return EOK, "", e
}

// allSupport is MgrMap::all_support_module: the active and every standby
// report the module.
func allSupport(mm *clustermap.MgrMap, module string) bool {
	has := func(l []clustermap.ModuleInfo) bool {
		for _, mi := range l {
			if mi.Name == module {
				return true
			}
		}
		return false
	}
	if !has(mm.AvailableModules) {
		return false
	}
	for _, s := range mm.Standbys {
		if !has(s.AvailableModules) {
			return false
		}
	}
	return true
}

func (m *MgrMonitor) dropActive(now time.Time, p *clustermap.MgrMap) {
	delete(m.lastBeacon, p.ActiveGID)
	delete(m.sessionLost, p.ActiveGID)
	delete(m.runtime, p.ActiveGID)
	delete(m.metadata, p.ActiveName)
	p.ActiveName = ""
	p.ActiveGID = 0
	p.ActiveChange = clustermap.Stamp{Time: now}
	p.ActiveMgrFeatures = 0
	p.Available = false
	p.ActiveAddrs = clustermap.AddrVec{Addrvec: []clustermap.Addr{}}
	p.Services = map[string]string{}
}

func (m *MgrMonitor) dropStandby(p *clustermap.MgrMap, i int, dropMeta bool) {
	s := p.Standbys[i]
	if dropMeta {
		delete(m.metadata, s.Name)
	}
	delete(m.lastBeacon, s.GID)
	delete(m.sessionLost, s.GID)
	delete(m.runtime, s.GID)
	p.Standbys = append(p.Standbys[:i:i], p.Standbys[i+1:]...)
}

// promote makes the lowest-gid standby active (Ceph's promote_standby takes
// the first of its gid-ordered map).
func (m *MgrMonitor) promote(now time.Time, p *clustermap.MgrMap, e *Effects) bool {
	if p.ActiveGID != 0 || len(p.Standbys) == 0 {
		return false
	}
	s := p.Standbys[0]
	p.ActiveGID = s.GID
	p.ActiveName = s.Name
	p.AvailableModules = s.AvailableModules
	p.ActiveMgrFeatures = s.MgrFeatures
	p.Available = false
	p.ActiveAddrs = clustermap.AddrVec{Addrvec: []clustermap.Addr{}}
	p.ActiveChange = clustermap.Stamp{Time: now}
	e.log(clustermap.PrioInfo, "Activating manager daemon "+s.Name)
	m.dropStandby(p, 0, false)
	return true
}

// healthChecks returns MGR_DOWN as Ceph raises it: no active mgr, in a
// cluster that has OSDs (or once had an active mgr) and is past MkfsGrace;
// HEALTH_ERR once no mgr has been available for InactiveGrace. And
// MGR_DUPLICATE_NAME (gomgr's): a daemon refused for the name of a live
// one, while it beacons and the owner holds the name.
func (m *MgrMonitor) healthChecks(now time.Time, numOSDs int, created time.Time, out map[string]clustermap.HealthCheck) {
	m.duplicateCheck(now, out)
	if m.cur.ActiveGID != 0 {
		return
	}
	if numOSDs == 0 && !m.everHadActive {
		return
	}
	if !now.After(created.Add(m.cfg.MkfsGrace)) {
		return
	}
	sev := clustermap.HealthWarn
	if !m.inactiveSince.IsZero() && now.Sub(m.inactiveSince) > m.cfg.InactiveGrace {
		sev = clustermap.HealthErr
	}
	out["MGR_DOWN"] = clustermap.NewCheck(sev, "no active mgr", 0)
}

// duplicateCheck adds MGR_DUPLICATE_NAME, one detail line per duplicate.
func (m *MgrMonitor) duplicateCheck(now time.Time, out map[string]clustermap.HealthCheck) {
	if len(m.dupes) == 0 {
		return
	}
	var detail []string
	for _, gid := range slices.Sorted(maps.Keys(m.dupes)) {
		d := m.dupes[gid]
		if !m.holds(d.owner, d.name) || d.last.Before(now.Add(-m.cfg.BeaconGrace)) {
			continue
		}
		detail = append(detail, fmt.Sprintf("mgr.%s: a second daemon (%s) uses the name of a live one (gid %d)", d.name, d.who(), d.owner))
	}
	if len(detail) == 0 {
		return
	}
	summary := detail[0]
	if len(detail) > 1 {
		summary = fmt.Sprintf("%d mgr daemons use the name of a live one", len(detail))
	}
	out["MGR_DUPLICATE_NAME"] = clustermap.NewCheck(clustermap.HealthWarn, summary, len(detail), detail...)
}

// holds reports whether the committed map gives gid the name name.
func (m *MgrMonitor) holds(gid uint64, name string) bool {
	if gid == m.cur.ActiveGID {
		return m.cur.ActiveName == name
	}
	i := standbyIndex(m.cur, gid)
	return i >= 0 && m.cur.Standbys[i].Name == name
}

func standbyIndex(p *clustermap.MgrMap, gid uint64) int {
	for i, s := range p.Standbys {
		if s.GID == gid {
			return i
		}
	}
	return -1
}

func copyStrMap(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func sortedUnique(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
