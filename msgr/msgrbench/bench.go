package msgrbench

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/procstat"
	"gomgr/msgr"
	"gomgr/msgr/internal/netpoll"
	"gomgr/msgr/wire"
)

// Implementations measured.
const (
	ImplGomgr  = "gomgr"
	ImplStdlib = "stdlib"
)

// Options configure Run. Zero fields take the defaults noted.
type Options struct {
	Exe       string        // executable to re-exec for the client (required)
	Argv0     string        // the client's argv[0], default Exe (gomgr's binary runs a child role by its name)
	Args      []string      // argv prefix that reaches ClientMain in Exe
	Env       []string      // extra environment for the client
	Impls     []string      // default gomgr, stdlib
	Sizes     []int         // default 64, 4096, 1 MiB
	Conns     []int         // default 1, 16, 256
	Duration  time.Duration // measured time per case; default 2 s
	Rounds    int           // rounds per case; the median by msgs/s is reported; default 3
	Window    int           // messages in flight per connection; default 8 (1 for 1 MiB)
	IdleConns int           // idle-RSS phase size; default 10000; <0 skips it
	Workers   int           // gomgr event loops; default GOMAXPROCS
	Log       io.Writer     // progress and client stderr; default io.Discard
}

// Result is one measured case. Kind "echo": round trips of Size-byte
// messages over Conns connections. Kind "idle": IdleConns sessions held open;
// BytesPerIdleConn is the server's RSS growth per session.
type Result struct {
	Impl             string  `json:"impl"`
	Kind             string  `json:"kind"`
	Conns            int     `json:"conns"`
	Size             int     `json:"size"`
	MsgsPerS         float64 `json:"msgs_per_s"`
	MBPerS           float64 `json:"mb_per_s"`
	P50us            float64 `json:"p50_us"`
	P99us            float64 `json:"p99_us"`
	RSSKB            int64   `json:"rss_kb"`                          // server process RSS after the case
	ClientRSSKB      int64   `json:"client_rss_kb"`                   // client process peak RSS
	BytesPerIdleConn float64 `json:"bytes_per_idle_conn,omitempty"`   // idle only
	RatioVsStdlib    float64 `json:"ratio_vs_stdlib,omitempty"`       // msgs_per_s / stdlib's, same case
	ServerCPUPerMsg  float64 `json:"server_cpu_us_per_msg,omitempty"` // server process CPU (user+sys) per echoed message, whole run
}

