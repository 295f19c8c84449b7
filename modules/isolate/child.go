package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gomgr/registry"
)

// Exit codes of a child.
const (
	exitStopped  = 0 // Stop was called, or Open failed and was reported
	exitError    = 1 // ServeChild failed before serving
	exitOrphaned = 3 // the stream ended without Stop: the parent is gone
)

// failedPoll is how often the child looks at its module's Failed().
const failedPoll = 50 * time.Millisecond

// MaybeRunChild makes this process a module child when the parent started
// it as one: it builds the Source with newSource, serves the one module and
// exits the process. Otherwise it returns false at once. Call it at the top
// of main (and of TestMain), before anything else runs.
func MaybeRunChild(newSource func() registry.Source) bool {
	if os.Getenv(EnvModule) == "" {
		return false
	}
	err := ServeChild(newSource())
	switch {
	case err == nil:
		os.Exit(exitStopped)
	case errors.Is(err, errOrphaned):
		os.Exit(exitOrphaned)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitError)
	}
	return true
}

var errOrphaned = errors.New("isolate: module stream ended without stop")

// ServeChild serves the module named by the environment, opened with src,
// over the stream on fd 3. It returns nil after Stop (or after reporting
// that Open failed), and an error if the stream ended first or it could not
// start. The caller should exit the process when it returns.
func ServeChild(src registry.Source) error {
	name := os.Getenv(EnvModule)
	if name == "" {
		return ErrNotChild
	}
	if n, err := strconv.Atoi(os.Getenv(envMaxStack)); err == nil && n > 0 {
		debug.SetMaxStack(n)
	}
	if n, err := strconv.ParseInt(os.Getenv(envMemLimit), 10, 64); err == nil && n > 0 {
		// Collect garbage hard before the parent's kill at n.
		debug.SetMemoryLimit(n / 4 * 3)
	}
	f := os.NewFile(childFD, "isolate")
	if f == nil {
		return fmt.Errorf("isolate: no stream on fd %d", childFD)
	}
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("isolate: stream on fd %d: %w", childFD, err)
	}
	c := newConn(nc)
	defer c.close(ErrClosed)

	mod, err := src.Open(context.Background(), name)
	var e enc
	if err == nil && mod == nil {
		err = fmt.Errorf("isolate: %s: Open returned no module", name)
	}
	if err == nil {
		e.boolean(true)
		err = e.info(mod.Info())
		if err != nil {
			e = enc{}
			err = fmt.Errorf("isolate: %s: info: %w", name, err)
		}
	}
	if err != nil {
		e.boolean(false)
		e.errorValue(err)
		_ = c.sendSync(frame{typ: typOneway, op: opOpened, payload: e.b})
		return nil
	}
	if err := c.sendSync(frame{typ: typOneway, op: opOpened, payload: e.b}); err != nil {
		return err
	}
	ch := &child{conn: c, mod: mod, stopped: make(chan struct{})}
	ch.host = &childHost{conn: c, cache: make(map[string]*cachedValue)}
	go ch.releaseIdle(c.done)
	go c.run(ch.handle)
	select {
	case <-ch.stopped:
		return nil
	case <-c.done:
		// Stop may have answered just before the parent closed.
		select {
		case <-ch.stopped:
			return nil
		default:
		}
		return errOrphaned
	}
}

// child runs the parent's calls against the one module.
type child struct {
	conn      *conn
	mod       registry.Module
	host      *childHost
	stopped   chan struct{}
	watchOnce sync.Once
}

func (ch *child) handle(f frame) {
	if f.typ != typRequest {
		return // the parent sends no one-way frames
	}
	go ch.serve(f)
}

