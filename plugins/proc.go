package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gomgr/internal/spawn"
	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// proc is one plugin process: its go-plugin client, its notify stream and
// the goroutines reading acks and pinging. A proc is never restarted: the
// module replaces it. Fields after mu are guarded by it; sendMu
// serialises stream.Send and seq.
type proc struct {
	m      *module
	client *goplugin.Client
	raw    *rawClient
	cmd    *exec.Cmd
	log    *hclogAdapter
	// sockDir holds this process's unix socket, removed once it exited
	// (go-plugin's multiplexed listener does not remove the file).
	sockDir string

	sendMu sync.Mutex
	seq    uint64
	stream pb.Plugin_NotifyClient

	mu      sync.Mutex
	pending map[uint64]chan error
	cancel  context.CancelFunc // the stream's

	dead     chan struct{} // closed once the process is gone or killed
	deadErr  error         // set before dead is closed
	dieOnce  sync.Once
	killOnce sync.Once
	killed   chan struct{} // closed when go-plugin's Kill returned
}

// launch starts a process and reads its declaration.
func (m *module) launch(ctx context.Context) (*proc, registry.Info, error) {
	cfg := &m.src.cfg
	sum, err := m.src.pin(m.name)
	if err != nil {
		return nil, registry.Info{}, err
	}
	sockDir, err := m.src.processSocketDir()
	if err != nil {
		return nil, registry.Info{}, err
	}
	cmd := exec.Command(m.path)
	// The kernel kills the plugin if the manager dies, even by SIGKILL. A
	// process group of its own keeps a terminal's Ctrl-C from reaching it:
	// the manager stops its plugins in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Env = []string{goplugin.EnvUnixSocketDir + "=" + sockDir, envPrivateSocketDir + "=1"}
	p := &proc{
		m:       m,
		cmd:     cmd,
		sockDir: sockDir,
		log:     newHclogAdapter(cfg.Logger, m.name),
		pending: make(map[uint64]chan error),
		dead:    make(chan struct{}),
		killed:  make(chan struct{}),
	}
	out := cfg.Logger.WithField("module", m.name).WithField("stream", "stdout")
	errOut := cfg.Logger.WithField("module", m.name).WithField("stream", "stderr")
	p.client = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:     Handshake,
		Plugins:             goplugin.PluginSet{pluginKey: &grpcPlugin{}},
		Cmd:                 cmd,
		SecureConfig:        &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols:    []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:              p.log,
		AutoMTLS:            !cfg.DisableAutoMTLS,
		StartTimeout:        cfg.StartTimeout,
		SyncStdout:          &lineWriter{fn: func(l string) { out.Info(l) }},
		SyncStderr:          &lineWriter{fn: func(l string) { errOut.Warn(l) }},
		GRPCBrokerMultiplex: true,
		GRPCDialOptions:     []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg))},
	})
	var cp goplugin.ClientProtocol
	err = spawn.OnConfinedThread(func() (err error) { cp, err = p.client.Client(); return err }) // no_new_privs, inherited
	if err != nil {
		p.kill()
		return nil, registry.Info{}, m.startError(err, sum)
	}
	d, err := cp.Dispense(pluginKey)
	if err != nil {
		p.kill()
		return nil, registry.Info{}, fmt.Errorf("%w: %s: %w", ErrHandshake, m.name, err)
	}
	p.raw = d.(*rawClient)
	decl, err := p.raw.client.Declare(ctx, &pb.Empty{})
	if err != nil {
		p.kill()
		return nil, registry.Info{}, fmt.Errorf("plugins: %s: declare: %w", m.name, err)
	}
	info, err := infoFromDeclare(decl, m.name)
	if err != nil {
		p.kill()
		return nil, registry.Info{}, err
	}
	return p, info, nil
}

