package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/cephx"
	"gomgr/clustermap"
	"gomgr/internal/jsontree"
	"gomgr/internal/logging"
	"gomgr/messages"
	"gomgr/monclient"
	"gomgr/msgr"
	"gomgr/msgr/wire"
	"gomgr/pgmap"
	"gomgr/registry"
)

// Config configures a manager daemon.
type Config struct {
	Name string // "x": the mgr's name in the MgrMap
	// MonAddrs are the mons' msgr v1 addresses (gomgr's mon or a real
	// Ceph cluster's: see monclient).
	MonAddrs []string
	// Addr is where the active mgr serves daemon sessions ("127.0.0.1:0").
	Addr string
	// Sources are the module kinds this mgr can run (Python, Go plugins).
	Sources []registry.Source
	// Registry carries queue sizes and deadlines; the host sets Sources,
	// State, Store, MgrID and HealthSink.
	Registry registry.Config
	// TickPeriod is mgr_tick_period: the beacon interval (default 1 s).
	TickPeriod time.Duration
	// StatsPeriod is how often daemons report (mgr_stats_period, 5 s).
	StatsPeriod time.Duration
	// History is how many samples of each counter are kept (60).
	History int
	// Release keys always_on_modules in the MgrMap ("pacific").
	Release string
	Logger  *logrus.Entry
	// ObserveNotify, if set, sees each map's arrival to its NotifyAll (for
	// the latency figures): kind, epoch, and when the mon committed it.
	ObserveMap func(kind string, epoch uint64, committed time.Time)
	// CephConf is the ceph.conf of a real cluster (-c): modules' rados
	// handles read it, and ceph-conf gives the option defaults there.
	CephConf string
	// MetricsAddr, if set, serves Prometheus metrics there ("127.0.0.1:9283");
	// the active advertises the URL in the MgrMap's services.
	MetricsAddr string
	// Cephx, if set, authenticates this mgr with cephx (its key from the
	// cluster's keyring): with the mon, and as the mgr service its daemons
	// and clients connect to. AuthOptional also lets in peers that
	// present no authorizer (auth none allowed beside cephx).
	Cephx        *cephx.Client
	AuthOptional bool
}

// Standby is Ceph's MgrStandby: a mgr daemon that beacons to the mon every
// tick, caches the maps it is sent, and runs the active side when the
// MgrMap names it, and stops it when it no longer does, without restarting
// itself or its modules' host.
//
// Goroutines: run owns role changes (activate, deactivate) and the tick;
// the mon client's dispatch goroutine updates the cache and calls
// NotifyAll in map order; the daemon messenger's dispatch goroutines serve
// reports. Exported methods are safe from any goroutine.
type Standby struct {
	cfg   Config
	log   *logrus.Entry
	monc  *monclient.Client
	fetch *mapFetcher  // maps a real ceph-mon sends in binary, as JSON
	opts  *cephOptions // module options on a real cluster (nil on gomgr's)
	gid   uint64
	state *ClusterState
	store *ConfigStore
	reg   *registry.Registry
	prom  *metrics
	perf  *osdPerfCollector // the modules' OSD perf queries and their counters

	events chan func()
	quit   chan struct{}
	done   chan struct{}
	stop   sync.Once
	runErr atomic.Pointer[error] // why run ended on its own (ErrNameInUse)

	isActive atomic.Bool
	mgrmap   atomic.Pointer[clustermap.MgrMap]
	health   atomic.Pointer[map[string]registry.HealthCheck]
	healthCh chan struct{} // a change to report now
	// beaconNow: a new mon session wants a beacon at once (cap 1).
	beaconNow chan struct{}

	mu   sync.Mutex // guards act
	act  *active
	uris map[string]string // modules' set_uri, published in the beacon
	// progress: the modules' progress events, reported to the mon.
	progress  map[string]registry.ProgressEvent
	configGen uint64 // version of get("config")

	defaults optionDefaults // Ceph's option defaults for this mgr
	clog     clusterLog     // modules' cluster log lines to a real mon
	digest   uint64         // version of health/mon_status values

	sentCmds string // owned by run: the command descriptions last beaconed

	monCmdsOnce sync.Once
	monCmds     map[string]bool // a real mon's own command prefixes
	shadowLog   logging.Once    // module commands not advertised, logged once each
}

// active is the active side: the daemon listener and its sessions.
type active struct {
	ms    *msgr.Messenger
	addrs []wire.EntityAddr

	mu    sync.Mutex
	types map[DaemonKey][]messages.PerfCounterType // declared counters per daemon
	// sessions maps each connection and the name a daemon opened with to
	// its key; a simulated OSD host opens many daemons on one connection.
	sessions map[*msgr.Connection]map[string]DaemonKey
	bad      logging.Once // message types that did not decode
}

