package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/cephcluster"
)

// demoCephMgr is gomgr's name in the real cluster's MgrMap.
const demoCephMgr = "x"

// runDemoCeph is `gomgr demo --ceph`: a real one-node Ceph cluster
// (internal/cephcluster) with gomgr, in this process, as its mgr, running
// the example modules; Ctrl-C stops both and removes the cluster's
// directory.
func runDemoCeph(mf moduleFlags, log *logrus.Entry, metrics string) error {
	if err := cephcluster.Installed("ceph-mon", "ceph-osd", "monmaptool", "ceph"); err != nil {
		return fmt.Errorf("demo --ceph runs a real Ceph 16.2 cluster: %w", err)
	}
	// With the output piped (make run-ceph | tee), Ctrl-C ends the reader
	// too: a write to the broken pipe must fail, not kill this process
	// before it has stopped the cluster.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// ceph-mon splits mgr_initial_modules at underscores too
	// ("pg_autoscaler" enables "pg" and "autoscaler"): such modules are
	// Ceph's always-on ones or optional, and are left out.
	modules := slices.DeleteFunc(demoModules(mf), func(m string) bool { return strings.Contains(m, "_") })
	c, err := cephcluster.New(ctx, cephcluster.Options{OSDs: 2, Pools: []string{"demo"}, Cephx: true,
		Global: map[string]string{"mgr_initial_modules": strings.Join(modules, " ")}})
	if err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C while starting: New has removed what it made
		}
		return err
	}
	defer func() {
		fmt.Println("stopping the cluster...")
		if err := c.Close(); err != nil {
			log.WithError(err).Warn("cluster not fully removed")
		}
	}()

	// cephx, as Ceph's default: gomgr's mgr key, then its conf as a
	// ceph-mgr reads it.
	if _, err := c.MgrKeyring(ctx, demoCephMgr); err != nil {
		return err
	}
	cc, err := cephCluster(c.Conf, demoCephMgr)
	if err != nil {
		return err
	}
	srcs := mf.sources(log)
	mgr, err := host.Start(ctx, host.Config{Name: demoCephMgr, MonAddrs: cc.mons, Addr: cc.bind, CephConf: c.Conf,
		Sources: srcs, Logger: log, MetricsAddr: freeOr(metrics), Cephx: cc.cephx, AuthOptional: cc.authOptional})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = mgr.Close(sctx)
	}()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := c.WaitMgr(wctx, demoCephMgr); err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C while starting
		}
		return err
	}

	fmt.Printf("gomgr demo --ceph: a real Ceph cluster (ceph-mon at %s, 2 memstore ceph-osds, pool demo, cephx)\n"+
		"in %s, with gomgr as its active mgr %s running %s.\n\nTry, in another terminal, the real ceph CLI:\n",
		c.MonAddr, c.Dir, demoCephMgr, strings.Join(modules, " "))
	for _, try := range [][2]string{
		{"-s", ""},
		{"mgr dump", ""},
		{"mgr module ls", ""},
		{"mgr module disable hello", "and enable it again"},
		{"alerts status", "a module's own command, through the mon"},
		{"tell mgr alerts status", "the same, straight to the mgr"},
		{"iostat", ""},
		{"osd out 0", "then alerts status again, and osd in 0"},
		{"health detail", ""},
	} {
		fmt.Printf("  ceph -c %s %s\n", c.Conf, try[0])
		if try[1] != "" {
			fmt.Printf("      (%s)\n", try[1])
		}
	}
	if url := mgr.MetricsURL(); url != "" {
		fmt.Printf("Metrics: %s\n", url)
	}
	fmt.Printf("Ctrl-C stops gomgr and the cluster and removes %s.\n\n", c.Dir)

	select {
	case <-ctx.Done():
	case <-c.Mon().Exited():
		return fmt.Errorf("ceph-mon exited: %w", c.Check())
	}
	fmt.Println("stopping gomgr...")
	return nil
}
