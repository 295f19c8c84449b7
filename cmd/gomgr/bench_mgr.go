package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/sim/simbench"
)

func init() {
	register(command{path: "bench mgr", args: "[--json] [--osds 1000,10000] [--period 1s] [--measure 15s] [--changes 30]",
		help: "mgr CPU per report and RSS, mon CPU per beacon and per epoch, notify latency", run: benchMgr})
}

func benchMgr(args []string) error {
	fs := newFlags("bench mgr", "[--json]")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	osds := fs.String("osds", "1000,10000", "cluster sizes (3..10000 OSDs), one run each")
	perHost := fs.Int("osds-per-host", 4, "OSDs sharing one simulated host's messenger")
	period := fs.Duration("period", time.Second, "OSD report period (Ceph: 5s; whole seconds)")
	measure := fs.Duration("measure", 15*time.Second, "steady-state window for the CPU figures")
	changes := fs.Int("changes", 30, "osdmap epochs committed for the notify latency")
	gap := fs.Duration("change-gap", 250*time.Millisecond, "time between two osdmap changes")
	inProcess := fs.Bool("python-in-process", false, "run the bench module inside the mgr (default: its own process)")
	if err := parse(fs, args); err != nil {
		return err
	}
	sizes, err := intList(*osds)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var mgrArgs []string
	if *inProcess {
		mgrArgs = append(mgrArgs, "--python-in-process")
	}
	res, err := simbench.Run(context.Background(), simbench.Options{Exe: exe,
		// auth none: the bench's own client and roles measure the paths, not cephx.
		MonArgs: []string{"mon", "--log-level", "warning", "--auth", "none"}, RoleArgv0: roleSimbench, MgrArgs: mgrArgs,
		OSDs: sizes, OSDsPerHost: *perHost, Period: *period, Measure: *measure, Changes: *changes, ChangeGap: *gap,
		Log: os.Stderr})
	if len(res) == 0 {
		return err
	}
	// Print what was measured even when a size failed; its row says why.
	if *asJSON {
		if perr := printJSON(os.Stdout, res); perr != nil {
			return perr
		}
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "OSDs\treports/s\tmgr us/report\tmgr CPU%\tmgr CPU% @5s\tmgr RSS MB\tmon us/beacon\tmon CPU%\tmon ms/epoch\tmgr ms/epoch\tnotify p50 ms\tp90\tp99\t")
	for _, r := range res {
		fmt.Fprintf(tw, "%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f\t%.1f\t%.1f\t%.2f\t%.2f\t%.1f\t%.1f\t%.1f\t\n", r.OSDs, r.ReportsPerS,
			r.MgrCPUPerReportUs, r.MgrCPUPct, r.MgrCPUPctCeph5s, r.MgrRSSMB, r.MonCPUPerBeaconUs, r.MonCPUPct,
			r.MonCPUPerEpochMs, r.MgrCPUPerEpochMs, r.NotifyP50Ms, r.NotifyP90Ms, r.NotifyP99Ms)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range res {
		if r.Error != "" {
			fmt.Printf("failed: %s\n", r.Error)
			continue
		}
		if r.SteadyEpochs > 0 || !r.MgrStayedActive {
			fmt.Printf("warning: %d OSDs: %d osdmap epochs in the steady window, mgr stayed active: %v (OSDs flapping or the mon overloaded: figures include it)\n",
				r.OSDs, r.SteadyEpochs, r.MgrStayedActive)
		}
	}
	if len(res) > 0 {
		fmt.Printf("OSDs report every %.0f s (Ceph's 5 s compressed %.0fx); notify latency: mon commit stamp to the module's notify (ceph-mgr 16.2: p50 123 ms, p90 222 ms)\n",
			res[0].ReportPeriodS, res[0].TimeCompression)
	}
	return err
}

// benchMgrRole is a daemon `bench mgr` re-executes: a mgr (with the module
// flags) or the simulated cluster.
func benchMgrRole(args []string) error {
	fs := newFlags(roleSimbench, "--role mgr|sim --mon HOST:PORT")
	cfg := simbench.RegisterFlags(fs)
	var mf moduleFlags
	mf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	lg := logrus.New()
	lg.SetLevel(logrus.WarnLevel)
	srcs := mf.sources(logrus.NewEntry(lg).WithField("component", "mgr"))
	return simbench.RunRole(context.Background(), *cfg, srcs, os.Stdin, os.Stdout)
}
