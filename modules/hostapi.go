package modules

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/go-python/gpython/py"

	"gomgr/registry"
)

// gomgrModule is _gomgr, the Go half of mgr_module, bound to this module.
// Its functions run on the owner goroutine (they are called from Python).
func (m *pyModule) gomgrModule() *py.ModuleImpl {
	fn := func(name string, f func(args py.Tuple) (py.Object, error)) *py.Method {
		return py.MustNewMethod(name, func(self py.Object, args py.Tuple) (py.Object, error) { return f(args) }, 0, name)
	}
	// bound is for Go functions used as methods in a class body. gpython
	// calls them with self set to the instance (through an instance) or
	// to this module with the instance first in args (through the class).
	bound := func(name string, f func(args py.Tuple) (py.Object, error)) *py.Method {
		return py.MustNewMethod(name, func(self py.Object, args py.Tuple) (py.Object, error) {
			if _, viaClass := self.(*py.Module); viaClass && len(args) > 0 {
				args = args[1:]
			}
			return f(args)
		}, 0, name)
	}
	return &py.ModuleImpl{
		Info:    py.ModuleInfo{Name: "_gomgr", Doc: "gomgr host calls (use mgr_module instead)"},
		Globals: py.StringDict{"MODULE_NAME": py.String(m.name)},
		Methods: []*py.Method{
			fn("log", m.pyLog),
			fn("mgr_id", func(args py.Tuple) (py.Object, error) {
				h, err := m.hostOrErr("get_mgr_id")
				if err != nil {
					return nil, err
				}
				return py.String(h.MgrID()), nil
			}),
			fn("get", m.pyGet),
			// Bound versions for the class body of MgrModule and _Log: as
			// class attributes they receive the instance first, which they
			// drop; this saves a Python frame on the hottest calls.
			bound("m_get", m.pyGet),
			bound("m_log_debug", m.logMethod("debug")),
			bound("m_log_info", m.logMethod("info")),
			bound("m_log_warning", m.logMethod("warning")),
			bound("m_log_error", m.logMethod("error")),
			fn("get_server", m.pyGetServer),
			fn("list_servers", m.pyListServers),
			fn("get_metadata", m.pyGetMetadata),
			fn("get_counter", m.pyGetCounter),
			fn("get_latest", m.pyGetLatest),
			fn("get_perf_schema", m.pyGetPerfSchema),
			fn("get_module_option", m.pyGetModuleOption),
			fn("set_module_option", m.pySetModuleOption),
			fn("get_store", m.pyGetStore),
			fn("set_store", m.pySetStore),
			fn("get_store_prefix", m.pyGetStorePrefix),
			fn("set_health_checks", m.pySetHealthChecks),
			fn("remote", m.pyRemote),
			fn("send_command", m.pySendCommand),
			fn("cluster_log", m.pyClusterLog),
			fn("set_uri", m.pySetURI),
			fn("add_osd_perf_query", m.pyAddOSDPerfQuery),
			fn("remove_osd_perf_query", m.pyRemoveOSDPerfQuery),
			fn("get_osd_perf_counters", m.pyGetOSDPerfCounters),
			fn("wait", func(args py.Tuple) (py.Object, error) {
				if len(args) != 2 {
					return nil, py.ExceptionNewf(py.TypeError, "wait(timeout, event)")
				}
				set, err := m.wait(args[0], args[1])
				if err != nil {
					return nil, err
				}
				return py.NewBool(set), nil
			}),
		},
	}
}

func (m *pyModule) hostOrErr(what string) (registry.Host, error) {
	if m.host == nil {
		return nil, py.ExceptionNewf(py.RuntimeError, "%s is not available before the module is started (at import or in can_run)", what)
	}
	return m.host, nil
}

// hostAs is the module's host as one of the optional host interfaces
// (registry.ClusterHost, RemoteHost, PerfQueryHost), or a RuntimeError
// naming the call what when the application's host has none.
func hostAs[T any](m *pyModule, what string) (T, error) {
	var zero T
	h, err := m.hostOrErr(what)
	if err != nil {
		return zero, err
	}
	t, ok := h.(T)
	if !ok {
		return zero, py.ExceptionNewf(py.RuntimeError, "%s is not available in this host", what)
	}
	return t, nil
}

// hostCtx bounds one host call; it ends early when the module stops.
func (m *pyModule) hostCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(m.baseCtx, hostCallTimeout)
}

func strArgs(name string, args py.Tuple, n int) ([]string, error) {
	if len(args) != n {
		return nil, py.ExceptionNewf(py.TypeError, "%s() takes %d arguments (%d given)", name, n, len(args))
	}
	out := make([]string, n)
	for i, a := range args {
		s, ok := a.(py.String)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "%s() argument %d must be str, not %s", name, i+1, a.Type().Name)
		}
		out[i] = string(s)
	}
	return out, nil
}