func (ch *child) serve(f frame) {
	d := dec{b: f.payload}
	ctx, cancel := withDeadline(context.Background(), d.svar())
	defer cancel()
	var e enc
	var err error
	switch f.op {
	case opStart:
		standby := d.boolean()
		if err = d.err; err == nil {
			ch.host.standby.Store(standby)
			err = ch.mod.Start(ctx, ch.host)
		}
		if err == nil {
			ch.watchOnce.Do(func() { go ch.watchFailed() })
		}
	case opNotify:
		evs := d.events()
		if err = d.err; err == nil {
			err = ch.mod.Notify(ctx, evs)
		}
	case opCommand:
		var cmd registry.Command
		args := d.value()
		cmd.Inbuf = d.str()
		if m, ok := args.(map[string]any); ok {
			cmd.Args = m
		}
		if err = d.err; err == nil {
			var res registry.CommandResult
			res, err = ch.mod.Command(ctx, cmd)
			e.svar(int64(res.Retval))
			e.str(res.Stdout)
			e.str(res.Stderr)
		}
	case opRemote:
		method, args := d.str(), d.bytes()
		if err = d.err; err == nil {
			rm, ok := ch.mod.(registry.RemoteModule)
			if !ok {
				err = fmt.Errorf("remote call of %s: %w", method, registry.ErrNotSupported)
				break
			}
			var res []byte
			if res, err = rm.Remote(ctx, method, args); err == nil {
				e.bytes(res)
			}
		}
	case opStop:
		if err = d.err; err == nil {
			err = ch.mod.Stop(ctx)
		}
		// The answer must leave before the process does.
		_ = ch.conn.sendSync(responseFrame(f, nil, err))
		close(ch.stopped)
		return
	default:
		err = fmt.Errorf("%w: unknown op %d", ErrProtocol, f.op)
	}
	ch.conn.reply(f, e.b, err)
}

// watchFailed tells the parent when the module fails on its own (serve
// raised), so the parent's Failed() stays non-blocking.
func (ch *child) watchFailed() {
	t := time.NewTicker(failedPoll)
	defer t.Stop()
	for {
		select {
		case <-ch.stopped:
			return
		case <-ch.conn.done:
			return
		case <-t.C:
		}
		if err := ch.mod.Failed(); err != nil {
			var e enc
			e.errorValue(err)
			_ = ch.conn.oneway(opFailed, e.b)
			return
		}
	}
}

func logPayload(level, msg string) []byte {
	var e enc
	e.str(level)
	e.str(msg)
	return e.b
}

// childHost is the registry.Host a module sees in the child: every call
// goes to the parent. It keeps the last Value per name while the module
// uses it, so a repeated get() of an unchanged version costs one small
// round trip and returns the same *Value (the engine's per-version
// conversion cache keeps working); releaseIdle drops what went unused.
type childHost struct {
	conn    *conn
	standby atomic.Bool // the role the parent's Host was started in

	mu    sync.Mutex
	cache map[string]*cachedValue
}

// cachedValue is a Value and when a get() last returned it.
type cachedValue struct {
	*registry.Value
	used time.Time
}

// valueReleaser is a Module that keeps converted get() results (gpython's
// per-version objects) and can let them go.
type valueReleaser interface{ ReleaseValues() }

// releaseIdle drops the get() results no get() used for Config's
// ReleaseAfter, has the module drop its conversions of them, and returns
// the memory to the system, until done closes.
func (ch *child) releaseIdle(done <-chan struct{}) {
	after := DefaultReleaseAfter
	if n, err := strconv.ParseInt(os.Getenv(envReleaseAfter), 10, 64); err == nil && n > 0 {
		after = time.Duration(n)
	}
	t := time.NewTicker(after / 2)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			if ch.host.dropIdle(now, after) {
				if r, ok := ch.mod.(valueReleaser); ok {
					r.ReleaseValues()
				}
				// The Go heap keeps freed pages for reuse; the map's
				// objects were megabytes that the next epoch may not need.
				debug.FreeOSMemory()
			}
		}
	}
}

// dropIdle forgets the Values unused since now-after and reports whether
// it forgot any.
func (h *childHost) dropIdle(now time.Time, after time.Duration) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.cache)
	for name, c := range h.cache {
		if now.Sub(c.used) >= after {
			delete(h.cache, name)
		}
	}
	return len(h.cache) < n
}

// Standby implements registry.StandbyHost.
func (h *childHost) Standby() bool { return h.standby.Load() }

func (h *childHost) call(op uint8, payload []byte) (dec, error) {
	body, err := h.conn.call(context.Background(), op, payload)
	return dec{b: body}, err
}

