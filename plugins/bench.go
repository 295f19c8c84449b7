package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/benchstat"
	"gomgr/internal/procstat"
	"gomgr/registry"
)

// BenchPluginName is the file name under which a binary serves the
// benchmark plugin (see ServeBenchPlugin): Bench links its own executable,
// or BenchOptions.PluginPath, under this name, since go-plugin runs a
// plugin with no arguments: the name (argv[0]) is what tells the binary.
const BenchPluginName = "gomgr-bench-plugin"

// ServeBenchPlugin serves Bench's plugin, and does not return, when this
// process was started as it (go-plugin's cookie, and the name Bench links
// it under); otherwise it returns false. A binary that Bench may run as its
// plugin calls it first thing, as cmd/gomgr does among its child roles.
func ServeBenchPlugin() bool {
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue || filepath.Base(os.Args[0]) != BenchPluginName {
		return false
	}
	Serve(&benchPlugin{name: BenchPluginName})
	return true
}

// BenchOptions sizes Bench. Zero values take the defaults noted.
type BenchOptions struct {
	// PluginPath is a binary that calls ServeBenchPlugin first thing (gomgr's does);
	// default: this process's own executable.
	PluginPath string
	Starts     int // start-ups timed per mode (default 10)
	Events     int // notifications sent to one plugin (default 1,000,000)
	BatchSize  int // events per Notify batch (default 1000)
	Callbacks  int // Host.Get round trips per mode (default 20,000)
	// Logger receives the plugin's logs (default: discarded).
	Logger logrus.FieldLogger
}

// BenchResult is one figure; the lead's `gomgr bench plugins --json`
// prints each as one JSON line.
type BenchResult struct {
	Bench  string  `json:"bench"`  // always "plugins"
	Metric string  `json:"metric"` // startup_ms, notify_per_s, callback_per_s, plugin_rss_kb
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	MTLS   bool    `json:"mtls"`
	Mode   string  `json:"mode,omitempty"`
	N      int     `json:"n"`
	P50    float64 `json:"p50,omitempty"`
	P99    float64 `json:"p99,omitempty"`
	PUnit  string  `json:"p_unit,omitempty"` // unit of P50/P99
}

// Bench measures Go plugins on this machine: start-up time (Open and
// Start) with and without AutoMTLS, notifications per second to one plugin
// over the stream with the per-batch latency, Host.Get round trips per
// second from the plugin, and the plugin's RSS.
func Bench(ctx context.Context, o BenchOptions) ([]BenchResult, error) {
	if o.Starts <= 0 {
		o.Starts = 10
	}
	if o.Events <= 0 {
		o.Events = 1_000_000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.Callbacks <= 0 {
		o.Callbacks = 20_000
	}
	if o.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		o.Logger = l
	}
	bin := o.PluginPath
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("plugins: bench: %w", err)
		}
		bin = exe
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, fmt.Errorf("plugins: bench: %w", err)
	}
	dir, err := os.MkdirTemp("", "gomgr-plugin-bench")
	if err != nil {
		return nil, fmt.Errorf("plugins: bench: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.Symlink(bin, filepath.Join(dir, BenchPluginName)); err != nil {
		return nil, fmt.Errorf("plugins: bench: %w", err)
	}
	newSrc := func(noTLS bool) *Source {
		return NewSource(Config{Dir: dir, DisableAutoMTLS: noTLS, Logger: o.Logger, SocketDir: filepath.Join(dir, "s")})
	}
	host := newBenchHost()
	var out []BenchResult

	// Start-ups alternate between the modes so that load from elsewhere
	// on the machine weighs on both alike.
	srcs := map[bool]*Source{true: newSrc(false), false: newSrc(true)}
	ms := map[bool][]float64{}
	for range o.Starts {
		for _, mtls := range []bool{true, false} {
			d, err := benchStartOnce(ctx, srcs[mtls], host)
			if err != nil {
				return out, err
			}
			ms[mtls] = append(ms[mtls], d)
		}
	}
	for _, mtls := range []bool{true, false} {
		xs := ms[mtls]
		out = append(out, BenchResult{Metric: "startup_ms", Value: mean(xs), Unit: "ms", MTLS: mtls,
			N: len(xs), P50: benchstat.Percentile(xs, 50), P99: benchstat.Percentile(xs, 99), PUnit: "ms"})
	}
	for _, mtls := range []bool{true, false} {
		rs, err := benchThroughput(ctx, srcs[mtls], host, o)
		for i := range rs {
			rs[i].MTLS = mtls
		}
		out = append(out, rs...)
		if err != nil {
			return out, err
		}
	}
	for i := range out {
		out[i].Bench = "plugins"
	}
	return out, nil
}