// Start connects to the mon, loads the modules (to advertise them) and
// starts beaconing.
func Start(ctx context.Context, cfg Config) (*Standby, error) {
	if cfg.Logger == nil {
		cfg.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.TickPeriod <= 0 {
		cfg.TickPeriod = time.Second
	}
	if cfg.StatsPeriod <= 0 {
		cfg.StatsPeriod = 5 * time.Second
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Release == "" {
		cfg.Release = "pacific"
	}
	s := &Standby{
		cfg: cfg, log: cfg.Logger.WithField("daemon", "mgr."+cfg.Name),
		state: NewClusterState(cfg.History), events: make(chan func(), 64),
		quit: make(chan struct{}), done: make(chan struct{}), healthCh: make(chan struct{}, 1),
		beaconNow: make(chan struct{}, 1), perf: newOSDPerfCollector(),
	}
	s.fetch = newMapFetcher(s)
	s.state.PG.SetStatsPeriod(cfg.StatsPeriod)
	empty := map[string]registry.HealthCheck{}
	s.health.Store(&empty)
	s.setConfigValue(nil)
	// The client is in place before it connects: the mon pushes its
	// monmap right after the auth reply, to a handler that uses s.monc.
	monc, err := monclient.New(monclient.Config{
		MonAddrs: cfg.MonAddrs, Name: wire.EntityName{Type: wire.EntityMgr, Num: -1},
		AuthID: cfg.Name, Handler: s.fromMon, Logger: s.log,
		// A beacon on every new session: gomgr's mon drops a mgr whose
		// session closed and that does not beacon again soon.
		OnSession: s.beaconSoon,
		// The mgr is a service: it verifies its peers' tickets with the
		// rotating secrets of the mgr service.
		Cephx: cfg.Cephx, RotatingSecrets: cfg.Cephx != nil,
	})
	if err != nil {
		return nil, err
	}
	s.monc = monc
	started := false
	defer func() {
		if started {
			return
		}
		if s.reg != nil {
			if err := s.reg.Close(context.Background()); err != nil {
				s.log.WithError(err).Warn("modules did not all stop after a failed start")
			}
		}
		if s.prom != nil {
			s.prom.close()
		}
		monc.Close()
	}()
	if err := monc.Connect(ctx); err != nil {
		return nil, err
	}
	s.gid = monc.GlobalID()
	go s.fetch.run(s.quit)
	s.store = NewConfigStore(monc)
	s.store.lendTo(cfg.Sources) // Go plugins' pins: in the mon, for every mgr
	rc := cfg.Registry
	rc.Sources, rc.State, rc.Store, rc.MgrID = cfg.Sources, s.state, s.store, cfg.Name
	if s.realCeph() {
		s.opts = newCephOptions(monc)
		rc.Options = s.opts
	}
	rc.Logger = s.log
	rc.Cluster = clusterCalls{s}
	if cfg.MetricsAddr != "" {
		s.prom = newMetrics(s)
		rc.ObserveNotify = s.prom.observe
		if err := s.prom.serve(cfg.MetricsAddr); err != nil {
			return nil, err
		}
	}
	rc.HealthSink = func(h map[string]registry.HealthCheck) {
		s.health.Store(&h)
		select {
		case s.healthCh <- struct{}{}:
		default:
		}
	}
	reg, err := registry.New(rc)
	if err != nil {
		return nil, err
	}
	s.reg = reg
	if err := reg.SetStandby(ctx, true); err != nil { // every mgr starts as a standby
		return nil, err
	}
	if err := reg.Load(ctx); err != nil {
		s.log.WithError(err).Warn("module discovery incomplete")
	}
	// The standby keeps its cache warm: at failover it already holds the maps.
	subs := map[string]messages.SubscribeItem{
		messages.SubMgrMap: {}, messages.SubOSDMap: {}, messages.SubMonMap: {}, messages.SubFSMap: {},
		messages.SubServiceMap: {}, "log-info": {}, messages.SubMgrDigest: {},
	}
	if s.opts != nil {
		subs[messages.SubConfig] = messages.SubscribeItem{} // MConfig: the module options
	}
	if err := monc.Subscribe(subs); err != nil {
		return nil, err
	}
	started = true
	go s.run()
	s.log.WithField("gid", s.gid).Info("mgr standby started")
	return s, nil
}

// realCeph reports whether the mon is a real ceph-mon (it did not declare
// itself a gomgr mon): then only Ceph's own encodings are sent to it, and
// the maps it sends in Ceph's binary forms are fetched as JSON.
func (s *Standby) realCeph() bool { return !s.monc.Gomgr() }

// Registry is the module registry (for module ls, commands and metrics).
func (s *Standby) Registry() *registry.Registry { return s.reg }

// State is the cluster-state cache.
func (s *Standby) State() *ClusterState { return s.state }

// GID is this daemon's gid in the MgrMap.
func (s *Standby) GID() uint64 { return s.gid }

// Name is this daemon's name.
func (s *Standby) Name() string { return s.cfg.Name }

// IsActive reports whether this daemon runs the active side.
func (s *Standby) IsActive() bool { return s.isActive.Load() }

// MgrMap is the last MgrMap received, or nil.
func (s *Standby) MgrMap() *clustermap.MgrMap { return s.mgrmap.Load() }

// Addr is the active side's daemon address, or "" on a standby.
func (s *Standby) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.act == nil || len(s.act.addrs) == 0 {
		return ""
	}
	return addrString(s.act.addrs[0])
}

// Messenger is the active side's daemon messenger, or nil.
func (s *Standby) Messenger() *msgr.Messenger {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.act == nil {
		return nil
	}
	return s.act.ms
}

// MetricsURL is where this mgr serves metrics, or "".
func (s *Standby) MetricsURL() string {
	if s.prom == nil {
		return ""
	}
	return s.prom.url
}

// Done is closed when the daemon stops running: after Close, or on its
// own when it cannot go on (Err says why; Close must still be called).
// Safe from any goroutine.
func (s *Standby) Done() <-chan struct{} { return s.done }

// Err is why the daemon stopped on its own, or nil. Safe from any
// goroutine.
func (s *Standby) Err() error {
	if p := s.runErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Close shuts down gracefully: modules stop, the last beacon says
// unavailable, an active mgr hands over (`mgr fail` of itself, so a standby
// takes over now rather than after the beacon grace), the sessions close.
// It returns Err, if any, with what failed on the way.
func (s *Standby) Close(ctx context.Context) error {
	s.stop.Do(func() { close(s.quit) })
	<-s.done
	wasActive := s.IsActive()
	if err := s.reg.SetEnabled(ctx, nil); err != nil {
		s.log.WithError(err).Warn("modules did not all stop")
	}
	s.deactivate(ctx)
	s.beacon(false)
	if wasActive {
		// After the unavailable beacon: a beacon after `mgr fail` would
		// bring this daemon back as a standby.
		if _, err := s.monc.Command(ctx, map[string]any{"prefix": "mgr fail", "who": s.cfg.Name}, nil); err != nil {
			s.log.WithError(err).Warn("hand-over to a standby failed; it will take over after the beacon grace")
		}
	}
	err := s.reg.Close(ctx)
	s.monc.Close()
	if s.prom != nil {
		s.prom.close()
	}
	if rerr := s.Err(); rerr != nil {
		return errors.Join(rerr, err)
	}
	return err
}

// nameTakenBeacons is how many beacons in a row may find this daemon's
// name held by another gid before it stops. A holder that died gives way
// at once in gomgr's mon when its session closed, else after the beacon
// grace (3 s: three or four beacons); past that, every beacon of this
// daemon has been refused beside a live one.
const nameTakenBeacons = 5

// nameCheck counts the beacons in a row that found this daemon's name held
// by another gid, and is ErrNameInUse past nameTakenBeacons. Only with
// gomgr's mon, which refuses a second daemon with the name of a live one
// (this one would wait for ever); a real ceph-mon lets the newest evict
// the other, so its map says nothing of who is alive. On the run
// goroutine.
func (s *Standby) nameCheck(taken *int) error {
	h := s.nameHolder(s.mgrmap.Load())
	if h == 0 || s.realCeph() {
		*taken = 0
		return nil
	}
	if *taken++; *taken < nameTakenBeacons {
		return nil
	}
	return fmt.Errorf("%w: mgr.%s is already running (gid %d) — stop it or pick another name", ErrNameInUse, s.cfg.Name, h)
}

// nameHolder is the gid other than this daemon's that mm gives its name,
// or 0.
func (s *Standby) nameHolder(mm *clustermap.MgrMap) uint64 {
	if mm == nil {
		return 0
	}
	if mm.ActiveGID != 0 && mm.ActiveGID != s.gid && mm.ActiveName == s.cfg.Name {
		return mm.ActiveGID
	}
	for _, sb := range mm.Standbys {
		if sb.GID != s.gid && sb.Name == s.cfg.Name {
			return sb.GID
		}
	}
	return 0
}

func (s *Standby) run() {
	defer close(s.done)
	tick := time.NewTicker(s.cfg.TickPeriod)
	defer tick.Stop()
	var pgVersion uint64
	taken := 0 // beacons in a row that found the name held by another gid
	s.beacon(false)
	for {
		select {
		case f := <-s.events:
			f()
		case <-tick.C:
			s.beacon(s.IsActive())
			if err := s.nameCheck(&taken); err != nil {
				s.log.WithError(err).Error("mgr stopping")
				s.runErr.Store(&err)
				s.stop.Do(func() { close(s.quit) }) // fromMon waits for this loop no more
				return
			}
			s.monc.RenewAuth()
			if s.IsActive() {
				s.state.PG.Tick(time.Now())
				if v := s.state.PG.Version(); v != pgVersion {
					pgVersion = v
					s.reg.NotifyAll("pg_summary", "")
				}
				s.reportToMon()
			}
		case <-s.healthCh:
			if s.IsActive() {
				s.reportToMon()
			}
		case <-s.beaconNow:
			s.beacon(s.IsActive())
		case <-s.quit:
			return
		}
	}
}

// beaconSoon has the run goroutine beacon now (after a new mon session);
// it never blocks: a beacon already asked for is enough.
func (s *Standby) beaconSoon() {
	select {
	case s.beaconNow <- struct{}{}:
	default:
	}
}

// beacon is MgrStandby::send_beacon. The active sends its command
// descriptions until the mgrmap shows it available, and again when they
// change (gomgr's mon takes them from any beacon; a real mon only from the
// first available one, so they list every module that can run).
func (s *Standby) beacon(available bool) {
	mods := s.reg.Modules()
	b := &messages.MgrBeacon{
		Paxos: messages.NewPaxos(0), GID: s.gid, Name: s.cfg.Name, FSID: s.monc.FSID(),
		Available: available, Metadata: s.metadata(), MgrFeatures: wire.FeaturesSupported,
		Modules: clustermap.ModulesToWire(moduleInfos(mods)),
	}
	running := map[string]bool{}
	for _, st := range mods {
		running[st.Name] = st.State == registry.StateRunning
		if !s.realCeph() && st.Name != "" {
			b.Runtime = append(b.Runtime, messages.ModuleRuntime{Name: st.Name, Kind: st.Kind, State: string(st.State)})
		}
	}
	s.mu.Lock()
	if s.act != nil {
		b.Addrs = s.act.addrs
		b.Services = map[string]string{}
		if s.prom != nil {
			b.Services["prometheus"] = s.prom.url
		}
		// A running module's own service (Ceph's prometheus module) takes
		// its name, as ceph-mgr lists the services of its active modules.
		for m, uri := range s.uris {
			if running[m] {
				b.Services[m] = uri
			}
		}
	}
	s.mu.Unlock()
	if available {
		cmds := s.cephCommandDescs()
		key := fmt.Sprint(cmds)
		mm := s.mgrmap.Load()
		if mm == nil || !mm.Available || mm.ActiveGID != s.gid || key != s.sentCmds {
			b.CommandDescs, s.sentCmds = cmds, key
		}
	}
	if err := s.monc.Send(b); err != nil {
		s.log.WithError(err).Debug("beacon not sent")
	}
}

// metadata is what the beacon says of this daemon, with the keys Ceph's
// collect_sys_info gives (`ceph mgr metadata`). The version string keeps
// Ceph's form, naming gomgr where Ceph puts its commit.
func (s *Standby) metadata() map[string]string {
	md := maps.Clone(sysInfo())
	md["ceph_release"] = s.cfg.Release
	md["ceph_version"] = "ceph version " + cephVersion + " (gomgr) " + s.cfg.Release + " (stable)"
	md["ceph_version_short"] = cephVersion
	md["pid"] = strconv.Itoa(os.Getpid())
	s.mu.Lock()
	if s.act != nil && len(s.act.addrs) > 0 {
		md["addr"] = addrString(s.act.addrs[0])
		md["addrs"] = s.act.addrs[0].String()
	}
	s.mu.Unlock()
	return md
}

// moduleInfos converts the registry's listing for the beacon.
func moduleInfos(st []registry.Status) []clustermap.ModuleInfo {
	out := make([]clustermap.ModuleInfo, 0, len(st))
	for _, m := range st {
		if m.State == registry.StateUnloadable && m.Name == "" {
			continue
		}
		opts := map[string]clustermap.ModuleOption{}
		for _, o := range m.Options {
			opts[o.Name] = clustermap.ModuleOption{Name: o.Name, Type: o.Type, Level: "advanced",
				DefaultValue: optString(o.Default), Min: optString(o.Min), Max: optString(o.Max),
				EnumAllowed: o.Enum, Desc: o.Desc, Tags: []string{}, SeeAlso: []string{}}
		}
		// As ceph-mgr's beacon: the reason it cannot run, or why it failed.
		errStr := ""
		if !m.CanRun || m.State == registry.StateFailed {
			errStr = m.Error
		}
		out = append(out, clustermap.ModuleInfo{Name: m.Name, CanRun: m.CanRun, ErrorString: errStr, ModuleOptions: opts})
	}
	return out
}

func optString(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// fromMon handles everything the mon pushes, on the mon client's dispatch
// goroutine, in order: maps land in the cache, then modules hear of them.
func (s *Standby) fromMon(p messages.Payload) {
	switch p := p.(type) {
	case *messages.MgrMapMsg:
		mm := clustermap.MgrMapFromWire(&p.Map)
		s.monc.Advance(messages.SubMgrMap, mm.Epoch)
		s.mgrmap.Store(mm)
		if tree, err := toTree(mm); err != nil {
			s.log.WithError(err).Warn("mgrmap not converted")
		} else {
			s.setMap("mgr_map", mm.Epoch, tree, nil, time.Time{})
		}
		select {
		case s.events <- func() { s.handleMgrMap(mm) }:
		case <-s.quit:
		}
	case *messages.OSDMapMsg:
		if s.realCeph() {
			// Ceph's binary OSDMap: the epoch is fetched as `osd dump`.
			s.monc.Advance(messages.SubOSDMap, uint64(p.NewestMap))
			s.fetch.announce("osd_map", uint64(p.NewestMap))
			return
		}
		s.handleOSDMap(p)
	case *messages.MonMapMsg:
		mm, err := p.Map()
		if err != nil {
			s.log.WithError(err).Warn("monmap not decodable")
			return
		}
		s.monc.Advance(messages.SubMonMap, uint64(mm.Epoch))
		tree, err := monMapTree(mm)
		if err != nil {
			s.log.WithError(err).Warn("monmap not converted")
			return
		}
		s.setMap("mon_map", uint64(mm.Epoch), tree, nil, time.Time{})
	case *messages.FSMapMsg:
		s.monc.Advance(messages.SubFSMap, uint64(p.Epoch))
		if s.realCeph() {
			s.fetch.announce("fs_map", uint64(p.Epoch))
			return
		}
		if tree, err := decodeTree(p.Map.Body); err == nil {
			s.setMap("fs_map", uint64(p.Epoch), tree, p.Map.Body, time.Time{})
		}
	case *messages.ServiceMapMsg:
		// Ceph's binary ServiceMap from a real mon, JSON from gomgr's.
		js, err := p.JSON()
		if err != nil {
			s.log.WithError(err).Warn("service map not decodable")
			return
		}
		tree, err := decodeTree(js)
		if err != nil {
			s.log.WithError(err).Warn("service map not decodable")
			return
		}
		epoch := uint64(0)
		if m, ok := tree.(map[string]any); ok {
			epoch = uint64(toInt(m["epoch"]))
		}
		s.monc.Advance(messages.SubServiceMap, epoch)
		s.setMap("service_map", epoch, tree, js, time.Time{})
	case *messages.Config:
		// The mon pushes every mgr/ config-key after a change (`config-key
		// set mgr/alerts/threshold 3`): modules see it now, not at failover.
		changed := false
		if s.opts != nil {
			// A real mon's MConfig is this daemon's config: module options
			// are its mgr/ entries; the module store stays in config-keys.
			changed = s.opts.replace(p.Config)
			s.setConfigValue(p.Config)
		} else {
			repinned := s.store.pinChanges(p.Config)
			changed = s.store.Replace(p.Config)
			s.retryRepinned(repinned)
		}
		if changed && s.IsActive() {
			s.reg.NotifyAll(registry.KindConfigNotify, "")
		}
	case *messages.MgrDigest:
		s.mu.Lock()
		s.digest++
		v := s.digest
		s.mu.Unlock()
		// As Ceph's get("health") and get("mon_status"): {"json": text}.
		for kind, js := range map[string][]byte{"health": p.HealthJSON, "mon_status": p.MonStatusJSON} {
			if !json.Valid(js) {
				s.log.WithField("kind", kind).Warn("mgr digest: invalid JSON dropped")
				continue
			}
			tree := map[string]any{"json": string(js)}
			raw, err := json.Marshal(tree)
			if err != nil {
				continue
			}
			s.setMap(kind, v, tree, raw, time.Time{})
		}
	case *messages.LogAck:
		s.clog.ack(p.Last)
	case *messages.Log:
		for _, e := range p.Entries {
			if !s.IsActive() {
				return
			}
			entry, err := json.Marshal(map[string]any{"name": e.Name.String(), "stamp": e.Stamp.Time().Format(time.RFC3339Nano),
				"seq": e.Seq, "channel": e.Channel, "priority": e.Prio, "message": e.Msg})
			if err != nil {
				s.log.WithError(err).Warn("cluster log entry not encodable")
				continue
			}
			s.reg.NotifyAll("clog", string(entry))
		}
	}
}

// setMap caches a map epoch and, on the active, tells the modules; raw is
// the JSON it came as, if it came as JSON.
func (s *Standby) setMap(kind string, epoch uint64, tree any, raw []byte, committed time.Time) {
	ok := false
	if raw != nil {
		ok = s.state.SetMapJSON(kind, epoch, tree, raw)
	} else {
		ok = s.state.SetMap(kind, epoch, tree)
	}
	if !ok {
		return
	}
	if kind == "osd_map" {
		if m, isMap := tree.(map[string]any); isMap {
			if err := s.state.PG.ApplyOSDMap(m, time.Now()); err != nil {
				s.log.WithError(err).Warn("osdmap not applied to the PG map")
			}
		}
	}
	if !s.IsActive() {
		return
	}
	s.reg.NotifyAll(kind, strconv.FormatUint(epoch, 10))
	if s.cfg.ObserveMap != nil {
		s.cfg.ObserveMap(kind, epoch, committed)
	}
}

// handleOSDMap caches the newest epoch of an MOSDMap, full or as
// incrementals over the cached epoch; when those do not apply (a gap, a
// bad one) it asks the mon for the full map instead of guessing.
func (s *Standby) handleOSDMap(p *messages.OSDMapMsg) {
	have := s.state.Epoch("osd_map")
	var tree any
	if v, err := s.state.Get("osd_map"); err == nil {
		tree = v.Data
	}
	epoch, next, raw, err := osdMapUpdate(p, have, tree)
	if err != nil {
		s.log.WithError(err).WithField("epoch", p.NewestMap).Warn("osdmap not applied: asking the mon for a full map")
		// Start 0 is "the current map", which the mon always sends whole.
		if err := s.monc.Subscribe(map[string]messages.SubscribeItem{messages.SubOSDMap: {}}); err != nil {
			s.log.WithError(err).Warn("osdmap resubscribe failed")
		}
		return
	}
	if next == nil {
		return
	}
	s.monc.Advance(messages.SubOSDMap, epoch)
	s.setMap("osd_map", epoch, next, raw, modifiedStamp(next))
	s.fetch.crushDue()
}

// handleMgrMap is MgrStandby::handle_mgr_map, on the run goroutine.
func (s *Standby) handleMgrMap(mm *clustermap.MgrMap) {
	ctx := context.Background()
	switch {
	case mm.ActiveGID == s.gid && !s.IsActive():
		if err := s.activate(ctx); err != nil {
			s.log.WithError(err).Error("activation failed")
			return
		}
	case mm.ActiveGID != s.gid && s.IsActive():
		s.log.WithField("active", mm.ActiveName).Warn("no longer the active mgr: returning to standby")
		s.deactivate(ctx)
	}
	// Both roles follow the enabled set: the active runs the modules, a
	// standby those that run on standbys (the registry's standby role).
	enabled := slices.Clone(mm.Modules)
	enabled = append(enabled, mm.AlwaysOnModules[s.cfg.Release]...)
	s.discover(ctx, enabled)
	if err := s.reg.SetEnabled(ctx, enabled); err != nil {
		s.log.WithError(err).Warn("module set not fully applied")
	}
}

// discover rescans the module sources when an enabled module is unknown
// here: one dropped into a module directory after this mgr started (Ceph
// needs a restart for that).
func (s *Standby) discover(ctx context.Context, enabled []string) {
	known := map[string]bool{}
	for _, st := range s.reg.Modules() {
		known[st.Name] = true
	}
	for _, name := range enabled {
		if !known[name] {
			if err := s.reg.Rescan(ctx); err != nil {
				s.log.WithError(err).Warn("module rescan incomplete")
			}
			return
		}
	}
}

// clientAuth is how the mgr authenticates the sessions it opens to
// daemons (a module's send_command to an OSD): an authorizer from its
// cephx tickets, or Ceph's AuthNone one.
func (s *Standby) clientAuth() msgr.Auth {
	if s.cfg.Cephx == nil {
		return cephx.NoneAuth{Name: messages.AuthName{Type: uint32(wire.EntityMgr), ID: s.cfg.Name}, GlobalID: s.monc.GlobalID}
	}
	return &cephx.MsgrAuth{Client: s.cfg.Cephx}
}

func (s *Standby) activate(ctx context.Context) error {
	a := &active{types: map[DaemonKey][]messages.PerfCounterType{}, sessions: map[*msgr.Connection]map[string]DaemonKey{}}
	var auth msgr.Auth
	if cx := s.cfg.Cephx; cx != nil {
		auth = &cephx.MsgrAuth{Client: cx, Service: cephx.ServiceMgr, Optional: s.cfg.AuthOptional,
			Secrets: func(_ uint32, id uint64) (cephx.Key, bool) { return cx.ServiceSecret(id) }}
	}
	ms, err := msgr.New(msgr.Config{
		Name:          wire.EntityName{Type: wire.EntityMgr, Num: int64(s.gid)},
		Dispatcher:    &daemonServer{s: s, a: a},
		DefaultPolicy: msgr.StatelessServer(),
		Logger:        s.log,
		Auth:          auth,
		// Without cephx a daemon counts as known once its MMgrOpen is
		// accepted, and a real OSD's carries its config (about 70 KB).
		MaxPreAuthBytes: 1 << 20,
	})
	if err != nil {
		return fmt.Errorf("host: daemon messenger: %w", err)
	}
	if err := ms.Bind(s.cfg.Addr); err != nil {
		return fmt.Errorf("host: bind %s: %w", s.cfg.Addr, err)
	}
	if err := ms.Start(); err != nil {
		return fmt.Errorf("host: start messenger: %w", err)
	}
	a.ms, a.addrs = ms, []wire.EntityAddr{ms.Addr()}
	// get("mgr_ips"): the addresses modules serve on (Ceph's prometheus binds there).
	if ip, ok := netip.AddrFromSlice(ms.Addr().IP); ok {
		s.state.SetMap("mgr_ips", s.gid, map[string]any{"ips": []any{ip.Unmap().String()}})
	}
	if err := s.store.Load(ctx); err != nil {
		s.log.WithError(err).Warn("module store not loaded; will retry on first use")
	}
	// The modules that start now add their perf queries afresh.
	s.perf.clear()
	// The standby instances stop; the enabled modules start as active.
	if err := s.reg.SetStandby(ctx, false); err != nil {
		s.log.WithError(err).Warn("standby modules did not all stop")
	}
	s.mu.Lock()
	s.act = a
	s.mu.Unlock()
	s.isActive.Store(true)
	s.log.WithField("addr", addrString(a.addrs[0])).Info("mgr active")
	s.beacon(true)
	return nil
}

func (s *Standby) deactivate(ctx context.Context) {
	s.mu.Lock()
	a := s.act
	s.act = nil
	s.mu.Unlock()
	if a == nil {
		return
	}
	s.isActive.Store(false)
	// Back to the standby role: the modules stop, those that run on
	// standbys start again as such.
	if err := s.reg.SetStandby(ctx, true); err != nil {
		s.log.WithError(err).Warn("modules did not all stop")
	}
	a.ms.Shutdown()
	a.ms.Wait()
}

// reportToMon sends the modules' health checks, services and the PG
// summary (Ceph's MMonMgrReport).
func (s *Standby) reportToMon() {
	// As Ceph's DaemonServer::send_report: nothing until every up OSD has
	// reported (or four stats periods have passed), so the mon never shows
	// a half-filled PG map.
	if !s.state.PG.Ready() {
		return
	}
	checks := map[string]messages.HealthCheck{}
	for code, c := range *s.health.Load() {
		sev := messages.HealthWarn
		if c.Severity == "error" || c.Severity == clustermap.HealthErr {
			sev = messages.HealthError
		}
		checks[code] = messages.HealthCheck{Severity: sev, Summary: c.Summary, Detail: c.Detail, Count: int64(c.Count)}
	}
	report := &messages.MonMgrReport{Paxos: messages.NewPaxos(0), HealthChecks: checks, GID: s.gid,
		ProgressEvents: map[string]messages.RawStruct{}}
	s.mu.Lock()
	for id, ev := range s.progress {
		report.ProgressEvents[id] = messages.ProgressEvent{Message: ev.Message, Progress: float32(ev.Progress),
			AddToCephS: ev.AddToCephS}.Raw()
	}
	s.mu.Unlock()
	if s.realCeph() {
		// Ceph's own PGMapDigest, or the mon aborts decoding it. An empty
		// service map leaves the mon's as it is.
		for code, c := range s.state.PG.HealthChecks() {
			sev := messages.HealthWarn
			if c.Severity == clustermap.HealthErr {
				sev = messages.HealthError
			}
			checks[code] = messages.HealthCheck{Severity: sev, Summary: c.Summary, Detail: c.Detail, Count: c.Count}
		}
		report.PGDigest = s.state.PG.Digest().Marshal()
	} else {
		pj, err := json.Marshal(s.pgSummary())
		if err != nil {
			s.log.WithError(err).Warn("pg summary not encodable")
			return
		}
		report.PGDigest = messages.EncodeJSONMap(pj)
	}
	if err := s.monc.Send(report); err != nil {
		s.log.WithError(err).Debug("report to the mon not sent")
	}
}

// pgSummary is the PG map's digest in the form gomgr's mon takes it.
func (s *Standby) pgSummary() clustermap.PGSummary {
	g := s.state.PG.Digest()
	sum := g.PGSum.Stats.Sum
	out := clustermap.PGSummary{NumPGs: int(g.NumPG), NumPools: len(g.PoolSum), NumObjects: uint64(max(sum.NumObjects, 0)),
		DataBytes: uint64(max(sum.NumBytes, 0)), BytesTotal: g.OSDSum.Statfs.Total, BytesAvail: g.OSDSum.Statfs.Available,
		BytesUsed:  g.OSDSum.Statfs.Total - min(g.OSDSum.Statfs.Available, g.OSDSum.Statfs.Total),
		PGsByState: []clustermap.PGStateCount{}}
	for _, st := range g.NumPGByState {
		out.PGsByState = append(out.PGsByState, clustermap.PGStateCount{StateName: pgmap.PGStateString(st.State), Count: int(st.Count)})
	}
	return out
}

// daemonServer serves daemon sessions on the active side (DaemonServer in
// Ceph): MMgrOpen, MMgrReport and module commands.
type daemonServer struct {
	s *Standby
	a *active
}

// setConfig records the options a daemon says it set (config_bl; empty:
// unchanged since it last sent one). A config that does not decode is
// logged and the last one kept.
func (d *daemonServer) setConfig(c *msgr.Connection, key DaemonKey, bl []byte) {
	if len(bl) == 0 {
		return
	}
	cfg, err := messages.ParseDaemonConfig(bl)
	if err == nil {
		err = d.s.state.Daemons.SetConfig(key, cfg)
	}
	if err != nil {
		d.s.log.WithError(err).WithField("peer", c.String()).WithField("daemon", key).Warn("daemon config not recorded")
	}
}

func (d *daemonServer) Dispatch(c *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		l := d.s.log.WithError(err).WithField("peer", c.String()).WithField("type", m.Type)
		if d.a.bad.First(fmt.Sprint(m.Type)) {
			l.Warn("undecodable message from a daemon dropped (further ones of this type are logged at debug level)")
		} else {
			l.Debug("undecodable message from a daemon dropped")
		}
		return
	}
	switch p := p.(type) {
	case *messages.MgrOpen:
		key, err := daemonKey(c.PeerType(), p)
		if err != nil {
			d.s.log.WithError(err).WithField("peer", c.String()).Warn("open refused")
			return
		}
		c.SetAuthenticated() // its reports may exceed msgr's MaxPreAuthBytes
		d.s.state.Daemons.Open(key, p.DaemonMetadata["hostname"], p.DaemonMetadata)
		d.setConfig(c, key, p.ConfigBL)
		d.a.mu.Lock()
		if d.a.sessions[c] == nil {
			d.a.sessions[c] = map[string]DaemonKey{}
		}
		d.a.sessions[c][p.DaemonName] = key
		delete(d.a.types, key) // a new session declares its counters again
		d.a.mu.Unlock()
		// With the perf queries for an OSD; the session is open, so a
		// query added from now on reaches it too.
		if err := c.Send(d.s.mgrConfigure(c.PeerType(), false)); err != nil {
			// The session is closing: the daemon opens a new one.
			d.s.log.WithError(err).WithField("daemon", p.DaemonName).Debug("mgr configure not sent")
		}
	case *messages.MgrReport:
		d.a.mu.Lock()
		key, ok := d.a.sessions[c][p.DaemonName]
		d.a.mu.Unlock()
		if !ok {
			d.s.log.WithField("peer", c.String()).WithField("daemon", p.DaemonName).Warn("report before open dropped")
			return
		}
		d.setConfig(c, key, p.ConfigBL)
		if err := d.report(key, p); err != nil {
			d.s.log.WithError(err).WithField("peer", c.String()).WithField("daemon", key).Warn("report rejected")
		}
		if c.PeerType() == wire.EntityOSD {
			d.perfReports(key, p)
		}
	case *messages.PGStats: // DaemonServer::handle_pgstats
		if err := d.pgStats(c, m.Src, p); err != nil {
			d.s.log.WithError(err).WithField("peer", c.String()).Warn("pg stats rejected")
		}
	case *messages.MgrCommand:
		c.SetAuthenticated() // a CLI sends no MMgrOpen: a command that decodes stands for it
		d.reply(c, m.Tid, d.command(c, p))
	case *messages.TellCommand: // `ceph tell mgr ...`
		c.SetAuthenticated()
		d.reply(c, m.Tid, &messages.TellCommandReply{MgrCommandReply: *d.command(c, &p.MgrCommand)})
	default:
		d.s.log.WithField("type", fmt.Sprintf("%T", p)).Debug("message not for the mgr, dropped")
	}
}

func (d *daemonServer) reply(c *msgr.Connection, tid uint64, p messages.Payload) {
	m := messages.Encode(p)
	m.Tid = tid
	if err := c.Send(m); err != nil {
		d.s.log.WithError(err).WithField("peer", c.String()).Debug("command reply not sent")
	}
}

// pgStats is DaemonServer::handle_pgstats: an OSD's MPGStats, from an OSD
// that opened a session on this connection, into the PGMap. A stats
// message that does not decode changes nothing.
func (d *daemonServer) pgStats(c *msgr.Connection, src wire.EntityName, p *messages.PGStats) error {
	if src.Type != wire.EntityOSD {
		return fmt.Errorf("%w: pg stats from %s", ErrUnknownDaemon, src)
	}
	id := strconv.FormatInt(src.Num, 10)
	d.a.mu.Lock()
	opened := false
	for _, k := range d.a.sessions[c] {
		opened = opened || k == DaemonKey{"osd", id}
	}
	d.a.mu.Unlock()
	if !opened {
		return fmt.Errorf("%w: osd.%s has no session here", ErrUnknownDaemon, id)
	}
	st, err := p.Typed()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrReportMismatch, err)
	}
	return d.s.state.PG.Ingest(int32(src.Num), st, time.Now())
}

