package modbench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gomgr/internal/benchstat"
	"gomgr/internal/jsontree"
	"gomgr/internal/procstat"
	"gomgr/modules"
	"gomgr/modules/cpython"
	"gomgr/modules/isolate"
	"gomgr/registry"

	"github.com/sirupsen/logrus"
)

// Modes.
const (
	ModeIsolated  = "isolated"   // gpython, one child process per module
	ModeInProcess = "in-process" // gpython inside the manager
	ModeCPython   = "cpython"    // Debian's python3, one process per module, on Ceph's mgr_module.py
)

// Metrics, in Result.Metric.
const (
	MetricNotify = "notify"
	MetricEnable = "enable_to_first_notify"
	MetricGet    = "get_osd_map"
	MetricRSS    = "rss"
)

// Options tune Run; zero fields take the defaults, which keep a run of
// both modes under a minute on two cores.
type Options struct {
	// Modes to measure, in order; default isolated then in-process.
	Modes []string
	// Counts are the numbers of modules notified at once; default 1, 10.
	// RSS is measured with the largest.
	Counts []int
	// Duration of each throughput case; default 2s.
	Duration time.Duration
	// Window bounds the events in flight per module during the throughput
	// case, below the registry's queue length so nothing is dropped;
	// default 256.
	Window int
	// LatencyEvents are sent one at a time for the unloaded latency;
	// default 300.
	LatencyEvents int
	// EnableRuns is how many modules are enabled one after the other for
	// enable_to_first_notify; default 5.
	EnableRuns int
	// GetRuns is how many new osd_map versions are read once each (first),
	// and how many batches of GetCached get() of one version are timed
	// (cached); the figures are medians. Defaults 10 and 1000.
	GetRuns, GetCached int
	// OSDs in the osd_map; default 1000.
	OSDs int
	// Isolate wraps the Python Source of the generated module directory dir
	// in an isolate.Source whose children rebuild the same Source (needed
	// for ModeIsolated; see the package documentation).
	Isolate func(inner registry.Source, dir string) registry.Source
	// TempDir holds the generated modules; default os.TempDir().
	TempDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

func (o *Options) defaults() error {
	if len(o.Modes) == 0 {
		o.Modes = []string{ModeIsolated, ModeInProcess}
	}
	for _, m := range o.Modes {
		if m != ModeIsolated && m != ModeInProcess && m != ModeCPython {
			return fmt.Errorf("%w: mode %q (want %s, %s or %s)", ErrOptions, m, ModeIsolated, ModeInProcess, ModeCPython)
		}
		if m == ModeIsolated && o.Isolate == nil {
			return fmt.Errorf("%w: mode %s needs Options.Isolate", ErrOptions, m)
		}
	}
	if len(o.Counts) == 0 {
		o.Counts = []int{1, 10}
	}
	for _, n := range o.Counts {
		if n < 1 || n > 100 {
			return fmt.Errorf("%w: %d modules (1..100)", ErrOptions, n)
		}
	}
	def := func(name string, p *int, v int) error {
		if *p < 0 {
			return fmt.Errorf("%w: negative %s %d", ErrOptions, name, *p)
		}
		if *p == 0 {
			*p = v
		}
		return nil
	}
	for _, d := range []struct {
		name string
		p    *int
		v    int
	}{{"Window", &o.Window, 256}, {"LatencyEvents", &o.LatencyEvents, 300}, {"EnableRuns", &o.EnableRuns, 5},
		{"GetRuns", &o.GetRuns, 10}, {"GetCached", &o.GetCached, 1000}, {"OSDs", &o.OSDs, 1000}} {
		if err := def(d.name, d.p, d.v); err != nil {
			return err
		}
	}
	if o.Window >= registry.DefaultQueueLen {
		return fmt.Errorf("%w: window %d must stay under the queue length %d", ErrOptions, o.Window, registry.DefaultQueueLen)
	}
	if o.Duration < 0 {
		return fmt.Errorf("%w: negative duration", ErrOptions)
	}
	if o.Duration == 0 {
		o.Duration = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Result is one figure; which fields are set depends on Metric.
type Result struct {
	Bench   string `json:"bench"`  // always "modules"
	Metric  string `json:"metric"` // notify, enable_to_first_notify, get_osd_map, rss
	Mode    string `json:"mode"`   // isolated or in-process
	Modules int    `json:"modules"`
	N       int    `json:"n"` // events, runs or calls behind the figure

	// notify: deliveries per second summed over the modules, NotifyAll
	// events per second (each reaching every module), latency from
	// NotifyAll to the return of the Notify carrying the event, one event in
	// flight (p50, p99) and under the throughput load (p99_loaded).
	NotifyPerS  float64 `json:"notify_per_s,omitempty"`
	EventsPerS  float64 `json:"events_per_s,omitempty"`
	P50us       float64 `json:"p50_us,omitempty"`
	P99us       float64 `json:"p99_us,omitempty"`
	P99LoadedUs float64 `json:"p99_loaded_us,omitempty"`
	Dropped     uint64  `json:"dropped,omitempty"` // should stay 0

	// enable_to_first_notify: p50 and max over the runs. Work is what
	// the module's notify does: "get+log" (its first get converts the
	// osd_map) or "log" (the host's cost alone).
	Work                  string  `json:"work,omitempty"`
	EnableToFirstNotifyMs float64 `json:"enable_to_first_notify_ms,omitempty"`
	EnableMaxMs           float64 `json:"enable_max_ms,omitempty"`

	// get_osd_map: one get('osd_map') timed inside Python; Cache is
	// "first" (a new version) or "cached" (the same version again).
	Cache       string  `json:"cache,omitempty"`
	OSDs        int     `json:"osds,omitempty"`
	GetOSDMapUs float64 `json:"get_osd_map_us,omitempty"`

	// rss: the process and its descendants; PerModuleKB is the growth over
	// the same figure with no module, divided by Modules. PSSKB is the
	// same tree's PSS (shared pages divided among their sharers), and
	// PSSPerModuleKB its growth per module. With modules, two figures:
	// right after the notify runs (busy), and AtRest, after the module
	// processes have released the maps they no longer use.
	AtRest         bool    `json:"at_rest,omitempty"`
	RSSKB          int64   `json:"rss_kb,omitempty"`
	PerModuleKB    float64 `json:"rss_per_module_kb,omitempty"`
	PSSKB          int64   `json:"pss_kb,omitempty"`
	PSSPerModuleKB float64 `json:"pss_per_module_kb,omitempty"`
}

// moduleSrc is every benchmark module: notify reads the osd_map and logs,
// as real modules do; the command times get('osd_map') from Python.
const moduleSrc = `import time

from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = [%s]
    COMMANDS = [
        {"cmd": "modbench %s get name=n,type=CephInt,req=false",
         "desc": "time n get('osd_map') calls", "perm": "r"},
    ]

    def notify(self, notify_type, notify_id):
%s

    def handle_command(self, inbuf, cmd):
        n = int(cmd.get("n", 1))
        i = 0
        t0 = time.monotonic()
        while i < n:
            m = self.get("osd_map")
            i += 1
        ns = int((time.monotonic() - t0) * 1000000000)
        return 0, str(ns), str(len(m["osds"]))
`

// Bodies of notify(): what the benchmark modules do per event.
const (
	workGetLog = "get+log" // get('osd_map') and self.log.debug, as a real module
	workLog    = "log"     // self.log.debug only: the host's own cost
)

var notifyBody = map[string]string{
	workGetLog: `        m = self.get("osd_map")
        self.log.debug("osd_map epoch %d, %d osds", m["epoch"], len(m["osds"]))`,
	workLog: `        self.log.debug("notified of %s %s", notify_type, notify_id)`,
}

// writeModule writes <dir>/<name>/module.py; work "" subscribes to nothing.
func writeModule(dir, name, work string) error {
	types, body := "", "        pass"
	if work != "" {
		types, body = `"osd_map"`, notifyBody[work]
	}
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrModule, err)
	}
	src := fmt.Sprintf(moduleSrc, types, name, body)
	if err := os.WriteFile(filepath.Join(d, "module.py"), []byte(src), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrModule, err)
	}
	return nil
}