// benchStartOnce times Open+Start of the bench plugin, in milliseconds.
func benchStartOnce(ctx context.Context, src *Source, host registry.Host) (float64, error) {
	t0 := time.Now()
	m, err := src.Open(ctx, BenchPluginName)
	if err != nil {
		return 0, err
	}
	err = m.Start(ctx, host)
	d := time.Since(t0)
	if serr := m.Stop(ctx); err == nil {
		err = serr
	}
	return float64(d.Microseconds()) / 1000, err
}

// benchThroughput measures notifications, callbacks and RSS on one plugin.
func benchThroughput(ctx context.Context, src *Source, host registry.Host, o BenchOptions) ([]BenchResult, error) {
	var out []BenchResult
	mod, err := src.Open(ctx, BenchPluginName)
	if err != nil {
		return out, err
	}
	m := mod.(*module)
	defer m.Stop(context.Background())
	if err := m.Start(ctx, host); err != nil {
		return out, err
	}

	total := 0
	for _, run := range []struct{ events, size int }{
		{o.Events, o.BatchSize},
		{max(o.Events/50, 1), 1}, // one event per round trip, for comparison
	} {
		r, n, err := benchNotify(ctx, m, run.events, run.size)
		if err != nil {
			return out, err
		}
		total += n
		out = append(out, r)
	}
	r, err := m.Command(ctx, registry.Command{Args: map[string]any{"prefix": "bench count"}})
	if err != nil {
		return out, err
	}
	if want := strconv.Itoa(total); strings.TrimSpace(r.Stdout) != want {
		return out, fmt.Errorf("plugins: bench: plugin counted %s events, sent %s", r.Stdout, want)
	}

	for _, mode := range []string{"cached", "full"} {
		r, err := m.Command(ctx, registry.Command{Args: map[string]any{
			"prefix": "bench get", "name": "osd_map", "n": float64(o.Callbacks), "mode": mode}})
		if err != nil {
			return out, err
		}
		if r.Retval != 0 {
			return out, fmt.Errorf("plugins: bench get: %s", r.Stderr)
		}
		var g benchGet
		if err := json.Unmarshal([]byte(r.Stdout), &g); err != nil {
			return out, fmt.Errorf("plugins: bench get: %w", err)
		}
		out = append(out, BenchResult{Metric: "callback_per_s", Value: float64(g.N) / (float64(g.ElapsedNS) / 1e9),
			Unit: "calls/s", Mode: "get_" + mode, N: g.N, P50: g.P50US, P99: g.P99US, PUnit: "us"})
	}
	rss, err := procstat.ReadRSS(m.pid())
	if err != nil {
		return out, fmt.Errorf("plugins: bench: plugin RSS: %w", err)
	}
	out = append(out, BenchResult{Metric: "plugin_rss_kb", Value: float64(rss >> 10), Unit: "KiB", N: 1})
	return out, nil
}

// benchNotify sends events in batches of size after a warm-up, and
// returns the figure and how many events it sent in all.
func benchNotify(ctx context.Context, m *module, events, size int) (BenchResult, int, error) {
	batch := make([]registry.Event, size)
	for i := range batch {
		batch[i] = registry.Event{Kind: "bench", ID: strconv.Itoa(i)}
	}
	warm := 20
	for range warm {
		if err := m.Notify(ctx, batch); err != nil {
			return BenchResult{}, 0, err
		}
	}
	nb := (events + size - 1) / size
	lat := make([]float64, 0, nb)
	t0 := time.Now()
	for range nb {
		t := time.Now()
		if err := m.Notify(ctx, batch); err != nil {
			return BenchResult{}, 0, err
		}
		lat = append(lat, float64(time.Since(t).Microseconds()))
	}
	el := time.Since(t0)
	sent := nb * size
	return BenchResult{Metric: "notify_per_s", Value: float64(sent) / el.Seconds(), Unit: "events/s",
		Mode: fmt.Sprintf("batch=%d", size), N: sent, P50: benchstat.Percentile(lat, 50), P99: benchstat.Percentile(lat, 99),
		PUnit: "us/batch"}, sent + warm*size, nil
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}

type benchGet struct {
	N         int     `json:"n"`
	ElapsedNS int64   `json:"elapsed_ns"`
	P50US     float64 `json:"p50_us"`
	P99US     float64 `json:"p99_us"`
}