// HandleReset and the other connection events forget a closed session.
func (d *daemonServer) HandleReset(c *msgr.Connection) {
	d.a.mu.Lock()
	delete(d.a.sessions, c)
	d.a.mu.Unlock()
}

func (d *daemonServer) HandleRemoteReset(c *msgr.Connection) { d.HandleReset(c) }
func (d *daemonServer) HandleRefused(c *msgr.Connection)     { d.HandleReset(c) }
func (d *daemonServer) HandleConnect(*msgr.Connection)       {}
func (d *daemonServer) HandleAccept(*msgr.Connection)        {}

var _ msgr.ConnEventHandler = (*daemonServer)(nil)

// perfReports adds an OSD's perf query reports to the modules' counters:
// a pacific OSD sends them in the metric report, older ones in the map
// before it (DaemonServer::handle_report reads both).
func (d *daemonServer) perfReports(key DaemonKey, p *messages.MgrReport) {
	err := d.s.perf.process(p.OSDPerfMetricReports)
	if r := p.MetricReport; r != nil && r.Type == messages.MetricTypeOSD {
		err = errors.Join(err, d.s.perf.process(r.OSD))
	}
	if err != nil {
		d.s.log.WithError(err).WithField("daemon", key).Debug("osd perf counters left out")
	}
}

