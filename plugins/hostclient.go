package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gomgr/registry"

	pb "gomgr/plugins/proto"
)

// Host is a plugin's handle on the manager: the calls of Ceph's MgrModule
// (get, list_servers, get_metadata, get_counter, get_perf_schema, module
// options, store, set_health_checks, log). Every call is one gRPC round
// trip to the manager. Safe from any goroutine.
type Host struct {
	c       pb.HostClient
	standby bool

	mu    sync.Mutex
	cache map[string]cachedValue
}

type cachedValue struct {
	version uint64
	data    any
}

func newHost(c pb.HostClient) *Host {
	return &Host{c: c, cache: make(map[string]cachedValue)}
}

// fromStatus turns the manager's status codes back into the registry's
// sentinels (notFound for codes.NotFound) so errors.Is works in plugins.
func fromStatus(err error, notFound error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.NotFound:
		if notFound != nil {
			return fmt.Errorf("%w (%s)", notFound, st.Message())
		}
	case codes.InvalidArgument:
		return fmt.Errorf("%w (%s)", registry.ErrInvalidOption, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w (%s)", context.DeadlineExceeded, st.Message())
	case codes.Canceled:
		return fmt.Errorf("%w (%s)", context.Canceled, st.Message())
	}
	return fmt.Errorf("plugins: host call failed: %s", st.Message())
}

// Standby reports whether the plugin runs on a standby manager (it
// declared StandbyOK): there it is served but never notified or sent
// commands, as Ceph's MgrStandbyModule.
func (h *Host) Standby() bool { return h.standby }

// MgrID is get_mgr_id.
func (h *Host) MgrID(ctx context.Context) (string, error) {
	r, err := h.c.MgrID(ctx, &pb.Empty{})
	if err != nil {
		return "", fromStatus(err, nil)
	}
	return r.GetId(), nil
}

// Get is get(name): the datum decoded from JSON (map[string]any, []any,
// string, float64, bool, nil). The decoded tree is cached by version and
// shared between callers: do not modify it. Unknown names return an error
// wrapping registry.ErrNoData.
func (h *Host) Get(ctx context.Context, name string) (any, error) {
	v, _, err := h.GetVersion(ctx, name)
	return v, err
}

// GetVersion is Get that also returns the value's version.
func (h *Host) GetVersion(ctx context.Context, name string) (any, uint64, error) {
	h.mu.Lock()
	c, ok := h.cache[name]
	h.mu.Unlock()
	req := &pb.GetRequest{Name: name}
	if ok {
		req.IfNotVersion = c.version
	}
	r, err := h.c.Get(ctx, req)
	if err != nil {
		return nil, 0, fromStatus(err, registry.ErrNoData)
	}
	if r.GetUnchanged() && ok {
		return c.data, c.version, nil
	}
	data, err := decodeJSON(r.GetJson())
	if err != nil {
		return nil, 0, fmt.Errorf("plugins: get(%q): %w", name, err)
	}
	h.mu.Lock()
	h.cache[name] = cachedValue{version: r.GetVersion(), data: data}
	h.mu.Unlock()
	return data, r.GetVersion(), nil
}

// GetInto decodes get(name) into out (a pointer to a struct of the JSON
// shape), bypassing the cache.
func (h *Host) GetInto(ctx context.Context, name string, out any) error {
	r, err := h.c.Get(ctx, &pb.GetRequest{Name: name})
	if err != nil {
		return fromStatus(err, registry.ErrNoData)
	}
	if err := json.Unmarshal(r.GetJson(), out); err != nil {
		return fmt.Errorf("plugins: get(%q): %w", name, err)
	}
	return nil
}

// ListServers is list_servers.
func (h *Host) ListServers(ctx context.Context) ([]registry.Server, error) {
	r, err := h.c.ListServers(ctx, &pb.Empty{})
	if err != nil {
		return nil, fromStatus(err, nil)
	}
	var out []registry.Server
	if err := json.Unmarshal(r.GetJson(), &out); err != nil {
		return nil, fmt.Errorf("plugins: list_servers: %w", err)
	}
	return out, nil
}

// GetServer is get_server(hostname).
func (h *Host) GetServer(ctx context.Context, hostname string) (registry.Server, bool, error) {
	r, err := h.c.GetServer(ctx, &pb.GetServerRequest{Hostname: hostname})
	if err != nil || !r.GetFound() {
		return registry.Server{}, false, fromStatus(err, nil)
	}
	var out registry.Server
	if err := json.Unmarshal(r.GetJson(), &out); err != nil {
		return registry.Server{}, false, fmt.Errorf("plugins: get_server: %w", err)
	}
	return out, true, nil
}

