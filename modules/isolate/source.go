package isolate

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"gomgr/internal/spawn"
	"gomgr/registry"
)

// Environment variables that mark a module child and carry its limits.
const (
	EnvModule   = "GOMGR_ISOLATE_MODULE"
	envMemLimit = "GOMGR_ISOLATE_MEMLIMIT"
	envMaxStack = "GOMGR_ISOLATE_MAXSTACK"
	childFD     = 3 // the stream: ExtraFiles[0]
)

// Defaults for Config's zero fields.
const (
	DefaultMemoryLimit = 1 << 30
	DefaultMaxStack    = 64 << 20
	DefaultOpenTimeout = 30 * time.Second
	DefaultStopTimeout = 10 * time.Second
	DefaultMemoryPoll  = 50 * time.Millisecond
)

// Config sets how module processes are started and bounded.
type Config struct {
	// Command makes the command that becomes a module's process; the package
	// adds the environment markers, the stream on fd 3, stdout and stderr
	// and Pdeathsig. It must run a program that calls MaybeRunChild (or
	// ServeChild) with an equivalent Source. Default: this executable, no
	// arguments.
	Command func(module string) *exec.Cmd
	// Env is added to the child's environment, for the child's own Source
	// configuration.
	Env []string
	// MemoryLimitBytes bounds a module process's resident memory: over it
	// the process is killed. The child's Go soft limit is set to 3/4 of it
	// so that garbage is collected before. Default 1 GiB; negative: none.
	MemoryLimitBytes int64
	// MemoryPoll is how often the resident memory is read. Default 50ms.
	MemoryPoll time.Duration
	// MaxStackBytes is the child's Go maximum stack (debug.SetMaxStack), so
	// infinite recursion dies fast. Default 64 MiB.
	MaxStackBytes int
	// OpenTimeout bounds Open when its ctx has no deadline. Default 30s.
	OpenTimeout time.Duration
	// StopTimeout bounds Stop when its ctx has no deadline. Default 10s.
	StopTimeout time.Duration
	// Logger receives the children's stdout (info) and stderr (warning)
	// lines, with field module=<name>. Default: logrus's standard logger.
	Logger logrus.FieldLogger
}

func (c Config) withDefaults() Config {
	if c.MemoryLimitBytes == 0 {
		c.MemoryLimitBytes = DefaultMemoryLimit
	}
	if c.MemoryPoll <= 0 {
		c.MemoryPoll = DefaultMemoryPoll
	}
	if c.MaxStackBytes <= 0 {
		c.MaxStackBytes = DefaultMaxStack
	}
	if c.OpenTimeout <= 0 {
		c.OpenTimeout = DefaultOpenTimeout
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.Logger == nil {
		c.Logger = logrus.StandardLogger()
	}
	return c
}

// Source runs the modules of an inner registry.Source in child processes.
// Safe from any goroutine.
type Source struct {
	inner registry.Source
	cfg   Config

	jmu    sync.Mutex
	jcache map[string]jsonEntry // get() replies, shared by all children

	stats struct {
		gets, unchanged, jsonSent, jsonEncoded atomic.Uint64
	}
}

type jsonEntry struct {
	version uint64
	raw     []byte
}

// Stats counts get() traffic across all of a Source's children.
type Stats struct {
	Gets        uint64 // get() calls from children
	Unchanged   uint64 // answered "unchanged": the child's cached version is current
	JSONSent    uint64 // answered with a version's JSON
	JSONEncoded uint64 // versions encoded (once per name and version)
}

// NewSource wraps inner. In the parent, inner is used only for Kind and
// Scan; the child's Source (given to MaybeRunChild) opens the modules.
func NewSource(inner registry.Source, cfg Config) *Source {
	return &Source{inner: inner, cfg: cfg.withDefaults(), jcache: make(map[string]jsonEntry)}
}

// Kind is the inner Source's.
func (s *Source) Kind() string { return s.inner.Kind() }

// Scan is the inner Source's.
func (s *Source) Scan() ([]string, error) { return s.inner.Scan() }

// Stats returns the get() counters.
func (s *Source) Stats() Stats {
	return Stats{
		Gets:        s.stats.gets.Load(),
		Unchanged:   s.stats.unchanged.Load(),
		JSONSent:    s.stats.jsonSent.Load(),
		JSONEncoded: s.stats.jsonEncoded.Load(),
	}
}

// valueJSON returns v's JSON, encoded once per name and version for every
// child (Value.JSON caches per *Value, and a State may hand out a new
// *Value for the same version).
func (s *Source) valueJSON(name string, v *registry.Value) ([]byte, error) {
	s.jmu.Lock()
	e, ok := s.jcache[name]
	s.jmu.Unlock()
	if ok && e.version == v.Version {
		return e.raw, nil
	}
	raw, err := v.JSON()
	if err != nil {
		return nil, err
	}
	s.stats.jsonEncoded.Add(1)
	s.jmu.Lock()
	if cur, ok := s.jcache[name]; !ok || cur.version <= v.Version {
		s.jcache[name] = jsonEntry{version: v.Version, raw: raw}
	}
	s.jmu.Unlock()
	return raw, nil
}

func (s *Source) command(name string) (*exec.Cmd, error) {
	if s.cfg.Command != nil {
		cmd := s.cfg.Command(name)
		if cmd == nil {
			return nil, fmt.Errorf("%w %s: Config.Command returned nil", ErrStart, name)
		}
		return cmd, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, err)
	}
	return exec.Command(exe), nil
}