// Run measures every mode in o.Modes and returns the figures in order.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	osdMap, err := OSDMap(o.OSDs)
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp(o.TempDir, "modbench-")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModule, err)
	}
	defer os.RemoveAll(root)
	maxN := slices.Max(o.Counts)
	// Two directories, so that the throughput registry loads (and, isolated,
	// spawns) only the modules it runs: the RSS figure counts just those.
	tpDir, miscDir := filepath.Join(root, "notify"), filepath.Join(root, "misc")
	for i := range maxN {
		if err := writeModule(tpDir, fmt.Sprintf("bench_%d", i), workGetLog); err != nil {
			return nil, err
		}
	}
	for i := range o.EnableRuns {
		for _, w := range []string{workGetLog, workLog} {
			if err := writeModule(miscDir, enableName(w, i), w); err != nil {
				return nil, err
			}
		}
	}
	if err := writeModule(miscDir, "getter", ""); err != nil {
		return nil, err
	}

	var out []Result
	for _, mode := range o.Modes {
		b := &bench{o: &o, mode: mode, osdMap: osdMap}
		res, err := b.notifyAndRSS(ctx, tpDir, maxN)
		out = append(out, res...)
		if err != nil {
			return out, err
		}
		res, err = b.enableAndGet(ctx, miscDir)
		out = append(out, res...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

type bench struct {
	o      *Options
	mode   string
	osdMap map[string]any
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.o.Log, "modbench: %s: "+format+"\n", append([]any{b.mode}, args...)...)
}

func (b *bench) source(dir string) registry.Source {
	if b.mode == ModeCPython {
		quiet := logrus.New()
		quiet.SetOutput(io.Discard)
		return cpython.NewSource(cpython.Config{Dirs: []string{dir}, Isolate: isolate.Config{Logger: quiet}})
	}
	py := modules.NewSource(modules.Config{Dirs: []string{dir}})
	if b.mode == ModeIsolated {
		return b.o.Isolate(py, dir)
	}
	return py
}

// newRegistry loads dir's modules against a fresh MemState holding the
// osd_map; the registry's own and the modules' log lines are discarded.
func (b *bench) newRegistry(ctx context.Context, dir string, tr *tracker) (*registry.Registry, *registry.MemState, error) {
	st := registry.NewMemState()
	st.SetEncoder(jsontree.Marshal) // as the mgr's ClusterState encodes its maps
	st.Set("osd_map", b.osdMap)
	reg, err := registry.New(registry.Config{
		Sources: []registry.Source{b.source(dir)}, State: st, MgrID: "bench",
		ObserveNotify: tr.observe,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrModule, err)
	}
	if err := reg.Load(ctx); err != nil {
		reg.Close(context.Background())
		return nil, nil, fmt.Errorf("%w: load: %w", ErrModule, err)
	}
	for _, s := range reg.Modules() {
		if s.State == registry.StateUnloadable || s.State == registry.StateCannotRun {
			reg.Close(context.Background())
			return nil, nil, fmt.Errorf("%w: %s is %s: %s", ErrModule, s.Name, s.State, s.Error)
		}
	}
	return reg, st, nil
}

func closeReg(reg *registry.Registry, err *error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cerr := reg.Close(ctx); cerr != nil && *err == nil {
		*err = fmt.Errorf("%w: close: %w", ErrModule, cerr)
	}
}

// waitRunning waits until every named module is running.
func waitRunning(ctx context.Context, reg *registry.Registry, names []string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		for _, s := range reg.Modules() {
			if !want[s.Name] {
				continue
			}
			switch s.State {
			case registry.StateRunning:
				delete(want, s.Name)
			case registry.StateFailed, registry.StateStopped:
				return fmt.Errorf("%w: %s is %s: %s", ErrModule, s.Name, s.State, s.Error)
			}
		}
		if len(want) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: modules not running after 30s: %v", ErrTimeout, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond): // polling module states
		}
	}
}