// startError explains why go-plugin could not start the process.
func (m *module) startError(err error, pinned []byte) error {
	if errors.Is(err, goplugin.ErrChecksumsDoNotMatch) {
		now, herr := hashFile(m.path)
		if herr != nil {
			return fmt.Errorf("%w: %s: %w", ErrChecksum, m.path, herr)
		}
		return fmt.Errorf("%w: %s has sha256 %.8x… but %.8x… was pinned when it was enabled; enable the module again to trust the new binary",
			ErrChecksum, m.path, now, pinned)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "Unrecognized remote plugin message: ") {
		line := strings.TrimPrefix(msg, "Unrecognized remote plugin message: ")
		line, _, _ = strings.Cut(line, "\n")
		return fmt.Errorf("%w: %s printed %q on stdout before the handshake (a plugin must print nothing before plugins.Serve)",
			ErrHandshake, m.name, line)
	}
	return fmt.Errorf("%w: %s: %w", ErrHandshake, m.name, err)
}

// start serves h to the plugin, calls Start and opens the notify stream.
func (p *proc) start(ctx context.Context, h registry.Host) error {
	id := p.raw.broker.NextId()
	go p.raw.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		opts = append(opts, grpc.MaxRecvMsgSize(maxMsg), grpc.ChainUnaryInterceptor(p.recoverHost))
		s := grpc.NewServer(opts...)
		pb.RegisterHostServer(s, &hostServer{h: h})
		return s
	})
	sh, ok := h.(registry.StandbyHost)
	if _, err := p.raw.client.Start(ctx, &pb.StartRequest{HostBrokerId: id, Standby: ok && sh.Standby()}); err != nil {
		return fmt.Errorf("plugins: %s: start: %w", p.m.name, err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := p.raw.client.Notify(sctx)
	if err != nil {
		cancel()
		return fmt.Errorf("plugins: %s: notify stream: %w", p.m.name, err)
	}
	p.mu.Lock()
	p.cancel = cancel
	p.mu.Unlock()
	p.sendMu.Lock()
	p.stream = stream
	p.sendMu.Unlock()
	go p.recvLoop(stream)
	go p.pingLoop()
	return nil
}

// recoverHost keeps a panic in the application's registry.Host (run on
// gRPC's goroutine, where nothing else would recover it) from taking the
// manager down: the plugin's call fails instead.
func (p *proc) recoverHost(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.m.log.WithField("method", info.FullMethod).Errorf("plugins: host call panicked: %v", r)
			err = status.Errorf(codes.Internal, "plugins: host call %s panicked: %v", info.FullMethod, r)
		}
	}()
	return next(ctx, req)
}

// recvLoop delivers acks until the stream breaks, which means the process
// exited (or was killed).
func (p *proc) recvLoop(stream pb.Plugin_NotifyClient) {
	for {
		ack, err := stream.Recv()
		if err != nil {
			p.die(p.exitReason(err))
			p.m.fail(p, p.deadErr)
			return
		}
		p.mu.Lock()
		ch := p.pending[ack.GetSeq()]
		delete(p.pending, ack.GetSeq())
		p.mu.Unlock()
		if ch != nil {
			if ack.GetError() != "" {
				ch <- fmt.Errorf("plugins: %s: notify: %s", p.m.name, ack.GetError())
			} else {
				ch <- nil
			}
		}
	}
}

// exitReason waits briefly for go-plugin to see the exit, then reports
// the exit status and the plugin's panic line if there was one.
func (p *proc) exitReason(streamErr error) error {
	deadline := time.Now().Add(time.Second)
	for !p.client.Exited() && time.Now().Before(deadline) {
		select {
		case <-p.dead:
			return p.deadErr
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !p.client.Exited() {
		return fmt.Errorf("%w: %s: notify stream broke: %w", ErrCrashed, p.m.name, streamErr)
	}
	if r := p.log.tail.reason(); r != "" {
		return fmt.Errorf("%w: %s: %s", ErrCrashed, p.m.name, r)
	}
	return fmt.Errorf("%w: %s: process exited", ErrCrashed, p.m.name)
}

// pingLoop checks that the process still answers on the stream.
func (p *proc) pingLoop() {
	cfg := &p.m.src.cfg
	t := time.NewTicker(cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-p.dead:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), cfg.PingTimeout)
		err := p.roundTrip(ctx, &pb.NotifyBatch{Ping: true},
			fmt.Errorf("%w: %s: no answer to a ping within %s (stopped or deadlocked process)",
				ErrUnresponsive, p.m.name, cfg.PingTimeout))
		cancel()
		if err != nil {
			return
		}
	}
}