// report applies one MMgrReport. Reports are checked whole before any of
// it lands: a bad one changes nothing.
func (d *daemonServer) report(key DaemonKey, p *messages.MgrReport) error {
	if _, known := d.s.state.Metadata(key.Type, key.ID); !known {
		return fmt.Errorf("%w: %s", ErrUnknownDaemon, key)
	}
	d.a.mu.Lock()
	types := d.a.types[key]
	if len(p.DeclareTypes) > 0 || len(p.UndeclareTypes) > 0 {
		types = slices.DeleteFunc(slices.Clone(types), func(t messages.PerfCounterType) bool {
			return slices.Contains(p.UndeclareTypes, t.Path)
		})
		types = append(types, p.DeclareTypes...)
	}
	d.a.mu.Unlock()
	vals, err := messages.UnpackCounters(types, p.Packed)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrReportMismatch, err)
	}
	d.a.mu.Lock()
	d.a.types[key] = types
	d.a.mu.Unlock()
	if len(p.DeclareTypes) > 0 || len(p.UndeclareTypes) > 0 {
		schema := make(map[string]registry.PerfCounter, len(types))
		order := make([]string, 0, len(types))
		for _, t := range types {
			schema[t.Path] = registry.PerfCounter{Type: int(t.Type), Description: t.Description, Nick: t.Nick,
				Priority: int(t.Priority), Units: int(t.Unit)}
			order = append(order, t.Path)
		}
		if err := d.s.state.Daemons.Declare(key, schema, order); err != nil {
			return err
		}
	}
	order := make([]registry.Sample, 0, len(types))
	for _, t := range types {
		v := vals[t.Path]
		f := float64(v.Value)
		if t.Type&messages.PerfTime != 0 {
			f /= 1e9 // time counters travel in nanoseconds
		}
		order = append(order, registry.Sample{V: f, Count: v.AvgCount})
	}
	if err := d.s.state.Daemons.Report(key, time.Now(), order); err != nil {
		return err
	}
	return nil
}

