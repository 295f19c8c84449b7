package cephbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"gomgr/internal/benchstat"
	"gomgr/internal/cephcluster"
	"gomgr/internal/procstat"
)

// Manager names: in results, and as mgr.NAME in the cluster.
const (
	Gomgr   = "gomgr"
	CephMgr = "ceph-mgr"

	gomgrID   = "g" // gomgr's name in the MgrMap
	cephMgrID = "c"

	startTimeout  = 90 * time.Second // a manager's start to the probe answering
	changeTimeout = 30 * time.Second // a change to the probe hearing of it
	pollEvery     = 20 * time.Millisecond
)

// modifiedLayout is how `ceph osd dump -f json` writes "modified".
const modifiedLayout = "2006-01-02T15:04:05.999999-0700"

// Options configures Run.
type Options struct {
	// Exe and MgrArgs run gomgr's mgr, to which Run appends -c CONF -i g
	// --modules DIR (gomgr: its own binary and ["mgr"]).
	Exe     string
	MgrArgs []string
	// Changes is how many epochs each manager is measured on (20), one
	// change each: `ceph osd out OSD`, then `ceph osd in OSD`, and so on.
	// Even, so that the OSD is in again at the end.
	Changes int
	OSD     int // the OSD marked out and in: 0 or 1
	// Settle is the pause after the probe has heard of a change before the
	// next one (1 s), for the epochs the change causes after its own.
	Settle time.Duration
	// Rounds (1) alternate the managers: gomgr, ceph-mgr, gomgr, ...,
	// each round a fresh process of each making Changes changes, so that
	// other load on the machine weighs on both alike.
	Rounds int
	// CephModules is Ceph's module path, with mgr_module.py
	// (/usr/share/ceph/mgr).
	CephModules string
	// MapOSDs adds this many OSD entries to the osdmap (`osd create`,
	// never started), so that every epoch's map, and gomgr's `osd dump`
	// of it, has the size of a larger cluster's.
	MapOSDs int
	// Log gets progress lines (nil: none).
	Log io.Writer
}

