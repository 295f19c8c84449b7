package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gomgr/cephx"
	"gomgr/host"
	"gomgr/mon"
	"gomgr/sim"
)

func init() {
	register(command{path: "demo", args: "[--ceph] [--osds N] [--modules DIRS] [--plugins DIR]",
		help: "run a mon, two managers and a simulated cluster in one process (--ceph: a real Ceph cluster with gomgr as its mgr)", run: runDemo})
}

func runDemo(args []string) error {
	fs := newFlags("demo", "[--ceph] [--osds N] [--modules DIRS] [--plugins DIR]")
	realCeph := fs.Bool("ceph", false, "a real Ceph 16.2 cluster (ceph-mon, two memstore ceph-osds) with gomgr as its mgr, instead of gomgr's mon and simulated OSDs")
	osds := fs.Int("osds", 12, "simulated OSDs")
	addr := fs.String("addr", defaultMon, "mon address (a busy port falls back to a free one)")
	data := fs.String("data", "", "mon data directory (default: a temporary one, removed on exit)")
	failEvery := fs.Duration("fail-every", 40*time.Second, "fail a random OSD this often (0: never)")
	metrics := fs.String("metrics", "127.0.0.1:9283", "Prometheus endpoint of the first manager (the second takes the next port; a busy port falls back to a free one)")
	statusEvery := fs.Duration("status-every", 2*time.Second, "how often the status line is printed")
	var mf moduleFlags
	mf.register(fs)
	var lf logFlags
	lf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if mf.dirs == "" {
		mf.dirs = "examples/modules"
	}
	log, err := lf.logger("demo")
	if err != nil {
		return err
	}
	if *realCeph {
		return runDemoCeph(mf, log, *metrics)
	}
	if *data == "" {
		dir, err := os.MkdirTemp("", "gomgr-demo-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*data = dir
	}
	*addr = freeOr(*addr)

	cfg := mon.DefaultConfig()
	cfg.Mgr.InitialModules = demoModules(mf)
	md, err := mon.StartDaemon(mon.DaemonConfig{Addr: *addr, DataDir: *data, Mon: cfg, Logger: log, Cephx: true})
	if err != nil {
		return err
	}
	defer md.Close()
	// cephx, as a real cluster: the CLI finds the mon and client.admin's
	// keyring beside it; the managers and the simulator get their keys
	// with it.
	keyring := filepath.Join(*data, mon.KeyringFile)
	if err := writeDemoFiles(md.Addr(), keyring); err != nil {
		log.WithError(err).Warn("the CLI will need --mon and --keyring")
	}
	defer os.Remove(filepath.Dir(demoAddrFile())) // once empty: another demo may still run
	defer os.Remove(demoKeyringFile())
	defer os.Remove(demoAddrFile())

	ctx := context.Background()
	var mgrs []*host.Standby
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		// The standby first, so that stopping the active promotes no one.
		for _, m := range slices.Backward(mgrs) {
			if err := m.Close(sctx); err != nil {
				log.WithError(err).WithField("mgr", m.Name()).Warn("manager stop")
			}
		}
	}()
	for i, name := range []string{"x", "y"} {
		cx, err := mgrCephx([]string{md.Addr()}, keyring, name)
		if err != nil {
			return err
		}
		mc := host.Config{Name: name, MonAddrs: []string{md.Addr()}, Sources: mf.sources(log.WithField("mgr", name)), Logger: log, Cephx: cx}
		if *metrics != "" {
			mc.MetricsAddr = freeOr(nextPort(*metrics, i))
		}
		s, err := host.Start(ctx, mc)
		if err != nil {
			return err
		}
		mgrs = append(mgrs, s)
	}
	simCx, err := clientCephx(keyring)
	if err != nil {
		return err
	}
	cl, err := sim.StartCluster(ctx, sim.ClusterConfig{MonAddr: md.Addr(), OSDs: *osds, Seed: 1,
		FailEvery: *failEvery, Logger: log, Cephx: simCx})
	if err != nil {
		return err
	}
	defer cl.Close()

	fmt.Printf(`gomgr demo: mon at %s, managers x and y, %d simulated OSDs.

Try, in another terminal:
  bin/gomgr status
  bin/gomgr mgr module ls
  bin/gomgr mgr module disable hello      (and enable it again)
  bin/gomgr alerts status                 (a module's own command)
  bin/gomgr mgr fail                      (the standby takes over)
Metrics: http://%s/metrics (the active manager's; a standby points to it)
Ctrl-C stops everything.

`, md.Addr(), *osds, strings.TrimSuffix(strings.TrimPrefix(mgrs[0].MetricsURL(), "http://"), "/metrics"))

	done := make(chan struct{})
	go func() {
		t := time.NewTicker(*statusEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Println(statusLine(md, mgrs))
			case <-done:
				return
			}
		}
	}()
	untilSignal(log, &lf, md.Done())
	close(done)
	fmt.Println("stopping...")
	return nil
}

// demoModules are the example modules the demo enables: every Python module
// found and every plugin in the plugin directory.
func demoModules(mf moduleFlags) []string {
	var out []string
	for _, dir := range filepath.SplitList(mf.dirs) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "module.py")); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	if mf.plugins != "" {
		entries, _ := os.ReadDir(mf.plugins)
		for _, e := range entries {
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

// writeDemoFiles leaves the mon's address and client.admin's keyring
// where the CLI looks for them.
func writeDemoFiles(addr, keyring string) error {
	if err := os.MkdirAll(filepath.Dir(demoAddrFile()), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(demoAddrFile(), []byte(addr+"\n"), 0o644); err != nil {
		return err
	}
	kr, err := cephx.LoadKeyring(keyring)
	if err != nil {
		return err
	}
	admin := cephx.Keyring{"client.admin": kr["client.admin"]} // not the mon's key
	return os.WriteFile(demoKeyringFile(), admin.Marshal(), 0o600)
}

// freeOr is addr if it can be listened on now, else a free port on its
// host: a second demo beside the first still starts.
func freeOr(addr string) string {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		h, _, serr := net.SplitHostPort(addr)
		if serr != nil || h == "" {
			h = "127.0.0.1"
		}
		return net.JoinHostPort(h, "0")
	}
	l.Close()
	return addr
}

// nextPort returns hostport with its port moved up by i.
func nextPort(hostport string, i int) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	var n int
	fmt.Sscan(p, &n)
	if n == 0 {
		return hostport
	}
	return net.JoinHostPort(h, fmt.Sprint(n+i))
}

// statusLine is the demo's one-line view: osdmap epoch, active mgr, OSDs
// up/in, and each module's state.
func statusLine(md *mon.Daemon, mgrs []*host.Standby) string {
	snap := md.Snapshot()
	up, in := 0, 0
	for _, o := range snap.OSDMap.OSDs {
		up += o.Up
		in += o.In
	}
	active := "none"
	var mods []string
	for _, m := range mgrs {
		if m.IsActive() {
			active = m.Name()
			for _, st := range m.Registry().Modules() {
				if st.Enabled {
					mods = append(mods, st.Name+":"+string(st.State))
				}
			}
		}
	}
	sort.Strings(mods)
	return fmt.Sprintf("%s osdmap e%d | mgr %s | osd %d up %d in / %d | modules %s",
		time.Now().Format("15:04:05"), snap.OSDMap.Epoch, active, up, in, len(snap.OSDMap.OSDs), strings.Join(mods, " "))
}
