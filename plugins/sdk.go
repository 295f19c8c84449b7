package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// Declaration is what a plugin declares about itself: Ceph's NOTIFY_TYPES,
// MODULE_OPTIONS, COMMANDS and can_run.
type Declaration struct {
	// Name must equal the executable's file name in the plugin directory.
	Name        string
	Version     string
	NotifyTypes []string
	Options     []registry.Option
	Commands    []registry.CommandDesc
	// CanRunError, when set, is can_run()'s reason: the module is listed
	// but cannot be enabled.
	CanRunError string
	// StandbyOK plugins also run on standby managers: started and
	// served, never notified or sent commands there.
	StandbyOK bool
}

// Plugin is what a plugin author implements (see Serve). The optional
// interfaces Server, Notifier, BatchNotifier and CommandHandler add the
// rest of MgrModule's methods.
type Plugin interface {
	// Declare is called once, before Init; it must not call the host.
	Declare() Declaration
	// Init hands the plugin its host when the manager starts the module.
	// An error fails the start.
	Init(h *Host) error
}

// Server is serve() and shutdown(). Serve runs on its own goroutine from
// Start until ctx ends (after Shutdown) and should return promptly then.
type Server interface {
	Serve(ctx context.Context)
	Shutdown()
}

// Notifier is notify(notify_type, notify_id). Calls come from one
// goroutine, in order, only for the declared NotifyTypes.
type Notifier interface {
	Notify(ctx context.Context, kind, id string)
}

// BatchNotifier takes a whole batch at once; it is used instead of
// Notifier when a plugin implements both. Events are already filtered by
// NotifyTypes.
type BatchNotifier interface {
	NotifyBatch(ctx context.Context, events []registry.Event) error
}

// CommandHandler is handle_command. An error is reported to the caller as
// retval -EINVAL with the error as stderr.
type CommandHandler interface {
	HandleCommand(ctx context.Context, cmd registry.Command) (registry.CommandResult, error)
}

// einval is Ceph's -EINVAL, handle_command's answer to a bad command.
const einval = -22

// Serve runs p as a gomgr plugin: it performs go-plugin's handshake on
// stdout, serves the manager until it shuts the plugin down, and exits the
// process. Call it from main and print nothing on stdout before it (the
// first stdout line is the handshake). Run by hand, without the manager,
// it prints an explanation and exits with status 1.
func Serve(p Plugin) {
	serve(p, nil)
	os.Exit(0)
}

// serve is Serve without the exit, for tests in this package.
func serve(p Plugin, test *goplugin.ServeTestConfig) {
	s := newPluginServer(p)
	if test == nil {
		go watchParent(os.Getppid())
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         goplugin.PluginSet{pluginKey: &grpcPlugin{impl: s}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(maxMsg))
			return grpc.NewServer(opts...)
		},
		Test: test,
	})
	s.stopServe(context.Background())
}

// watchParent exits the plugin when the manager that started it is gone
// (reparented to init or a subreaper). Pdeathsig does this first on Linux;
// this is the fallback where Pdeathsig is unavailable or was lost.
func watchParent(ppid int) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != ppid {
			fmt.Fprintln(os.Stderr, "gomgr plugin: manager process gone, exiting")
			os.Exit(3)
		}
	}
}

// pluginServer is the Plugin service inside the plugin process. gRPC runs
// each call on its own goroutine; mu guards the fields below it. The
// plugin's handlers run on one notify goroutine (per stream) and on gRPC's
// command goroutines: a plugin whose commands share state with notify
// must lock it.
type pluginServer struct {
	pb.UnimplementedPluginServer
	p      Plugin
	decl   Declaration
	want   map[string]bool // NotifyTypes as a set
	broker *goplugin.GRPCBroker

	unlinkOnce sync.Once

	mu        sync.Mutex
	host      *Host
	conn      *grpc.ClientConn
	ctx       context.Context // serve's lifetime
	cancel    context.CancelFunc
	serveDone chan struct{}
	started   bool
}

var _ pb.PluginServer = (*pluginServer)(nil)

func newPluginServer(p Plugin) *pluginServer {
	d := p.Declare()
	want := make(map[string]bool, len(d.NotifyTypes))
	for _, k := range d.NotifyTypes {
		want[k] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &pluginServer{p: p, decl: d, want: want, ctx: ctx, cancel: cancel}
}

func (s *pluginServer) Declare(context.Context, *pb.Empty) (*pb.DeclareResponse, error) {
	s.unlinkOnce.Do(unlinkSocket)
	opts, err := optionsToPB(s.decl.Options)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "plugins: declaration: %v", err)
	}
	return &pb.DeclareResponse{
		Name:        s.decl.Name,
		Version:     s.decl.Version,
		NotifyTypes: s.decl.NotifyTypes,
		Options:     opts,
		Commands:    commandsToPB(s.decl.Commands),
		CanRun:      s.decl.CanRunError == "",
		CanRunError: s.decl.CanRunError,
		StandbyOk:   s.decl.StandbyOK,
	}, nil
}

