package isolate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/procstat"
	"gomgr/registry"
)

const (
	// killWait bounds the wait for a killed process to be reaped.
	killWait = 5 * time.Second
	// childGrace is added to the deadlines the child sees (see deadlineGrace).
	childGrace = 250 * time.Millisecond
)

func newFailure(msg string, wrapped ...error) error {
	return &remoteError{msg: msg, wrapped: wrapped}
}

type openResult struct {
	info registry.Info
	err  error
}

// Module is the parent's proxy for one module running in a child process.
// All methods are safe from any goroutine.
type Module struct {
	src       *Source
	name      string
	proc      process
	conn      *conn
	log       logrus.FieldLogger
	startTime time.Time
	openTime  time.Duration
	info      registry.Info // set by Open before the Module is returned

	host   atomic.Pointer[registry.Host] // set by Start
	opened chan openResult
	ioDone sync.WaitGroup // stdout and stderr forwarders

	// hostCtx ends when the process ends: it bounds host calls.
	hostCtx    context.Context
	hostCancel context.CancelFunc

	readerDone chan struct{} // closed when the stream reader returns
	exited     chan struct{} // closed by reap once the process is reaped
	exitErr    error         // why it ended; written before exited is closed
	status     string        // how it ended ("exit status 3"); likewise

	getJSON, getUnchanged atomic.Uint64

	mu         sync.Mutex
	failed     error
	killReason error
	stopping   bool
	crash      []string // the first crash line of stderr and a few after it
	tail       []string // the last stderr lines
}

func newModule(s *Source, name string, proc process, nc net.Conn) *Module {
	m := &Module{
		src:        s,
		name:       name,
		proc:       proc,
		conn:       newConn(nc),
		log:        s.cfg.Logger.WithFields(logrus.Fields{"module": name, "pid": proc.Pid()}),
		opened:     make(chan openResult, 1),
		exited:     make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	m.hostCtx, m.hostCancel = context.WithCancel(context.Background())
	return m
}

// Pid is the module process's id.
func (m *Module) Pid() int { return m.proc.Pid() }

// StartupTime is how long the process took from exec to reporting its
// module's Info.
func (m *Module) StartupTime() time.Duration { return m.openTime }

// Exited is closed once the process has ended and been reaped.
func (m *Module) Exited() <-chan struct{} { return m.exited }

// Info is the module's declaration, as the child reported it.
func (m *Module) Info() registry.Info { return m.info }

// Failed reports why the module ended on its own or was killed, or nil.
func (m *Module) Failed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

func (m *Module) setFailed(err error) {
	m.mu.Lock()
	if m.failed == nil {
		m.failed = err
	}
	m.mu.Unlock()
}

// kill sends SIGKILL, recording reason as the failure unless one is
// already known. It does not wait.
func (m *Module) kill(reason error) {
	m.mu.Lock()
	if m.killReason == nil {
		m.killReason = reason
	}
	if m.failed == nil {
		m.failed = reason
	}
	m.mu.Unlock()
	_ = m.proc.Kill() // harmless once reaped
}

// waitExit waits up to d for the process to be reaped.
func (m *Module) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.exited:
		return true
	case <-t.C:
		return false
	}
}

// Start hands the module its host and starts it in the child.
func (m *Module) Start(ctx context.Context, h registry.Host) error {
	if h == nil {
		return fmt.Errorf("isolate: %s: Start with a nil Host", m.name)
	}
	m.host.Store(&h)
	var e enc
	e.deadlineGrace(ctx, childGrace)
	sh, ok := h.(registry.StandbyHost)
	e.boolean(ok && sh.Standby()) // the child's Host says the same
	_, err := m.callChild(ctx, "start", opStart, e.b)
	return err
}

// Notify delivers events to the child. If ctx ends first, the child is
// killed and the error wraps registry.ErrStuck and ctx.Err().
func (m *Module) Notify(ctx context.Context, events []registry.Event) error {
	var e enc
	e.deadlineGrace(ctx, childGrace)
	e.events(events)
	_, err := m.callChild(ctx, "notify", opNotify, e.b)
	return err
}