func (h *childHost) callCtx(ctx context.Context, op uint8, build func(*enc)) (dec, error) {
	var e enc
	e.deadline(ctx)
	build(&e)
	body, err := h.conn.call(ctx, op, e.b)
	return dec{b: body}, err
}

func (h *childHost) MgrID() string {
	d, err := h.call(opMgrID, nil)
	if err != nil {
		return ""
	}
	return d.str()
}

func (h *childHost) Get(name string) (*registry.Value, error) {
	h.mu.Lock()
	cached := h.cache[name]
	if cached != nil {
		cached.used = time.Now()
	}
	h.mu.Unlock()
	var e enc
	e.str(name)
	e.boolean(cached != nil)
	if cached != nil {
		e.uvar(cached.Version)
	} else {
		e.uvar(0)
	}
	d, err := h.call(opGet, e.b)
	if err != nil {
		return nil, err
	}
	changed := d.boolean()
	version := d.uvar()
	if !changed {
		if d.err != nil || cached == nil || cached.Version != version {
			return nil, fmt.Errorf("%w: get %q: unchanged reply without a cached version", ErrProtocol, name)
		}
		return cached.Value, nil
	}
	raw := d.bytes()
	if d.err != nil {
		return nil, d.err
	}
	data, err := decodeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("isolate: get %q: %w", name, err)
	}
	v := registry.NewValue(version, data)
	h.mu.Lock()
	if cur := h.cache[name]; cur == nil || cur.Version <= version {
		h.cache[name] = &cachedValue{Value: v, used: time.Now()}
	}
	h.mu.Unlock()
	return v, nil
}

func (h *childHost) ListServers() []registry.Server {
	d, err := h.call(opListServers, nil)
	if err != nil {
		return nil
	}
	var out []registry.Server
	_ = json.Unmarshal(d.b, &out)
	return out
}

func (h *childHost) GetServer(hostname string) (registry.Server, bool) {
	var e enc
	e.str(hostname)
	d, err := h.call(opGetServer, e.b)
	if err != nil || len(d.b) == 0 {
		return registry.Server{}, false
	}
	var s registry.Server
	if json.Unmarshal(d.b, &s) != nil {
		return registry.Server{}, false
	}
	return s, true
}

func (h *childHost) Metadata(svcType, svcID string) (map[string]string, bool) {
	var e enc
	e.str(svcType)
	e.str(svcID)
	d, err := h.call(opMetadata, e.b)
	if err != nil {
		return nil, false
	}
	ok := d.boolean()
	md := d.strMap()
	if d.err != nil {
		return nil, false
	}
	return md, ok
}

func (h *childHost) Counter(svcType, svcID, path string) []registry.Sample {
	var e enc
	e.str(svcType)
	e.str(svcID)
	e.str(path)
	d, err := h.call(opCounter, e.b)
	if err != nil {
		return nil
	}
	d.uvar() // the counter's type
	n := d.count()
	out := make([]registry.Sample, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.sample())
	}
	if d.err != nil {
		return nil
	}
	return out
}

func (h *childHost) Latest(svcType, svcID, path string) (registry.Sample, bool) {
	var e enc
	e.str(svcType)
	e.str(svcID)
	e.str(path)
	d, err := h.call(opLatest, e.b)
	if err != nil {
		return registry.Sample{}, false
	}
	d.uvar() // the counter's type
	ok := d.boolean()
	s := d.sample()
	if d.err != nil {
		return registry.Sample{}, false
	}
	return s, ok
}

func (h *childHost) PerfSchema(svcType, svcID string) map[string]registry.PerfCounter {
	var e enc
	e.str(svcType)
	e.str(svcID)
	d, err := h.call(opPerfSchema, e.b)
	if err != nil {
		return nil
	}
	var out map[string]registry.PerfCounter
	_ = json.Unmarshal(d.b, &out)
	return out
}

func (h *childHost) ModuleOption(ctx context.Context, key string) (any, error) {
	d, err := h.callCtx(ctx, opModuleOption, func(e *enc) { e.str(key) })
	if err != nil {
		return nil, err
	}
	v := d.value()
	return v, d.err
}

