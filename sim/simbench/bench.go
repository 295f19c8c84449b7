package simbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/clustermap"
	"gomgr/host"
	"gomgr/internal/benchstat"
	"gomgr/internal/procstat"
	"gomgr/messages"
	"gomgr/monclient"
	"gomgr/msgr/wire"
)

// CephReportPeriod is Ceph's default mgr_stats_period, which the bench
// compresses.
const CephReportPeriod = 5 * time.Second

// Options configures Run.
type Options struct {
	// Exe is re-executed for every daemon.
	Exe string
	// MonArgs runs a mon that prints its address as its first stdout line;
	// Run appends --addr 127.0.0.1:0 --data DIR (gomgr: "mon").
	MonArgs []string
	// RoleArgv0 starts a RunRole process (RegisterFlags' flags): Exe under
	// that name, with --role and the role's flags. gomgr's binary runs
	// RunRole as its child role "gomgr-simbench".
	RoleArgv0 string
	// MgrArgs are extra flags for the mgr role; Run appends --modules DIR.
	MgrArgs []string
	Env     []string
	// OSDs are the cluster sizes, one run each (1,000 and 10,000).
	OSDs        []int
	OSDsPerHost int // OSDs sharing one simulated host's messenger (4)
	// Period is the OSD report period (1 s: Ceph's 5 s compressed 5x).
	Period time.Duration
	// Measure is the steady-state window for the CPU figures (15 s).
	Measure time.Duration
	// Changes is how many osdmap epochs the latency phase commits (30),
	// one every ChangeGap (250 ms).
	Changes   int
	ChangeGap time.Duration
	// Log gets progress lines (nil: none).
	Log io.Writer
}

