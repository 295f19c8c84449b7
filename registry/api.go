package registry

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Event is one notification: Ceph's notify_all(notify_type, notify_id).
// Kinds are the application's own; the mgr uses Ceph's (osd_map, mon_map,
// fs_map, service_map, mgr_map, pg_summary, health, clog, ...).
type Event struct {
	Kind string
	ID   string
	// Queued is when NotifyAll enqueued the event, for latency figures.
	Queued time.Time
}

// Module is one loaded module, whatever runs it (gpython, a go-plugin
// process). The registry calls its methods from one goroutine per module,
// never concurrently, in this order: Start once, then Notify and Command in
// any order, then Stop once. Info may be called from any goroutine.
type Module interface {
	// Info is the module's declaration: fixed after the module is opened.
	Info() Info
	// Start instantiates the module against its host and runs serve() in
	// the background. A Start error marks the module failed.
	Start(ctx context.Context, h Host) error
	// Notify delivers a batch of events in order. It returns when the module
	// has handled them or ctx is done (the deadline for runaway code); a
	// module that cannot stop its code at ctx's end must say so with
	// ErrStuck so the registry can stop it.
	Notify(ctx context.Context, events []Event) error
	// Command runs one of the module's COMMANDS.
	Command(ctx context.Context, cmd Command) (CommandResult, error)
	// Stop calls shutdown(), waits for serve() to return (bounded by ctx),
	// and releases everything the module holds.
	Stop(ctx context.Context) error
	// Failed reports, without blocking, an error that ended the module on
	// its own (serve() raised, the plugin process crashed), or nil.
	Failed() error
}

// Source finds modules of one kind and opens them. Python modules come from
// directories (<dir>/<name>/module.py); Go plugins from executables in a
// directory.
type Source interface {
	// Kind names the source in listings: "python", "go".
	Kind() string
	// Scan lists module names this source can open, sorted.
	Scan() ([]string, error)
	// Open loads one module's code and declaration without starting it
	// (Ceph imports every module at start to learn can_run and its
	// options). The error of a module that cannot load is its reason, shown
	// by `module ls` (a Python traceback, a plugin's handshake failure).
	Open(ctx context.Context, name string) (Module, error)
}

// Info is what a module declares about itself.
type Info struct {
	Name        string
	Kind        string // "python" or "go"
	Version     string
	NotifyTypes []string // NOTIFY_TYPES; empty means none (Ceph's default)
	Options     []Option
	Commands    []CommandDesc
	CanRun      bool
	CanRunError string // can_run()'s reason when CanRun is false
	// AlwaysOn modules cannot be disabled (Ceph's always_on_modules).
	AlwaysOn bool
	// StandbyOK modules also run on a standby mgr, serve() only (Ceph's
	// MgrStandbyModule; see Registry.SetStandby and StandbyHost).
	StandbyOK bool
}

// Option is one MODULE_OPTIONS entry, as Ceph's Option(...).
type Option struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"` // str, int, uint, float, bool, secs, size
	Default any      `json:"default_value,omitempty"`
	Min     any      `json:"min,omitempty"`
	Max     any      `json:"max,omitempty"`
	Enum    []string `json:"enum_allowed,omitempty"`
	Desc    string   `json:"desc,omitempty"`
	Runtime bool     `json:"runtime,omitempty"`
}

// CommandDesc is one COMMANDS entry, in Ceph's form: Cmd is the signature
// ("osd watcher status name=format,type=CephChoices,strings=plain|json,req=false"),
// whose leading plain words are the prefix it is routed by.
type CommandDesc struct {
	Cmd  string `json:"cmd"`
	Desc string `json:"desc"`
	Perm string `json:"perm"` // "r", "w", "rw"
	// Poll marks a command the ceph CLI runs again every period (Ceph's
	// CLICommand(poll=True): `ceph iostat`).
	Poll bool `json:"poll,omitempty"`
}

// Command is one command invocation: Args holds "prefix" and the arguments,
// as Ceph's cmdmap; Inbuf is the input buffer (-i).
type Command struct {
	Args  map[string]any
	Inbuf string
}