// Command runs one of the module's commands in the child, with the same
// deadline handling as Notify.
func (m *Module) Command(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	var e enc
	e.deadlineGrace(ctx, childGrace)
	if err := e.value(cmd.Args); err != nil {
		return registry.CommandResult{}, fmt.Errorf("isolate: command args: %w", err)
	}
	e.str(cmd.Inbuf)
	body, err := m.callChild(ctx, "command", opCommand, e.b)
	if err != nil {
		return registry.CommandResult{}, err
	}
	d := dec{b: body}
	res := registry.CommandResult{Retval: int(d.svar()), Stdout: d.str(), Stderr: d.str()}
	return res, d.err
}

// Remote implements registry.RemoteModule. A call that overruns ctx is
// abandoned, not a reason to kill the module: the caller's deadline is
// the caller's.
func (m *Module) Remote(ctx context.Context, method string, args []byte) ([]byte, error) {
	var e enc
	e.deadline(ctx)
	e.str(method)
	e.bytes(args)
	body, err := m.conn.call(ctx, opRemote, e.b)
	if err != nil {
		return nil, fmt.Errorf("isolate: %s: remote %s: %w", m.name, method, err)
	}
	d := dec{b: body}
	res := d.bytes()
	return res, d.err
}

// Stop calls Stop in the child with ctx's deadline (Config.StopTimeout
// when it has none), then waits for the process to exit, and kills it if it
// does not in time. The process is always reaped when Stop returns.
func (m *Module) Stop(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.src.cfg.StopTimeout)
		defer cancel()
	}
	m.mu.Lock()
	m.stopping = true
	m.mu.Unlock()
	select {
	case <-m.exited:
		m.hostCancel()
		return nil
	default:
	}
	var e enc
	e.deadlineGrace(ctx, childGrace)
	_, err := m.callChild(ctx, "stop", opStop, e.b)
	select {
	case <-m.exited:
	case <-ctx.Done():
		m.kill(newFailure(fmt.Sprintf("stop did not finish in time (%v); module process killed", ctx.Err()), ErrKilled, registry.ErrStuck, ctx.Err()))
		m.waitExit(killWait)
	}
	m.hostCancel()
	return err
}

// stopAndWait ends a process that has nothing to stop (its Open failed).
func (m *Module) stopAndWait(d time.Duration) {
	m.mu.Lock()
	m.stopping = true
	m.mu.Unlock()
	m.conn.close(ErrClosed) // the child exits on EOF
	if !m.waitExit(d) {
		m.kill(newFailure("module process did not exit; killed", ErrKilled))
		m.waitExit(killWait)
	}
	m.hostCancel()
}

// callChild makes one call into the child. ctx's end kills the child: its
// code may be stuck where nothing can stop it. The stream's end means the
// child died: the error is why.
func (m *Module) callChild(ctx context.Context, what string, op uint8, payload []byte) ([]byte, error) {
	start := time.Now()
	body, err := m.conn.call(ctx, op, payload)
	if err == nil {
		return body, nil
	}
	var re *remoteError
	switch {
	case errors.As(err, &re):
		if errors.Is(err, registry.ErrStuck) {
			// The inner module gave up on its own code: only a kill stops it.
			m.kill(newFailure(fmt.Sprintf("%s: %v; module process killed", what, err), ErrKilled, registry.ErrStuck))
		}
		return nil, fmt.Errorf("isolate: %s: %w", what, err)
	case ctx.Err() != nil:
		msg := fmt.Sprintf("%s exceeded %s deadline; module process killed", what, deadlineText(ctx, start))
		if errors.Is(ctx.Err(), context.Canceled) {
			msg = fmt.Sprintf("%s cancelled after %s; module process killed", what, time.Since(start).Round(time.Millisecond))
		}
		reason := newFailure(msg, ErrKilled, registry.ErrStuck, ctx.Err())
		m.kill(reason)
		m.waitExit(killWait)
		return nil, fmt.Errorf("isolate: %s: %w", m.name, reason)
	default:
		// The stream ended: wait for the exit status to say why.
		if m.waitExit(killWait) {
			return nil, fmt.Errorf("isolate: %s: %s: %w", m.name, what, m.exitErr)
		}
		return nil, fmt.Errorf("isolate: %s: %s: %w", m.name, what, err)
	}
}