// hostErr turns a host error into a Python exception.
func hostErr(what string, err error) error {
	switch {
	case errors.Is(err, registry.ErrUnknownOption):
		return py.ExceptionNewf(py.KeyError, "%s: %v", what, err)
	case errors.Is(err, registry.ErrInvalidOption):
		return py.ExceptionNewf(py.ValueError, "%s: %v", what, err)
	}
	return py.ExceptionNewf(py.RuntimeError, "%s: %v", what, err)
}

// logMethod is self.log.<level>(msg, *args): msg % args, as logging does.
func (m *pyModule) logMethod(level string) func(args py.Tuple) (py.Object, error) {
	return func(args py.Tuple) (py.Object, error) {
		if len(args) == 0 {
			return nil, py.ExceptionNewf(py.TypeError, "log.%s() missing 'msg'", level)
		}
		msg := pyStr(args[0])
		if len(args) > 1 {
			r, err := py.Mod(py.String(msg), py.Tuple(args[1:]))
			if err != nil {
				return nil, err
			}
			msg = pyStr(r)
		}
		return m.pyLog(py.Tuple{py.String(level), py.String(msg)})
	}
}

func (m *pyModule) pyLog(args py.Tuple) (py.Object, error) {
	s, err := strArgs("log", args, 2)
	if err != nil {
		return nil, err
	}
	level, msg := s[0], s[1]
	if m.host != nil {
		m.host.Log(level, msg)
		return py.None, nil
	}
	switch level {
	case "debug":
		m.log.Debug(msg)
	case "warning":
		m.log.Warn(msg)
	case "error":
		m.log.Error(msg)
	default:
		m.log.Info(msg)
	}
	return py.None, nil
}

// pyGet is get(name): the Value converted once per version and shared
// between calls (see doc.go: treat it as read-only). Unknown names give
// None, as Ceph does for data it does not have.
func (m *pyModule) pyGet(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get", args, 1)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get")
	if err != nil {
		return nil, err
	}
	name := s[0]
	v, err := h.Get(name)
	if errors.Is(err, registry.ErrNoData) {
		return py.None, nil
	}
	if err != nil {
		return nil, hostErr("get("+strconv.Quote(name)+")", err)
	}
	if v == nil {
		return py.None, nil
	}
	m.cacheMu.Lock()
	c, ok := m.cache[name]
	m.cacheMu.Unlock()
	if ok && c.version == v.Version {
		return c.obj, nil
	}
	obj, err := toPy(v.Data)
	if err != nil {
		return nil, py.ExceptionNewf(py.RuntimeError, "get(%q): %v", name, err)
	}
	m.cacheMu.Lock()
	m.cache[name] = cachedValue{version: v.Version, obj: obj}
	m.cacheMu.Unlock()
	return obj, nil
}

func serverToPy(s registry.Server) py.Object {
	svcs := make([]py.Object, len(s.Services))
	for i, r := range s.Services {
		svcs[i] = py.StringDict{"type": py.String(r.Type), "id": py.String(r.ID)}
	}
	return py.StringDict{
		"hostname":     py.String(s.Hostname),
		"services":     py.NewListFromItems(svcs),
		"ceph_version": py.String(s.CephVer),
	}
}

func (m *pyModule) pyGetServer(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get_server", args, 1)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_server")
	if err != nil {
		return nil, err
	}
	srv, ok := h.GetServer(s[0])
	if !ok {
		return py.None, nil
	}
	return serverToPy(srv), nil
}

func (m *pyModule) pyListServers(args py.Tuple) (py.Object, error) {
	if _, err := strArgs("list_servers", args, 0); err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("list_servers")
	if err != nil {
		return nil, err
	}
	srvs := h.ListServers()
	out := make([]py.Object, len(srvs))
	for i, s := range srvs {
		out[i] = serverToPy(s)
	}
	return py.NewListFromItems(out), nil
}

func (m *pyModule) pyGetMetadata(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get_metadata", args, 2)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_metadata")
	if err != nil {
		return nil, err
	}
	md, ok := h.Metadata(s[0], s[1])
	if !ok {
		return py.None, nil
	}
	return toPy(md)
}

func samplePair(smp registry.Sample) py.Object {
	return py.NewListFromItems([]py.Object{py.Float(smp.T), numToPy(smp.V)})
}

// numToPy keeps whole counter values ints, as Ceph's counters are.
func numToPy(v float64) py.Object {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return py.Int(int64(v))
	}
	return py.Float(v)
}

