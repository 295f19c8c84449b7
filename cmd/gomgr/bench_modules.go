package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules/isolate"
	"gomgr/modules/modbench"
	"gomgr/registry"
)

func init() {
	register(command{path: "bench modules", args: "[--json] [--modes isolated,in-process,cpython] [--duration 2s] [--osds 1000]",
		help: "Python module notify throughput and latency, enable to first notify, get('osd_map'), RSS", run: benchModules})
}

// IsolateForBench wraps a Python Source of dir in module processes that
// re-execute this binary as the module role (roles.go), configured through
// the same environment as the mgr's (GOMGR_MODULE_DIRS).
func IsolateForBench(inner registry.Source, dir string) registry.Source {
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	return isolate.NewSource(inner, isolate.Config{Logger: quiet, Command: moduleCommand,
		Env: []string{envModuleDirs + "=" + dir, envAllowOS + "="}})
}

func benchModules(args []string) error {
	fs := newFlags("bench modules", "[--json]")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	modes := fs.String("modes", "isolated,in-process,cpython", "modes to measure, in order (cpython needs Debian's python3 and ceph-mgr-modules-core)")
	dur := fs.Duration("duration", 2*time.Second, "measured time per throughput case")
	osds := fs.Int("osds", 1000, "OSDs in the osd_map")
	if err := parse(fs, args); err != nil {
		return err
	}
	res, err := modbench.Run(context.Background(), modbench.Options{
		Modes: splitList(*modes), Duration: *dur, OSDs: *osds,
		Isolate: IsolateForBench, Log: os.Stderr,
	})
	if errors.Is(err, modbench.ErrOptions) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(os.Stdout, res)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mode\tmetric\tmodules\tvalue\tdetail")
	for _, r := range res {
		var v, d string
		switch r.Metric {
		case modbench.MetricNotify:
			v = fmt.Sprintf("%.0f notify/s", r.NotifyPerS)
			d = fmt.Sprintf("p50 %.0f us, p99 %.0f us, p99 loaded %.0f us, %d events, %d dropped", r.P50us, r.P99us, r.P99LoadedUs, r.N, r.Dropped)
		case modbench.MetricEnable:
			v = fmt.Sprintf("%.1f ms", r.EnableToFirstNotifyMs)
			d = fmt.Sprintf("notify does %s; p50 of %d, max %.1f ms (ceph-mgr 16.2: 3760 ms)", r.Work, r.N, r.EnableMaxMs)
		case modbench.MetricGet:
			v = fmt.Sprintf("%.1f us", r.GetOSDMapUs)
			d = fmt.Sprintf("%s, %d osds (ceph-mgr 16.2: 16-21 ms)", r.Cache, r.OSDs)
		case modbench.MetricRSS:
			v = fmt.Sprintf("%d KiB", r.RSSKB)
			d = fmt.Sprintf("pss %d KiB", r.PSSKB)
			if r.Modules > 0 {
				state := "busy"
				if r.AtRest {
					state = "at rest"
				}
				d = fmt.Sprintf("%s: %.0f KiB per module; pss %d KiB, %.0f KiB per module", state, r.PerModuleKB, r.PSSKB, r.PSSPerModuleKB)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Mode, strings.ReplaceAll(r.Metric, "_", " "), r.Modules, v, d)
	}
	return tw.Flush()
}