// benchPlugin counts events and times Host.Get round trips.
type benchPlugin struct {
	name string
	h    *Host
	n    atomic.Int64
}

func (p *benchPlugin) Declare() Declaration {
	return Declaration{
		Name: p.name, Version: "1", NotifyTypes: []string{"bench"},
		Commands: []registry.CommandDesc{
			{Cmd: "bench count", Desc: "events received", Perm: "r"},
			{Cmd: "bench get name=name,type=CephString n=n,type=CephInt mode=mode,type=CephChoices,strings=cached|full",
				Desc: "time n get(name) round trips", Perm: "r"},
		},
	}
}

func (p *benchPlugin) Init(h *Host) error { p.h = h; return nil }

func (p *benchPlugin) NotifyBatch(_ context.Context, evs []registry.Event) error {
	p.n.Add(int64(len(evs)))
	return nil
}

func (p *benchPlugin) HandleCommand(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	switch cmd.Args["prefix"] {
	case "bench count":
		return registry.CommandResult{Stdout: strconv.FormatInt(p.n.Load(), 10)}, nil
	case "bench get":
		name, _ := cmd.Args["name"].(string)
		n, _ := cmd.Args["n"].(float64)
		full := cmd.Args["mode"] == "full"
		lat := make([]float64, 0, int(n))
		t0 := time.Now()
		for range int(n) {
			t := time.Now()
			var err error
			if full {
				var v any
				err = p.h.GetInto(ctx, name, &v)
			} else {
				_, err = p.h.Get(ctx, name)
			}
			if err != nil {
				return registry.CommandResult{}, err
			}
			lat = append(lat, float64(time.Since(t).Nanoseconds())/1000)
		}
		el := time.Since(t0)
		b, err := json.Marshal(benchGet{N: len(lat), ElapsedNS: el.Nanoseconds(),
			P50US: benchstat.Percentile(lat, 50), P99US: benchstat.Percentile(lat, 99)})
		if err != nil {
			return registry.CommandResult{}, fmt.Errorf("plugins: bench get: %w", err)
		}
		return registry.CommandResult{Stdout: string(b)}, nil
	}
	return registry.CommandResult{Retval: einval, Stderr: "unknown command"}, nil
}

var (
	_ Plugin         = (*benchPlugin)(nil)
	_ BatchNotifier  = (*benchPlugin)(nil)
	_ CommandHandler = (*benchPlugin)(nil)
)

// benchHost answers get("osd_map") with a 3-OSD map and ignores the rest.
type benchHost struct{ v *registry.Value }

func newBenchHost() *benchHost {
	osds := []any{}
	for i := range 3 {
		osds = append(osds, map[string]any{"osd": int64(i), "up": int64(1), "in": int64(1)})
	}
	return &benchHost{v: registry.NewValue(1, map[string]any{"epoch": int64(1), "osds": osds})}
}

func (b *benchHost) MgrID() string { return "bench" }
func (b *benchHost) Get(name string) (*registry.Value, error) {
	if name != "osd_map" {
		return nil, registry.ErrNoData
	}
	return b.v, nil
}
func (b *benchHost) ListServers() []registry.Server                    { return nil }
func (b *benchHost) GetServer(string) (registry.Server, bool)          { return registry.Server{}, false }
func (b *benchHost) Metadata(string, string) (map[string]string, bool) { return nil, false }
func (b *benchHost) Counter(string, string, string) []registry.Sample  { return nil }
func (b *benchHost) Latest(string, string, string) (registry.Sample, bool) {
	return registry.Sample{}, false
}
func (b *benchHost) PerfSchema(string, string) map[string]registry.PerfCounter { return nil }
func (b *benchHost) ModuleOption(context.Context, string) (any, error) {
	return nil, registry.ErrUnknownOption
}
func (b *benchHost) SetModuleOption(context.Context, string, *string) error {
	return registry.ErrUnknownOption
}
func (b *benchHost) StoreGet(context.Context, string) (string, bool, error) { return "", false, nil }
func (b *benchHost) StoreSet(context.Context, string, *string) error        { return nil }
func (b *benchHost) StorePrefix(context.Context, string) (map[string]string, error) {
	return nil, nil
}
func (b *benchHost) SetHealthChecks(map[string]registry.HealthCheck) {}
func (b *benchHost) Log(string, string)                              {}

var _ registry.Host = (*benchHost)(nil)
