package mon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/cephx"
	"gomgr/clustermap"
	"gomgr/messages"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// DaemonConfig configures the mon daemon.
type DaemonConfig struct {
	Addr    string // listen address; "127.0.0.1:0" picks a port
	DataDir string
	Mon     Config // Addrs is set from the bound address
	Workers int    // messenger event loops (default 2)
	// DigestInterval is mon_mgr_digest_period: how often the active mgr
	// gets health and mon_status (default 2 s).
	DigestInterval time.Duration
	Logger         *logrus.Entry
	// Cephx requires cephx of every session, with the keys of
	// DataDir/keyring (made, with client.admin's, when the data dir is
	// new); mon commands are checked against each entity's mon caps.
	Cephx bool
}

// Daemon is the mon on the network: a messenger whose dispatch posts every
// message to one owner goroutine, which alone drives the Mon (a
// deterministic core) and sends what its Effects say.
type Daemon struct {
	cfg  DaemonConfig
	log  *logrus.Entry
	ms   *msgr.Messenger
	addr string

	in   chan func()
	quit chan struct{}
	done chan struct{}
	stop sync.Once
	err  atomic.Pointer[error]
	snap atomic.Pointer[Snapshot]

	// Owned by the run goroutine.
	mon      *Mon
	sessions map[*msgr.Connection]SessionID
	conns    map[SessionID]*msgr.Connection
	mgrs     map[*msgr.Connection]uint64 // the mgr gid that beacons on each session
	nextSess SessionID
	nextGID  uint64
	encoded  map[any]msgr.Message          // wire form of recently sent maps
	incs     map[*clustermap.OSDMap][]byte // each recent osdmap epoch as an incremental
	cephx    *monAuth                      // nil: auth none
}