func (d *daemonServer) command(c *msgr.Connection, p *messages.MgrCommand) *messages.MgrCommandReply {
	reply := &messages.MgrCommandReply{}
	args := map[string]any{}
	switch {
	case len(p.Cmd) == 0:
		reply.R, reply.RS = codeEINVAL, "no command"
	case json.Unmarshal([]byte(p.Cmd[0]), &args) != nil:
		reply.R, reply.RS = codeEINVAL, "invalid command json"
	case args["prefix"] == "get_command_descriptions":
		js, err := cephDescriptions(d.s.commandDescriptions())
		if err != nil {
			reply.R, reply.RS = codeEIO, err.Error()
		}
		reply.Outbl = js
	default:
		if why := d.s.denied(c, args); why != "" {
			reply.R, reply.RS = codeEACCES, why
			return reply
		}
		ret, status, out := d.s.mgrCommand(context.Background(), args, string(p.Inbl))
		reply.R, reply.RS, reply.Outbl = int32(ret), status, out
	}
	return reply
}

// denied says why a peer authenticated with cephx may not run a command:
// its mgr caps (from its ticket) do not grant the command's perm, as
// DaemonServer::_allowed_command checks MgrCap. Peers without a ticket
// (auth none) are not checked.
func (s *Standby) denied(c *msgr.Connection, args map[string]any) string {
	v, ok := c.AuthInfo().(cephx.Verified)
	if !ok {
		return ""
	}
	if v.Ticket.AllowAll {
		return ""
	}
	caps, err := cephx.ParseCaps(v.Ticket.Caps)
	if err != nil {
		return fmt.Sprintf("access denied: %s's mgr caps do not parse: %v", v.Ticket.Name, err)
	}
	prefix, _ := args["prefix"].(string)
	if caps.Allows(prefix, "rwx") {
		return "" // allow *, or the command by name: its perm does not matter
	}
	perm := "rw" // a command no one declared: the strictest of the usual perms
	for _, d := range s.commandDescriptions() {
		if registry.CommandPrefix(d.Cmd) == prefix {
			perm = d.Perm
			break
		}
	}
	if !caps.Allows(prefix, perm) {
		return fmt.Sprintf("access denied: %s's mgr caps %q do not allow %q (perm %s)", v.Ticket.Name, v.Ticket.Caps, prefix, perm)
	}
	return ""
}

