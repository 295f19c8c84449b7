package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// modHost is the Host of one started module: the application's State and
// Store, bound to the module's name and option declarations.
type modHost struct {
	reg  *Registry
	run  *runner
	name string
	opts map[string]Option
	log  *logrus.Entry
}

var (
	_ Host              = (*modHost)(nil)
	_ StandbyHost       = (*modHost)(nil)
	_ ClusterHost       = (*modHost)(nil)
	_ ForeignOptionHost = (*modHost)(nil)
	_ RemoteHost        = (*modHost)(nil)
)

// Standby implements StandbyHost.
func (h *modHost) Standby() bool { return h.run.standby }

func newHost(r *Registry, run *runner, name string, opts []Option) *modHost {
	h := &modHost{reg: r, run: run, name: name, opts: make(map[string]Option, len(opts)),
		log: r.base.WithField("module", name)}
	for _, o := range opts {
		h.opts[o.Name] = o
	}
	return h
}

func (h *modHost) MgrID() string                        { return h.reg.cfg.MgrID }
func (h *modHost) Get(name string) (*Value, error)      { return h.reg.cfg.State.Get(name) }
func (h *modHost) ListServers() []Server                { return h.reg.cfg.State.ListServers() }
func (h *modHost) GetServer(host string) (Server, bool) { return h.reg.cfg.State.GetServer(host) }
func (h *modHost) Metadata(t, id string) (map[string]string, bool) {
	return h.reg.cfg.State.Metadata(t, id)
}
func (h *modHost) Counter(t, id, path string) []Sample { return h.reg.cfg.State.Counter(t, id, path) }
func (h *modHost) PerfSchema(t, id string) map[string]PerfCounter {
	return h.reg.cfg.State.PerfSchema(t, id)
}

// Latest is get_latest: the newest sample of Counter.
func (h *modHost) Latest(t, id, path string) (Sample, bool) {
	s := h.reg.cfg.State.Counter(t, id, path)
	if len(s) == 0 {
		return Sample{}, false
	}
	return s[len(s)-1], true
}

func (h *modHost) key(k string) string { return "mgr/" + h.name + "/" + k }

// option resolves a module option key: a declared option's name, or
// Ceph's localized form "<mgr_id>/<name>" (get_localized_module_option),
// an option set for one mgr only. It returns the declaration and the store
// keys to look in, the localized one first.
func option(module string, opts map[string]Option, key string) (Option, []string, error) {
	name, who := key, ""
	if i := strings.IndexByte(key, '/'); i >= 0 {
		who, name = key[:i], key[i+1:]
	}
	o, ok := opts[name]
	if !ok || strings.Contains(name, "/") || (who == "" && name != key) {
		return Option{}, nil, fmt.Errorf("%w: module %q has no option %q", ErrUnknownOption, module, key)
	}
	prefix := "mgr/" + module + "/"
	if who == "" {
		return o, []string{prefix + name}, nil
	}
	return o, []string{prefix + key, prefix + name}, nil
}

// ModuleOption is get_module_option: the stored value (a localized key
// falls back to the option's value for every mgr), else the default.
func (h *modHost) ModuleOption(ctx context.Context, key string) (any, error) {
	return h.reg.moduleOption(ctx, h.name, h.opts, key)
}

// SetModuleOption is set_module_option (a localized key sets the option
// for that mgr only); nil resets it.
func (h *modHost) SetModuleOption(ctx context.Context, key string, value *string) error {
	return h.reg.setModuleOption(ctx, h.name, h.opts, key, value)
}

// ForeignModuleOption implements ForeignOptionHost.
func (h *modHost) ForeignModuleOption(ctx context.Context, module, key string) (any, error) {
	opts, err := h.reg.optionsOf(module)
	if err != nil {
		return nil, err
	}
	return h.reg.moduleOption(ctx, module, opts, key)
}

// SetForeignModuleOption implements ForeignOptionHost.
func (h *modHost) SetForeignModuleOption(ctx context.Context, module, key string, value *string) error {
	opts, err := h.reg.optionsOf(module)
	if err != nil {
		return err
	}
	return h.reg.setModuleOption(ctx, module, opts, key, value)
}

func (r *Registry) moduleOption(ctx context.Context, module string, opts map[string]Option, key string) (any, error) {
	o, keys, err := option(module, opts, key)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		raw, set, err := r.cfg.Options.Get(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("registry: module %q option %q: %w", module, key, err)
		}
		if set {
			v, err := ParseOption(o, raw)
			if err != nil {
				return nil, fmt.Errorf("module %q stored value: %w", module, err)
			}
			return v, nil
		}
	}
	if o.Default == nil {
		return nil, nil
	}
	v, err := CoerceOption(o, o.Default)
	if err != nil {
		return nil, fmt.Errorf("module %q default: %w", module, err)
	}
	return v, nil
}

func (r *Registry) setModuleOption(ctx context.Context, module string, opts map[string]Option, key string, value *string) error {
	o, keys, err := option(module, opts, key)
	if err != nil {
		return err
	}
	if value != nil {
		if _, err := ParseOption(o, *value); err != nil {
			return fmt.Errorf("module %q: %w", module, err)
		}
		v := strings.TrimSpace(*value)
		value = &v
	}
	if err := r.cfg.Options.Set(ctx, keys[0], value); err != nil {
		return fmt.Errorf("registry: module %q option %q: %w", module, key, err)
	}
	return nil
}

// optionsOf is a loaded module's option declarations, by name.
func (r *Registry) optionsOf(module string) (map[string]Option, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[module]
	if !ok || e.openErr != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownModule, module)
	}
	opts := make(map[string]Option, len(e.info.Options))
	for _, o := range e.info.Options {
		opts[o.Name] = o
	}
	return opts, nil
}

