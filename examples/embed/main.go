// Command embed is a tiny job scheduler that hosts gomgr modules, to show
// that the module host embeds in any Go program: it runs the Python module
// modules/backlog (in a child process, see isolate) and the Go plugin
// throughput (built from ./plugin into -plugins), feeds them its own state
// and events, routes their commands and reads their health checks.
//
//	go build -o /tmp/embed-plugins/throughput ./plugin
//	go run . -plugins /tmp/embed-plugins -once
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/plugins"
	"gomgr/registry"
)

// envModuleDirs carries -modules to the Python module processes, which
// rebuild the same Source in MaybeRunChild.
const envModuleDirs = "EMBED_MODULE_DIRS"

func pythonSource() registry.Source {
	return modules.NewSource(modules.Config{Dirs: filepath.SplitList(os.Getenv(envModuleDirs))})
}

func main() {
	// A Python module process is this same binary, started by isolate: it
	// serves its one module and exits here, before any flag is parsed.
	if isolate.MaybeRunChild(pythonSource) {
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

type options struct {
	jobs, workers, failEvery, maxPending int
	work                                 time.Duration
	modules, plugins                     string
	once, inProcess, verbose             bool
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	fs.IntVar(&o.jobs, "jobs", 12, "jobs per batch")
	fs.IntVar(&o.workers, "workers", 3, "workers")
	fs.IntVar(&o.failEvery, "fail-every", 5, "every n-th job fails (0: none)")
	fs.IntVar(&o.maxPending, "max-pending", 5, "backlog's max_pending option")
	fs.DurationVar(&o.work, "work", 5*time.Millisecond, "how long a job runs")
	fs.StringVar(&o.modules, "modules", "modules", "Python module directories, "+string(os.PathListSeparator)+"-separated")
	fs.StringVar(&o.plugins, "plugins", "", "directory of Go plugin executables (the throughput plugin)")
	fs.BoolVar(&o.once, "once", false, "run the fixed scenario and exit (else run until SIGINT/SIGTERM)")
	fs.BoolVar(&o.inProcess, "python-in-process", false, "run Python modules inside this process (runaway code not contained)")
	fs.BoolVar(&o.verbose, "v", false, "log at debug level, with the modules' and plugins' own output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.jobs < 1 || o.workers < 1 || o.failEvery < 0 || o.maxPending < 0 {
		return fmt.Errorf("-jobs and -workers must be positive, -fail-every and -max-pending not negative")
	}

	logger := logrus.New()
	logger.SetOutput(os.Stderr)
	logger.SetLevel(logrus.WarnLevel)
	if o.verbose {
		logger.SetLevel(logrus.DebugLevel)
	}
	log := logrus.NewEntry(logger).WithField("app", "embed")

	// The module sources: Python modules from directories, each in its own
	// child process, and Go plugins from a directory.
	var dirs []string
	for _, d := range filepath.SplitList(o.modules) {
		abs, err := filepath.Abs(d)
		if err != nil {
			return err
		}
		dirs = append(dirs, abs)
	}
	var py registry.Source = modules.NewSource(modules.Config{Dirs: dirs, Logger: log})
	if !o.inProcess {
		py = isolate.NewSource(py, isolate.Config{Logger: log, MemoryLimitBytes: 256 << 20,
			Env: []string{envModuleDirs + "=" + strings.Join(dirs, string(os.PathListSeparator))}})
	}
	sources := []registry.Source{py}
	var ps *plugins.Source
	if o.plugins != "" {
		ps = plugins.NewSource(plugins.Config{Dir: o.plugins, Logger: log})
		sources = append(sources, ps)
	}

	// The host: the application's state, a store for module options, limits.
	state := registry.NewMemState()
	store := registry.NewMemStore()
	maxPending := strconv.Itoa(o.maxPending)
	_ = store.Set(context.Background(), "mgr/backlog/max_pending", &maxPending) // as `config set`
	cfg := registry.Config{
		Sources: sources, State: state, Store: store, MgrID: "scheduler-1", Logger: log,
		NotifyDeadline: 2 * time.Second, CommandDeadline: 5 * time.Second,
	}
	if !o.once {
		// Print each change of the aggregate health as it happens (from the
		// registry's health goroutine, hence the locked writer).
		out = &syncWriter{w: out}
		cfg.HealthSink = func(h map[string]registry.HealthCheck) { fmt.Fprintln(out, "health:", healthLine(h)) }
	}
	reg, err := registry.New(cfg)
	if err != nil {
		return err
	}
	sched := newScheduler(state, reg, o.work, o.failEvery)
	ctx := context.Background()
	closeAll := func() error {
		sched.Stop()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		err := reg.Close(cctx)
		if ps != nil {
			if perr := ps.Close(); err == nil {
				err = perr
			}
		}
		return err
	}
	if err := reg.Load(ctx); err != nil {
		_ = closeAll()
		return err
	}
	if o.once {
		err = scenario(ctx, out, reg, sched, o)
	} else {
		err = daemon(ctx, out, reg, sched, o)
	}
	before := len(children())
	if cerr := closeAll(); err == nil {
		err = cerr
	}
	fmt.Fprintf(out, "closed: %d module processes before Close, %d after\n", before, len(children()))
	return err
}

// daemon submits a batch of jobs every second until SIGINT or SIGTERM;
// the HealthSink prints what the modules raise and clear.
func daemon(ctx context.Context, out io.Writer, reg *registry.Registry, sched *scheduler, o options) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := reg.SetEnabled(ctx, []string{"backlog", "throughput"}); err != nil {
		return err
	}
	printModules(out, reg)
	sched.Start(o.workers)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			sched.Submit(o.jobs)
		}
	}
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// children lists this process's child processes (module and plugin
// processes), from /proc.
func children() []int {
	var out []int
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		var state string
		var ppid int
		if i := bytes.LastIndexByte(b, ')'); i < 0 {
			continue
		} else if _, err := fmt.Sscanf(string(b[i+1:]), " %s %d", &state, &ppid); err != nil {
			continue
		}
		if ppid == me {
			out = append(out, pid)
		}
	}
	return out
}