// mgrCommand runs one of the mgr's commands (PG commands, builtins, the
// modules'): retval, status and output, as MMgrCommandReply carries them.
func (s *Standby) mgrCommand(ctx context.Context, args map[string]any, inbuf string) (int, string, []byte) {
	if out, status, ret, ok := s.state.PG.Command(args); ok {
		return ret, status, out
	}
	res, ok := s.builtinCommand(args)
	var err error
	if !ok {
		res, err = s.reg.HandleCommand(ctx, registry.Command{Args: args, Inbuf: inbuf})
	}
	switch {
	case errors.Is(err, registry.ErrUnknownCommand):
		return codeEINVAL, fmt.Sprintf("unrecognized command %q", args["prefix"]), nil
	case errors.Is(err, registry.ErrNotEnabled):
		return codeEOPNOTSUPP, err.Error(), nil // as Ceph's mgr answers
	case err != nil:
		return codeEIO, err.Error(), nil // EIO: the module failed
	}
	out := res.Stdout
	if !ok && out != "" {
		// Ceph's mgr ends a module's output with exactly one newline.
		out = strings.TrimRight(out, "\n") + "\n"
	}
	return res.Retval, res.Stderr, []byte(out)
}

// decodeTree decodes JSON into the tree modules read: integers stay
// integers (int64), other numbers float64. Every osdmap epoch goes through
// it before modules hear of the epoch, so it is the fast parser.
func decodeTree(js []byte) (any, error) { return jsontree.Parse(js) }

func toInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case uint64:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// modifiedStamp reads an osdmap's "modified" time: when the mon committed it.
func modifiedStamp(tree any) time.Time {
	m, _ := tree.(map[string]any)
	s, _ := m["modified"].(string)
	var st clustermap.Stamp
	if err := st.UnmarshalJSON([]byte(strconv.Quote(s))); err != nil {
		return time.Time{}
	}
	return st.Time
}

// monMapTree gives get("mon_map") the shape of Ceph's MonMap::dump: that of
// `ceph mon dump -f json` without its quorum, which the map does not hold.
func monMapTree(mm *messages.MonMap) (any, error) {
	tree, err := toTree(clustermap.MonMapFromWire(mm))
	if err != nil {
		return nil, err
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("host: mon map is a %T, not an object", tree)
	}
	delete(m, "quorum")
	return m, nil
}

// toTree converts a value to the plain tree modules read, through its JSON.
func toTree(v any) (any, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("host: %T to a tree: %w", v, err)
	}
	return decodeTree(js)
}

func addrString(a wire.EntityAddr) string {
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return ""
	}
	return netip.AddrPortFrom(ip.Unmap(), a.Port).String()
}