func (o *Options) defaults() error {
	if o.Exe == "" || len(o.MonArgs) == 0 || o.RoleArgv0 == "" {
		return fmt.Errorf("%w: Exe, MonArgs and RoleArgv0 are required", ErrOptions)
	}
	if len(o.OSDs) == 0 {
		o.OSDs = []int{1000, 10000}
	}
	for _, n := range o.OSDs {
		if n < 3 || n > 10000 {
			return fmt.Errorf("%w: OSDs must be 3..10000, got %d", ErrOptions, n)
		}
	}
	if o.OSDsPerHost <= 0 {
		o.OSDsPerHost = 4
	}
	if o.Period <= 0 {
		o.Period = time.Second
	}
	if o.Period%time.Second != 0 {
		return fmt.Errorf("%w: Period must be whole seconds (MMgrConfigure carries seconds), got %v", ErrOptions, o.Period)
	}
	if o.Measure <= 0 {
		o.Measure = 15 * time.Second
	}
	if o.Changes < 0 {
		return fmt.Errorf("%w: Changes must be >= 0", ErrOptions)
	}
	if o.Changes == 0 {
		o.Changes = 30
	}
	if o.ChangeGap <= 0 {
		o.ChangeGap = 250 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Result is one cluster size's figures. CPU figures are process CPU time
// (utime+stime from /proc/<pid>/stat, 10 ms resolution) over wall time.
type Result struct {
	OSDs            int     `json:"osds"`
	OSDsPerHost     int     `json:"osds_per_host"`
	ReportPeriodS   float64 `json:"report_period_s"`
	TimeCompression float64 `json:"time_compression"` // Ceph's 5 s / report_period_s
	BootS           float64 `json:"boot_s"`           // sim start to every OSD up in the osdmap
	MeasuredS       float64 `json:"measured_s"`

	Reports           uint64  `json:"reports"` // MMgrReports sent in the window
	ReportsPerS       float64 `json:"reports_per_s"`
	MgrCPUPerReportUs float64 `json:"mgr_cpu_per_report_us"`
	MgrCPUPct         float64 `json:"mgr_cpu_pct"`           // at the compressed rate
	MgrCPUPctCeph5s   float64 `json:"mgr_cpu_pct_at_5s"`     // per report x OSDs / 5 s
	MgrRSSMB          float64 `json:"mgr_rss_mb"`            // the mgr process
	ModulesRSSMB      float64 `json:"mgr_modules_rss_mb"`    // its module processes
	SimCPUPct         float64 `json:"sim_cpu_pct"`           // the load generator, for scale
	MonBeacons        uint64  `json:"mon_beacons"`           // OSD + mgr beacons in the window
	MonCPUPerBeaconUs float64 `json:"mon_cpu_per_beacon_us"` // all steady-state mon CPU / beacons
	MonCPUPct         float64 `json:"mon_cpu_pct"`
	MonRSSMB          float64 `json:"mon_rss_mb"`
	SteadyEpochs      uint64  `json:"steady_epochs"` // epochs in the window (0 expected)
	// MgrStayedActive is false when the mgr lost the active role (or the
	// MgrMap changed) during the window: the figures are then suspect.
	MgrStayedActive bool `json:"mgr_stayed_active"`
	// LoadAvg1m is the machine's load at the end of the window: other
	// work on a shared machine inflates every figure.
	LoadAvg1m float64 `json:"loadavg_1m"`

	Epochs           uint64  `json:"epochs"` // committed in the latency phase
	MonCPUPerEpochMs float64 `json:"mon_cpu_per_epoch_ms"`
	MgrCPUPerEpochMs float64 `json:"mgr_cpu_per_epoch_ms"`

	NotifySamples int     `json:"notify_samples"`
	NotifyP50Ms   float64 `json:"notify_latency_ms_p50"` // mon commit ("modified") -> module notify
	NotifyP90Ms   float64 `json:"notify_latency_ms_p90"`
	NotifyP99Ms   float64 `json:"notify_latency_ms_p99"`
	NotifyMaxMs   float64 `json:"notify_latency_ms_max"`
	MgrArriveP50  float64 `json:"mgr_arrive_ms_p50"` // mon commit -> the mgr's NotifyAll
	MgrArriveP90  float64 `json:"mgr_arrive_ms_p90"`
	// mon commit -> a plain osdmap subscriber (the bench itself): the mon's
	// share (store fsync, encoding, sending).
	ClientArriveP50 float64 `json:"subscriber_arrive_ms_p50"`
	ClientArriveP90 float64 `json:"subscriber_arrive_ms_p90"`

	Error string `json:"error,omitempty"` // why this size did not finish
}

// Run measures each size in Options.OSDs with fresh daemons. A size that
// fails has a Result with Error set and what was measured before the
// failure; the returned error joins every size's error.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	var out []Result
	var errs []error
	for _, n := range o.OSDs {
		r, err := runOne(ctx, o, n)
		if err != nil {
			// One size failing (a 10,000-OSD cluster on a busy machine)
			// does not hide the others' figures.
			err = fmt.Errorf("%d OSDs: %w", n, err)
			r.OSDs, r.Error = n, err.Error()
			errs = append(errs, err)
			fmt.Fprintf(o.Log, "bench mgr: %v\n", err)
		}
		out = append(out, r)
		if ctx.Err() != nil {
			break
		}
	}
	return out, errors.Join(errs...)
}

// cluster is one run's processes and the bench's mon session.
type cluster struct {
	o        Options
	dir      string
	mon      *child
	mgr      *child
	sim      *child
	monAddr  string
	monc     *monclient.Client
	children []*child

	mu      sync.Mutex
	arrived map[uint64]int64 // osdmap epoch -> when the bench's own subscription got it (Unix ns)
	epoch   uint64
	upSet   map[int]bool // by OSD id, as of epoch
	up      int
}

// fromMon follows the osdmap through the bench's own subscription (so the
// bench never asks the mon for a 10,000-OSD dump): its epoch, its up OSDs,
// and when each epoch reached a plain subscriber, the mon's share of the
// notify latency.
func (c *cluster) fromMon(p messages.Payload) {
	now := time.Now().UnixNano()
	om, ok := p.(*messages.OSDMapMsg)
	if !ok {
		return
	}
	full, isFull := om.Maps[om.NewestMap]
	b := full
	if !isFull {
		b = om.IncrementalMaps[om.NewestMap]
	}
	js, err := messages.DecodeJSONMap(b)
	if err != nil {
		return
	}
	var d osdDumpJSON
	if json.Unmarshal(js, &d) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.arrived[d.Epoch]; !seen {
		c.arrived[d.Epoch] = now
	}
	if d.Epoch <= c.epoch {
		return
	}
	if !isFull && d.Epoch != c.epoch+1 {
		// A gap: only the current map, whole, gives the up set again.
		_ = c.monc.Subscribe(map[string]messages.SubscribeItem{messages.SubOSDMap: {}})
		return
	}
	if isFull {
		clear(c.upSet)
	}
	for _, o := range slices.Concat(d.OSDs, d.NewOSDs) {
		c.upSet[o.OSD] = o.Up == 1
	}
	c.epoch, c.up = d.Epoch, 0
	for _, up := range c.upSet {
		if up {
			c.up++
		}
	}
}

// latest is the newest osdmap epoch the bench has seen and its up OSDs.
func (c *cluster) latest() (epoch uint64, up int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch, c.up
}

func (c *cluster) close() error {
	var first error
	if c.monc != nil {
		c.monc.Close()
	}
	// The sim and the mgr first, so the mon sees them leave.
	for i := len(c.children) - 1; i >= 0; i-- {
		if err := c.children[i].stop(30 * time.Second); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// start runs Exe with args (the mon).
func (c *cluster) start(name string, args []string) (*child, error) {
	return c.startAs(name, "", args)
}

// startRole runs a RunRole process: Exe named RoleArgv0, with args.
func (c *cluster) startRole(name string, args []string) (*child, error) {
	return c.startAs(name, c.o.RoleArgv0, args)
}

func (c *cluster) startAs(name, argv0 string, args []string) (*child, error) {
	ch, err := startChild(name, c.o.Exe, argv0, args, c.o.Env, c.dir)
	if err != nil {
		return nil, err
	}
	c.children = append(c.children, ch)
	return ch, nil
}

func (c *cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.o.Log, "bench mgr: "+format+"\n", args...)
}

func runOne(ctx context.Context, o Options, n int) (res Result, err error) {
	dir, err := os.MkdirTemp("", "gomgr-bench-mgr-")
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	defer os.RemoveAll(dir)
	modDir := filepath.Join(dir, "modules")
	if err := writeModule(modDir); err != nil {
		return res, err
	}
	c := &cluster{o: o, dir: dir, arrived: map[uint64]int64{}, upSet: map[int]bool{}}
	defer func() {
		// A daemon killed after its grace does not void the figures.
		if cerr := c.close(); cerr != nil {
			c.logf("%d OSDs: stopping: %v", n, cerr)
		}
	}()
	if err := c.startDaemons(ctx, n, modDir); err != nil {
		return res, err
	}
	res = Result{OSDs: n, OSDsPerHost: o.OSDsPerHost, ReportPeriodS: o.Period.Seconds(),
		TimeCompression: float64(CephReportPeriod) / float64(o.Period)}

	// Boot: every OSD up in the osdmap.
	c.logf("%d OSDs: booting", n)
	bootStart := time.Now()
	c.sim, err = c.startRole("sim", []string{"--role", RoleSim, "--mon", c.monAddr,
		"--osds", strconv.Itoa(n), "--osds-per-host", strconv.Itoa(o.OSDsPerHost)})
	if err != nil {
		return res, err
	}
	if err := poll(ctx, 60*time.Second+time.Duration(n)*10*time.Millisecond, "every OSD up", func() (bool, error) {
		_, up := c.latest()
		return up == n, nil
	}); err != nil {
		return res, fmt.Errorf("%w: %s", err, c.sim.logTail())
	}
	res.BootS = time.Since(bootStart).Seconds()

	// Warm-up: two full report rounds after the boot (the first report of
	// each OSD declares its counters, heavier than the rest).
	st, err := c.sim.query()
	if err != nil {
		return res, err
	}
	r0 := st.Reports
	if err := poll(ctx, 10*o.Period+30*time.Second, "two report rounds", func() (bool, error) {
		st, err := c.sim.query()
		return err == nil && st.Reports >= r0+2*uint64(n), err
	}); err != nil {
		return res, err
	}

	// Steady state: reports and beacons, no map changes.
	c.logf("%d OSDs: measuring %v of steady state", n, o.Measure)
	a, err := c.snapshot(ctx)
	if err != nil {
		return res, err
	}
	if err := sleepCtx(ctx, o.Measure); err != nil {
		return res, err
	}
	b, err := c.snapshot(ctx)
	if err != nil {
		return res, err
	}
	wall := b.at.Sub(a.at)
	res.MeasuredS = wall.Seconds()
	res.Reports = b.reports - a.reports
	res.ReportsPerS = float64(res.Reports) / wall.Seconds()
	mgrCPU := b.mgr.CPU - a.mgr.CPU
	monCPU := b.mon.CPU - a.mon.CPU
	if res.Reports > 0 {
		res.MgrCPUPerReportUs = us(mgrCPU) / float64(res.Reports)
	}
	res.MgrCPUPct = pct(mgrCPU, wall)
	res.MgrCPUPctCeph5s = res.MgrCPUPerReportUs * float64(n) / CephReportPeriod.Seconds() / 1e4
	res.MgrRSSMB = mb(b.mgr.RSS)
	res.ModulesRSSMB = mb(b.modules.RSS)
	res.SimCPUPct = pct(b.sim.CPU-a.sim.CPU, wall)
	// OSDs beacon every second (sim.ClusterConfig.BeaconPeriod), the mgr
	// every mgr_tick_period (1 s).
	res.MonBeacons = uint64(math.Round(wall.Seconds() * float64(n+1)))
	res.MonCPUPerBeaconUs = us(monCPU) / float64(res.MonBeacons)
	res.MonCPUPct = pct(monCPU, wall)
	res.MonRSSMB = mb(b.mon.RSS)
	res.SteadyEpochs = b.epoch - a.epoch
	res.MgrStayedActive = a.mgrActive && b.mgrActive && a.mgrMapEpoch == b.mgrMapEpoch
	res.LoadAvg1m = procstat.LoadAvg()

	// Latency: commit osdmap epochs (osd set/unset noout) and see when the
	// module hears of each.
	c.logf("%d OSDs: %d osdmap changes, one every %v", n, o.Changes, o.ChangeGap)
	if err := c.latency(ctx, &res, a, b); err != nil {
		return res, err
	}
	c.logf("%d OSDs: done", n)
	return res, nil
}

// startDaemons starts the mon and the mgr, enables the bench module and
// waits until it answers.
func (c *cluster) startDaemons(ctx context.Context, n int, modDir string) error {
	var err error
	c.mon, err = c.start("mon", append(slices.Clone(c.o.MonArgs), "--addr", "127.0.0.1:0", "--data", filepath.Join(c.dir, "mon")))
	if err != nil {
		return err
	}
	if c.monAddr, err = c.mon.line(30 * time.Second); err != nil {
		return err
	}
	quiet := logrus.New()
	quiet.SetLevel(logrus.PanicLevel)
	c.monc, err = monclient.Dial(ctx, monclient.Config{MonAddrs: []string{c.monAddr}, Name: wire.EntityName{Type: wire.EntityClient, Num: -1},
		Logger: logrus.NewEntry(quiet), Timeout: 30 * time.Second, Handler: c.fromMon})
	if err != nil {
		return err
	}
	if err := c.monc.Subscribe(map[string]messages.SubscribeItem{messages.SubOSDMap: {}}); err != nil {
		return err
	}
	args := []string{"--role", RoleMgr, "--mon", c.monAddr, "--name", "x",
		"--stats-period", c.o.Period.String()}
	args = append(append(args, c.o.MgrArgs...), "--modules", modDir)
	if c.mgr, err = c.startRole("mgr", args); err != nil {
		return err
	}
	if err := poll(ctx, 30*time.Second, "the bench module enabled", func() (bool, error) {
		r, err := c.monc.Command(ctx, map[string]any{"prefix": "mgr module enable", "module": ModuleName}, nil)
		return err == nil && r.Retval == 0, nil
	}); err != nil {
		return fmt.Errorf("%w: %s", err, c.mgr.logTail())
	}
	if err := poll(ctx, 30*time.Second, "the bench module answering", func() (bool, error) {
		_, err := c.moduleTimes(ctx)
		return err == nil, nil
	}); err != nil {
		return fmt.Errorf("%w: %s", err, c.mgr.logTail())
	}
	return nil
}

// snap is every process's counters at one instant.
type snap struct {
	at                     time.Time
	mon, mgr, modules, sim procstat.Sample
	reports                uint64
	epoch                  uint64 // osdmap
	mgrActive              bool
	mgrMapEpoch            uint64
}

func (c *cluster) snapshot(ctx context.Context) (snap, error) {
	var s snap
	var err error
	st, err := c.sim.query()
	if err != nil {
		return s, err
	}
	s.reports = st.Reports
	s.at = time.Now()
	if s.mon, err = procstat.Read(c.mon.pid()); err != nil {
		return s, err
	}
	if s.mgr, err = procstat.Read(c.mgr.pid()); err != nil {
		return s, err
	}
	if s.sim, err = procstat.Read(c.sim.pid()); err != nil {
		return s, err
	}
	s.modules = procstat.Descendants(c.mgr.pid())
	st, err = c.mgr.query()
	if err != nil {
		return s, err
	}
	s.mgrActive, s.mgrMapEpoch = st.Active, st.MgrMapEpoch
	s.epoch, _ = c.latest()
	return s, nil
}

// latency commits o.Changes osdmap epochs and matches each epoch's commit
// stamp with the module's receive time. a and b bracket the steady window,
// whose CPU rates are subtracted to cost an epoch.
func (c *cluster) latency(ctx context.Context, res *Result, a, b snap) error {
	start, err := c.snapshot(ctx)
	if err != nil {
		return err
	}
	// Closed loop: each change waits until the mgr has the epoch before
	// the gap and the next change, so epochs do not queue behind each other
	// and each sample is one epoch's own latency.
	for i := range c.o.Changes {
		prev, _ := c.latest()
		prefix := "osd set"
		if i%2 == 1 {
			prefix = "osd unset"
		}
		r, err := c.monc.Command(ctx, map[string]any{"prefix": prefix, "key": "noout"}, nil)
		if err != nil {
			return err
		}
		if r.Retval != 0 {
			return fmt.Errorf("%w: %s noout: %d %s", ErrChild, prefix, r.Retval, r.Status)
		}
		var epoch uint64
		if err := poll(ctx, 60*time.Second, "the new osdmap epoch", func() (bool, error) {
			epoch, _ = c.latest()
			return epoch > prev, nil
		}); err != nil {
			return err
		}
		if err := poll(ctx, 60*time.Second, "the mgr to get the new epoch", func() (bool, error) {
			st, err := c.mgr.query()
			_, ok := st.Arrived[strconv.FormatUint(epoch, 10)]
			return ok, err
		}); err != nil {
			return err
		}
		if err := sleepCtx(ctx, c.o.ChangeGap); err != nil {
			return err
		}
	}
	last, _ := c.latest()
	var times map[string]int64
	if err := poll(ctx, 60*time.Second, "the module to hear of every epoch", func() (bool, error) {
		times, err = c.moduleTimes(ctx)
		if err != nil {
			return false, nil
		}
		_, ok := times[strconv.FormatUint(last, 10)]
		return ok, nil
	}); err != nil {
		return err
	}
	end, err := c.snapshot(ctx)
	if err != nil {
		return err
	}
	st, err := c.mgr.query()
	if err != nil {
		return err
	}
	res.Epochs = end.epoch - start.epoch
	if res.Epochs > 0 {
		steady := b.at.Sub(a.at).Seconds()
		span := end.at.Sub(start.at).Seconds()
		monBase := float64(b.mon.CPU-a.mon.CPU) / steady * span
		mgrBase := float64(b.mgr.CPU-a.mgr.CPU) / steady * span
		res.MonCPUPerEpochMs = math.Max(0, float64(end.mon.CPU-start.mon.CPU)-monBase) / 1e6 / float64(res.Epochs)
		res.MgrCPUPerEpochMs = math.Max(0, float64(end.mgr.CPU-start.mgr.CPU)-mgrBase) / 1e6 / float64(res.Epochs)
	}
	var notify, arrive, client []float64
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := start.epoch + 1; e <= end.epoch; e++ {
		k := strconv.FormatUint(e, 10)
		committed, ok := st.Committed[k]
		if !ok {
			continue
		}
		if t, ok := c.arrived[e]; ok {
			client = append(client, float64(t-committed)/1e6)
		}
		if t, ok := times[k]; ok {
			notify = append(notify, float64(t-committed)/1e6)
		}
		if t, ok := st.Arrived[k]; ok {
			arrive = append(arrive, float64(t-committed)/1e6)
		}
	}
	if len(notify) == 0 {
		return fmt.Errorf("%w: no epoch with both a commit stamp and a module notify", ErrTimeout)
	}
	res.NotifySamples = len(notify)
	res.NotifyP50Ms, res.NotifyP90Ms = benchstat.Percentile(notify, 50), benchstat.Percentile(notify, 90)
	res.NotifyP99Ms, res.NotifyMaxMs = benchstat.Percentile(notify, 99), benchstat.Percentile(notify, 100)
	res.MgrArriveP50, res.MgrArriveP90 = benchstat.Percentile(arrive, 50), benchstat.Percentile(arrive, 90)
	res.ClientArriveP50, res.ClientArriveP90 = benchstat.Percentile(client, 50), benchstat.Percentile(client, 90)
	return nil
}

// osdDumpJSON is the part of an osdmap the bench reads, full (OSDs) or
// incremental (NewOSDs).
type osdDumpJSON struct {
	Epoch   uint64      `json:"epoch"`
	OSDs    []osdUpJSON `json:"osds"`
	NewOSDs []osdUpJSON `json:"new_osds"`
}

type osdUpJSON struct {
	OSD int `json:"osd"`
	Up  int `json:"up"`
}

// moduleTimes runs the bench module's command on the active mgr.
func (c *cluster) moduleTimes(ctx context.Context) (map[string]int64, error) {
	r, err := c.monc.Command(ctx, map[string]any{"prefix": "mgr dump", "format": "json"}, nil)
	if err != nil {
		return nil, err
	}
	var mm clustermap.MgrMap
	if err := json.Unmarshal(r.Out, &mm); err != nil {
		return nil, fmt.Errorf("%w: mgr dump: %w", ErrChild, err)
	}
	if !mm.Available || len(mm.ActiveAddrs.Addrvec) == 0 {
		return nil, fmt.Errorf("%w: no active mgr", ErrChild)
	}
	r, err = host.Command(ctx, nil, mm.ActiveAddrs.Addrvec[0].Addr, map[string]any{"prefix": moduleCommand}, nil)
	if err != nil {
		return nil, err
	}
	if r.Retval != 0 {
		return nil, fmt.Errorf("%w: %s: %d %s", ErrChild, moduleCommand, r.Retval, r.Status)
	}
	return parseTimes(r.Out)
}

// parseTimes decodes the module's {"epoch": ns} answer.
func parseTimes(b []byte) (map[string]int64, error) {
	var raw map[string]json.Number
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: module times: %w", ErrChild, err)
	}
	out := make(map[string]int64, len(raw))
	for k, v := range raw {
		if _, err := strconv.ParseUint(k, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: module times: epoch %q", ErrChild, k)
		}
		ns, err := v.Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: module times: %q: %w", ErrChild, v, err)
		}
		out[k] = ns
	}
	return out, nil
}

// poll calls cond until it holds, fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %v waiting for %s", ErrTimeout, timeout, what)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func us(d time.Duration) float64                        { return float64(d) / 1e3 }
func mb(b int64) float64                                { return float64(b) / (1 << 20) }
func pct(cpu time.Duration, wall time.Duration) float64 { return 100 * float64(cpu) / float64(wall) }