func (b *bench) notifyAndRSS(ctx context.Context, dir string, maxN int) (out []Result, err error) {
	debug.FreeOSMemory()
	mem0, err := procstat.ReadTree(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRSS, err)
	}
	out = append(out, Result{Bench: "modules", Metric: MetricRSS, Mode: b.mode, Modules: 0, N: 1,
		RSSKB: mem0.RSS >> 10, PSSKB: mem0.PSS >> 10})

	tr := newTracker()
	reg, _, err := b.newRegistry(ctx, dir, tr)
	if err != nil {
		return out, err
	}
	defer closeReg(reg, &err)
	counts := slices.Clone(b.o.Counts)
	sort.Ints(counts)
	var enabled []string
	for _, n := range counts {
		for len(enabled) < n {
			name := fmt.Sprintf("bench_%d", len(enabled))
			if err := reg.Enable(ctx, name); err != nil {
				return out, fmt.Errorf("%w: enable %s: %w", ErrModule, name, err)
			}
			enabled = append(enabled, name)
		}
		if err := waitRunning(ctx, reg, enabled); err != nil {
			return out, err
		}
		r, err := b.notify(ctx, reg, tr, enabled)
		if err != nil {
			return out, err
		}
		b.logf("%d modules: %.0f notify/s, p99 %.0f us (%.0f us loaded)", n, r.NotifyPerS, r.P99us, r.P99LoadedUs)
		out = append(out, r)
	}
	debug.FreeOSMemory()
	mem, err := procstat.ReadTree(os.Getpid())
	if err != nil {
		return out, fmt.Errorf("%w: %w", ErrRSS, err)
	}
	b.logf("with %d modules, busy: rss %d KiB, pss %d KiB (%d, %d KiB without)", maxN, mem.RSS>>10, mem.PSS>>10, mem0.RSS>>10, mem0.PSS>>10)
	out = append(out, memResult(b.mode, maxN, false, mem0, mem))

	if b.mode == ModeInProcess {
		return out, nil // one process: the host's Values are shared, nothing to let go
	}
	// At rest: module processes let go of what no get() asked for again
	// within isolate.DefaultReleaseAfter.
	select {
	case <-ctx.Done():
		return out, ctx.Err()
	case <-time.After(2*isolate.DefaultReleaseAfter + 250*time.Millisecond):
	}
	debug.FreeOSMemory()
	if mem, err = procstat.ReadTree(os.Getpid()); err != nil {
		return out, fmt.Errorf("%w: %w", ErrRSS, err)
	}
	b.logf("with %d modules, at rest: rss %d KiB, pss %d KiB", maxN, mem.RSS>>10, mem.PSS>>10)
	out = append(out, memResult(b.mode, maxN, true, mem0, mem))
	return out, nil
}