func (o *Options) defaults() error {
	if o.Exe == "" {
		return fmt.Errorf("%w: Exe is required", ErrOptions)
	}
	if o.Changes == 0 {
		o.Changes = 20
	}
	if o.Changes < 2 || o.Changes%2 != 0 {
		return fmt.Errorf("%w: Changes must be even and at least 2, got %d", ErrOptions, o.Changes)
	}
	if o.OSD != 0 && o.OSD != 1 {
		return fmt.Errorf("%w: OSD must be 0 or 1, got %d", ErrOptions, o.OSD)
	}
	if o.Settle <= 0 {
		o.Settle = time.Second
	}
	if o.Rounds <= 0 {
		o.Rounds = 1
	}
	if o.CephModules == "" {
		o.CephModules = "/usr/share/ceph/mgr"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Result is one manager's figures. Latency is the probe's time.time_ns()
// in notify minus the epoch's "modified" stamp (the mon's commit).
type Result struct {
	Mgr     string `json:"mgr"` // Gomgr or CephMgr
	Version string `json:"version,omitempty"`
	Command string `json:"command"`
	// StartS is the process start to the manager active and available in
	// the MgrMap and the probe answering its command (the mean over the
	// rounds).
	StartS  float64 `json:"start_s"`
	Rounds  int     `json:"rounds"`
	Samples int     `json:"samples"`
	// ExtraEpochs are the further epochs the changes caused (PG peering),
	// which the probe heard of but are not samples.
	ExtraEpochs int     `json:"extra_epochs"`
	P50Ms       float64 `json:"notify_latency_ms_p50"`
	P90Ms       float64 `json:"notify_latency_ms_p90"`
	MaxMs       float64 `json:"notify_latency_ms_max"`
	MinMs       float64 `json:"notify_latency_ms_min"`
	// P50VsGomgr is this p50 over gomgr's (1 for gomgr).
	P50VsGomgr float64 `json:"p50_vs_gomgr"`
	P90VsGomgr float64 `json:"p90_vs_gomgr"`
	// LoadAvg1m is the machine's load when the manager's turns ended (the
	// mean over the rounds): other work on a shared machine inflates the
	// figures.
	LoadAvg1m float64 `json:"loadavg_1m"`
	// MonCPUMsPerEpoch is the ceph-mon's CPU time (user and system) while
	// the manager's changes ran, over the epochs they made: what serving
	// this manager costs the mon per epoch, beside the epoch's own cost.
	MonCPUMsPerEpoch float64  `json:"mon_cpu_ms_per_epoch"`
	OSDsInMap        int      `json:"osds_in_map"`
	Epochs           []Sample `json:"epochs"`
}

// merge adds one round's r to the results.
func (r *Result) merge(round Result, rounds int) {
	r.Version, r.Command = round.Version, round.Command
	r.Rounds++
	r.StartS += round.StartS / float64(rounds)
	r.LoadAvg1m += round.LoadAvg1m / float64(rounds)
	r.MonCPUMsPerEpoch += round.MonCPUMsPerEpoch / float64(rounds)
	r.OSDsInMap = round.OSDsInMap
	r.Samples += round.Samples
	r.ExtraEpochs += round.ExtraEpochs
	r.Epochs = append(r.Epochs, round.Epochs...)
}

// Sample is one change's epoch.
type Sample struct {
	Epoch     int     `json:"epoch"`
	Change    string  `json:"change"` // "out" or "in"
	LatencyMs float64 `json:"latency_ms"`
	notifyNs  int64
}

// record is one notify as the probe saw it.
type record struct {
	Epoch    int
	NotifyNs int64
	Out      []int // OSDs out in that epoch
}

func (r *record) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 3 {
		return fmt.Errorf("%w: record %s", ErrProbe, b)
	}
	for i, v := range []any{&r.Epoch, &r.NotifyNs, &r.Out} {
		if err := json.Unmarshal(raw[i], v); err != nil {
			return fmt.Errorf("%w: record %s: %w", ErrProbe, b, err)
		}
	}
	return nil
}

// Run starts a cluster, measures gomgr and then ceph-mgr on it, and
// removes everything before it returns. The results are gomgr's and
// ceph-mgr's, as far as they got.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if err := cephcluster.Installed("ceph-mon", "ceph-osd", "ceph-mgr", "monmaptool", "ceph"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cephbench-*")
	if err != nil {
		return nil, fmt.Errorf("cephbench: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := writeProbe(dir, o.CephModules); err != nil {
		return nil, err
	}
	c, err := cephcluster.New(ctx, cephcluster.Options{OSDs: 2, Pools: []string{"bench"}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	fmt.Fprintf(o.Log, "bench ceph: cluster up (mon %s, 2 OSDs) in %s\n", c.MonAddr, c.Dir)
	if o.MapOSDs > 0 {
		fmt.Fprintf(o.Log, "bench ceph: adding %d OSD entries to the osdmap\n", o.MapOSDs)
		// In batches: one CLI call gives up after 30 s, and each create
		// is a commit (about 50 ms here).
		for left := o.MapOSDs; left > 0; left -= 200 {
			cmds := make([]string, min(left, 200))
			for i := range cmds {
				cmds[i] = "osd create"
			}
			if _, err := c.CephBatch(ctx, cmds); err != nil {
				return nil, err
			}
		}
	}
	// Enabled before either manager runs: ceph-mgr starts with it and
	// never respawns to enable it.
	if _, err := c.Ceph(ctx, "mgr", "module", "enable", ProbeName, "--force"); err != nil {
		return nil, err
	}
	b := &bench{o: o, c: c, dir: dir}
	out := []Result{{Mgr: Gomgr}, {Mgr: CephMgr}}
	for round := range o.Rounds {
		for i := range out {
			r, err := b.measure(ctx, out[i].Mgr)
			if err != nil {
				return nil, fmt.Errorf("cephbench: %s, round %d: %w", out[i].Mgr, round+1, err)
			}
			out[i].merge(r, o.Rounds)
		}
	}
	if err := b.latencies(ctx, out); err != nil {
		return out, err
	}
	for i := range out {
		out[i].P50VsGomgr = ratio(out[i].P50Ms, out[0].P50Ms)
		out[i].P90VsGomgr = ratio(out[i].P90Ms, out[0].P90Ms)
	}
	return out, nil
}

// bench is one Run's cluster and module path.
type bench struct {
	o   Options
	c   *cephcluster.Cluster
	dir string
}

// measure runs one manager alone, waits until its probe answers, and
// makes o.Changes changes, each after the probe heard of the previous one.
func (b *bench) measure(ctx context.Context, mgr string) (Result, error) {
	r := Result{Mgr: mgr}
	began := time.Now()
	var p *cephcluster.Proc
	var id string
	var err error
	switch mgr {
	case Gomgr:
		id = gomgrID
		args := append(slices.Clone(b.o.MgrArgs), "-c", b.c.Conf, "-i", id, "--modules", b.dir)
		r.Command = strings.Join(append([]string{b.o.Exe}, args...), " ")
		p, err = b.c.StartDaemon("mgr."+id, b.o.Exe, args...)
	case CephMgr:
		id = cephMgrID
		r.Command = "ceph-mgr -c " + b.c.Conf + " -i " + id + " -f --mgr_module_path " + b.dir
		r.Version = cephMgrVersion(ctx)
		p, err = b.c.StartMgr(id, "--mgr_module_path", b.dir)
	}
	if err != nil {
		return r, err
	}
	defer p.Stop()
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := b.c.WaitMgr(sctx, id); err != nil {
		return r, err
	}
	var seen []record
	err = poll(sctx, p, "the probe answering", func() (bool, error) {
		var err error
		seen, err = b.probe(sctx)
		return err == nil, nil
	})
	if err != nil {
		return r, fmt.Errorf("%w (last: %w)", err, b.probeErr(sctx))
	}
	r.StartS = time.Since(began).Seconds()
	fmt.Fprintf(b.o.Log, "bench ceph: %s active, probe answering, in %.2f s\n", mgr, r.StartS)

	first := lastEpoch(seen)
	last := first
	monCPU0, err := procstat.Read(b.c.Mon().Pid)
	if err != nil {
		return r, err
	}
	for i := range b.o.Changes {
		change := "out"
		if i%2 == 1 {
			change = "in"
		}
		if _, err := b.c.Ceph(ctx, "osd", change, strconv.Itoa(b.o.OSD)); err != nil {
			return r, err
		}
		var hit record
		cctx, cancel := context.WithTimeout(ctx, changeTimeout)
		err := poll(cctx, p, fmt.Sprintf("the probe hearing of osd %s %d", change, b.o.OSD), func() (bool, error) {
			seen, err = b.probe(cctx)
			if err != nil {
				return false, err
			}
			for _, s := range seen {
				if s.Epoch > last && slices.Contains(s.Out, b.o.OSD) == (change == "out") {
					hit = s
					return true, nil
				}
			}
			return false, nil
		})
		cancel()
		if err != nil {
			return r, err
		}
		r.Epochs = append(r.Epochs, Sample{Epoch: hit.Epoch, Change: change, notifyNs: hit.NotifyNs})
		last = hit.Epoch
		if err := sleep(ctx, b.o.Settle); err != nil {
			return r, err
		}
	}
	if seen, err = b.probe(ctx); err != nil {
		return r, err
	}
	epochs := map[int]bool{}
	for _, s := range seen {
		if s.Epoch > first {
			epochs[s.Epoch] = true
		}
	}
	r.Samples = len(r.Epochs)
	r.ExtraEpochs = len(epochs) - r.Samples
	monCPU1, err := procstat.Read(b.c.Mon().Pid)
	if err != nil {
		return r, err
	}
	if len(epochs) > 0 {
		r.MonCPUMsPerEpoch = (monCPU1.CPU - monCPU0.CPU).Seconds() * 1000 / float64(len(epochs))
	}
	r.OSDsInMap = 2 + b.o.MapOSDs
	r.LoadAvg1m = procstat.LoadAvg()
	fmt.Fprintf(b.o.Log, "bench ceph: %s: %d changes, %d more epochs\n", mgr, r.Samples, r.ExtraEpochs)
	p.Stop()
	// gomgr hands over on SIGTERM (mgr fail of itself), ceph-mgr does
	// not: the next manager would wait out the beacon grace (30 s).
	_, _ = b.c.Ceph(ctx, "mgr", "fail", id)
	return r, nil
}

// probe returns what the probe recorded.
func (b *bench) probe(ctx context.Context) ([]record, error) {
	out, err := b.c.Ceph(ctx, ProbeName, "seen")
	if err != nil {
		return nil, err
	}
	var seen []record
	if err := json.Unmarshal(out, &seen); err != nil {
		return nil, fmt.Errorf("%w: %w: %q", ErrProbe, err, out)
	}
	return seen, nil
}

// probeErr is why the probe does not answer, for an error message.
func (b *bench) probeErr(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := b.probe(ctx)
	return err
}

// latencies fills every sample's latency from its epoch's "modified"
// stamp, all read in one ceph CLI run.
func (b *bench) latencies(ctx context.Context, rs []Result) error {
	var cmds []string
	for _, r := range rs {
		for _, s := range r.Epochs {
			cmds = append(cmds, fmt.Sprintf("osd dump %d", s.Epoch))
		}
	}
	out, err := b.c.CephBatch(ctx, cmds, "-f", "json")
	if err != nil {
		return err
	}
	modified := map[int]time.Time{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var d struct {
			Epoch    int    `json:"epoch"`
			Modified string `json:"modified"`
		}
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("cephbench: osd dump: %w", err)
		}
		t, err := time.Parse(modifiedLayout, d.Modified)
		if err != nil {
			return fmt.Errorf("cephbench: osd dump %d: modified: %w", d.Epoch, err)
		}
		modified[d.Epoch] = t
	}
	for i := range rs {
		r := &rs[i]
		var ms []float64
		for j := range r.Epochs {
			s := &r.Epochs[j]
			t, ok := modified[s.Epoch]
			if !ok {
				return fmt.Errorf("cephbench: no osd dump of epoch %d", s.Epoch)
			}
			s.LatencyMs = float64(s.notifyNs-t.UnixNano()) / 1e6
			ms = append(ms, s.LatencyMs)
		}
		r.P50Ms, r.P90Ms = benchstat.Percentile(ms, 50), benchstat.Percentile(ms, 90)
		r.MinMs, r.MaxMs = slices.Min(ms), slices.Max(ms)
	}
	return nil
}

// poll calls cond every pollEvery until it holds, fails, p exits or ctx
// ends.
func poll(ctx context.Context, p *cephcluster.Proc, what string, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if !p.Alive() {
			return fmt.Errorf("cephbench: waiting for %s: %v (its log: %s)", what, p, p.Out)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for %s: %w", ErrTimeout, what, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func lastEpoch(seen []record) int {
	last := 0
	for _, s := range seen {
		last = max(last, s.Epoch)
	}
	return last
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// cephMgrVersion is `ceph-mgr --version` ("ceph version 16.2.15 (...)
// pacific (stable)"), or "" if it does not answer.
func cephMgrVersion(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ceph-mgr", "--version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
