package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/logging"
	"gomgr/mon"
	"gomgr/sim"
)

func init() {
	register(command{path: "mon", args: "[--addr HOST:PORT] [--mkfs] --data DIR", help: "run the map authority (--mkfs: make a new cluster and exit)", run: runMon})
	register(command{path: "mgr", args: "(--mon HOST:PORT --name NAME | -c CEPH.CONF -i NAME) [--modules DIRS] [--plugins DIR]", help: "run a manager daemon (of gomgr's mon, or of a real Ceph cluster with -c)", run: runMgr})
	register(command{path: "sim", args: "--mon HOST:PORT [--osds N] [--seed N]", help: "run simulated OSDs", run: runSim})
}

// logFlags are the logging flags every daemon takes.
type logFlags struct {
	level  string
	format string
	levels string
	file   string
	out    *logging.File // open log file, reopened on SIGHUP
}

func (l *logFlags) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warning, error")
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fs.StringVar(&l.levels, "log-levels", "", "levels per module or subsystem, e.g. hello=debug,mon=warning")
	fs.StringVar(&l.file, "log-file", "", "log to this file (reopened on SIGHUP, for logrotate) instead of stderr")
}

func (l *logFlags) logger(component string) (*logrus.Entry, error) {
	lg, err := logging.New(l.level, l.format, l.levels)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if l.file != "" {
		if l.out, err = logging.OpenFile(l.file); err != nil {
			return nil, err
		}
		lg.SetOutput(l.out)
	}
	return logrus.NewEntry(lg).WithField("component", component), nil
}

// untilSignal waits for SIGINT or SIGTERM (or done). SIGHUP reopens the
// log file (after logrotate) and re-reads the log level from
// $GOMGR_LOG_LEVEL if set; the daemons have no other configuration to
// reload: everything else is flags and the mon's maps.
func untilSignal(log *logrus.Entry, lf *logFlags, done <-chan struct{}) {
	// A closed stdout (`make run | tee`, tee gone at Ctrl-C) must not kill
	// the process before it has cleaned up: writes fail with EPIPE instead.
	signal.Ignore(syscall.SIGPIPE)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	for {
		select {
		case s := <-sig:
			if s == syscall.SIGHUP {
				if lf != nil && lf.out != nil {
					if err := lf.out.Reopen(); err != nil {
						log.WithError(err).Error("SIGHUP: log file not reopened")
					}
				}
				if lvl, err := logrus.ParseLevel(os.Getenv("GOMGR_LOG_LEVEL")); err == nil {
					log.Logger.SetLevel(lvl)
				}
				log.Info("SIGHUP: log file reopened")
				continue
			}
			log.WithField("signal", s.String()).Info("shutting down")
			return
		case <-done:
			return
		}
	}
}

func runMon(args []string) error {
	fs := newFlags("mon", "[--addr HOST:PORT] [--mkfs] --data DIR")
	addr := fs.String("addr", "127.0.0.1:6789", "listen address")
	data := fs.String("data", "", "data directory (created if missing; a new cluster is made only in an empty one)")
	fsid := fs.String("fsid", "", "cluster fsid for a new data directory")
	mkfs := fs.Bool("mkfs", false, "make a new cluster in --data (missing, empty, or an mkfs that did not finish), print its fsid and exit, as ceph-mon --mkfs")
	auth := fs.String("auth", "cephx", "cephx (keys in DATA/keyring, made with client.admin's for a new cluster) or none")
	var lf logFlags
	lf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	log, err := lf.logger("mon")
	if err != nil {
		return err
	}
	if *auth != "cephx" && *auth != "none" {
		return fmt.Errorf("%w: --auth is cephx or none", errUsage)
	}
	cfg := mon.DefaultConfig()
	cfg.FSID = *fsid
	if *mkfs {
		id, err := mon.Mkfs(time.Now(), *data, cfg)
		if err != nil {
			return err
		}
		if *auth == "cephx" {
			if _, err := mon.LoadKeyring(*data, true); err != nil {
				return err
			}
		}
		log.WithField("fsid", id).WithField("data", *data).Info("mon: new cluster made")
		fmt.Println(id)
		return nil
	}
	d, err := mon.StartDaemon(mon.DaemonConfig{Addr: *addr, DataDir: *data, Mon: cfg, Logger: log, Cephx: *auth == "cephx"})
	if err != nil {
		return err
	}
	fmt.Println(d.Addr())
	untilSignal(log, &lf, d.Done())
	d.Close()
	return d.Err()
}