// roundTrip sends one batch and waits for its ack. If ctx ends first the
// module fails the process with timeoutErr (killing it, which also
// unblocks a Send stuck on flow control) and roundTrip returns timeoutErr.
func (p *proc) roundTrip(ctx context.Context, b *pb.NotifyBatch, timeoutErr error) error {
	ch := make(chan error, 1)
	p.sendMu.Lock()
	if p.stream == nil {
		p.sendMu.Unlock()
		return fmt.Errorf("%w: %s", ErrNotRunning, p.m.name)
	}
	p.seq++
	b.Seq = p.seq
	p.mu.Lock()
	p.pending[b.Seq] = ch
	p.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { p.m.fail(p, timeoutErr) })
	err := p.stream.Send(b)
	p.sendMu.Unlock()
	if !stop() {
		return timeoutErr
	}
	if err != nil {
		p.forget(b.Seq)
		select {
		case <-p.dead:
			return p.deadErr
		default:
		}
		return fmt.Errorf("%w: %s: %w", ErrNotRunning, p.m.name, err)
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		p.forget(b.Seq)
		p.m.fail(p, timeoutErr)
		return timeoutErr
	case <-p.dead:
		return p.deadErr
	}
}

func (p *proc) forget(seq uint64) {
	p.mu.Lock()
	delete(p.pending, seq)
	p.mu.Unlock()
}

// die records why the process is gone, once.
func (p *proc) die(err error) {
	p.dieOnce.Do(func() {
		p.deadErr = err
		close(p.dead)
	})
}

func (p *proc) isDead() bool {
	select {
	case <-p.dead:
		return true
	default:
		return false
	}
}

// pid is the process id, or 0 before the process started.
func (p *proc) pid() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// kill ends the process at once with SIGKILL (a stopped or hung process
// cannot do better) and lets go-plugin clean up in the background.
// Idempotent; safe from any goroutine.
func (p *proc) kill() {
	p.killOnce.Do(func() {
		p.die(fmt.Errorf("%w: %s: killed", ErrNotRunning, p.m.name))
		p.mu.Lock()
		cancel := p.cancel
		p.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		if p.cmd.Process != nil {
			// os.Process.Signal is safe against pid reuse after the wait.
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
		}
		go p.reap()
	})
}

// reap runs go-plugin's Kill (which waits for the process) and then
// removes the process's socket directory.
func (p *proc) reap() {
	p.client.Kill()
	_ = os.RemoveAll(p.sockDir)
	close(p.killed)
}

// shutdown stops the process gracefully: Shutdown (the plugin's
// shutdown() and waiting for serve()), then go-plugin's Kill, each bounded,
// then SIGKILL. It returns the Shutdown error, if any.
func (p *proc) shutdown(ctx context.Context) error {
	cfg := &p.m.src.cfg
	var serr error
	if !p.isDead() && p.raw != nil {
		sctx, cancel := context.WithTimeout(ctx, cfg.KillTimeout)
		_, serr = p.raw.client.Shutdown(sctx, &pb.Empty{})
		cancel()
		if serr != nil {
			serr = fmt.Errorf("plugins: %s: shutdown: %w", p.m.name, serr)
		}
	}
	p.die(fmt.Errorf("%w: %s: stopped", ErrNotRunning, p.m.name))
	p.mu.Lock()
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	// go-plugin's Kill asks the plugin to exit and waits; on a frozen
	// process it can wait forever, hence the bound below.
	p.killOnce.Do(func() { go p.reap() })
	select {
	case <-p.killed:
		return serr
	case <-time.After(cfg.KillTimeout):
	case <-ctx.Done():
	}
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	select {
	case <-p.killed:
	case <-time.After(cfg.KillTimeout):
		p.m.log.Warn("plugins: go-plugin's Kill still blocked after SIGKILL")
	}
	return serr
}
