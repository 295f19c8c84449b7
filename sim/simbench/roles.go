package simbench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/registry"
	"gomgr/sim"
)

// Roles RunRole plays.
const (
	RoleMgr = "mgr"
	RoleSim = "sim"
)

// RoleConfig configures a child started by Run: a mgr or the simulated
// cluster, with the periods the bench compresses.
type RoleConfig struct {
	Role         string
	Mon          string
	Name         string        // mgr name
	StatsPeriod  time.Duration // mgr: mgr_stats_period sent in MMgrConfigure
	OSDs         int           // sim
	OSDsPerHost  int           // sim
	Seed         uint64        // sim
	BeaconPeriod time.Duration // sim: OSD beacons to the mon
	LogLevel     string
}

// RegisterFlags adds the role's flags to fs; the caller adds its own (the
// mgr's module flags) and parses.
func RegisterFlags(fs *flag.FlagSet) *RoleConfig {
	c := &RoleConfig{}
	fs.StringVar(&c.Role, "role", "", "mgr or sim")
	fs.StringVar(&c.Mon, "mon", "", "mon address")
	fs.StringVar(&c.Name, "name", "x", "mgr name")
	fs.DurationVar(&c.StatsPeriod, "stats-period", time.Second, "mgr_stats_period (whole seconds)")
	fs.IntVar(&c.OSDs, "osds", 1000, "simulated OSDs")
	fs.IntVar(&c.OSDsPerHost, "osds-per-host", 4, "OSDs sharing one simulated host's messenger")
	fs.Uint64Var(&c.Seed, "seed", 1, "simulation seed")
	fs.DurationVar(&c.BeaconPeriod, "beacon-period", time.Second, "OSD beacon period")
	fs.StringVar(&c.LogLevel, "log-level", "warning", "log level")
	return c
}

// Status is a child's answer to a query line on its stdin.
type Status struct {
	// Sim: MMgrReports sent so far.
	Reports uint64 `json:"reports,omitempty"`
	// Mgr: whether it is active, and per osdmap epoch when the mon
	// committed it and when this mgr handed it to NotifyAll (Unix ns).
	Active      bool             `json:"active,omitempty"`
	MgrMapEpoch uint64           `json:"mgrmap_epoch,omitempty"`
	Committed   map[string]int64 `json:"committed,omitempty"`
	Arrived     map[string]int64 `json:"arrived,omitempty"`
}

// RunRole runs a mgr or the simulated cluster until stdin closes or
// SIGINT/SIGTERM. Each line read on stdin is answered with one Status
// line on stdout. sources are the mgr's module sources.
func RunRole(ctx context.Context, cfg RoleConfig, sources []registry.Source, stdin io.Reader, stdout io.Writer) error {
	if cfg.Mon == "" {
		return fmt.Errorf("%w: --mon is required", ErrOptions)
	}
	lg := logrus.New()
	lvl, err := logrus.ParseLevel(cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOptions, err)
	}
	lg.SetLevel(lvl)
	log := logrus.NewEntry(lg).WithField("component", "simbench-"+cfg.Role)

	var status func() Status
	var stop func()
	switch cfg.Role {
	case RoleMgr:
		if cfg.StatsPeriod < time.Second || cfg.StatsPeriod%time.Second != 0 {
			return fmt.Errorf("%w: --stats-period must be whole seconds, got %v", ErrOptions, cfg.StatsPeriod)
		}
		var mu sync.Mutex
		committed, arrived := map[string]int64{}, map[string]int64{}
		observe := func(kind string, epoch uint64, at time.Time) {
			now := time.Now().UnixNano()
			if kind != "osd_map" {
				return
			}
			e := strconv.FormatUint(epoch, 10)
			mu.Lock()
			arrived[e] = now
			if !at.IsZero() {
				committed[e] = at.UnixNano()
			}
			mu.Unlock()
		}
		s, err := host.Start(ctx, host.Config{Name: cfg.Name, MonAddrs: []string{cfg.Mon}, Addr: "127.0.0.1:0",
			Sources: sources, StatsPeriod: cfg.StatsPeriod, Logger: log, ObserveMap: observe})
		if err != nil {
			return err
		}
		status = func() Status {
			mu.Lock()
			defer mu.Unlock()
			st := Status{Active: s.IsActive(), Committed: clone(committed), Arrived: clone(arrived)}
			if mm := s.MgrMap(); mm != nil {
				st.MgrMapEpoch = mm.Epoch
			}
			return st
		}
		stop = func() {
			sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = s.Close(sctx)
		}
	case RoleSim:
		if cfg.OSDs < 1 || cfg.OSDs > 10000 {
			return fmt.Errorf("%w: --osds must be 1..10000, got %d", ErrOptions, cfg.OSDs)
		}
		c, err := sim.StartCluster(ctx, sim.ClusterConfig{MonAddr: cfg.Mon, OSDs: cfg.OSDs, OSDsPerHost: cfg.OSDsPerHost,
			Seed: cfg.Seed, BeaconPeriod: cfg.BeaconPeriod, Logger: log})
		if err != nil {
			return err
		}
		status = func() Status { return Status{Reports: c.Reports()} }
		stop = c.Close
	default:
		return fmt.Errorf("%w: unknown role %q", ErrOptions, cfg.Role)
	}
	defer stop()

	// Queries: one goroutine reads stdin; EOF means the parent is gone.
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- struct{}{}
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	enc := json.NewEncoder(stdout)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return nil
			}
			if err := enc.Encode(status()); err != nil {
				return fmt.Errorf("%w: status: %w", ErrChild, err)
			}
		case <-sig:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

func clone(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