func (h *childHost) SetModuleOption(ctx context.Context, key string, value *string) error {
	_, err := h.callCtx(ctx, opSetModuleOption, func(e *enc) { e.str(key); e.optStr(value) })
	return err
}

func (h *childHost) StoreGet(ctx context.Context, key string) (string, bool, error) {
	d, err := h.callCtx(ctx, opStoreGet, func(e *enc) { e.str(key) })
	if err != nil {
		return "", false, err
	}
	ok := d.boolean()
	v := d.str()
	return v, ok, d.err
}

func (h *childHost) StoreSet(ctx context.Context, key string, value *string) error {
	_, err := h.callCtx(ctx, opStoreSet, func(e *enc) { e.str(key); e.optStr(value) })
	return err
}

func (h *childHost) StorePrefix(ctx context.Context, prefix string) (map[string]string, error) {
	d, err := h.callCtx(ctx, opStorePrefix, func(e *enc) { e.str(prefix) })
	if err != nil {
		return nil, err
	}
	kv := d.strMap()
	return kv, d.err
}

// SetHealthChecks and Log are one-way: the parent applies them in stream
// order, before the answer to the call that made them.
func (h *childHost) SetHealthChecks(checks map[string]registry.HealthCheck) {
	raw, err := json.Marshal(checks)
	if err != nil {
		return
	}
	var e enc
	e.bytes(raw)
	_ = h.conn.oneway(opHealth, e.b)
}

func (h *childHost) Log(level, msg string) {
	_ = h.conn.oneway(opLog, logPayload(level, msg))
}

func (e *enc) optStr(s *string) {
	e.boolean(s != nil)
	if s != nil {
		e.str(*s)
	}
}

func (d *dec) strMap() map[string]string {
	n := d.count()
	out := make(map[string]string, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		out[k] = d.str()
	}
	return out
}

// SendCommand implements registry.ClusterHost.
func (h *childHost) SendCommand(ctx context.Context, svcType, svcID, cmd, inbuf string) (registry.CommandResult, error) {
	d, err := h.callCtx(ctx, opSendCommand, func(e *enc) { e.str(svcType); e.str(svcID); e.str(cmd); e.str(inbuf) })
	if err != nil {
		return registry.CommandResult{}, err
	}
	res := registry.CommandResult{Retval: int(d.svar()), Stdout: d.str(), Stderr: d.str()}
	return res, d.err
}

// ClusterLog implements registry.ClusterHost (one-way).
func (h *childHost) ClusterLog(channel string, priority int, msg string) {
	var e enc
	e.str(channel)
	e.svar(int64(priority))
	e.str(msg)
	_ = h.conn.oneway(opClusterLog, e.b)
}

// CephOption implements registry.ClusterHost.
func (h *childHost) CephOption(name string) (any, bool) {
	var e enc
	e.str(name)
	d, err := h.call(opCephOption, e.b)
	if err != nil {
		return nil, false
	}
	ok := d.boolean()
	v := d.value()
	return v, ok && d.err == nil
}

// SetURI implements registry.ClusterHost (one-way).
func (h *childHost) SetURI(uri string) {
	var e enc
	e.str(uri)
	_ = h.conn.oneway(opSetURI, e.b)
}

// Progress implements registry.ClusterHost (one-way).
func (h *childHost) Progress(id string, ev *registry.ProgressEvent) {
	var e enc
	e.str(id)
	e.boolean(ev != nil)
	if ev != nil {
		e.str(ev.Message)
		e.f64(ev.Progress)
		e.boolean(ev.AddToCephS)
	}
	_ = h.conn.oneway(opProgress, e.b)
}

// ForeignModuleOption implements registry.ForeignOptionHost.
func (h *childHost) ForeignModuleOption(ctx context.Context, module, key string) (any, error) {
	d, err := h.callCtx(ctx, opForeignOption, func(e *enc) { e.str(module); e.str(key) })
	if err != nil {
		return nil, err
	}
	v := d.value()
	return v, d.err
}