func runMgr(args []string) error {
	fs := newFlags("mgr", "(--mon HOST:PORT --name NAME | -c CEPH.CONF -i NAME)")
	monAddr := fs.String("mon", "", "mon address (default: $GOMGR_MON or the local demo)")
	conf := fs.String("c", "", "a Ceph cluster's ceph.conf: join that cluster (its mon_host, fsid, auth) as ceph-mgr does")
	name := fs.String("name", "", "this manager's name")
	fs.StringVar(name, "i", "", "this manager's name (as ceph-mgr -i)")
	addr := fs.String("addr", "", "address for daemon sessions when active (default: the conf's public_addr, or loopback)")
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics at this address (HOST:PORT; :0 picks a port)")
	keyring := fs.String("keyring", "", "with gomgr's mon: a keyring with mgr.NAME's key, or client.admin's to make it (default: $GOMGR_KEYRING)")
	var mf moduleFlags
	mf.register(fs)
	var lf logFlags
	lf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	log, err := lf.logger("mgr")
	if err != nil {
		return err
	}
	cc := cephClusterConf{mons: []string{monAddress(*monAddr)}, bind: "127.0.0.1:0"}
	if *conf != "" {
		// Absolute: module processes open it too (their rados handles).
		if *conf, err = filepath.Abs(*conf); err != nil {
			return err
		}
		if cc, err = cephCluster(*conf, *name); err != nil {
			return err
		}
	} else if cc.cephx, err = mgrCephx(cc.mons, *keyring, *name); err != nil {
		return err
	}
	if *addr != "" {
		cc.bind = *addr
	}
	srcs := mf.sources(log)
	ctx := context.Background()
	s, err := host.Start(ctx, host.Config{Name: *name, MonAddrs: cc.mons, Addr: cc.bind, MetricsAddr: *metricsAddr,
		CephConf: *conf, Sources: srcs, Logger: log, Cephx: cc.cephx, AuthOptional: cc.authOptional})
	if err != nil {
		return err
	}
	untilSignal(log, &lf, s.Done()) // or until it stops on its own (Close says why)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return s.Close(sctx)
}

func runSim(args []string) error {
	fs := newFlags("sim", "--mon HOST:PORT [--osds N]")
	monAddr := fs.String("mon", "", "mon address (default: $GOMGR_MON or the local demo)")
	osds := fs.Int("osds", 10, "number of simulated OSDs (3 to 10,000)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same cluster")
	failEvery := fs.Duration("fail-every", 0, "fail a random OSD this often (0: never)")
	keyring := fs.String("keyring", "", "client.admin's keyring, for a cephx mon (default: $GOMGR_KEYRING)")
	var lf logFlags
	lf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *osds < 1 || *osds > 10000 {
		return fmt.Errorf("%w: --osds must be 1..10000", errUsage)
	}
	log, err := lf.logger("sim")
	if err != nil {
		return err
	}
	cx, err := clientCephx(*keyring)
	if err != nil {
		return err
	}
	c, err := sim.StartCluster(context.Background(), sim.ClusterConfig{MonAddr: monAddress(*monAddr), OSDs: *osds,
		Seed: *seed, FailEvery: *failEvery, Logger: log, Cephx: cx})
	if err != nil {
		return err
	}
	untilSignal(log, &lf, nil)
	c.Close()
	return nil
}