func (s *pluginServer) Start(_ context.Context, r *pb.StartRequest) (*pb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil, status.Error(codes.FailedPrecondition, "plugins: started twice")
	}
	conn, err := s.broker.DialWithOptions(r.GetHostBrokerId(),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg)))
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "plugins: dial host: %v", err)
	}
	h := newHost(pb.NewHostClient(conn))
	h.standby = r.GetStandby()
	if err := s.p.Init(h); err != nil {
		conn.Close()
		return nil, status.Errorf(codes.FailedPrecondition, "plugins: init: %v", err)
	}
	s.host, s.conn, s.started = h, conn, true
	if srv, ok := s.p.(Server); ok {
		s.serveDone = make(chan struct{})
		go func() {
			defer close(s.serveDone)
			srv.Serve(s.ctx)
		}()
	}
	return &pb.Empty{}, nil
}

// Notify reads batches and acks them in order. Pings are acked by this
// reader at once; batches go to one handler goroutine, so a slow handler
// does not fail the liveness check but does hold back later batches.
func (s *pluginServer) Notify(stream pb.Plugin_NotifyServer) error {
	var sendMu sync.Mutex
	send := func(a *pb.NotifyAck) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(a)
	}
	work := make(chan *pb.NotifyBatch, 64)
	done := make(chan error, 1)
	go func() {
		var err error
		for b := range work {
			if err != nil {
				continue // drain
			}
			ack := &pb.NotifyAck{Seq: b.GetSeq()}
			if herr := s.handle(stream.Context(), b.GetEvents()); herr != nil {
				ack.Error = herr.Error()
			}
			err = send(ack)
		}
		done <- err
	}()
	for {
		// Recv fails when the manager closes the stream or the
		// connection: either way this stream is over.
		b, err := stream.Recv()
		if err != nil {
			break
		}
		if b.GetPing() {
			if err := send(&pb.NotifyAck{Seq: b.GetSeq()}); err != nil {
				break
			}
			continue
		}
		work <- b
	}
	close(work)
	return <-done
}

func (s *pluginServer) handle(ctx context.Context, evs []*pb.Event) error {
	switch h := s.p.(type) {
	case BatchNotifier:
		batch := make([]registry.Event, 0, len(evs))
		for _, e := range evs {
			if s.want[e.GetKind()] {
				batch = append(batch, registry.Event{Kind: e.GetKind(), ID: e.GetId()})
			}
		}
		if len(batch) == 0 {
			return nil
		}
		return h.NotifyBatch(ctx, batch)
	case Notifier:
		for _, e := range evs {
			if s.want[e.GetKind()] {
				h.Notify(ctx, e.GetKind(), e.GetId())
			}
		}
	}
	return nil
}

func (s *pluginServer) Command(ctx context.Context, r *pb.CommandRequest) (*pb.CommandResponse, error) {
	h, ok := s.p.(CommandHandler)
	if !ok {
		return &pb.CommandResponse{Retval: einval, Stderr: ErrNoCommand.Error()}, nil
	}
	var args map[string]any
	if len(r.GetArgsJson()) > 0 {
		if err := json.Unmarshal(r.GetArgsJson(), &args); err != nil {
			return &pb.CommandResponse{Retval: einval, Stderr: fmt.Sprintf("plugins: bad command arguments: %v", err)}, nil
		}
	}
	res, err := h.HandleCommand(ctx, registry.Command{Args: args, Inbuf: r.GetInbuf()})
	if err != nil {
		if res.Retval == 0 {
			res.Retval = einval
		}
		if res.Stderr == "" {
			res.Stderr = err.Error()
		}
	}
	return &pb.CommandResponse{Retval: int32(res.Retval), Stdout: res.Stdout, Stderr: res.Stderr}, nil
}

// Shutdown calls the plugin's Shutdown and waits for Serve to return,
// bounded by the manager's deadline.
func (s *pluginServer) Shutdown(ctx context.Context, _ *pb.Empty) (*pb.Empty, error) {
	if err := s.stopServe(ctx); err != nil {
		return nil, status.Error(codes.DeadlineExceeded, "plugins: serve() did not return before the deadline")
	}
	return &pb.Empty{}, nil
}

func (s *pluginServer) stopServe(ctx context.Context) error {
	s.mu.Lock()
	started, done := s.started, s.serveDone
	s.mu.Unlock()
	if !started {
		return nil
	}
	if srv, ok := s.p.(Server); ok {
		srv.Shutdown()
	}
	s.cancel()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// realStderr is the process's stderr before Serve redirects os.Stderr to
// the gRPC stdio stream: hclog JSON lines written here are parsed by
// go-plugin on the manager's side and keep their level and fields.
var realStderr = os.Stderr

// Logger returns an hclog logger for plugin code: its lines reach the
// manager's log with module=<plugin name>, their level and key/values.
func Logger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Output:     realStderr,
		JSONFormat: true,
		Level:      hclog.Trace,
	})
}

// envPrivateSocketDir tells the plugin that its socket directory is its
// own (set by the manager with go-plugin's PLUGIN_UNIX_SOCKET_DIR).
const envPrivateSocketDir = "GOMGR_PLUGIN_PRIVATE_SOCKET_DIR"

// unlinkSocket removes the plugin's unix socket file once the manager is
// connected (its first call, Declare, arrived on the connection): with
// go-plugin's multiplexing everything later runs on that one connection,
// so nothing dials the path again, and a plugin killed with its manager
// leaves no socket file behind.
func unlinkSocket() {
	dir := os.Getenv(goplugin.EnvUnixSocketDir)
	if dir == "" || os.Getenv(envPrivateSocketDir) != "1" {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type()&os.ModeSocket != 0 {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
