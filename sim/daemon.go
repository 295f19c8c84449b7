package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/cephx"
	"gomgr/clustermap"
	"gomgr/messages"
	"gomgr/monclient"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// ClusterConfig configures the simulated daemons.
type ClusterConfig struct {
	MonAddr     string
	OSDs        int
	OSDsPerHost int // OSDs sharing one simulated host (one messenger); default 4
	Seed        uint64
	Pools       []PoolSpec
	IOPS        float64
	// BeaconPeriod is how often an up OSD tells the mon it lives (1 s).
	BeaconPeriod time.Duration
	// ReportPeriod is how often OSDs report to the mgr until the mgr's
	// MMgrConfigure says otherwise (5 s).
	ReportPeriod time.Duration
	// FailEvery, when set, fails a random up OSD that often and brings it
	// back RecoverAfter later: the demo's weather.
	FailEvery    time.Duration
	RecoverAfter time.Duration
	Logger       *logrus.Entry
	// Cephx, if set, authenticates the simulator with cephx: its mon
	// session, and its hosts' sessions with the mgr (authorizers).
	Cephx *cephx.Client
}

// Cluster runs simulated OSDs against a mon and the active mgr. One
// goroutine owns the Model and sends everything; other goroutines reach it
// through Fail, Recover and Close.
type Cluster struct {
	cfg   ClusterConfig
	log   *logrus.Entry
	model *Model
	monc  *monclient.Client
	hosts []*simHost
	fsid  string

	started bool
	in      chan func()
	quit    chan struct{}
	done    chan struct{}
	stop    sync.Once

	mu      sync.Mutex
	mgrAddr string // the active mgr's address, from the MgrMap
	reports uint64
	period  time.Duration

	epoch atomic.Uint32 // the newest osdmap epoch seen, for pg stats
	seq   uint64        // MPGStats sequence, owned by the report loop
}

// simHost is one simulated machine: one messenger carrying its OSDs'
// sessions to the mon and the mgr, each message stamped with its OSD.
type simHost struct {
	name     string
	ms       *msgr.Messenger
	osds     []int
	mgr      *msgr.Connection
	declared map[int]bool
}

// StartCluster creates the pools, boots every OSD and starts reporting.
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	if cfg.OSDsPerHost <= 0 {
		cfg.OSDsPerHost = 4
	}
	if cfg.BeaconPeriod <= 0 {
		cfg.BeaconPeriod = time.Second
	}
	if cfg.ReportPeriod <= 0 {
		cfg.ReportPeriod = 5 * time.Second
	}
	if cfg.RecoverAfter <= 0 {
		cfg.RecoverAfter = 20 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	c := &Cluster{
		cfg: cfg, log: cfg.Logger.WithField("daemon", "sim"),
		model: New(Config{OSDs: cfg.OSDs, Pools: cfg.Pools, Seed: cfg.Seed, IOPS: cfg.IOPS}),
		in:    make(chan func(), 256), quit: make(chan struct{}), done: make(chan struct{}),
		period: cfg.ReportPeriod,
	}
	monc, err := monclient.Dial(ctx, monclient.Config{MonAddrs: []string{cfg.MonAddr},
		Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, Handler: c.fromMon, Logger: c.log,
		Cephx: cfg.Cephx})
	if err != nil {
		return nil, err
	}
	c.monc = monc
	res, err := monc.Command(ctx, map[string]any{"prefix": "osd dump", "format": "json"}, nil)
	if err != nil {
		monc.Close()
		return nil, err
	}
	var osdmap struct {
		FSID  string `json:"fsid"`
		Pools []struct {
			Name string `json:"pool_name"`
		} `json:"pools"`
	}
	if err := json.Unmarshal(res.Out, &osdmap); err != nil {
		monc.Close()
		return nil, fmt.Errorf("sim: osd dump: %w", err)
	}
	c.fsid = osdmap.FSID
	have := map[string]bool{}
	for _, p := range osdmap.Pools {
		have[p.Name] = true
	}
	for _, p := range c.model.Pools() {
		if have[p.Name] {
			continue
		}
		res, err := monc.Command(ctx, map[string]any{"prefix": "osd pool create", "pool": p.Name,
			"pg_num": p.PGNum, "size": p.Size}, nil)
		if err != nil || res.Retval != 0 {
			monc.Close()
			return nil, fmt.Errorf("sim: pool create %s: %v %s", p.Name, err, res.Status)
		}
	}
	for first := 0; first < cfg.OSDs; first += cfg.OSDsPerHost {
		h := &simHost{name: "node" + strconv.Itoa(len(c.hosts)+1), declared: map[int]bool{}}
		for id := first; id < min(first+cfg.OSDsPerHost, cfg.OSDs); id++ {
			h.osds = append(h.osds, id)
		}
		var auth msgr.Auth
		if cfg.Cephx != nil {
			auth = &cephx.MsgrAuth{Client: cfg.Cephx}
		}
		h.ms, err = msgr.New(msgr.Config{
			Name: wire.EntityName{Type: wire.EntityOSD, Num: int64(first)}, Workers: 1,
			Dispatcher: hostDispatcher{c, h}, DefaultPolicy: msgr.LossyClient(), Logger: c.log.WithField("host", h.name),
			BackoffMax: time.Second, Auth: auth,
		})
		if err == nil {
			err = h.ms.Start()
		}
		if err != nil {
			c.shutdownHosts()
			monc.Close()
			return nil, fmt.Errorf("sim: host messenger: %w", err)
		}
		c.hosts = append(c.hosts, h)
	}
	if err := monc.Subscribe(map[string]messages.SubscribeItem{messages.SubMgrMap: {}, messages.SubOSDMap: {}}); err != nil {
		c.Close()
		return nil, err
	}
	for _, h := range c.hosts {
		for _, id := range h.osds {
			c.boot(h, id)
		}
	}
	c.started = true
	go c.run()
	c.log.WithField("osds", cfg.OSDs).WithField("hosts", len(c.hosts)).Info("simulated cluster started")
	return c, nil
}

