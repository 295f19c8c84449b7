package isolate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
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
	// envReleaseAfter: Config.ReleaseAfter in nanoseconds.
	envReleaseAfter = "GOMGR_ISOLATE_RELEASE_AFTER"
	childFD         = 3 // the stream: ExtraFiles[0]
)

// Defaults for Config's zero fields.
const (
	DefaultMemoryLimit = 1 << 30
	DefaultMaxStack    = 64 << 20
	DefaultOpenTimeout = 30 * time.Second
	DefaultStopTimeout = 10 * time.Second
	DefaultMemoryPoll  = 50 * time.Millisecond
	// DefaultReleaseAfter: ten modules that read a 1,000-OSD map in
	// notify() and keep nothing come back to their size before the map
	// within about twice this (docs/benchmarks.md).
	DefaultReleaseAfter = time.Second
	// DefaultMaxOpenFiles is a module process's RLIMIT_NOFILE.
	DefaultMaxOpenFiles = 4096
	// DefaultMaxProcs is RLIMIT_NPROC of module processes run as
	// Config.User: enough for every module's threads, not for a fork bomb.
	DefaultMaxProcs = 1024
)

// Config sets how module processes are started and bounded.
type Config struct {
	// Command makes the command that becomes a module's process; the package
	// adds the environment markers, the stream on fd 3, stdout and stderr
	// and Pdeathsig. It must run a program that calls MaybeRunChild (or
	// ServeChild) with an equivalent Source. Default: this executable, no
	// arguments.
	Command func(module string) *exec.Cmd
	// ForkServer, if set, makes the command of a fork server: one process,
	// started at the first Open, that loads what every module shares and
	// then forks each module's process on request, so that they share
	// those pages (docs/module-protocol.md, "Fork server"). Command is then
	// unused; the server gets the confinement a module process would.
	ForkServer func() *exec.Cmd
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
	// ReleaseAfter is how long a module process keeps a get() result that
	// no get() asks for again: it holds the cluster's maps only while it
	// works with them. Default DefaultReleaseAfter.
	ReleaseAfter time.Duration
	// OpenTimeout bounds Open when its ctx has no deadline. Default 30s.
	OpenTimeout time.Duration
	// StopTimeout bounds Stop when its ctx has no deadline. Default 10s.
	StopTimeout time.Duration
	// Logger receives the children's stdout (info) and stderr (warning)
	// lines, with field module=<name>. Default: logrus's standard logger.
	Logger logrus.FieldLogger
	// User, if set (a user name or a numeric uid), is the unprivileged
	// user module processes run as, with its primary group and no
	// supplementary groups, when the manager runs as root; a manager that
	// is not root cannot switch users, and says so once in the log. The
	// module files must be readable by that user, and the executable that
	// serves modules (Command's, by default this one) runnable by it.
	User string
	// MaxOpenFiles is a module process's RLIMIT_NOFILE, soft and hard
	// (never above the manager's hard limit). Default DefaultMaxOpenFiles;
	// negative: the manager's own.
	MaxOpenFiles int
	// MaxProcs is RLIMIT_NPROC for module processes run as User (it counts
	// every process and thread of a user, the manager's own too when
	// modules run as the manager's user, so it is set only with User).
	// Default DefaultMaxProcs; negative: none.
	MaxProcs int
	// CoreDumps keeps the manager's RLIMIT_CORE for module processes;
	// by default it is 0: a module's core would put what it holds (keys,
	// the cluster's maps) on disk.
	CoreDumps bool
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
	if c.ReleaseAfter <= 0 {
		c.ReleaseAfter = DefaultReleaseAfter
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
	if c.MaxOpenFiles == 0 {
		c.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if c.MaxProcs == 0 {
		c.MaxProcs = DefaultMaxProcs
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

	fsMu sync.Mutex
	fs   *forkServer // Config.ForkServer's process, started at the first Open

	credOnce  sync.Once
	cred      *syscall.Credential // Config.User's, nil: the manager's user
	credErr   error
	limitWarn sync.Once
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
	out := make([]string, 0, len(env)+len(s.cfg.Env)+4)
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
		envReleaseAfter+"="+strconv.FormatInt(int64(s.cfg.ReleaseAfter), 10),
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

	var proc process
	startTime := time.Now()
	if s.cfg.ForkServer != nil {
		proc, err = s.fork(name, childF, outW, errW)
	} else {
		proc, err = s.exec(name, childF, outW, errW)
	}
	if err != nil {
		nc.Close()
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrStart, name, err)
	}
	m := newModule(s, name, proc, nc)
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

// exec starts the module's process from Config.Command.
func (s *Source) exec(name string, stream, out, errs *os.File) (process, error) {
	cmd, err := s.command(name)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = s.childEnv(env, name)
	cmd.ExtraFiles = []*os.File{stream}
	cmd.Stdout = out
	cmd.Stderr = errs
	if err := s.launch(cmd); err != nil {
		return nil, err
	}
	return execProc{cmd}, nil
}

// fork has the fork server start the module's process; it inherits the
// server's confinement (launch).
func (s *Source) fork(name string, stream, out, errs *os.File) (process, error) {
	fs, err := s.forkServer()
	if err != nil {
		return nil, err
	}
	return fs.spawn(s.childEnv(nil, name), stream, out, errs, s.cfg.OpenTimeout)
}

// launch starts cmd confined: it dies with the manager, in its own process
// group, as Config.User, with no_new_privs and the resource limits.
func (s *Source) launch(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The child dies with us; it also exits when its stream ends.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	// Its own process group: a terminal's Ctrl-C reaches the manager, which
	// stops its modules in order, not every module at once.
	cmd.SysProcAttr.Setpgid = true
	// Config.User's uid and gid, set between fork and exec.
	cred, err := s.credential()
	if err != nil {
		return err
	}
	if cred != nil {
		cmd.SysProcAttr.Credential = cred
	}
	// The resource limits are set right after the exec (prlimit: Go cannot
	// set them between fork and exec). A Python child reads its program
	// on stdin first, so stdin waits for them: no module code runs before.
	var gate chan struct{}
	if _, isFile := cmd.Stdin.(*os.File); cmd.Stdin != nil && !isFile {
		gate = make(chan struct{})
		cmd.Stdin = &gatedReader{r: cmd.Stdin, open: gate}
	}
	var limitErr error
	// A confined spawner thread: the child inherits no_new_privs from it.
	err = spawn.OnConfinedThread(func() error {
		if err := cmd.Start(); err != nil {
			return err
		}
		limitErr = s.limit(cmd.Process.Pid, cred != nil)
		if cred != nil && errors.Is(limitErr, unix.EPERM) {
			// Setting another user's limits takes CAP_SYS_RESOURCE, which
			// a containerized root often lacks: the user switch and
			// no_new_privs still hold.
			s.limitWarn.Do(func() {
				s.cfg.Logger.WithError(limitErr).WithField("user", s.cfg.User).
					Warn("isolate: module processes run without resource limits (the manager lacks CAP_SYS_RESOURCE)")
			})
			limitErr = nil
		}
		if limitErr != nil {
			_ = cmd.Process.Kill()
		}
		return nil
	})
	if gate != nil {
		close(gate)
	}
	if err == nil && limitErr != nil {
		_ = cmd.Wait()
		err = limitErr
	}
	return err
}

var _ registry.Source = (*Source)(nil)

// credential resolves Config.User once: nil when unset, or when the
// manager is not root (logged once).
func (s *Source) credential() (*syscall.Credential, error) {
	s.credOnce.Do(func() {
		if s.cfg.User == "" {
			return
		}
		if os.Geteuid() != 0 {
			s.cfg.Logger.WithField("user", s.cfg.User).Warn("isolate: the manager is not root: module processes run as its own user")
			return
		}
		u, err := user.Lookup(s.cfg.User)
		if _, numeric := strconv.Atoi(s.cfg.User); err != nil && numeric == nil {
			u, err = user.LookupId(s.cfg.User)
		}
		if err != nil {
			s.credErr = fmt.Errorf("module user: %w", err)
			return
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			s.credErr = fmt.Errorf("module user %q: uid %q, gid %q", s.cfg.User, u.Uid, u.Gid)
			return
		}
		// Groups empty, not nil: setgroups(0) drops root's groups.
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	})
	return s.cred, s.credErr
}

// limit sets a started module process's resource limits. NPROC only for a
// process of Config.User (asUser): see Config.MaxProcs.
func (s *Source) limit(pid int, asUser bool) error {
	set := func(res int, n uint64) error {
		var old unix.Rlimit
		if err := unix.Prlimit(pid, res, nil, &old); err != nil {
			return os.NewSyscallError("prlimit", err)
		}
		lim := unix.Rlimit{Cur: min(n, old.Max), Max: min(n, old.Max)}
		if err := unix.Prlimit(pid, res, &lim, nil); err != nil {
			return os.NewSyscallError("prlimit", err)
		}
		return nil
	}
	if n := s.cfg.MaxOpenFiles; n > 0 {
		if err := set(unix.RLIMIT_NOFILE, uint64(n)); err != nil {
			return fmt.Errorf("RLIMIT_NOFILE: %w", err)
		}
	}
	if !s.cfg.CoreDumps {
		if err := set(unix.RLIMIT_CORE, 0); err != nil {
			return fmt.Errorf("RLIMIT_CORE: %w", err)
		}
	}
	if n := s.cfg.MaxProcs; n > 0 && asUser {
		if err := set(unix.RLIMIT_NPROC, uint64(n)); err != nil {
			return fmt.Errorf("RLIMIT_NPROC: %w", err)
		}
	}
	return nil
}

// gatedReader holds reads until open is closed.
type gatedReader struct {
	r    io.Reader
	open <-chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	<-g.open
	return g.r.Read(p)
}