// childEnv is env without any previous markers, plus this child's.
func (s *Source) childEnv(env []string, name string) []string {
	out := make([]string, 0, len(env)+len(s.cfg.Env)+3)
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOMGR_ISOLATE_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, s.cfg.Env...)
	return append(out,
		EnvModule+"="+name,
		envMemLimit+"="+strconv.FormatInt(s.cfg.MemoryLimitBytes, 10),
		envMaxStack+"="+strconv.Itoa(s.cfg.MaxStackBytes),
	)
}

// Open starts the module's process, which opens the module with its own
// Source and reports its Info. An error the child's Open returned (the
// module's load error) is returned as is, by text.
func (s *Source) Open(ctx context.Context, name string) (registry.Module, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.OpenTimeout)
		defer cancel()
	}
	m, err := s.start(name)
	if err != nil {
		return nil, err
	}
	select {
	case res := <-m.opened:
		if res.err != nil {
			// The child exits by itself after reporting; make sure.
			m.stopAndWait(s.cfg.StopTimeout)
			return nil, res.err
		}
		m.info = res.info
		m.openTime = time.Since(m.startTime)
		return m, nil
	case <-m.exited:
		// Every frame the child sent has been handled by now (see reap).
		select {
		case res := <-m.opened:
			if res.err != nil {
				return nil, res.err
			}
		default:
		}
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, m.exitErr)
	case <-ctx.Done():
		m.kill(newFailure(fmt.Sprintf("open of %s did not finish: %v; module process killed", name, ctx.Err()), ErrKilled, ctx.Err()))
		m.waitExit(s.cfg.StopTimeout)
		return nil, fmt.Errorf("%w %s: the module did not load before the deadline (code running at import?); module process killed: %w", ErrStart, name, ctx.Err())
	}
}

// start launches the process and the goroutines that own it.
func (s *Source) start(name string) (*Module, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, os.NewSyscallError("socketpair", err))
	}
	parentF := os.NewFile(uintptr(fds[0]), "isolate-parent")
	childF := os.NewFile(uintptr(fds[1]), "isolate-child")
	defer childF.Close()
	nc, err := net.FileConn(parentF) // dups, non-blocking, on the poller
	parentF.Close()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, err)
	}
	var files []*os.File // the parent's copies of the child's ends
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	outR, outW, err := os.Pipe()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, err)
	}
	files = append(files, outW)
	errR, errW, err := os.Pipe()
	if err != nil {
		nc.Close()
		outR.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, err)
	}
	files = append(files, errW)

	cmd, err := s.command(name)
	if err != nil {
		nc.Close()
		outR.Close()
		errR.Close()
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = s.childEnv(env, name)
	cmd.ExtraFiles = []*os.File{childF}
	cmd.Stdout = outW
	cmd.Stderr = errW
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The child dies with us; it also exits when its stream ends.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	// Its own process group: a terminal's Ctrl-C reaches the manager, which
	// stops its modules in order, not every module at once.
	cmd.SysProcAttr.Setpgid = true

	startTime := time.Now()
	var err2 error
	spawn.OnThread(func() { err2 = cmd.Start() })
	if err := err2; err != nil {
		nc.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, err)
	}
	m := newModule(s, name, cmd, nc)
	m.startTime = startTime
	m.ioDone.Add(2)
	go m.forward(outR, "stdout")
	go m.forward(errR, "stderr")
	go m.reap()
	go func() {
		defer close(m.readerDone)
		m.conn.run(m.handle)
	}()
	go m.watchStream()
	if s.cfg.MemoryLimitBytes > 0 {
		go m.watchMemory(s.cfg.MemoryLimitBytes, s.cfg.MemoryPoll)
	}
	return m, nil
}

var _ registry.Source = (*Source)(nil)