// CommandResult is handle_command's (retval, stdout, stderr).
type CommandResult struct {
	Retval int
	Stdout string
	Stderr string
}

// HealthCheck is one entry of set_health_checks, in Ceph's shape.
type HealthCheck struct {
	Severity string   `json:"severity"` // "warning" or "error" (HEALTH_WARN / HEALTH_ERR)
	Summary  string   `json:"summary"`
	Count    int      `json:"count"`
	Detail   []string `json:"detail"`
}

// Value is an immutable snapshot of one named datum (get("osd_map")): a JSON
// shaped tree of map[string]any, []any, string, float64, int64, bool and nil.
// Version changes whenever Data does, so a module converts a given version
// once and reuses it. Values must not be modified after NewValue.
type Value struct {
	Version uint64
	Data    any

	once sync.Once
	enc  func(any) ([]byte, error) // nil: encoding/json
	raw  []byte
	err  error
}

// NewValue wraps data as version v.
func NewValue(v uint64, data any) *Value { return &Value{Version: v, Data: data} }

// NewValueJSON wraps data as version v when the host already holds its JSON
// encoding (it arrived as JSON): JSON then returns raw instead of encoding
// data again. raw must decode to data.
func NewValueJSON(v uint64, data any, raw []byte) *Value {
	val := &Value{Version: v, Data: data}
	val.once.Do(func() { val.raw = raw })
	return val
}

// NewValueEncoder wraps data as version v with its own JSON encoder, for a
// host with a faster one for its data than encoding/json (the mgr's for
// its map trees). enc runs at most once, on the first JSON call, and must
// encode as json.Marshal would.
func NewValueEncoder(v uint64, data any, enc func(any) ([]byte, error)) *Value {
	return &Value{Version: v, Data: data, enc: enc}
}

// JSON is the value encoded once, for hosts that ship it across a process.
// Safe from any goroutine.
func (v *Value) JSON() ([]byte, error) {
	v.once.Do(func() {
		if v.enc != nil {
			v.raw, v.err = v.enc(v.Data)
		} else {
			v.raw, v.err = json.Marshal(v.Data)
		}
	})
	return v.raw, v.err
}

// Server is one host and the daemons on it, as Ceph's list_servers().
type Server struct {
	Hostname string       `json:"hostname"`
	Services []ServiceRef `json:"services"`
	CephVer  string       `json:"ceph_version,omitempty"`
}

// ServiceRef names one daemon on a server.
type ServiceRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	// CephVersion and Name are the daemon's metadata "ceph_version" and
	// "id", as Ceph's list_servers() gives them.
	CephVersion string `json:"ceph_version"`
	Name        string `json:"name,omitempty"`
}

// Sample is one counter sample: a unix time in seconds and a value.
type Sample struct {
	T float64 `json:"t"`
	V float64 `json:"v"`
	// Count is, for a long-running average (PerfCounter type bit 4), how
	// many events the sum V holds (Ceph's avgcount); 0 otherwise.
	Count uint64 `json:"count,omitempty"`
}

// PerfCounter describes one counter of a daemon's perf schema.
type PerfCounter struct {
	Type        int    `json:"type"` // Ceph's PERFCOUNTER_* bits
	Description string `json:"description"`
	Nick        string `json:"nick"`
	Priority    int    `json:"priority"`
	Units       int    `json:"units"`
}

// State is what the application offers its modules to read. The mgr's
// implementation is its cluster-state cache; embedders implement their own or
// use MemState. Every method is called from module goroutines concurrently
// and must not block on IO.
type State interface {
	// Get answers get(name); unknown names return ErrNoData.
	Get(name string) (*Value, error)
	ListServers() []Server
	GetServer(hostname string) (Server, bool)
	// Metadata is get_metadata(svc_type, svc_id).
	Metadata(svcType, svcID string) (map[string]string, bool)
	// Counter is get_counter: the retained samples of one counter, oldest first.
	Counter(svcType, svcID, path string) []Sample
	// PerfSchema is get_perf_schema for one daemon, by counter path.
	PerfSchema(svcType, svcID string) map[string]PerfCounter
}

