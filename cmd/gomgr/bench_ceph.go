package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"gomgr/internal/cephbench"
)

func init() {
	register(command{path: "bench ceph", args: "[--json] [--changes 20] [--rounds 1] [--settle 1s] [--map-osds N] [--python-in-process]",
		help: "on a real Ceph cluster: osdmap epoch to module notify, gomgr vs the real ceph-mgr", run: benchCeph})
}

func benchCeph(args []string) error {
	fs := newFlags("bench ceph", "[--json]")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	changes := fs.Int("changes", 20, "epochs measured per manager: ceph osd out, then in, of one OSD (even)")
	rounds := fs.Int("rounds", 1, "alternate the managers this many times (changes each per round)")
	settle := fs.Duration("settle", time.Second, "pause after the probe heard of a change, before the next")
	inProcess := fs.Bool("python-in-process", false, "gomgr runs the probe inside the mgr (default: its own process)")
	cephModules := fs.String("ceph-modules", "/usr/share/ceph/mgr", "Ceph's module path (mgr_module.py)")
	mapOSDs := fs.Int("map-osds", 0, "add this many (never started) OSD entries to the osdmap, for a larger map per epoch")
	if err := parse(fs, args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	mgrArgs := []string{"mgr", "--log-level", "warning"}
	if *inProcess {
		mgrArgs = append(mgrArgs, "--python-in-process")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := cephbench.Run(ctx, cephbench.Options{Exe: exe, MgrArgs: mgrArgs, Changes: *changes, Rounds: *rounds, Settle: *settle,
		CephModules: *cephModules, MapOSDs: *mapOSDs, Log: os.Stderr})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(os.Stdout, res)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mgr\tOSDs in map\tstart s\tepochs\tnotify p50 ms\tp90\tmax\tp50 x gomgr\tp90 x gomgr\tmon CPU ms/epoch\tload\t")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", r.Mgr, r.OSDsInMap, r.StartS, r.Samples,
			r.P50Ms, r.P90Ms, r.MaxMs, r.P50VsGomgr, r.P90VsGomgr, r.MonCPUMsPerEpoch, r.LoadAvg1m)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println("notify latency: the osdmap epoch's \"modified\" stamp (the mon's commit) to the probe module's notify;")
	fmt.Println("one real cluster (ceph-mon, 2 memstore ceph-osds), each manager alone running the same probe module")
	return nil
}