// pyGetCounter is get_counter: {path: [[t, v], ...]}, oldest first.
func (m *pyModule) pyGetCounter(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get_counter", args, 3)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_counter")
	if err != nil {
		return nil, err
	}
	samples := h.Counter(s[0], s[1], s[2])
	items := make([]py.Object, len(samples))
	for i, smp := range samples {
		items[i] = samplePair(smp)
	}
	return py.StringDict{s[2]: py.NewListFromItems(items)}, nil
}

// pyGetLatest is get_latest: the newest value, or 0 (Ceph's default).
func (m *pyModule) pyGetLatest(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get_latest", args, 3)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_latest")
	if err != nil {
		return nil, err
	}
	smp, ok := h.Latest(s[0], s[1], s[2])
	if !ok {
		return py.Int(0), nil
	}
	return numToPy(smp.V), nil
}

// pyGetPerfSchema is get_perf_schema: {"<type>.<id>": {path: {...}}}.
func (m *pyModule) pyGetPerfSchema(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get_perf_schema", args, 2)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_perf_schema")
	if err != nil {
		return nil, err
	}
	schema := h.PerfSchema(s[0], s[1])
	paths := make([]string, 0, len(schema))
	for p := range schema {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	d := py.NewStringDictSized(len(schema))
	for _, p := range paths {
		c := schema[p]
		d[p] = py.StringDict{
			"type":        py.Int(c.Type),
			"description": py.String(c.Description),
			"nick":        py.String(c.Nick),
			"priority":    py.Int(c.Priority),
			"units":       py.Int(c.Units),
		}
	}
	return py.StringDict{s[0] + "." + s[1]: d}, nil
}

func keyAndDefault(name string, args py.Tuple) (string, py.Object, error) {
	if len(args) < 1 || len(args) > 2 {
		return "", nil, py.ExceptionNewf(py.TypeError, "%s() takes 1 or 2 arguments (%d given)", name, len(args))
	}
	k, ok := args[0].(py.String)
	if !ok {
		return "", nil, py.ExceptionNewf(py.TypeError, "%s() key must be str, not %s", name, args[0].Type().Name)
	}
	var def py.Object = py.None
	if len(args) == 2 {
		def = args[1]
	}
	return string(k), def, nil
}

// optString renders a Python value as the option string the host stores.
func optString(v py.Object) (*string, error) {
	var s string
	switch x := v.(type) {
	case py.NoneType:
		return nil, nil
	case py.Bool:
		s = strconv.FormatBool(bool(x))
	case py.String:
		s = string(x)
	case py.Int, *py.BigInt:
		s = pyStr(x)
	case py.Float:
		s = strconv.FormatFloat(float64(x), 'g', -1, 64)
	default:
		return nil, py.ExceptionNewf(py.TypeError, "option values must be str, int, float, bool or None, not %s", v.Type().Name)
	}
	return &s, nil
}

func (m *pyModule) pyGetModuleOption(args py.Tuple) (py.Object, error) {
	key, def, err := keyAndDefault("get_module_option", args)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_module_option")
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	v, err := h.ModuleOption(ctx, key)
	if err != nil {
		if errors.Is(err, registry.ErrUnknownOption) && def != py.None {
			return def, nil
		}
		return nil, hostErr("get_module_option("+strconv.Quote(key)+")", err)
	}
	if v == nil {
		return def, nil
	}
	return toPy(v)
}

func (m *pyModule) pySetModuleOption(args py.Tuple) (py.Object, error) {
	if len(args) != 2 {
		return nil, py.ExceptionNewf(py.TypeError, "set_module_option(key, val)")
	}
	key, ok := args[0].(py.String)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "set_module_option() key must be str")
	}
	val, err := optString(args[1])
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("set_module_option")
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	if err := h.SetModuleOption(ctx, string(key), val); err != nil {
		return nil, hostErr("set_module_option("+strconv.Quote(string(key))+")", err)
	}
	return py.None, nil
}

func (m *pyModule) pyGetStore(args py.Tuple) (py.Object, error) {
	key, def, err := keyAndDefault("get_store", args)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_store")
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	v, ok, err := h.StoreGet(ctx, key)
	if err != nil {
		return nil, hostErr("get_store", err)
	}
	if !ok {
		return def, nil
	}
	return py.String(v), nil
}

func (m *pyModule) pySetStore(args py.Tuple) (py.Object, error) {
	if len(args) != 2 {
		return nil, py.ExceptionNewf(py.TypeError, "set_store(key, val)")
	}
	key, ok := args[0].(py.String)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "set_store() key must be str")
	}
	var val *string
	switch x := args[1].(type) {
	case py.NoneType:
	case py.String:
		s := string(x)
		val = &s
	default:
		return nil, py.ExceptionNewf(py.TypeError, "set_store() value must be str or None, not %s (use json.dumps)", x.Type().Name)
	}
	h, err := m.hostOrErr("set_store")
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	if err := h.StoreSet(ctx, string(key), val); err != nil {
		return nil, hostErr("set_store", err)
	}
	return py.None, nil
}