func deadlineText(ctx context.Context, start time.Time) string {
	dl, ok := ctx.Deadline()
	if !ok {
		return time.Since(start).Round(time.Millisecond).String()
	}
	d := dl.Sub(start)
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// reap alone waits for the process; it records why it ended, closes the
// stream and ends host calls.
func (m *Module) reap() {
	status := m.proc.Wait()
	// The forwarders and the stream reader end at EOF, so the last log
	// lines, health checks and answers are handled before exited closes; a
	// grandchild holding the pipes must not hold us.
	done := make(chan struct{})
	go func() { m.ioDone.Wait(); <-m.readerDone; close(done) }()
	t := time.NewTimer(2 * time.Second)
	select {
	case <-done:
	case <-t.C:
	}
	t.Stop()
	reason := m.describeExit(status)
	m.mu.Lock()
	m.status = status
	if m.killReason != nil {
		m.exitErr = m.killReason
	} else {
		m.exitErr = reason
	}
	if m.failed == nil && !m.stopping {
		m.failed = m.exitErr
	}
	m.mu.Unlock()
	m.conn.close(m.exitErr)
	m.hostCancel()
	close(m.exited)
	m.log.WithField("status", status).Debug("module process ended")
}

// watchStream kills a child whose stream ended but which did not exit.
func (m *Module) watchStream() {
	select {
	case <-m.exited:
		return
	case <-m.conn.done:
	}
	if !m.waitExit(2 * time.Second) {
		m.kill(newFailure(fmt.Sprintf("module stream ended (%v) but the process did not exit; killed", m.conn.closeErr()), ErrKilled))
	}
}

// watchMemory kills the child when its resident memory goes over limit.
func (m *Module) watchMemory(limit int64, every time.Duration) {
	pid := m.Pid()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.exited:
			return
		case <-t.C:
		}
		rss, err := procstat.ReadRSS(pid) // statm: cheap enough for every tick
		if err != nil {
			continue // exiting: reap will tell
		}
		if rss > limit {
			m.kill(newFailure(fmt.Sprintf("memory limit exceeded (resident %s > %s); module process killed",
				fmtBytes(rss), fmtBytes(limit)), ErrKilled, ErrMemoryLimit, registry.ErrCrashed))
			return
		}
	}
}

// RSS is the module process's resident memory in bytes, from /proc.
func (m *Module) RSS() (int64, error) {
	rss, err := procstat.ReadRSS(m.Pid())
	if err != nil {
		return 0, fmt.Errorf("isolate: module process memory: %w", err)
	}
	return rss, nil
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 2, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	default:
		return strconv.FormatInt(n, 10) + " B"
	}
}

const (
	tailLines  = 20
	crashLines = 4
	// crashLogLines caps how much of a crash dump (Go prints every frame)
	// goes to the log.
	crashLogLines = 40
)

// forward logs the child's stdout (info) or stderr (warning) line by line,
// and keeps what describeExit needs from stderr.
func (m *Module) forward(r *os.File, stream string) {
	defer m.ioDone.Done()
	defer r.Close()
	br := bufio.NewReaderSize(r, 16<<10)
	log := m.log.WithField("stream", stream)
	inCrash, logged, dropped := false, 0, 0
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			s := strings.TrimRight(string(line), "\r\n")
			if stream == "stdout" {
				log.Info(s)
			} else {
				if !inCrash && isCrashLine(s) {
					inCrash = true
				}
				m.mu.Lock()
				if inCrash && len(m.crash) < crashLines && s != "" {
					m.crash = append(m.crash, s)
				}
				m.tail = append(m.tail, s)
				if len(m.tail) > tailLines {
					m.tail = m.tail[len(m.tail)-tailLines:]
				}
				m.mu.Unlock()
				if inCrash && logged >= crashLogLines {
					dropped++
				} else {
					if inCrash {
						logged++
					}
					log.Warn(s)
				}
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err != io.EOF {
				log.WithError(err).Debug("reading module output")
			}
			break
		}
	}
	if dropped > 0 {
		log.Warnf("(%d more lines of the crash dump not logged)", dropped)
	}
}