// GetMetadata is get_metadata(svc_type, svc_id).
func (h *Host) GetMetadata(ctx context.Context, svcType, svcID string) (map[string]string, bool, error) {
	r, err := h.c.Metadata(ctx, &pb.DaemonRequest{SvcType: svcType, SvcId: svcID})
	if err != nil {
		return nil, false, fromStatus(err, nil)
	}
	return r.GetMetadata(), r.GetFound(), nil
}

// GetCounter is get_counter: the retained samples, oldest first.
func (h *Host) GetCounter(ctx context.Context, svcType, svcID, path string) ([]registry.Sample, error) {
	r, err := h.c.Counter(ctx, &pb.CounterRequest{SvcType: svcType, SvcId: svcID, Path: path})
	if err != nil {
		return nil, fromStatus(err, nil)
	}
	out := make([]registry.Sample, len(r.GetSamples()))
	for i, s := range r.GetSamples() {
		out[i] = registry.Sample{T: s.GetT(), V: s.GetV()}
	}
	return out, nil
}

// GetLatest is get_latest: the newest sample of one counter.
func (h *Host) GetLatest(ctx context.Context, svcType, svcID, path string) (registry.Sample, bool, error) {
	r, err := h.c.Latest(ctx, &pb.CounterRequest{SvcType: svcType, SvcId: svcID, Path: path})
	if err != nil || !r.GetFound() {
		return registry.Sample{}, false, fromStatus(err, nil)
	}
	return registry.Sample{T: r.GetSample().GetT(), V: r.GetSample().GetV()}, true, nil
}

// GetPerfSchema is get_perf_schema for one daemon.
func (h *Host) GetPerfSchema(ctx context.Context, svcType, svcID string) (map[string]registry.PerfCounter, error) {
	r, err := h.c.PerfSchema(ctx, &pb.DaemonRequest{SvcType: svcType, SvcId: svcID})
	if err != nil {
		return nil, fromStatus(err, nil)
	}
	var out map[string]registry.PerfCounter
	if err := json.Unmarshal(r.GetJson(), &out); err != nil {
		return nil, fmt.Errorf("plugins: get_perf_schema: %w", err)
	}
	return out, nil
}

// ModuleOption is get_module_option: the value (or default) as declared,
// decoded from JSON (numbers are float64).
func (h *Host) ModuleOption(ctx context.Context, key string) (any, error) {
	r, err := h.c.ModuleOption(ctx, &pb.KeyRequest{Key: key})
	if err != nil {
		return nil, fromStatus(err, registry.ErrUnknownOption)
	}
	return decodeJSON(r.GetJson())
}

// SetModuleOption is set_module_option; nil resets the option.
func (h *Host) SetModuleOption(ctx context.Context, key string, value *string) error {
	req := &pb.SetRequest{Key: key, Reset_: value == nil}
	if value != nil {
		req.Value = *value
	}
	_, err := h.c.SetModuleOption(ctx, req)
	return fromStatus(err, registry.ErrUnknownOption)
}

// GetStore is get_store.
func (h *Host) GetStore(ctx context.Context, key string) (string, bool, error) {
	r, err := h.c.StoreGet(ctx, &pb.KeyRequest{Key: key})
	if err != nil {
		return "", false, fromStatus(err, nil)
	}
	return r.GetValue(), r.GetFound(), nil
}

// SetStore is set_store; nil deletes the key.
func (h *Host) SetStore(ctx context.Context, key string, value *string) error {
	req := &pb.SetRequest{Key: key, Reset_: value == nil}
	if value != nil {
		req.Value = *value
	}
	_, err := h.c.StoreSet(ctx, req)
	return fromStatus(err, nil)
}

// StorePrefix is get_store_prefix.
func (h *Host) StorePrefix(ctx context.Context, prefix string) (map[string]string, error) {
	r, err := h.c.StorePrefix(ctx, &pb.KeyRequest{Key: prefix})
	if err != nil {
		return nil, fromStatus(err, nil)
	}
	return r.GetValues(), nil
}

// SetHealthChecks is set_health_checks: it replaces all of this module's
// checks (an empty map clears them).
func (h *Host) SetHealthChecks(ctx context.Context, checks map[string]registry.HealthCheck) error {
	b, err := json.Marshal(checks)
	if err != nil {
		return fmt.Errorf("plugins: set_health_checks: %w", err)
	}
	_, err = h.c.SetHealthChecks(ctx, &pb.HealthChecksRequest{ChecksJson: b})
	return fromStatus(err, nil)
}

// Log is self.log: one line at level ("debug", "info", "warning",
// "error") in the manager's log with the module's name. Errors are
// dropped: logging must not fail a plugin.
func (h *Host) Log(level, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = h.c.Log(ctx, &pb.LogRequest{Level: level, Msg: msg})
}