// SetForeignModuleOption implements registry.ForeignOptionHost.
func (h *childHost) SetForeignModuleOption(ctx context.Context, module, key string, value *string) error {
	_, err := h.callCtx(ctx, opSetForeignOption, func(e *enc) { e.str(module); e.str(key); e.optStr(value) })
	return err
}

// Remote implements registry.RemoteHost.
func (h *childHost) Remote(ctx context.Context, module, method string, args []byte) ([]byte, error) {
	d, err := h.callCtx(ctx, opRemoteCall, func(e *enc) { e.str(module); e.str(method); e.bytes(args) })
	if err != nil {
		return nil, err
	}
	res := d.bytes()
	return res, d.err
}

// AddOSDPerfQuery implements registry.PerfQueryHost.
func (h *childHost) AddOSDPerfQuery(q registry.OSDPerfQuery) (int64, error) {
	var e enc
	e.osdPerfQuery(q)
	d, err := h.call(opAddOSDPerfQuery, e.b)
	if err != nil {
		return 0, err
	}
	id := d.svar()
	return id, d.err
}

// RemoveOSDPerfQuery implements registry.PerfQueryHost.
func (h *childHost) RemoveOSDPerfQuery(id int64) error {
	var e enc
	e.svar(id)
	_, err := h.call(opRemoveOSDPerfQuery, e.b)
	return err
}

// OSDPerfCounters implements registry.PerfQueryHost.
func (h *childHost) OSDPerfCounters(id int64) ([]registry.OSDPerfCounters, error) {
	var e enc
	e.svar(id)
	d, err := h.call(opOSDPerfCounters, e.b)
	if err != nil {
		return nil, err
	}
	out := d.osdPerfCounters()
	return out, d.err
}

// osdPerfQuery: uvar n, n × (str type, str regex), strs counters, bool
// limited, then str order_by and uvar max_count if limited.
func (e *enc) osdPerfQuery(q registry.OSDPerfQuery) {
	e.uvar(uint64(len(q.Key)))
	for _, k := range q.Key {
		e.str(k.Type)
		e.str(k.Regex)
	}
	e.strs(q.Counters)
	e.boolean(q.Limit != nil)
	if q.Limit != nil {
		e.str(q.Limit.OrderBy)
		e.uvar(q.Limit.MaxCount)
	}
}

func (d *dec) osdPerfQuery() registry.OSDPerfQuery {
	var q registry.OSDPerfQuery
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		q.Key = append(q.Key, registry.OSDPerfSubKey{Type: d.str(), Regex: d.str()})
	}
	q.Counters = d.strs()
	if d.boolean() {
		q.Limit = &registry.OSDPerfLimit{OrderBy: d.str(), MaxCount: d.uvar()}
	}
	return q
}

// osdPerfCounters: uvar n keys, each: uvar n sub-keys (each strs), uvar n
// counters (each uvar value, uvar count).
func (e *enc) osdPerfCounters(cs []registry.OSDPerfCounters) {
	e.uvar(uint64(len(cs)))
	for _, c := range cs {
		e.uvar(uint64(len(c.Key)))
		for _, sub := range c.Key {
			e.strs(sub)
		}
		e.uvar(uint64(len(c.Values)))
		for _, v := range c.Values {
			e.uvar(v[0])
			e.uvar(v[1])
		}
	}
}

func (d *dec) osdPerfCounters() []registry.OSDPerfCounters {
	n := d.count()
	out := make([]registry.OSDPerfCounters, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		var c registry.OSDPerfCounters
		for j, nk := 0, d.count(); j < nk && d.err == nil; j++ {
			c.Key = append(c.Key, d.strs())
		}
		for j, nv := 0, d.count(); j < nv && d.err == nil; j++ {
			c.Values = append(c.Values, [2]uint64{d.uvar(), d.uvar()})
		}
		out = append(out, c)
	}
	return out
}

var (
	_ registry.RemoteHost        = (*childHost)(nil)
	_ registry.Host              = (*childHost)(nil)
	_ registry.ClusterHost       = (*childHost)(nil)
	_ registry.ForeignOptionHost = (*childHost)(nil)
	_ registry.PerfQueryHost     = (*childHost)(nil)
)