func (o *Options) setDefaults() {
	if len(o.Impls) == 0 {
		o.Impls = []string{ImplGomgr, ImplStdlib}
	}
	if len(o.Sizes) == 0 {
		o.Sizes = []int{64, 4 << 10, 1 << 20}
	}
	if len(o.Conns) == 0 {
		o.Conns = []int{1, 16, 256}
	}
	if o.Duration <= 0 {
		o.Duration = 2 * time.Second
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.IdleConns == 0 {
		o.IdleConns = 10000
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// server is a running echo server of one implementation.
type server interface {
	Addr() string
	Open() int64 // sessions open
	Close()
}

type echoDispatcher struct{}

func (echoDispatcher) Dispatch(c *msgr.Connection, m *msgr.Message) { echo(c, m) }
func (echoDispatcher) CanFastDispatch(*msgr.Message) bool           { return true }
func (echoDispatcher) FastDispatch(c *msgr.Connection, m *msgr.Message) {
	echo(c, m)
}

func echo(c *msgr.Connection, m *msgr.Message) {
	_ = c.Send(&msgr.Message{Type: m.Type, Priority: m.Priority, Tid: m.Tid, Front: m.Front, Data: m.Data})
}

var (
	_ msgr.Dispatcher     = echoDispatcher{}
	_ msgr.FastDispatcher = echoDispatcher{}
)

type gomgrServer struct {
	m    *msgr.Messenger
	addr string
}

func startGomgrServer(workers int) (*gomgrServer, error) {
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	l.SetOutput(os.Stderr)
	m, err := msgr.New(msgr.Config{Name: wire.EntityName{Type: wire.EntityOSD}, Workers: workers,
		Dispatcher: echoDispatcher{}, DefaultPolicy: msgr.StatelessServer(),
		HandshakeTimeout: time.Minute, Logger: logrus.NewEntry(l),
		TrustPeers: true}) // its clients send up to 1 MiB and never authenticate
	if err != nil {
		return nil, err
	}
	if err := m.Bind("127.0.0.1:0"); err != nil {
		return nil, err
	}
	if err := m.Start(); err != nil {
		return nil, err
	}
	ap, _ := m.Addr().AddrPort()
	return &gomgrServer{m: m, addr: ap.String()}, nil
}

func (s *gomgrServer) Addr() string { return s.addr }
func (s *gomgrServer) Open() int64  { return s.m.Stats().Connections.Load() }
func (s *gomgrServer) Close()       { s.m.Shutdown(); s.m.Wait() }

func startServer(impl string, workers int) (server, error) {
	switch impl {
	case ImplGomgr:
		return startGomgrServer(workers)
	case ImplStdlib:
		return startStdServer()
	}
	return nil, fmt.Errorf("%w: impl %q", ErrBadOption, impl)
}

// ServerConfig configures RunServer.
type ServerConfig struct {
	Impl    string // ImplGomgr or ImplStdlib
	Workers int
}

// RunServer starts an echo server, writes "addr <host:port>" to stdout and
// serves until ctx is done.
func RunServer(ctx context.Context, cfg ServerConfig, stdout io.Writer) error {
	if _, err := netpoll.RaiseNoFile(1 << 20); err != nil {
		return err
	}
	s, err := startServer(cfg.Impl, max(cfg.Workers, 1))
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(stdout, "addr %s\n", s.Addr())
	<-ctx.Done()
	return nil
}

// client is one running client process.
type client struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func (o *Options) spawn(ctx context.Context, cfg ClientConfig) (*client, error) {
	args := append(append([]string(nil), o.Args...), cfg.Flags()...)
	cmd := exec.CommandContext(ctx, o.Exe, args...)
	if o.Argv0 != "" {
		cmd.Args[0] = o.Argv0
	}
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Stderr = o.Log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClient, err)
	}
	return &client{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}, nil
}

func (c *client) report() (ClientReport, error) {
	var rep ClientReport
	line, err := c.out.ReadString('\n')
	if err != nil {
		_ = c.cmd.Wait()
		return rep, fmt.Errorf("%w: no report: %w", ErrClient, err)
	}
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		_ = c.cmd.Wait()
		return rep, fmt.Errorf("%w: bad report %q: %w", ErrClient, line, err)
	}
	if err := c.cmd.Wait(); err != nil {
		return rep, fmt.Errorf("%w: %w", ErrClient, err)
	}
	return rep, nil
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKB is this process's RSS in KiB.
func rssKB() (int64, error) {
	rss, err := procstat.ReadRSS(os.Getpid())
	return rss >> 10, err
}

// freeAndRSS returns memory the GC can free to the OS first, so that RSS
// counts what is live.
func freeAndRSS() (int64, error) {
	runtime.GC()
	debug.FreeOSMemory()
	return rssKB()
}

// Run measures every implementation: first the idle-connection RSS, then the
// echo cases (for each size and connection count, the implementations back
// to back so drifting machine load hits both alike). The client runs in a
// separate process: opts.Exe (named opts.Argv0) with opts.Args, then
// ClientConfig.Flags.
func Run(ctx context.Context, opts Options) ([]Result, error) {
	opts.setDefaults()
	if opts.Exe == "" {
		return nil, fmt.Errorf("%w: no client executable", ErrBadOption)
	}
	if _, err := netpoll.RaiseNoFile(uint64(max(opts.IdleConns, 0)) + 4096); err != nil {
		return nil, err
	}
	servers := map[string]server{}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	for _, impl := range opts.Impls {
		s, err := startServer(impl, opts.Workers)
		if err != nil {
			return nil, err
		}
		servers[impl] = s
	}
	var results []Result
	if opts.IdleConns > 0 {
		for _, impl := range opts.Impls {
			r, err := opts.idle(ctx, impl, servers[impl])
			if err != nil {
				return results, err
			}
			fmt.Fprintf(opts.Log, "%s idle: %d conns, %.0f B/conn\n", impl, r.Conns, r.BytesPerIdleConn)
			results = append(results, r)
		}
	}
	for _, size := range opts.Sizes {
		for _, conns := range opts.Conns {
			rounds := map[string][]Result{}
			for round := 0; round < opts.Rounds; round++ {
				for _, impl := range opts.Impls {
					if err := ctx.Err(); err != nil {
						return results, err
					}
					r, err := opts.echo(ctx, impl, servers[impl], size, conns)
					if err != nil {
						return results, fmt.Errorf("msgrbench: %s size %d conns %d: %w", impl, size, conns, err)
					}
					fmt.Fprintf(opts.Log, "%s size=%d conns=%d round %d: %.0f msg/s %.1f MB/s p50 %.0fus p99 %.0fus\n",
						impl, size, conns, round, r.MsgsPerS, r.MBPerS, r.P50us, r.P99us)
					rounds[impl] = append(rounds[impl], r)
				}
			}
			for _, impl := range opts.Impls {
				results = append(results, median(rounds[impl]))
			}
		}
	}
	ratios(results)
	return results, nil
}

// median returns the round with the median msgs/s; of an even count, the
// upper middle one. One whole round, so that a row's figures (throughput,
// latency, RSS) come from the same run.
func median(rs []Result) Result {
	slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(a.MsgsPerS, b.MsgsPerS) })
	return rs[len(rs)/2]
}