// Store is the durable key-value store behind module options and
// get_store/set_store (the mgr's is the mon's config-key store). Keys are
// "mgr/<module>/<key>". Safe from any goroutine; may block on IO.
type Store interface {
	Get(ctx context.Context, key string) (value string, ok bool, err error)
	// Set stores value, or deletes the key when value is nil.
	Set(ctx context.Context, key string, value *string) error
	// List returns every key with the prefix, and its value.
	List(ctx context.Context, prefix string) (map[string]string, error)
}

// StandbyHost is implemented by a Host that can say which role its module
// was started in: true when it runs on a standby (Registry.SetStandby),
// where a module runs serve() only, as Ceph's MgrStandbyModule. The
// registry's Hosts implement it; a Module checks with a type assertion.
type StandbyHost interface {
	Standby() bool
}

// Host is what one module may call: the API of Ceph's MgrModule, bound to
// that module's name. The registry gives each module its own Host. Safe from
// any goroutine.
type Host interface {
	MgrID() string
	Get(name string) (*Value, error)
	ListServers() []Server
	GetServer(hostname string) (Server, bool)
	Metadata(svcType, svcID string) (map[string]string, bool)
	Counter(svcType, svcID, path string) []Sample
	Latest(svcType, svcID, path string) (Sample, bool)
	PerfSchema(svcType, svcID string) map[string]PerfCounter
	// ModuleOption returns the option's value, or its default, typed as
	// declared; unknown options are an error. A key "<mgr_id>/<option>"
	// (Ceph's localized options) is that mgr's value, falling back to the
	// value for every mgr; SetModuleOption takes the same keys.
	ModuleOption(ctx context.Context, key string) (any, error)
	// SetModuleOption validates value against the declaration (type, min,
	// max, enum) and stores it; nil resets to the default.
	SetModuleOption(ctx context.Context, key string, value *string) error
	StoreGet(ctx context.Context, key string) (string, bool, error)
	StoreSet(ctx context.Context, key string, value *string) error
	StorePrefix(ctx context.Context, prefix string) (map[string]string, error)
	// SetHealthChecks replaces this module's health checks.
	SetHealthChecks(checks map[string]HealthCheck)
	// Log writes one line at level ("debug", "info", "warning", "error").
	Log(level, msg string)
}

// Cluster is what the application offers modules beyond State: the calls
// of Ceph's MgrModule that act on the cluster (send_command, cluster_log,
// get_ceph_option, set_uri). The mgr's goes to the cluster's mon.
// Optional (Config.Cluster): without it commands fail with
// ErrNotSupported, and the rest is logged or unknown. Safe from any
// goroutine; SendCommand may block on IO.
type Cluster interface {
	// SendCommand runs a command on a daemon, as Ceph's send_command:
	// svcType "mon" (svcID empty: any mon), "osd" or "mgr"; cmd is the
	// command's JSON ({"prefix": ...}).
	SendCommand(ctx context.Context, svcType, svcID, cmd, inbuf string) (CommandResult, error)
	// ClusterLog writes msg to the cluster log's channel ("cluster",
	// "audit") at Ceph's clog priority (0 debug, 1 info, 2 sec, 3 warn,
	// 4 error).
	ClusterLog(module, channel string, priority int, msg string)
	// Option is a daemon config option's value (get_ceph_option), typed as
	// Ceph's option is; false when the application has none.
	Option(name string) (any, bool)
	// SetURI publishes the address of the module's service (the mgr map's
	// "services", which `ceph mgr services` lists).
	SetURI(module, uri string)
	// Progress sets the progress event id (the progress section of `ceph
	// -s`), or with a nil ev completes it; id "" with nil clears them all.
	Progress(id string, ev *ProgressEvent)
}

// ProgressEvent is one entry of the progress section of `ceph -s`.
type ProgressEvent struct {
	Message    string
	Progress   float64 // 0..1
	AddToCephS bool
}

// ClusterHost is implemented by every Host the registry gives a module:
// Cluster's calls bound to the module. A Module checks with a type
// assertion, as for StandbyHost.
type ClusterHost interface {
	SendCommand(ctx context.Context, svcType, svcID, cmd, inbuf string) (CommandResult, error)
	ClusterLog(channel string, priority int, msg string)
	CephOption(name string) (any, bool)
	SetURI(uri string)
	Progress(id string, ev *ProgressEvent)
}