// Model runs f with the model on the owner goroutine and waits.
func (c *Cluster) Model(f func(m *Model)) {
	ran := make(chan struct{})
	select {
	case c.in <- func() { f(c.model); close(ran) }:
		<-ran
	case <-c.done:
	}
}

// Fail stops an OSD: it no longer beacons or reports, so the mon marks it
// down after its grace. Safe from any goroutine.
func (c *Cluster) Fail(id int) error {
	var err error
	c.Model(func(m *Model) { err = m.SetUp(id, false) })
	return err
}

// Recover restarts a failed OSD: it boots to the mon again.
func (c *Cluster) Recover(id int) error {
	var err error
	c.Model(func(m *Model) {
		if err = m.SetUp(id, true); err == nil {
			c.boot(c.hostOf(id), id)
		}
	})
	return err
}

// Reports is how many MMgrReports have been sent.
func (c *Cluster) Reports() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reports
}

// Close stops every simulated daemon and waits. Safe more than once.
func (c *Cluster) Close() {
	c.stop.Do(func() {
		close(c.quit)
		if c.started {
			<-c.done
		}
		c.shutdownHosts()
		c.monc.Close()
	})
}

func (c *Cluster) shutdownHosts() {
	for _, h := range c.hosts {
		h.ms.Shutdown()
		h.ms.Wait()
	}
}

func (c *Cluster) hostOf(id int) *simHost { return c.hosts[id/c.cfg.OSDsPerHost] }

func (c *Cluster) run() {
	defer close(c.done)
	step := time.NewTicker(time.Second)
	defer step.Stop()
	beacon := time.NewTicker(c.cfg.BeaconPeriod)
	defer beacon.Stop()
	report := time.NewTicker(c.period)
	defer report.Stop()
	var weather <-chan time.Time
	if c.cfg.FailEvery > 0 {
		t := time.NewTicker(c.cfg.FailEvery)
		defer t.Stop()
		weather = t.C
	}
	type recovery struct {
		id int
		at time.Time
	}
	var pending []recovery
	last := time.Now()
	for {
		select {
		case f := <-c.in:
			f()
		case now := <-step.C:
			c.model.Step(now.Sub(last))
			last = now
			for len(pending) > 0 && now.After(pending[0].at) {
				id := pending[0].id
				pending = pending[1:]
				_ = c.model.SetUp(id, true)
				c.boot(c.hostOf(id), id)
				c.log.WithField("osd", id).Info("simulated osd recovered")
			}
		case <-beacon.C:
			c.beaconAll()
		case <-report.C:
			c.reportAll()
			c.mu.Lock()
			p := c.period
			c.mu.Unlock()
			report.Reset(p)
		case now := <-weather:
			up := []int{}
			for id := range c.model.NumOSDs() {
				if c.model.Up(id) {
					up = append(up, id)
				}
			}
			if len(up) > 1 {
				id := up[c.model.Rand().IntN(len(up))]
				_ = c.model.SetUp(id, false)
				pending = append(pending, recovery{id, now.Add(c.cfg.RecoverAfter)})
				c.log.WithField("osd", id).Info("simulated osd failed")
			}
		case <-c.quit:
			return
		}
	}
}