func (m *pyModule) pyGetStorePrefix(args py.Tuple) (py.Object, error) {
	s, err := strArgs("get_store_prefix", args, 1)
	if err != nil {
		return nil, err
	}
	h, err := m.hostOrErr("get_store_prefix")
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	kv, err := h.StorePrefix(ctx, s[0])
	if err != nil {
		return nil, hostErr("get_store_prefix", err)
	}
	return toPy(kv)
}

// pySetHealthChecks is set_health_checks({name: {severity, summary, count, detail}}).
func (m *pyModule) pySetHealthChecks(args py.Tuple) (py.Object, error) {
	if len(args) != 1 {
		return nil, py.ExceptionNewf(py.TypeError, "set_health_checks(checks)")
	}
	d, ok := args[0].(py.StringDict)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "set_health_checks() takes a dict, not %s", args[0].Type().Name)
	}
	h, err := m.hostOrErr("set_health_checks")
	if err != nil {
		return nil, err
	}
	checks := make(map[string]registry.HealthCheck, len(d))
	for name, v := range d {
		c, ok := v.(py.StringDict)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "health check %q must be a dict, not %s", name, v.Type().Name)
		}
		hc := registry.HealthCheck{Severity: dictStr(c, "severity"), Summary: dictStr(c, "summary")}
		switch hc.Severity {
		case "warning", "error":
		case "HEALTH_WARN", "warn":
			hc.Severity = "warning"
		case "HEALTH_ERR", "err":
			hc.Severity = "error"
		default:
			return nil, py.ExceptionNewf(py.ValueError, "health check %q: severity must be 'warning' or 'error', not %q", name, hc.Severity)
		}
		if n, ok := c["count"].(py.Int); ok {
			hc.Count = int(n)
		}
		if det, ok := c["detail"]; ok && det != py.None {
			items, err := pyList(det)
			if err != nil {
				return nil, py.ExceptionNewf(py.TypeError, "health check %q: detail %v", name, err)
			}
			for _, it := range items {
				hc.Detail = append(hc.Detail, pyStr(it))
			}
		}
		if hc.Detail == nil {
			hc.Detail = []string{}
		}
		checks[name] = hc
	}
	h.SetHealthChecks(checks)
	return py.None, nil
}

// wait is the cooperative wait behind Event.wait, time.sleep and
// self.wait. Inside serve() (and not inside a call serve() is running) it
// runs the module's posted notify/command jobs on this goroutine until
// the event is set or the timeout ends, then returns to serve(). Anywhere
// else it simply sleeps: nothing else can run in this interpreter then.
// Once Stop has run shutdown(), a wait in serve() raises SystemExit so
// that serve() ends. It reports whether the event is set.
func (m *pyModule) wait(timeoutObj, ev py.Object) (bool, error) {
	isSet := func() bool {
		if ev == nil || ev == py.None {
			return false
		}
		v, err := py.GetAttrString(ev, "_flag")
		return err == nil && v == py.True
	}
	if isSet() {
		return true, nil
	}
	stopErr := func() error {
		return py.ExceptionNewf(py.SystemExit, "module %s is stopping", m.name)
	}
	// The wait that was running when shutdown() ran returns normally; a
	// later one in serve() raises, so a serve() loop that ignores
	// shutdown() still ends.
	select {
	case <-m.stopping:
		if m.inServe {
			return false, stopErr()
		}
	default:
	}
	var timer <-chan time.Time
	if timeoutObj != nil && timeoutObj != py.None {
		secs, err := py.FloatAsFloat64(timeoutObj)
		if err != nil {
			return false, err
		}
		if secs < 0 || math.IsNaN(secs) {
			return false, py.ExceptionNewf(py.ValueError, "timeout must be a non-negative number")
		}
		if secs > 1e9 {
			secs = 1e9
		}
		t := time.NewTimer(time.Duration(secs * float64(time.Second)))
		defer t.Stop()
		timer = t.C
	} else if ev == nil || ev == py.None {
		return false, py.ExceptionNewf(py.ValueError, "wait() needs a timeout")
	}
	if !m.inServe || m.nested > 0 {
		select {
		case <-timer:
		case <-m.stopping:
		}
		return isSet(), nil
	}
	for {
		select {
		case j := <-m.jobs:
			m.nested++
			m.run(j)
			m.nested--
			if isSet() {
				return true, nil
			}
		case <-timer:
			return isSet(), nil
		case <-m.stopping:
			return isSet(), nil
		}
	}
}