func memResult(mode string, n int, rest bool, mem0, mem procstat.Tree) Result {
	return Result{Bench: "modules", Metric: MetricRSS, Mode: mode, Modules: n, N: 1, AtRest: rest,
		RSSKB: mem.RSS >> 10, PerModuleKB: float64(mem.RSS-mem0.RSS) / 1024 / float64(n),
		PSSKB: mem.PSS >> 10, PSSPerModuleKB: float64(mem.PSS-mem0.PSS) / 1024 / float64(n)}
}

// notify measures one module set: unloaded latency first (one event in
// flight), then throughput with at most Window events in flight per module.
func (b *bench) notify(ctx context.Context, reg *registry.Registry, tr *tracker, names []string) (Result, error) {
	res := Result{Bench: "modules", Metric: MetricNotify, Mode: b.mode, Modules: len(names)}
	statsBefore := dropped(reg, names)
	// Warm up: every module converts the map once.
	sent := tr.base(names)
	reg.NotifyAll("osd_map", "")
	sent++
	if err := tr.waitAll(ctx, names, sent, 30*time.Second); err != nil {
		return res, err
	}

	tr.record(true)
	for range b.o.LatencyEvents {
		reg.NotifyAll("osd_map", "")
		sent++
		if err := tr.waitAll(ctx, names, sent, 10*time.Second); err != nil {
			return res, err
		}
	}
	lat := tr.record(false)
	res.P50us, res.P99us = pct(lat, 50), pct(lat, 99)

	// A CPython notify that parses the osd_map takes milliseconds: a full
	// window would make one batch outlast the notify deadline.
	window := uint64(b.o.Window)
	if b.mode == ModeCPython {
		window = min(window, 16)
	}
	tr.record(true)
	start := sent
	t0 := time.Now()
	end := t0.Add(b.o.Duration)
	for time.Now().Before(end) {
		// Fill the window, then wait for the slowest module to take some.
		for sent-tr.min(names) < window {
			reg.NotifyAll("osd_map", "")
			sent++
		}
		if err := tr.waitAll(ctx, names, sent-window/2, 30*time.Second); err != nil {
			return res, err
		}
	}
	if err := tr.waitAll(ctx, names, sent, 30*time.Second); err != nil {
		return res, err
	}
	el := time.Since(t0)
	loaded := tr.record(false)
	n := sent - start
	res.N = int(n)
	res.EventsPerS = float64(n) / el.Seconds()
	res.NotifyPerS = res.EventsPerS * float64(len(names))
	res.P99LoadedUs = pct(loaded, 99)
	res.Dropped = dropped(reg, names) - statsBefore
	return res, nil
}