func isCrashLine(s string) bool {
	for _, p := range []string{"panic: ", "fatal error: ", "runtime: ", "SIG"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// describeExit says why the process ended, from its status and stderr.
func (m *Module) describeExit(status string) error {
	m.mu.Lock()
	crash := append([]string(nil), m.crash...)
	tail := append([]string(nil), m.tail...)
	m.mu.Unlock()
	msg := fmt.Sprintf("module process exited (%s)", status)
	all := strings.Join(crash, "\n") + "\n" + strings.Join(tail, "\n")
	switch {
	case strings.Contains(all, "stack exceeds") || strings.Contains(all, "stack overflow"):
		msg += ": stack overflow (infinite recursion?)"
		for _, l := range append(crash, tail...) {
			if strings.Contains(l, "stack exceeds") {
				msg += ": " + l
				break
			}
		}
	case strings.Contains(all, "out of memory") || strings.Contains(all, "cannot allocate memory"):
		msg += ": out of memory"
		if len(crash) > 0 {
			msg += ": " + crash[0]
		}
	case len(crash) > 0:
		msg += ": " + crash[0]
	default:
		var last []string
		for i := len(tail) - 1; i >= 0 && len(last) < 3; i-- {
			if strings.TrimSpace(tail[i]) != "" {
				last = append([]string{tail[i]}, last...)
			}
		}
		if len(last) > 0 {
			msg += "; last stderr: " + strings.Join(last, " | ")
		}
	}
	return newFailure(msg, ErrExited, registry.ErrCrashed)
}

// handle takes the child's requests and one-way frames, on the stream's
// reader goroutine: one-way frames are applied here, in order; requests run
// in their own goroutines since a host call may block on IO.
func (m *Module) handle(f frame) {
	if f.typ == typRequest {
		go m.serveHost(f)
		return
	}
	d := dec{b: f.payload}
	switch f.op {
	case opOpened:
		var res openResult
		if d.boolean() {
			res.info = d.info()
		} else {
			res.err = d.errorValue()
		}
		if d.err != nil {
			res.err = fmt.Errorf("isolate: %s: open reply: %w", m.name, d.err)
		}
		select {
		case m.opened <- res:
		default:
		}
	case opLog:
		level, msg := d.str(), d.str()
		if d.err != nil {
			return
		}
		if h := m.host.Load(); h != nil {
			(*h).Log(level, msg)
		} else {
			m.log.WithField("level", level).Info(msg)
		}
	case opHealth:
		raw := d.bytes()
		var checks map[string]registry.HealthCheck
		if d.err != nil || json.Unmarshal(raw, &checks) != nil {
			m.log.Warn("isolate: malformed health checks from module process")
			return
		}
		if h := m.host.Load(); h != nil {
			(*h).SetHealthChecks(checks)
		}
	case opFailed:
		err := d.errorValue()
		if d.err == nil {
			m.setFailed(err)
		}
	case opClusterLog:
		channel, prio, msg := d.str(), d.svar(), d.str()
		if d.err != nil {
			return
		}
		if ch := m.clusterHost(); ch != nil {
			ch.ClusterLog(channel, int(prio), msg)
		}
	case opSetURI:
		uri := d.str()
		if d.err != nil {
			return
		}
		if ch := m.clusterHost(); ch != nil {
			ch.SetURI(uri)
		}
	case opProgress:
		id := d.str()
		var ev *registry.ProgressEvent
		if d.boolean() {
			ev = &registry.ProgressEvent{Message: d.str(), Progress: d.f64(), AddToCephS: d.boolean()}
		}
		if d.err != nil {
			return
		}
		if ch := m.clusterHost(); ch != nil {
			ch.Progress(id, ev)
		}
	default:
		m.log.Warnf("isolate: unknown one-way op %d from module process", f.op)
	}
}

// clusterHost is the started module's Host as a registry.ClusterHost, or nil.
func (m *Module) clusterHost() registry.ClusterHost {
	if h := m.host.Load(); h != nil {
		if ch, ok := (*h).(registry.ClusterHost); ok {
			return ch
		}
	}
	return nil
}

// serveHost answers one host call from the child.
func (m *Module) serveHost(f frame) {
	hp := m.host.Load()
	if hp == nil {
		m.conn.reply(f, nil, fmt.Errorf("isolate: host call before start"))
		return
	}
	h := *hp
	body, err := m.hostCall(h, f.op, f.payload)
	m.conn.reply(f, body, err)
}

func (m *Module) hostCall(h registry.Host, op uint8, payload []byte) ([]byte, error) {
	d := dec{b: payload}
	var e enc
	// ctxCall bounds calls that take a ctx with the child's deadline and the
	// process's life.
	ctxCall := func() (context.Context, context.CancelFunc) {
		return withDeadline(m.hostCtx, d.svar())
	}
	switch op {
	case opMgrID:
		e.str(h.MgrID())
	case opGet:
		name := d.str()
		have := d.boolean()
		version := d.uvar()
		if d.err != nil {
			return nil, d.err
		}
		m.src.stats.gets.Add(1)
		v, err := h.Get(name)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, fmt.Errorf("isolate: get %q: %w", name, registry.ErrNoData)
		}
		if have && version == v.Version {
			m.src.stats.unchanged.Add(1)
			m.getUnchanged.Add(1)
			e.u8(0)
			e.uvar(v.Version)
			return e.b, nil
		}
		raw, err := m.src.valueJSON(name, v)
		if err != nil {
			return nil, fmt.Errorf("isolate: get %q: %w", name, err)
		}
		m.src.stats.jsonSent.Add(1)
		m.getJSON.Add(1)
		e.b = make([]byte, 0, len(raw)+16)
		e.u8(1)
		e.uvar(v.Version)
		e.bytes(raw)
	case opListServers:
		return jsonBody(h.ListServers())
	case opGetServer:
		s, ok := h.GetServer(d.str())
		if d.err != nil {
			return nil, d.err
		}
		if !ok {
			return nil, nil
		}
		return jsonBody(s)
	case opMetadata:
		md, ok := h.Metadata(d.str(), d.str())
		if d.err != nil {
			return nil, d.err
		}
		e.boolean(ok)
		e.uvar(uint64(len(md)))
		for k, v := range md {
			e.str(k)
			e.str(v)
		}
	case opCounter:
		typ, id, path := d.str(), d.str(), d.str()
		if d.err != nil {
			return nil, d.err
		}
		samples := h.Counter(typ, id, path)
		// The counter's type, so that a runtime can give it in Ceph's
		// units and shape (raw nanoseconds, avgcount).
		e.uvar(uint64(h.PerfSchema(typ, id)[path].Type))
		e.uvar(uint64(len(samples)))
		for _, s := range samples {
			e.sample(s)
		}
	case opLatest:
		typ, id, path := d.str(), d.str(), d.str()
		if d.err != nil {
			return nil, d.err
		}
		s, ok := h.Latest(typ, id, path)
		e.uvar(uint64(h.PerfSchema(typ, id)[path].Type))
		e.boolean(ok)
		e.sample(s)
	case opPerfSchema:
		ps := h.PerfSchema(d.str(), d.str())
		if d.err != nil {
			return nil, d.err
		}
		return jsonBody(ps)
	case opModuleOption:
		ctx, cancel := ctxCall()
		defer cancel()
		key := d.str()
		if d.err != nil {
			return nil, d.err
		}
		v, err := h.ModuleOption(ctx, key)
		if err != nil {
			return nil, err
		}
		if err := e.value(v); err != nil {
			return nil, err
		}
	case opSetModuleOption, opStoreSet:
		ctx, cancel := ctxCall()
		defer cancel()
		key := d.str()
		var val *string
		if d.boolean() {
			s := d.str()
			val = &s
		}
		if d.err != nil {
			return nil, d.err
		}
		if op == opStoreSet {
			return nil, h.StoreSet(ctx, key, val)
		}
		return nil, h.SetModuleOption(ctx, key, val)
	case opStoreGet:
		ctx, cancel := ctxCall()
		defer cancel()
		key := d.str()
		if d.err != nil {
			return nil, d.err
		}
		v, ok, err := h.StoreGet(ctx, key)
		if err != nil {
			return nil, err
		}
		e.boolean(ok)
		e.str(v)
	case opStorePrefix:
		ctx, cancel := ctxCall()
		defer cancel()
		prefix := d.str()
		if d.err != nil {
			return nil, d.err
		}
		kv, err := h.StorePrefix(ctx, prefix)
		if err != nil {
			return nil, err
		}
		e.uvar(uint64(len(kv)))
		for k, v := range kv {
			e.str(k)
			e.str(v)
		}
	case opSendCommand:
		ctx, cancel := ctxCall()
		defer cancel()
		svcType, svcID, cmd, inbuf := d.str(), d.str(), d.str(), d.str()
		if d.err != nil {
			return nil, d.err
		}
		ch, ok := h.(registry.ClusterHost)
		if !ok {
			return nil, fmt.Errorf("send_command: %w", registry.ErrNotSupported)
		}
		res, err := ch.SendCommand(ctx, svcType, svcID, cmd, inbuf)
		if err != nil {
			return nil, err
		}
		e.svar(int64(res.Retval))
		e.str(res.Stdout)
		e.str(res.Stderr)
	case opForeignOption, opSetForeignOption:
		ctx, cancel := ctxCall()
		defer cancel()
		module, key := d.str(), d.str()
		var val *string
		if op == opSetForeignOption && d.boolean() {
			s := d.str()
			val = &s
		}
		if d.err != nil {
			return nil, d.err
		}
		fh, ok := h.(registry.ForeignOptionHost)
		if !ok {
			return nil, fmt.Errorf("module options of %s: %w", module, registry.ErrNotSupported)
		}
		if op == opSetForeignOption {
			return nil, fh.SetForeignModuleOption(ctx, module, key, val)
		}
		v, err := fh.ForeignModuleOption(ctx, module, key)
		if err != nil {
			return nil, err
		}
		if err := e.value(v); err != nil {
			return nil, err
		}
	case opRemoteCall:
		ctx, cancel := ctxCall()
		defer cancel()
		module, method, args := d.str(), d.str(), d.bytes()
		if d.err != nil {
			return nil, d.err
		}
		rh, ok := h.(registry.RemoteHost)
		if !ok {
			return nil, fmt.Errorf("remote call to %s: %w", module, registry.ErrNotSupported)
		}
		res, err := rh.Remote(ctx, module, method, args)
		if err != nil {
			return nil, err
		}
		e.bytes(res)
	case opAddOSDPerfQuery, opRemoveOSDPerfQuery, opOSDPerfCounters:
		return perfQueryCall(h, op, &d)
	case opOSDMapCalc:
		req := d.bytes()
		if d.err != nil {
			return nil, d.err
		}
		res, err := osdMapCalc(req)
		if err != nil {
			return nil, err
		}
		e.bytes(res)
	case opCephOption:
		name := d.str()
		if d.err != nil {
			return nil, d.err
		}
		var v any
		ok := false
		if ch, isCH := h.(registry.ClusterHost); isCH {
			v, ok = ch.CephOption(name)
		}
		e.boolean(ok)
		if err := e.value(v); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: unknown host op %d", ErrProtocol, op)
	}
	if d.err != nil {
		return nil, d.err
	}
	return e.b, nil
}

// perfQueryCall serves the PerfQueryHost ops: none blocks (the host
// sends the queries to the OSDs asynchronously), so they take no deadline.
func perfQueryCall(h registry.Host, op uint8, d *dec) ([]byte, error) {
	var q registry.OSDPerfQuery
	var id int64
	if op == opAddOSDPerfQuery {
		q = d.osdPerfQuery()
	} else {
		id = d.svar()
	}
	if d.err != nil {
		return nil, d.err
	}
	ph, ok := h.(registry.PerfQueryHost)
	if !ok {
		return nil, fmt.Errorf("osd perf queries: %w", registry.ErrNotSupported)
	}
	var e enc
	switch op {
	case opAddOSDPerfQuery:
		id, err := ph.AddOSDPerfQuery(q)
		if err != nil {
			return nil, err
		}
		e.svar(id)
	case opRemoveOSDPerfQuery:
		return nil, ph.RemoveOSDPerfQuery(id)
	default:
		cs, err := ph.OSDPerfCounters(id)
		if err != nil {
			return nil, err
		}
		e.osdPerfCounters(cs)
	}
	return e.b, nil
}

func jsonBody(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("isolate: encoding reply: %w", err)
	}
	return raw, nil
}

var (
	_ registry.Module        = (*Module)(nil)
	_ registry.RemoteModule  = (*Module)(nil)
	_ registry.ProcessModule = (*Module)(nil)
)