// send stamps a message with its OSD: a host's messenger carries several.
func send(conn *msgr.Connection, id int, p messages.Payload) {
	if conn == nil {
		return
	}
	m := messages.Encode(p)
	m.Src = wire.EntityName{Type: wire.EntityOSD, Num: int64(id)}
	_ = conn.Send(m)
}

// toMon sends an OSD's message to the mon on the simulator's one mon
// session (authenticated, with cephx), stamped with the OSD.
func (c *Cluster) toMon(id int, p messages.Payload) {
	if err := c.monc.SendFrom(wire.EntityName{Type: wire.EntityOSD, Num: int64(id)}, p); err != nil {
		c.log.WithError(err).Debug("mon unreachable")
	}
}

func (c *Cluster) boot(h *simHost, id int) {
	addr := h.ms.Addr()
	sb, _ := json.Marshal(map[string]any{"whoami": id, "cluster_fsid": c.fsid,
		"osd_fsid": fmt.Sprintf("%08x-0000-4000-8000-%012x", id, c.cfg.Seed)})
	c.toMon(id, &messages.OSDBoot{
		Paxos: messages.NewPaxos(0), Superblock: messages.JSONStruct(sb),
		HBBackAddrs: []wire.EntityAddr{addr}, HBFrontAddrs: []wire.EntityAddr{addr}, ClusterAddrs: []wire.EntityAddr{addr},
		Metadata: osdMetadata(h.name, id), OSDFeatures: wire.FeaturesSupported,
	})
	if h.mgr != nil {
		c.open(h, id)
	}
}

func osdMetadata(host string, id int) map[string]string {
	return map[string]string{"hostname": host, "id": strconv.Itoa(id), "ceph_version": "gomgr-sim",
		"ceph_release": "pacific", "osd_objectstore": "memstore", "arch": "x86_64", "default_device_class": "hdd"}
}

func (c *Cluster) beaconAll() {
	for _, h := range c.hosts {
		for _, id := range h.osds {
			if c.model.Up(id) {
				c.toMon(id, &messages.OSDBeacon{Paxos: messages.NewPaxos(0), BeaconInterval: int32(c.cfg.BeaconPeriod / time.Second)})
			}
		}
	}
}

// followMgr moves every host's mgr session to the active mgr.
func (c *Cluster) followMgr(addr string) {
	for _, h := range c.hosts {
		if h.mgr != nil {
			h.mgr.MarkDown()
			h.mgr = nil
		}
		clear(h.declared)
		if addr == "" {
			continue
		}
		conn, err := h.ms.Connect(addr, wire.EntityMgr)
		if err != nil {
			c.log.WithError(err).Warn("mgr unreachable")
			continue
		}
		h.mgr = conn
		for _, id := range h.osds {
			if c.model.Up(id) {
				c.open(h, id)
			}
		}
	}
}

func (c *Cluster) open(h *simHost, id int) {
	h.declared[id] = false
	// As a Ceph daemon names itself: its bare id; the type is the
	// connection's (and the service name, for the metadata it carries).
	send(h.mgr, id, &messages.MgrOpen{DaemonName: strconv.Itoa(id), ServiceName: "osd", ServiceDaemon: true,
		DaemonMetadata: osdMetadata(h.name, id), DaemonStatus: map[string]string{}})
}

var counterTypes = func() []messages.PerfCounterType {
	out := make([]messages.PerfCounterType, len(Schema))
	for i, s := range Schema {
		unit := uint8(1) // none
		if s.Units == 1 {
			unit = 0 // bytes
		}
		out[i] = messages.PerfCounterType{Path: s.Path, Description: s.Description, Nick: s.Nick,
			Type: uint8(s.Type), Priority: uint8(s.Priority), Unit: unit}
	}
	return out
}()

func (c *Cluster) reportAll() {
	n := uint64(0)
	for _, h := range c.hosts {
		if h.mgr == nil {
			continue
		}
		for _, id := range h.osds {
			if !c.model.Up(id) {
				continue
			}
			rep, err := c.report(id, !h.declared[id])
			if err != nil {
				c.log.WithError(err).Warn("report not built")
				continue
			}
			send(h.mgr, id, rep)
			h.declared[id] = true
			c.seq++
			st, err := c.model.PGStats(id, c.epoch.Load(), c.seq, time.Now())
			if err != nil {
				c.log.WithError(err).Warn("pg stats not built")
				continue
			}
			pgs := &messages.PGStats{Paxos: messages.NewPaxos(0), Epoch: c.epoch.Load()}
			pgs.SetTyped(st)
			send(h.mgr, id, pgs)
			n++
		}
	}
	c.mu.Lock()
	c.reports += n
	c.mu.Unlock()
}