func dropped(reg *registry.Registry, names []string) uint64 {
	var n uint64
	for _, name := range names {
		st, err := reg.Stats(name)
		if err == nil {
			n += st.Dropped + st.Coalesced + st.Discarded
		}
	}
	return n
}

// pct is the percentile p (0..100) of d in microseconds; it sorts d in
// place, which the callers no longer need in arrival order.
func pct(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(benchstat.PercentileSorted(d, p)) / float64(time.Microsecond)
}

// enableAndGet measures Enable to first notify over EnableRuns modules,
// then get('osd_map') from the getter module.
func (b *bench) enableAndGet(ctx context.Context, dir string) (out []Result, err error) {
	tr := newTracker()
	reg, st, err := b.newRegistry(ctx, dir, tr)
	if err != nil {
		return nil, err
	}
	defer closeReg(reg, &err)

	// Modules stay enabled after their run: a Disable would start opening
	// a spare instance (a process, isolated) during the next run.
	ms := map[string][]float64{}
	for i := range b.o.EnableRuns {
		for _, w := range []string{workGetLog, workLog} {
			name := enableName(w, i)
			t0 := time.Now()
			if err := reg.Enable(ctx, name); err != nil {
				return out, fmt.Errorf("%w: enable %s: %w", ErrModule, name, err)
			}
			reg.NotifyAll("osd_map", "")
			if err := tr.waitAll(ctx, []string{name}, 1, 30*time.Second); err != nil {
				return out, err
			}
			ms[w] = append(ms[w], float64(time.Since(t0))/float64(time.Millisecond))
		}
	}
	for _, w := range []string{workGetLog, workLog} {
		d := ms[w]
		slices.Sort(d)
		b.logf("enable to first notify (%s): p50 %.1f ms, max %.1f ms", w, d[(len(d)-1)/2], d[len(d)-1])
		out = append(out, Result{Bench: "modules", Metric: MetricEnable, Mode: b.mode, Modules: 1, N: len(d),
			Work: w, EnableToFirstNotifyMs: d[(len(d)-1)/2], EnableMaxMs: d[len(d)-1]})
	}

	if err := reg.Enable(ctx, "getter"); err != nil {
		return out, fmt.Errorf("%w: enable getter: %w", ErrModule, err)
	}
	if err := waitRunning(ctx, reg, []string{"getter"}); err != nil {
		return out, err
	}
	get := func(n int) (float64, error) {
		res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "modbench getter get", "n": int64(n)}})
		if err != nil {
			return 0, fmt.Errorf("%w: get command: %w", ErrModule, err)
		}
		if res.Retval != 0 || res.Stderr != strconv.Itoa(b.o.OSDs) {
			return 0, fmt.Errorf("%w: get command: retval %d, %q, %q", ErrModule, res.Retval, res.Stdout, res.Stderr)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: get command output %q: %w", ErrModule, res.Stdout, err)
		}
		return float64(ns) / 1e3 / float64(n), nil
	}
	var first []float64
	for range b.o.GetRuns {
		st.Set("osd_map", b.osdMap) // a new version: converted again
		us, err := get(1)
		if err != nil {
			return out, err
		}
		first = append(first, us)
	}
	slices.Sort(first)
	out = append(out, Result{Bench: "modules", Metric: MetricGet, Mode: b.mode, Modules: 1, N: len(first),
		Cache: "first", OSDs: b.o.OSDs, GetOSDMapUs: first[(len(first)-1)/2]})
	if _, err := get(1); err != nil { // the current version is converted now
		return out, err
	}
	// The median of GetRuns batches: one batch is short enough (0.3 ms
	// in-process) that a single preemption on a busy machine would dominate it.
	var batches []float64
	for range b.o.GetRuns {
		us, err := get(b.o.GetCached)
		if err != nil {
			return out, err
		}
		batches = append(batches, us)
	}
	slices.Sort(batches)
	cached := batches[(len(batches)-1)/2]
	out = append(out, Result{Bench: "modules", Metric: MetricGet, Mode: b.mode, Modules: 1, N: b.o.GetCached * len(batches),
		Cache: "cached", OSDs: b.o.OSDs, GetOSDMapUs: cached})
	b.logf("get('osd_map') %d osds: first %.0f us (p50 of %d), cached %.2f us", b.o.OSDs, first[(len(first)-1)/2], len(first), cached)
	return out, nil
}