// ForeignOptionHost is implemented by every Host the registry gives a
// module: another loaded module's options, typed by that module's
// declaration (Ceph's get_module_option_ex and set_module_option_ex). An
// unknown module is ErrUnknownModule; an undeclared key ErrUnknownOption.
type ForeignOptionHost interface {
	ForeignModuleOption(ctx context.Context, module, key string) (any, error)
	SetForeignModuleOption(ctx context.Context, module, key string, value *string) error
}

// RemoteModule is implemented by a Module whose methods other modules may
// call (Ceph's MgrModule.remote). Remote may be called from any goroutine,
// concurrently with the registry's own calls, while the module runs. args
// and the result are the runtime's own encoding, opaque to the registry
// (CPython modules exchange pickles); an error is the call's failure to
// arrive or return, not the method's exception, which the result carries.
type RemoteModule interface {
	Remote(ctx context.Context, method string, args []byte) ([]byte, error)
}

// RemoteHost is implemented by every Host the registry gives a module: a
// call of another running module's method. A module that is unknown,
// disabled or not running is ErrNotRunning; one whose runtime takes no
// remote calls ErrNotSupported.
type RemoteHost interface {
	Remote(ctx context.Context, module, method string, args []byte) ([]byte, error)
}

// ProcessModule is implemented by a Module that runs in a process of its
// own (modules/isolate, modules/cpython): Status reports its pid, so the
// application can report each module's memory.
type ProcessModule interface {
	Pid() int
}

// OSDPerfQuery is an OSD perf metric query, Ceph's add_osd_perf_query:
// each OSD matches every client op against the key descriptor and counts
// the op under the key made of the regexes' capture groups.
type OSDPerfQuery struct {
	// Key is the key descriptor: one sub-key per entry.
	Key []OSDPerfSubKey
	// Counters are the counter types wanted, by Ceph's names ("ops",
	// "write_ops", "read_ops", "bytes", "write_bytes", "read_bytes",
	// "latency", "write_latency", "read_latency").
	Counters []string
	// Limit, if set, has each OSD report only the keys with the highest
	// values of one counter.
	Limit *OSDPerfLimit
}

// OSDPerfSubKey is one sub-key of a query's key: what to match (Ceph's
// names: "client_id", "client_address", "pool_id", "namespace", "osd_id",
// "pg_id", "object_name", "snap_id") and a regex with capture groups.
type OSDPerfSubKey struct {
	Type  string
	Regex string
}

// OSDPerfLimit is a query's limit: the MaxCount keys of highest OrderBy
// (one of the query's counters).
type OSDPerfLimit struct {
	OrderBy  string
	MaxCount uint64
}

// OSDPerfCounters is one key's counters of a query, summed over the OSDs
// since the last read: Key holds, per sub-key, what the regex's capture
// groups matched; Values one [value, 0] per counter of the query, or
// [sum, count] for the latency counters (sum in nanoseconds).
type OSDPerfCounters struct {
	Key    [][]string
	Values [][2]uint64
}

// PerfQueries is implemented by an application's Cluster (Config.Cluster)
// that collects OSD perf metric queries, as Ceph's DaemonServer does:
// query ids are the application's, shared by all modules. Optional:
// without it the calls fail with ErrNotSupported. Safe from any goroutine;
// must not block on IO.
type PerfQueries interface {
	// AddOSDPerfQuery registers q and returns its id; an invalid query
	// is an error.
	AddOSDPerfQuery(q OSDPerfQuery) (int64, error)
	// RemoveOSDPerfQuery unregisters a query; an unknown id is ErrNoData.
	RemoveOSDPerfQuery(id int64) error
	// OSDPerfCounters returns the query's counters collected since the
	// last call, in key order, and starts again from zero (Ceph's
	// get_osd_perf_counters); an unknown id is ErrNoData.
	OSDPerfCounters(id int64) ([]OSDPerfCounters, error)
}

// PerfQueryHost is implemented by every Host the registry gives a module:
// PerfQueries's calls. A Module checks with a type assertion.
type PerfQueryHost interface {
	PerfQueries
}