func ratios(rs []Result) {
	for i := range rs {
		if rs[i].Kind != "echo" || rs[i].Impl == ImplStdlib {
			continue
		}
		for _, b := range rs {
			if b.Kind == "echo" && b.Impl == ImplStdlib && b.Size == rs[i].Size && b.Conns == rs[i].Conns && b.MsgsPerS > 0 {
				rs[i].RatioVsStdlib = rs[i].MsgsPerS / b.MsgsPerS
			}
		}
	}
}

func (o *Options) echo(ctx context.Context, impl string, s server, size, conns int) (Result, error) {
	w := o.Window
	if w <= 0 {
		w = 8
		if size >= 1<<20 {
			w = 1
		}
	}
	if _, err := freeAndRSS(); err != nil {
		return Result{}, err
	}
	cpu0 := cpuTime()
	c, err := o.spawn(ctx, ClientConfig{Addr: s.Addr(), Conns: conns, Size: size, Duration: o.Duration, Window: w})
	if err != nil {
		return Result{}, err
	}
	_ = c.stdin.Close()
	rep, err := c.report()
	if err != nil {
		return Result{}, err
	}
	secs := rep.Seconds
	cpu := cpuTime() - cpu0
	perMsg := 0.0
	if rep.Total > 0 {
		perMsg = float64(cpu.Microseconds()) / float64(rep.Total)
	}
	rss, err := rssKB()
	if err != nil {
		return Result{}, err
	}
	return Result{ServerCPUPerMsg: perMsg, Impl: impl, Kind: "echo", Conns: conns, Size: size,
		MsgsPerS: float64(rep.Msgs) / secs, MBPerS: float64(rep.Bytes) / secs / 1e6,
		P50us: rep.P50us, P99us: rep.P99us, RSSKB: rss, ClientRSSKB: rep.RSSKB}, nil
}

func (o *Options) idle(ctx context.Context, impl string, s server) (Result, error) {
	n := o.IdleConns
	base, err := freeAndRSS()
	if err != nil {
		return Result{}, err
	}
	open0 := s.Open()
	c, err := o.spawn(ctx, ClientConfig{Addr: s.Addr(), Conns: n, Size: 0, Duration: time.Second, Window: 1, Idle: true})
	if err != nil {
		return Result{}, err
	}
	line, err := c.out.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = c.stdin.Close()
		_ = c.cmd.Wait()
		return Result{}, fmt.Errorf("%w: idle client: %q %v", ErrClient, line, err)
	}
	deadline := time.Now().Add(time.Minute)
	for s.Open()-open0 < int64(n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	opened := s.Open() - open0
	rss, rssErr := freeAndRSS()
	_ = c.stdin.Close()
	rep, err := c.report()
	if err != nil {
		return Result{}, err
	}
	if rssErr != nil {
		return Result{}, rssErr
	}
	per := 0.0
	if opened > 0 {
		per = float64(rss-base) * 1024 / float64(opened)
	}
	for s.Open() > open0 && time.Now().Before(deadline) { // let the server see the closes
		time.Sleep(10 * time.Millisecond)
	}
	return Result{Impl: impl, Kind: "idle", Conns: int(opened), RSSKB: rss, ClientRSSKB: rep.RSSKB,
		BytesPerIdleConn: per}, nil
}