// StartDaemon opens the store, binds and serves until Close.
func StartDaemon(cfg DaemonConfig) (*Daemon, error) {
	if cfg.Logger == nil {
		cfg.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.DigestInterval <= 0 {
		cfg.DigestInterval = 2 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Mon.Name == "" {
		cfg.Mon.Name = "a"
	}
	cfg.Mon = cfg.Mon.WithDefaults()
	d := &Daemon{
		cfg: cfg, log: cfg.Logger.WithField("daemon", "mon."+cfg.Mon.Name),
		in: make(chan func(), 4096), quit: make(chan struct{}), done: make(chan struct{}),
		sessions: map[*msgr.Connection]SessionID{}, conns: map[SessionID]*msgr.Connection{}, mgrs: map[*msgr.Connection]uint64{},
		nextGID: 4096, encoded: map[any]msgr.Message{}, incs: map[*clustermap.OSDMap][]byte{},
	}
	ms, err := msgr.New(msgr.Config{
		Name:          wire.EntityName{Type: wire.EntityMon, Num: 0},
		Workers:       cfg.Workers,
		Dispatcher:    d,
		DefaultPolicy: msgr.StatelessServer(),
		Logger:        d.log,
	})
	if err != nil {
		return nil, fmt.Errorf("mon: messenger: %w", err)
	}
	if err := ms.Bind(cfg.Addr); err != nil {
		return nil, fmt.Errorf("mon: bind %s: %w", cfg.Addr, err)
	}
	a := ms.Addr()
	d.addr = net.JoinHostPort(ipString(a.IP), strconv.Itoa(int(a.Port)))
	cfg.Mon.Addrs = clustermap.V1Addr(d.addr, 0)
	fresh := emptyDir(cfg.DataDir)
	m, err := Open(time.Now(), cfg.DataDir, cfg.Mon)
	if err != nil {
		ms.Shutdown()
		return nil, err
	}
	if cfg.Cephx {
		kr, err := LoadKeyring(cfg.DataDir, fresh)
		if err != nil {
			ms.Shutdown()
			return nil, err
		}
		d.cephx = &monAuth{ks: cephx.NewKeyServer(kr), path: filepath.Join(cfg.DataDir, KeyringFile),
			sessions: map[*msgr.Connection]*cephx.Session{}}
	}
	d.mon = m
	// Global ids go on after those of the mgrs the map knows: a mgr still
	// running across this mon's restart keeps a gid no newcomer gets.
	mm := m.Snapshot().MgrMap
	d.nextGID = max(d.nextGID, mm.ActiveGID)
	for _, sb := range mm.Standbys {
		d.nextGID = max(d.nextGID, sb.GID)
	}
	d.publish()
	if err := ms.Start(); err != nil {
		return nil, fmt.Errorf("mon: start messenger: %w", err)
	}
	d.ms = ms
	go d.run()
	d.log.WithField("addr", d.addr).WithField("fsid", m.FSID()).Info("mon serving")
	return d, nil
}

// Addr is the address clients connect to. Safe from any goroutine.
func (d *Daemon) Addr() string { return d.addr }

// FSID is the cluster's fsid. Safe from any goroutine.
func (d *Daemon) FSID() string { return d.Snapshot().FSID }

// Snapshot is the latest committed maps. Safe from any goroutine.
func (d *Daemon) Snapshot() Snapshot { return *d.snap.Load() }

// Messenger exposes the daemon's messenger (for metrics). Safe from any
// goroutine.
func (d *Daemon) Messenger() *msgr.Messenger { return d.ms }

// Err is the error that stopped the daemon (a store failure), or nil.
func (d *Daemon) Err() error {
	if p := d.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Close stops serving and waits. Safe from any goroutine, more than once.
func (d *Daemon) Close() {
	d.stop.Do(func() { close(d.quit) })
	<-d.done
}

// Done is closed when the daemon has stopped.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Do runs f on the owner goroutine with the Mon and waits: for tests and
// tools that need a consistent look. Safe from any goroutine.
func (d *Daemon) Do(f func(m *Mon)) {
	ran := make(chan struct{})
	select {
	case d.in <- func() { f(d.mon); close(ran) }:
		select {
		case <-ran:
		case <-d.done:
		}
	case <-d.done:
	}
}

func (d *Daemon) run() {
	defer close(d.done)
	defer func() {
		d.ms.Shutdown()
		d.ms.Wait()
	}()
	tick := time.NewTicker(d.cfg.Mon.Mgr.TickInterval)
	defer tick.Stop()
	digest := time.NewTicker(d.cfg.DigestInterval)
	defer digest.Stop()
	for {
		select {
		case f := <-d.in:
			f()
		case now := <-tick.C:
			eff, err := d.mon.Tick(now)
			d.apply(nil, eff, err)
		case now := <-digest.C:
			d.sendDigests(now)
		case <-d.quit:
			return
		}
		if d.Err() != nil {
			return
		}
	}
}

// Dispatch implements msgr.Dispatcher: decode here, act on the owner.
func (d *Daemon) Dispatch(c *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if err != nil {
		d.log.WithError(err).WithField("peer", c.String()).Warn("undecodable message dropped")
		return
	}
	tid, src := m.Tid, m.Src
	select {
	case d.in <- func() { d.handle(c, tid, src, p) }:
	case <-d.done:
	}
}

// HandleConnect and the other msgr.ConnEventHandler methods forget a
// session's subscriptions when its connection goes away.
func (d *Daemon) HandleConnect(*msgr.Connection)       {}
func (d *Daemon) HandleAccept(*msgr.Connection)        {}
func (d *Daemon) HandleReset(c *msgr.Connection)       { d.post(func() { d.forget(c) }) }
func (d *Daemon) HandleRemoteReset(c *msgr.Connection) { d.post(func() { d.forget(c) }) }
func (d *Daemon) HandleRefused(*msgr.Connection)       {}

func (d *Daemon) post(f func()) {
	select {
	case d.in <- f:
	case <-d.done:
	}
}

func (d *Daemon) session(c *msgr.Connection) SessionID {
	s, ok := d.sessions[c]
	if !ok {
		d.nextSess++
		s = d.nextSess
		d.sessions[c] = s
		d.conns[s] = c
	}
	return s
}

func (d *Daemon) forget(c *msgr.Connection) {
	if d.cephx != nil {
		delete(d.cephx.sessions, c)
	}
	if s, ok := d.sessions[c]; ok {
		d.mon.Unsubscribe(s)
		delete(d.sessions, c)
		delete(d.conns, s)
	}
	if gid, ok := d.mgrs[c]; ok {
		// A mgr's session closed: its process is most likely gone. Tick
		// when its SessionGrace is up, not at the next regular tick.
		delete(d.mgrs, c)
		if at, ok := d.mon.MgrSessionLost(time.Now(), gid); ok {
			time.AfterFunc(time.Until(at), func() {
				d.post(func() {
					eff, err := d.mon.Tick(time.Now())
					d.apply(nil, eff, err)
				})
			})
		}
	}
}

func (d *Daemon) handle(c *msgr.Connection, tid uint64, src wire.EntityName, p messages.Payload) {
	now := time.Now()
	if !d.authorized(c, p) {
		return
	}
	switch p := p.(type) {
	case *messages.Auth:
		d.auth(c, p)
		// Accepted (auth none, or cephx done): messages over msgr's
		// MaxPreAuthBytes may come now (one that beats this waits for it).
		if d.cephx == nil || d.cephx.sessions[c] != nil && d.cephx.sessions[c].Authenticated() {
			c.SetAuthenticated()
		}
	case *messages.MonSubscribe:
		s := d.session(c)
		for what, item := range p.What {
			dels, err := d.mon.Subscribe(s, what, item.Start, item.Flags&messages.SubscribeOnetime != 0)
			if err != nil {
				d.log.WithError(err).WithField("peer", c.String()).Debug("subscription refused")
				continue
			}
			d.deliver(dels)
		}
		if _, ok := p.What[messages.SubMgrDigest]; ok {
			// The first digest now: a new mgr has health and mon_status at
			// once, not a digest period later.
			health, status := d.mon.Digest(now)
			d.send(c, 0, &messages.MgrDigest{HealthJSON: health, MonStatusJSON: status})
		}
	case *messages.MonGetVersion:
		snap := d.mon.Snapshot()
		var v uint64
		switch p.What {
		case "osdmap":
			v = snap.OSDMap.Epoch
		case "monmap":
			v = snap.MonMap.Epoch
		case "mgrmap":
			v = snap.MgrMap.Epoch
		case "fsmap", "mdsmap":
			v = snap.FSMap.Epoch
		}
		d.send(c, 0, &messages.MonGetVersionReply{Handle: p.Handle, Version: v, OldestVersion: min(v, 1)})
	case *messages.MonCommand:
		ack := &messages.MonCommandAck{Cmd: p.Cmd}
		var args map[string]any
		if len(p.Cmd) == 0 {
			ack.R, ack.RS = EINVAL, "no command"
		} else if json.Unmarshal([]byte(p.Cmd[0]), &args) != nil || args == nil {
			ack.R, ack.RS = EINVAL, "invalid command json: expected one JSON object"
		} else if why := d.denied(c, argOf(args, "prefix")); why != "" {
			ack.R, ack.RS = EACCESS, why
		} else if res, ok := d.authCommand(cmdArgs(args), argOf(args, "format")); ok {
			ack.R, ack.RS, ack.Outbuf = int32(res.Retval), res.Status, res.Out
		} else {
			res, eff, err := d.mon.HandleCommandJSON(now, []byte(p.Cmd[0]), p.Inbuf)
			if d.apply(c, eff, err) {
				return
			}
			ack.R, ack.RS, ack.Outbuf = int32(res.Retval), res.Status, res.Out
			if res.Retval == 0 {
				d.pushMgrConfig(args)
			}
		}
		d.send(c, tid, ack)
	case *messages.MgrBeacon:
		b := Beacon{
			GID: p.GID, Name: p.Name, FSID: p.FSID.String(), Addrs: clustermap.AddrsFromWire(p.Addrs),
			Available: p.Available, AvailableModules: clustermap.ModulesFromWire(p.Modules),
			Metadata: p.Metadata, Services: p.Services, MgrFeatures: p.MgrFeatures, From: c.PeerAddr().String(),
		}
		if p.Runtime != nil {
			b.Runtime = map[string]ModuleRuntime{}
			for _, r := range p.Runtime {
				b.Runtime[r.Name] = ModuleRuntime{Kind: r.Kind, State: r.State}
			}
		}
		eff, err := d.mon.Beacon(now, b)
		if err != nil && !isFatal(err) {
			d.log.WithError(err).WithField("peer", c.String()).WithField("mgr", p.Name).Warn("beacon rejected")
			return
		}
		d.session(c)
		d.mgrs[c] = p.GID
		d.apply(c, eff, err)
	default:
		d.handleDaemon(c, tid, src, p, now)
	}
}

// isFatal tells store failures (memory ahead of disk: stop) from refusals
// of bad input, which change nothing.
func isFatal(err error) bool {
	if err == nil {
		return false
	}
	for _, refusal := range []error{ErrWrongFSID, ErrInvalid, ErrNotFound, ErrUnknownCmd, ErrUUIDMismatch} {
		if errors.Is(err, refusal) {
			return false
		}
	}
	return true
}

// apply sends what an event changed and publishes the new snapshot. It
// reports true when the daemon must stop (a store error).
func (d *Daemon) apply(c *msgr.Connection, eff Effects, err error) bool {
	if err != nil {
		if !isFatal(err) {
			d.log.WithError(err).Warn("event refused")
			return false
		}
		d.log.WithError(err).Error("store failed: mon stopping")
		d.err.Store(&err)
		return true
	}
	if eff.Reply != nil && c != nil {
		d.sendMap(c, eff.Reply, nil)
	}
	d.deliver(eff.Deliveries)
	if !eff.Empty() {
		d.publish()
	}
	if eff.OSDMap != nil {
		// After the sends: a large map's full write delays no one.
		if err := d.mon.CompactOSDMap(); err != nil {
			d.log.WithError(err).Error("store failed: mon stopping")
			d.err.Store(&err)
			return true
		}
	}
	return false
}

func (d *Daemon) publish() {
	s := d.mon.Snapshot()
	d.snap.Store(&s)
}

func (d *Daemon) deliver(dels []Delivery) {
	for _, del := range dels {
		c := d.conns[del.Session]
		if c == nil {
			continue
		}
		if del.Map != nil {
			d.sendMap(c, del.Map, del.Since)
		} else if len(del.Log) > 0 {
			d.send(c, 0, &messages.Log{Entries: logToWire(del.Log)})
		}
	}
	if len(d.encoded) > 64 {
		clear(d.encoded) // keeps only recent maps' wire forms
	}
}

// incKey keys the incremental wire form of a map in Daemon.encoded: the
// map and the epoch the subscriber holds.
type incKey struct {
	m    any
	from uint64
}

// sendMap encodes a map once however many subscribers get it: the payload
// bytes are shared, each send gets its own envelope. With since (the maps
// from the one the subscriber holds up to m) it sends incrementals.
func (d *Daemon) sendMap(c *msgr.Connection, m any, since []*clustermap.OSDMap) {
	var key any = m
	if len(since) > 1 {
		key = incKey{m, since[0].Epoch}
	}
	msg, ok := d.encoded[key]
	if !ok {
		p, err := d.mapPayload(m, since)
		if err != nil {
			d.log.WithError(err).Error("map not encodable")
			return
		}
		msg = *messages.Encode(p)
		d.encoded[key] = msg
	}
	out := msg
	if err := c.Send(&out); err != nil {
		d.log.WithError(err).WithField("peer", c.String()).Debug("map not sent")
	}
}

func (d *Daemon) mapPayload(m any, since []*clustermap.OSDMap) (messages.Payload, error) {
	if cur, ok := m.(*clustermap.OSDMap); ok && len(since) > 1 && since[len(since)-1] == cur {
		return d.osdMapIncPayload(since)
	}
	switch m := m.(type) {
	case *clustermap.MgrMap:
		return &messages.MgrMapMsg{Map: clustermap.MgrMapToWire(m)}, nil
	case *clustermap.MonMap:
		w, err := clustermap.MonMapToWire(m)
		if err != nil {
			return nil, err
		}
		return messages.NewMonMapMsg(w), nil
	case *clustermap.OSDMap:
		js, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		fsid, _ := clustermap.ParseUUID(m.FSID)
		e := uint32(m.Epoch)
		return &messages.OSDMapMsg{FSID: fsid, Maps: map[uint32][]byte{e: messages.EncodeJSONMap(js)},
			OldestMap: 1, NewestMap: e}, nil
	case *clustermap.FSMap:
		js, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		return &messages.FSMapMsg{Epoch: uint32(m.Epoch), Map: messages.JSONStruct(js)}, nil
	case *clustermap.ServiceMap:
		js, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		return &messages.ServiceMapMsg{Map: messages.JSONStruct(js)}, nil
	}
	return nil, fmt.Errorf("%w: map type %T", ErrInvalid, m)
}

// osdMapIncPayload is one MOSDMap with the incrementals from since[0]'s
// epoch up to the last map's, each encoded once (d.incs).
func (d *Daemon) osdMapIncPayload(since []*clustermap.OSDMap) (messages.Payload, error) {
	cur := since[len(since)-1]
	incs := make(map[uint32][]byte, len(since)-1)
	for i := 1; i < len(since); i++ {
		b, ok := d.incs[since[i]]
		if !ok {
			inc, err := clustermap.DiffOSDMaps(since[i-1], since[i])
			if err != nil {
				return nil, err
			}
			js, err := json.Marshal(inc)
			if err != nil {
				return nil, err
			}
			b = messages.EncodeJSONMap(js)
			if len(d.incs) >= 2*osdHistory {
				clear(d.incs)
			}
			d.incs[since[i]] = b
		}
		incs[uint32(since[i].Epoch)] = b
	}
	fsid, _ := clustermap.ParseUUID(cur.FSID)
	return &messages.OSDMapMsg{FSID: fsid, IncrementalMaps: incs, OldestMap: 1, NewestMap: uint32(cur.Epoch)}, nil
}

func (d *Daemon) sendDigests(now time.Time) {
	targets := d.mon.DigestTargets()
	if len(targets) == 0 {
		return
	}
	health, status := d.mon.Digest(now)
	for _, s := range targets {
		if c := d.conns[s]; c != nil {
			d.send(c, 0, &messages.MgrDigest{HealthJSON: health, MonStatusJSON: status})
		}
	}
}

func (d *Daemon) send(c *msgr.Connection, tid uint64, p messages.Payload) {
	m := messages.Encode(p)
	m.Tid = tid
	if err := c.Send(m); err != nil {
		d.log.WithError(err).WithField("peer", c.String()).Debug("reply not sent")
	}
}

func logToWire(entries []clustermap.LogEntry) []messages.LogEntry {
	out := make([]messages.LogEntry, 0, len(entries))
	for _, e := range entries {
		name, ok := messages.ParseAuthName(e.Name)
		if !ok {
			name = messages.AuthName{Type: wire.EntityMon, ID: e.Name}
		}
		out = append(out, messages.LogEntry{
			Name: name, Stamp: messages.UtimeOf(e.Stamp.Time),
			Seq: e.Seq, Prio: prioCode(e.Priority), Msg: e.Message, Channel: e.Channel,
		})
	}
	return out
}

// handleDaemon serves what cluster daemons send the mon: their cluster log.
// The sender is the message's source, not the connection's: a simulated
// host carries several OSDs on one session, as the mgr's sessions do.
func (d *Daemon) handleDaemon(c *msgr.Connection, tid uint64, src wire.EntityName, p messages.Payload, now time.Time) {
	switch p := p.(type) {
	case *messages.Log:
		var last uint64
		for _, e := range p.Entries {
			eff, err := d.mon.AddLog(now, clustermap.LogEntry{Name: e.Name.String(), Channel: e.Channel,
				Priority: prioName(e.Prio), Message: e.Msg, Stamp: clustermap.Stamp{Time: e.Stamp.Time()}})
			if err != nil && !isFatal(err) {
				d.log.WithError(err).WithField("peer", c.String()).Debug("log entry refused")
				continue
			}
			if d.apply(c, eff, err) {
				return
			}
			last = max(last, e.Seq)
		}
		d.send(c, 0, &messages.LogAck{Last: last, Channel: "cluster"})
	case *messages.OSDBoot:
		var sb struct {
			Whoami      int    `json:"whoami"`
			OSDFSID     string `json:"osd_fsid"`
			ClusterFSID string `json:"cluster_fsid"`
		}
		js, err := p.Superblock.JSON()
		if err == nil {
			err = json.Unmarshal(js, &sb)
		}
		if err != nil {
			d.log.WithError(err).WithField("peer", c.String()).Warn("osd boot with a bad superblock rejected")
			return
		}
		eff, err := d.mon.OSDBoot(now, OSDBoot{ID: sb.Whoami, UUID: sb.OSDFSID, FSID: sb.ClusterFSID,
			PublicAddrs: clustermap.AddrsFromWire(p.ClusterAddrs), ClusterAddrs: clustermap.AddrsFromWire(p.ClusterAddrs), Metadata: p.Metadata})
		if err != nil && !isFatal(err) {
			d.log.WithError(err).WithField("peer", c.String()).WithField("osd", sb.Whoami).Warn("osd boot rejected")
			return
		}
		d.apply(c, eff, err)
	case *messages.OSDBeacon:
		if src.Type != wire.EntityOSD {
			d.log.WithField("peer", c.String()).Warn("osd beacon from a non-osd dropped")
			return
		}
		if err := d.mon.OSDReport(now, int(src.Num)); err != nil {
			d.log.WithError(err).WithField("peer", c.String()).Debug("osd beacon refused")
		}
	case *messages.MonMgrReport:
		d.mgrReport(c, p, now)
	default:
		d.log.WithField("peer", c.String()).WithField("type", fmt.Sprintf("%T", p)).Debug("message not for the mon, dropped")
	}
}

var prios = []string{clustermap.PrioDebug, clustermap.PrioInfo, "[SEC]", clustermap.PrioWarn, clustermap.PrioError}

func prioName(c uint16) string {
	if int(c) < len(prios) {
		return prios[c]
	}
	return clustermap.PrioInfo
}

func prioCode(p string) uint16 {
	for i, n := range prios {
		if n == p {
			return uint16(i)
		}
	}
	return 1
}

func ipString(ip []byte) string {
	if a, ok := netip.AddrFromSlice(ip); ok {
		return a.Unmap().String()
	}
	return "0.0.0.0"
}

// mgrReport takes the active mgr's module health checks, services and PG
// summary; reports from any other mgr are stale and ignored.
func (d *Daemon) mgrReport(c *msgr.Connection, p *messages.MonMgrReport, now time.Time) {
	if mm := d.mon.Snapshot().MgrMap; mm == nil || mm.ActiveGID != p.GID {
		d.log.WithField("gid", p.GID).Debug("report from a mgr that is not active ignored")
		return
	}
	checks := make(map[string]clustermap.HealthCheck, len(p.HealthChecks))
	for code, c := range p.HealthChecks {
		checks[code] = clustermap.NewCheck(c.Severity.String(), c.Summary, int(c.Count), c.Detail...)
	}
	if js, err := messages.DecodeJSONMap(p.PGDigest); err == nil {
		var pg clustermap.PGSummary
		if err := json.Unmarshal(js, &pg); err == nil {
			d.mon.SetPGSummary(pg)
		}
	}
	eff, err := d.mon.SetMgrHealthChecks(now, checks)
	if d.apply(c, eff, err) {
		return
	}
	if js, err := messages.DecodeJSONMap(p.ServiceMap); err == nil {
		var sm struct {
			Services map[string]any `json:"services"`
		}
		if err := json.Unmarshal(js, &sm); err == nil && sm.Services != nil {
			eff, err := d.mon.SetServices(now, sm.Services)
			d.apply(c, eff, err)
		}
	}
}

// pushMgrConfig sends the mgrs every mgr/ config-key after a command changed
// one (Ceph's MConfig), so module options set from the CLI reach the
// active mgr at once.
func (d *Daemon) pushMgrConfig(args map[string]any) {
	c := commandByPrefix[argOf(args, "prefix")]
	if c == nil || c.mgrKey == "" || !strings.HasPrefix(argOf(args, c.mgrKey), "mgr/") {
		return
	}
	res, _, err := d.mon.HandleCommand(time.Now(), map[string]any{"prefix": "config-key dump", "key": "mgr/", "format": "json"}, nil)
	kv := map[string]string{}
	if err != nil || res.Retval != 0 || json.Unmarshal(res.Out, &kv) != nil {
		d.log.WithError(err).Warn("mgr config not pushed")
		return
	}
	for _, s := range d.mon.DigestTargets() {
		if c := d.conns[s]; c != nil {
			d.send(c, 0, &messages.Config{Config: kv})
		}
	}
}