func (h *modHost) StoreGet(ctx context.Context, key string) (string, bool, error) {
	return h.reg.cfg.Store.Get(ctx, h.key(key))
}

func (h *modHost) StoreSet(ctx context.Context, key string, value *string) error {
	return h.reg.cfg.Store.Set(ctx, h.key(key), value)
}

// StorePrefix is get_store_prefix: keys come back without "mgr/<module>/".
func (h *modHost) StorePrefix(ctx context.Context, prefix string) (map[string]string, error) {
	all, err := h.reg.cfg.Store.List(ctx, h.key(prefix))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(all))
	for k, v := range all {
		out[strings.TrimPrefix(k, h.key(""))] = v
	}
	return out, nil
}

// SetHealthChecks replaces the module's checks; ignored once the module
// has been disabled or abandoned.
func (h *modHost) SetHealthChecks(checks map[string]HealthCheck) {
	cp := make(map[string]HealthCheck, len(checks))
	for code, c := range checks {
		c.Severity = normSeverity(c.Severity)
		c.Detail = append([]string{}, c.Detail...)
		cp[code] = c
	}
	h.reg.update(h.run, func(e *entry) { e.checks = cp })
}

// Log maps Python's level names onto logrus; "critical" is logged as an
// error, never as logrus' fatal (which would exit).
func (h *modHost) Log(level, msg string) {
	switch strings.ToLower(level) {
	case "debug":
		h.log.Debug(msg)
	case "info":
		h.log.Info(msg)
	case "warning", "warn":
		h.log.Warn(msg)
	case "error":
		h.log.Error(msg)
	case "critical", "fatal":
		h.log.WithField("py_level", "critical").Error(msg)
	default:
		h.log.WithField("py_level", level).Info(msg)
	}
}

// SendCommand implements ClusterHost.
func (h *modHost) SendCommand(ctx context.Context, svcType, svcID, cmd, inbuf string) (CommandResult, error) {
	if h.reg.cfg.Cluster == nil {
		return CommandResult{}, fmt.Errorf("send_command to %s: %w", svcType, ErrNotSupported)
	}
	return h.reg.cfg.Cluster.SendCommand(ctx, svcType, svcID, cmd, inbuf)
}

// ClusterLog implements ClusterHost; without a Cluster the line goes to the
// module's log.
func (h *modHost) ClusterLog(channel string, priority int, msg string) {
	if h.reg.cfg.Cluster == nil {
		h.log.WithFields(logrus.Fields{"channel": channel, "clog_prio": priority}).Info(msg)
		return
	}
	h.reg.cfg.Cluster.ClusterLog(h.name, channel, priority, msg)
}

// CephOption implements ClusterHost.
func (h *modHost) CephOption(name string) (any, bool) {
	if h.reg.cfg.Cluster == nil {
		return nil, false
	}
	return h.reg.cfg.Cluster.Option(name)
}

// SetURI implements ClusterHost.
func (h *modHost) SetURI(uri string) {
	if h.reg.cfg.Cluster == nil {
		h.log.WithField("uri", uri).Info("module service address")
		return
	}
	h.reg.cfg.Cluster.SetURI(h.name, uri)
}

// Remote implements RemoteHost: it calls the method on the module's live
// instance, bounded by ctx and the command deadline.
func (h *modHost) Remote(ctx context.Context, module, method string, args []byte) ([]byte, error) {
	r := h.reg
	r.mu.Lock()
	var run *runner
	if e, ok := r.entries[module]; ok && e.enabled && e.state == StateRunning {
		run = e.run
	}
	r.mu.Unlock()
	var live *liveModule
	if run != nil {
		live = run.live.Load()
	}
	if live == nil {
		return nil, fmt.Errorf("%w: module %q (remote call from %q)", ErrNotRunning, module, h.name)
	}
	rm, ok := live.mod.(RemoteModule)
	if !ok {
		return nil, fmt.Errorf("remote call to %q: %w", module, ErrNotSupported)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.CommandDeadline)
	defer cancel()
	return rm.Remote(ctx, method, args)
}

// Progress implements ClusterHost.
func (h *modHost) Progress(id string, ev *ProgressEvent) {
	if h.reg.cfg.Cluster == nil {
		h.log.WithField("progress_id", id).Debug("progress event")
		return
	}
	h.reg.cfg.Cluster.Progress(id, ev)
}

// modHost's PerfQueryHost: the application's Cluster, if it collects perf
// queries.
var _ PerfQueryHost = (*modHost)(nil)

func (h *modHost) perfQueries() (PerfQueries, error) {
	if pq, ok := h.reg.cfg.Cluster.(PerfQueries); ok {
		return pq, nil
	}
	return nil, fmt.Errorf("osd perf queries: %w", ErrNotSupported)
}

// AddOSDPerfQuery implements PerfQueryHost.
func (h *modHost) AddOSDPerfQuery(q OSDPerfQuery) (int64, error) {
	pq, err := h.perfQueries()
	if err != nil {
		return 0, err
	}
	return pq.AddOSDPerfQuery(q)
}

// RemoveOSDPerfQuery implements PerfQueryHost.
func (h *modHost) RemoveOSDPerfQuery(id int64) error {
	pq, err := h.perfQueries()
	if err != nil {
		return err
	}
	return pq.RemoveOSDPerfQuery(id)
}

// OSDPerfCounters implements PerfQueryHost.
func (h *modHost) OSDPerfCounters(id int64) ([]OSDPerfCounters, error) {
	pq, err := h.perfQueries()
	if err != nil {
		return nil, err
	}
	return pq.OSDPerfCounters(id)
}