func (c *Cluster) report(id int, declare bool) (*messages.MgrReport, error) {
	vals := c.model.Counters(id)
	cv := make(map[string]messages.CounterValue, len(Schema))
	for i, s := range Schema {
		v := messages.CounterValue{Value: uint64(vals[i])}
		if s.Type&messages.PerfLongRunAvg != 0 {
			ops := uint64(vals[cOp])
			v = messages.CounterValue{Value: uint64(vals[i] * 1e6 * float64(ops)), AvgCount: ops, AvgCount2: ops}
		}
		cv[s.Path] = v
	}
	packed, err := messages.PackCounters(counterTypes, cv)
	if err != nil {
		return nil, err
	}
	rep := &messages.MgrReport{DaemonName: strconv.Itoa(id), ServiceName: "osd", Packed: packed}
	if declare {
		rep.DeclareTypes = counterTypes
		rep.Metadata = osdMetadata(c.hostOf(id).name, id)
	}
	return rep, nil
}

type osdUp struct {
	OSD int `json:"osd"`
	Up  int `json:"up"`
}

// mapPool is what the simulated OSDs need of a pool in the osdmap.
type mapPool struct {
	ID    int    `json:"pool"`
	Name  string `json:"pool_name"`
	PGNum int    `json:"pg_num"`
	Size  int    `json:"size"`
}

// fromMon follows the MgrMap to the active mgr, and re-boots OSDs the
// osdmap marks down while they run (as a Ceph OSD does when it sees itself
// wrongly marked down).
func (c *Cluster) fromMon(p messages.Payload) {
	if om, ok := p.(*messages.OSDMapMsg); ok {
		c.monc.Advance(messages.SubOSDMap, uint64(om.NewestMap))
		if om.NewestMap > c.epoch.Load() {
			c.epoch.Store(om.NewestMap)
		}
		// A full map lists every OSD, an incremental the changed ones:
		// either way the entries to look at.
		var down []int
		var pools []mapPool
		bufs := slices.Collect(maps.Values(om.Maps))
		bufs = append(bufs, slices.Collect(maps.Values(om.IncrementalMaps))...)
		for _, b := range bufs {
			js, err := messages.DecodeJSONMap(b)
			if err != nil {
				continue
			}
			var m struct {
				OSDs    []osdUp   `json:"osds"`
				NewOSDs []osdUp   `json:"new_osds"`
				Pools   []mapPool `json:"pools"`
				Map     struct {
					Pools []mapPool `json:"pools"`
				} `json:"map"` // an incremental's new map
			}
			if json.Unmarshal(js, &m) != nil {
				continue
			}
			for _, o := range slices.Concat(m.OSDs, m.NewOSDs) {
				if o.Up == 0 {
					down = append(down, o.OSD)
				}
			}
			pools = append(pools, m.Pools...)
			pools = append(pools, m.Map.Pools...)
		}
		if len(down) == 0 && len(pools) == 0 {
			return
		}
		select {
		case c.in <- func() {
			for _, id := range down {
				if c.model.Up(id) {
					c.boot(c.hostOf(id), id)
				}
			}
			// Pools created through the mon get PGs the OSDs report.
			for _, p := range pools {
				c.model.EnsurePool(p.ID, PoolSpec{Name: p.Name, PGNum: p.PGNum, Size: p.Size})
			}
		}:
		case <-c.quit:
		}
		return
	}
	mm, ok := p.(*messages.MgrMapMsg)
	if !ok {
		return
	}
	addr := ""
	if m := clustermap.MgrMapFromWire(&mm.Map); m.Available || m.ActiveGID != 0 {
		for _, a := range m.ActiveAddrs.Addrvec {
			addr = a.Addr
		}
	}
	c.mu.Lock()
	changed := addr != c.mgrAddr
	c.mgrAddr = addr
	c.mu.Unlock()
	if changed {
		select {
		case c.in <- func() { c.followMgr(addr) }:
		case <-c.quit:
		}
	}
}

// hostDispatcher takes what the mon and mgr send a simulated host: the
// mgr's MMgrConfigure sets the report period.
type hostDispatcher struct {
	c *Cluster
	h *simHost
}

func (d hostDispatcher) Dispatch(conn *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		return
	}
	if cfg, ok := p.(*messages.MgrConfigure); ok && cfg.StatsPeriod > 0 {
		d.c.mu.Lock()
		d.c.period = time.Duration(cfg.StatsPeriod) * time.Second
		d.c.mu.Unlock()
	}
}