func enableName(work string, i int) string {
	if work == workLog {
		return fmt.Sprintf("enable_log_%d", i)
	}
	return fmt.Sprintf("enable_get_%d", i)
}

// tracker counts delivered events per module (from ObserveNotify, on the
// registry's module goroutines) and records latencies while asked to.
type tracker struct {
	mu        sync.Mutex
	cond      *sync.Cond
	count     map[string]uint64
	recording bool
	lat       []time.Duration
}

func newTracker() *tracker {
	t := &tracker{count: map[string]uint64{}}
	t.cond = sync.NewCond(&t.mu)
	return t
}

func (t *tracker) observe(module string, d time.Duration) {
	t.mu.Lock()
	t.count[module]++
	if t.recording {
		t.lat = append(t.lat, d)
	}
	t.mu.Unlock()
	t.cond.Broadcast()
}

// base zeroes the named modules' counts (every event sent before has been
// delivered) so that the caller counts events sent from here, and returns 0.
func (t *tracker) base(names []string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, n := range names {
		t.count[n] = 0
	}
	return 0
}

// record starts or stops recording latencies; stopping returns them.
func (t *tracker) record(on bool) []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recording = on
	lat := t.lat
	t.lat = nil
	return lat
}

func (t *tracker) min(names []string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.minLocked(names)
}

func (t *tracker) minLocked(names []string) uint64 {
	m := uint64(1<<63 - 1)
	for _, n := range names {
		m = min(m, t.count[n])
	}
	return m
}

// waitAll waits until every named module has had at least n events.
func (t *tracker) waitAll(ctx context.Context, names []string, n uint64, d time.Duration) error {
	timer := time.AfterFunc(d, t.cond.Broadcast)
	defer timer.Stop()
	stop := context.AfterFunc(ctx, t.cond.Broadcast)
	defer stop()
	deadline := time.Now().Add(d)
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.minLocked(names) < n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !time.Now().Before(deadline) {
			got := map[string]uint64{}
			for _, name := range names {
				got[name] = t.count[name]
			}
			return fmt.Errorf("%w: %d events not delivered within %v: %v", ErrTimeout, n, d, got)
		}
		t.cond.Wait()
	}
	return nil
}
