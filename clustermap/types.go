package clustermap

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stamp is a utime_t as Ceph's JSON dumps print it:
// "2026-11-22T22:10:58.754446+0000"; the zero time prints "0.000000".
type Stamp struct{ time.Time }

const stampLayout = "2006-01-02T15:04:05.000000-0700"

// MarshalJSON prints Ceph's format.
func (s Stamp) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func (s Stamp) String() string {
	if s.IsZero() {
		return "0.000000"
	}
	return s.UTC().Format(stampLayout)
}

// UnmarshalJSON accepts Ceph's format, RFC 3339 and "0.000000".
func (s *Stamp) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("%w: stamp: %w", ErrInvalid, err)
	}
	if str == "" || str == "0.000000" {
		s.Time = time.Time{}
		return nil
	}
	for _, l := range []string{stampLayout, time.RFC3339Nano} {
		if t, err := time.Parse(l, str); err == nil {
			s.Time = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("%w: stamp %q", ErrInvalid, str)
}

// ZStamp is the MonMap's stamp format: "2026-11-22T22:08:20.635138Z".
type ZStamp struct{ time.Time }

// MarshalJSON prints the MonMap format.
func (s ZStamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.UTC().Format("2006-01-02T15:04:05.000000Z"))
}

// UnmarshalJSON accepts RFC 3339.
func (s *ZStamp) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("%w: stamp: %w", ErrInvalid, err)
	}
	t, err := time.Parse(time.RFC3339Nano, str)
	if err != nil {
		return fmt.Errorf("%w: stamp %q", ErrInvalid, str)
	}
	s.Time = t.UTC()
	return nil
}

// Addr is one entity_addr_t of an addrvec.
type Addr struct {
	Type  string `json:"type"` // "v1", "v2", "any"
	Addr  string `json:"addr"` // "127.0.0.1:6800"
	Nonce uint32 `json:"nonce"`
}

// AddrVec is entity_addrvec_t in its JSON form.
type AddrVec struct {
	Addrvec []Addr `json:"addrvec"`
}

// V1Addr is the common one-address vector of a msgr v1 daemon.
func V1Addr(hostport string, nonce uint32) AddrVec {
	return AddrVec{Addrvec: []Addr{{Type: "v1", Addr: hostport, Nonce: nonce}}}
}

// Legacy is get_legacy_str(): "127.0.0.1:6804/30045", or ":/0" when empty.
func (a AddrVec) Legacy() string {
	for _, x := range a.Addrvec {
		if x.Type == "v1" || x.Type == "any" {
			return x.Addr + "/" + strconv.FormatUint(uint64(x.Nonce), 10)
		}
	}
	if len(a.Addrvec) > 0 {
		return a.Addrvec[0].Addr + "/" + strconv.FormatUint(uint64(a.Addrvec[0].Nonce), 10)
	}
	return ":/0"
}

// String is Ceph's "v1:127.0.0.1:6800/30131" (bracketed when several).
func (a AddrVec) String() string {
	parts := make([]string, len(a.Addrvec))
	for i, x := range a.Addrvec {
		parts[i] = x.Type + ":" + x.Addr + "/" + strconv.FormatUint(uint64(x.Nonce), 10)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Equal compares two vectors element by element.
func (a AddrVec) Equal(b AddrVec) bool {
	if len(a.Addrvec) != len(b.Addrvec) {
		return false
	}
	for i := range a.Addrvec {
		if a.Addrvec[i] != b.Addrvec[i] {
			return false
		}
	}
	return true
}

func (a AddrVec) Clone() AddrVec {
	if a.Addrvec == nil {
		return AddrVec{Addrvec: []Addr{}}
	}
	return AddrVec{Addrvec: append([]Addr(nil), a.Addrvec...)}
}

// ModuleOption is one entry of a module's module_options, as MgrMap dumps it.
type ModuleOption struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	Level        string   `json:"level"`
	Flags        int      `json:"flags"`
	DefaultValue string   `json:"default_value"`
	Min          string   `json:"min"`
	Max          string   `json:"max"`
	EnumAllowed  []string `json:"enum_allowed"`
	Desc         string   `json:"desc"`
	LongDesc     string   `json:"long_desc"`
	Tags         []string `json:"tags"`
	SeeAlso      []string `json:"see_also"`
}

// ModuleInfo is MgrMap::ModuleInfo: a module a mgr daemon can load.
type ModuleInfo struct {
	Name          string                  `json:"name"`
	CanRun        bool                    `json:"can_run"`
	ErrorString   string                  `json:"error_string"`
	ModuleOptions map[string]ModuleOption `json:"module_options"`
}

// StandbyInfo is one standby in the MgrMap.
type StandbyInfo struct {
	GID              uint64       `json:"gid"`
	Name             string       `json:"name"`
	MgrFeatures      uint64       `json:"mgr_features"`
	AvailableModules []ModuleInfo `json:"available_modules"`
}

// MgrMap is Ceph's MgrMap in the shape of `ceph mgr dump -f json`.
// A published MgrMap is immutable.
type MgrMap struct {
	Epoch             uint64              `json:"epoch"`
	ActiveGID         uint64              `json:"active_gid"`
	ActiveName        string              `json:"active_name"`
	ActiveAddrs       AddrVec             `json:"active_addrs"`
	ActiveAddr        string              `json:"active_addr"`
	ActiveChange      Stamp               `json:"active_change"`
	ActiveMgrFeatures uint64              `json:"active_mgr_features"`
	Available         bool                `json:"available"`
	Standbys          []StandbyInfo       `json:"standbys"` // sorted by gid
	Modules           []string            `json:"modules"`  // enabled, sorted
	AvailableModules  []ModuleInfo        `json:"available_modules"`
	Services          map[string]string   `json:"services"`
	AlwaysOnModules   map[string][]string `json:"always_on_modules"`
	// LastFailureOSDEpoch and ActiveClients are kept for shape only: gomgr
	// does not blocklist failed mgrs' clients.
	LastFailureOSDEpoch uint64 `json:"last_failure_osd_epoch"`
	ActiveClients       []any  `json:"active_clients"`
}

// clone is the copy-on-write step: slices and maps are copied one level
// deep; their elements are never modified in place, so sharing them is safe.
func (m *MgrMap) Clone() *MgrMap {
	c := *m
	c.ActiveAddrs = m.ActiveAddrs.Clone()
	c.Standbys = append([]StandbyInfo{}, m.Standbys...)
	c.Modules = append([]string{}, m.Modules...)
	c.AvailableModules = append([]ModuleInfo{}, m.AvailableModules...)
	c.Services = make(map[string]string, len(m.Services))
	for k, v := range m.Services {
		c.Services[k] = v
	}
	return &c
}

// normalize fills nil collections so JSON prints [] and {} as Ceph does.
func (m *MgrMap) Normalize() {
	if m.ActiveAddrs.Addrvec == nil {
		m.ActiveAddrs.Addrvec = []Addr{}
	}
	if m.Standbys == nil {
		m.Standbys = []StandbyInfo{}
	}
	if m.Modules == nil {
		m.Modules = []string{}
	}
	if m.AvailableModules == nil {
		m.AvailableModules = []ModuleInfo{}
	}
	if m.Services == nil {
		m.Services = map[string]string{}
	}
	if m.AlwaysOnModules == nil {
		m.AlwaysOnModules = map[string][]string{}
	}
	if m.ActiveClients == nil {
		m.ActiveClients = []any{}
	}
	m.ActiveAddr = m.ActiveAddrs.Legacy()
}

// StandbyNames lists the standbys' names in gid order.
func (m *MgrMap) StandbyNames() []string {
	out := make([]string, len(m.Standbys))
	for i, s := range m.Standbys {
		out[i] = s.Name
	}
	return out
}

// ModuleEnabled reports whether name is in modules or always on.
func (m *MgrMap) ModuleEnabled(name string, release string) bool {
	return contains(m.Modules, name) || contains(m.AlwaysOnModules[release], name)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// OSDInfo is one entry of OSDMap.osds, as `ceph osd dump -f json`.
type OSDInfo struct {
	OSD                int      `json:"osd"`
	UUID               string   `json:"uuid"`
	Up                 int      `json:"up"`
	In                 int      `json:"in"`
	Weight             float64  `json:"weight"`
	PrimaryAffinity    float64  `json:"primary_affinity"`
	LastCleanBegin     uint64   `json:"last_clean_begin"`
	LastCleanEnd       uint64   `json:"last_clean_end"`
	UpFrom             uint64   `json:"up_from"`
	UpThru             uint64   `json:"up_thru"`
	DownAt             uint64   `json:"down_at"`
	LostAt             uint64   `json:"lost_at"`
	PublicAddrs        AddrVec  `json:"public_addrs"`
	ClusterAddrs       AddrVec  `json:"cluster_addrs"`
	HeartbeatBackAddrs AddrVec  `json:"heartbeat_back_addrs"`
	HeartbeatFrontAddr AddrVec  `json:"heartbeat_front_addrs"`
	PublicAddr         string   `json:"public_addr"`
	ClusterAddr        string   `json:"cluster_addr"`
	HeartbeatBackAdd   string   `json:"heartbeat_back_addr"`
	HeartbeatFrontAdd  string   `json:"heartbeat_front_addr"`
	State              []string `json:"state"`
}

// LastPGMergeMeta is pg_pool_t's last_pg_merge_meta.
type LastPGMergeMeta struct {
	SourcePGID     string `json:"source_pgid"`
	ReadyEpoch     uint64 `json:"ready_epoch"`
	LastEpochStart uint64 `json:"last_epoch_started"`
	LastEpochClean uint64 `json:"last_epoch_clean"`
	SourceVersion  string `json:"source_version"`
	TargetVersion  string `json:"target_version"`
}

// Pool is one entry of OSDMap.pools (the fields gomgr tracks plus Ceph's
// constant ones, so the shape matches `ceph osd dump -f json`).
type Pool struct {
	Pool                 int64                     `json:"pool"`
	PoolName             string                    `json:"pool_name"`
	CreateTime           Stamp                     `json:"create_time"`
	Flags                int                       `json:"flags"`
	FlagsNames           string                    `json:"flags_names"`
	Type                 int                       `json:"type"`
	Size                 int                       `json:"size"`
	MinSize              int                       `json:"min_size"`
	CrushRule            int                       `json:"crush_rule"`
	ObjectHash           int                       `json:"object_hash"`
	PGAutoscaleMode      string                    `json:"pg_autoscale_mode"`
	PGNum                int                       `json:"pg_num"`
	PGPlacementNum       int                       `json:"pg_placement_num"`
	PGPlacementNumTarget int                       `json:"pg_placement_num_target"`
	PGNumTarget          int                       `json:"pg_num_target"`
	PGNumPending         int                       `json:"pg_num_pending"`
	LastPGMergeMeta      LastPGMergeMeta           `json:"last_pg_merge_meta"`
	LastChange           string                    `json:"last_change"`
	SnapMode             string                    `json:"snap_mode"`
	SnapSeq              uint64                    `json:"snap_seq"`
	SnapEpoch            uint64                    `json:"snap_epoch"`
	PoolSnaps            []any                     `json:"pool_snaps"`
	RemovedSnaps         string                    `json:"removed_snaps"`
	QuotaMaxBytes        uint64                    `json:"quota_max_bytes"`
	QuotaMaxObjects      uint64                    `json:"quota_max_objects"`
	Tiers                []int64                   `json:"tiers"`
	TierOf               int64                     `json:"tier_of"`
	ReadTier             int64                     `json:"read_tier"`
	WriteTier            int64                     `json:"write_tier"`
	CacheMode            string                    `json:"cache_mode"`
	ErasureCodeProfile   string                    `json:"erasure_code_profile"`
	StripeWidth          int                       `json:"stripe_width"`
	ExpectedNumObjects   uint64                    `json:"expected_num_objects"`
	FastRead             bool                      `json:"fast_read"`
	Options              map[string]any            `json:"options"`
	ApplicationMetadata  map[string]map[string]any `json:"application_metadata"`
}

// OSDMap is the cluster's OSD map in the shape of `ceph osd dump -f json`.
// A published OSDMap is immutable.
type OSDMap struct {
	Epoch                  uint64                       `json:"epoch"`
	FSID                   string                       `json:"fsid"`
	Created                Stamp                        `json:"created"`
	Modified               Stamp                        `json:"modified"`
	LastUpChange           Stamp                        `json:"last_up_change"`
	LastInChange           Stamp                        `json:"last_in_change"`
	Flags                  string                       `json:"flags"`
	FlagsNum               uint64                       `json:"flags_num"`
	FlagsSet               []string                     `json:"flags_set"`
	CrushVersion           int                          `json:"crush_version"`
	FullRatio              float64                      `json:"full_ratio"`
	BackfillfullRatio      float64                      `json:"backfillfull_ratio"`
	NearfullRatio          float64                      `json:"nearfull_ratio"`
	ClusterSnapshot        string                       `json:"cluster_snapshot"`
	PoolMax                int64                        `json:"pool_max"`
	MaxOSD                 int                          `json:"max_osd"`
	RequireMinCompatClient string                       `json:"require_min_compat_client"`
	MinCompatClient        string                       `json:"min_compat_client"`
	RequireOSDRelease      string                       `json:"require_osd_release"`
	Pools                  []Pool                       `json:"pools"`
	OSDs                   []*OSDInfo                   `json:"osds"` // sorted by id; entries are immutable
	PGUpmap                []any                        `json:"pg_upmap"`
	PGUpmapItems           []any                        `json:"pg_upmap_items"`
	PGTemp                 []any                        `json:"pg_temp"`
	PrimaryTemp            []any                        `json:"primary_temp"`
	Blocklist              map[string]string            `json:"blocklist"`
	ErasureCodeProfiles    map[string]map[string]string `json:"erasure_code_profiles"`
}

func (m *OSDMap) Clone() *OSDMap {
	c := *m
	c.FlagsSet = append([]string{}, m.FlagsSet...)
	c.Pools = append([]Pool{}, m.Pools...)
	c.OSDs = append([]*OSDInfo{}, m.OSDs...)
	c.Blocklist = make(map[string]string, len(m.Blocklist))
	for k, v := range m.Blocklist {
		c.Blocklist[k] = v
	}
	return &c
}

// OSD returns osd id's entry, or nil.
func (m *OSDMap) OSD(id int) *OSDInfo {
	i := m.osdIndex(id)
	if i < 0 {
		return nil
	}
	return m.OSDs[i]
}

func (m *OSDMap) osdIndex(id int) int {
	lo, hi := 0, len(m.OSDs)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.OSDs[mid].OSD < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(m.OSDs) && m.OSDs[lo].OSD == id {
		return lo
	}
	return -1
}

// Counts returns (num_osds, num_up_osds, num_in_osds).
func (m *OSDMap) Counts() (n, up, in int) {
	for _, o := range m.OSDs {
		n++
		up += o.Up
		in += o.In
	}
	return
}

// PoolByName returns the pool called name, or nil.
func (m *OSDMap) PoolByName(name string) *Pool {
	for i := range m.Pools {
		if m.Pools[i].PoolName == name {
			return &m.Pools[i]
		}
	}
	return nil
}

// MonInfo is one mon of the MonMap.
type MonInfo struct {
	Rank          int     `json:"rank"`
	Name          string  `json:"name"`
	PublicAddrs   AddrVec `json:"public_addrs"`
	Addr          string  `json:"addr"`
	PublicAddr    string  `json:"public_addr"`
	Priority      int     `json:"priority"`
	Weight        int     `json:"weight"`
	CrushLocation string  `json:"crush_location"`
}

// MonFeatures is MonMap.features.
type MonFeatures struct {
	Persistent []string `json:"persistent"`
	Optional   []string `json:"optional"`
}

// MonMap in the shape of `ceph mon dump -f json` (its odd "disallowed_leaders: "
// key included). A published MonMap is immutable.
type MonMap struct {
	Epoch             uint64      `json:"epoch"`
	FSID              string      `json:"fsid"`
	Modified          ZStamp      `json:"modified"`
	Created           ZStamp      `json:"created"`
	MinMonRelease     int         `json:"min_mon_release"`
	MinMonReleaseName string      `json:"min_mon_release_name"`
	ElectionStrategy  int         `json:"election_strategy"`
	DisallowedLeaders string      `json:"disallowed_leaders: "`
	StretchMode       bool        `json:"stretch_mode"`
	TiebreakerMon     string      `json:"tiebreaker_mon"`
	RemovedRanks      string      `json:"removed_ranks: "`
	Features          MonFeatures `json:"features"`
	Mons              []MonInfo   `json:"mons"`
	Quorum            []int       `json:"quorum"`
}

// FSMap in the shape of `ceph fs dump -f json`. gomgr has no MDS, so it is
// the minimal empty map. A published FSMap is immutable.
type FSMap struct {
	Epoch        uint64          `json:"epoch"`
	DefaultFSCID int             `json:"default_fscid"`
	Compat       json.RawMessage `json:"compat"`
	FeatureFlags struct {
		EnableMultiple      bool `json:"enable_multiple"`
		EverEnabledMultiple bool `json:"ever_enabled_multiple"`
	} `json:"feature_flags"`
	Standbys    []any `json:"standbys"`
	Filesystems []any `json:"filesystems"`
}

// ServiceMap in the shape of `ceph service dump -f json`. A published
// ServiceMap is immutable.
type ServiceMap struct {
	Epoch    uint64         `json:"epoch"`
	Modified Stamp          `json:"modified"`
	Services map[string]any `json:"services"`
}

// LogEntry is one cluster log entry, as `ceph log last -f json`.
type LogEntry struct {
	Name     string  `json:"name"`
	Rank     string  `json:"rank"`
	Addrs    AddrVec `json:"addrs"`
	Stamp    Stamp   `json:"stamp"`
	Seq      uint64  `json:"seq"`
	Channel  string  `json:"channel"`
	Priority string  `json:"priority"` // "[DBG]", "[INF]", "[WRN]", "[ERR]"
	Message  string  `json:"message"`
}

// Log priorities, as Ceph prints them.
const (
	PrioDebug = "[DBG]"
	PrioInfo  = "[INF]"
	PrioWarn  = "[WRN]"
	PrioError = "[ERR]"
)

// Health severities.
const (
	HealthOK   = "HEALTH_OK"
	HealthWarn = "HEALTH_WARN"
	HealthErr  = "HEALTH_ERR"
)

// HealthSummary is a check's summary.
type HealthSummary struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// HealthDetail is one detail line of a check.
type HealthDetail struct {
	Message string `json:"message"`
}

// HealthCheck is one named check. Detail is printed only by `health detail`
// (nil pointer: omitted; empty slice: "detail": []).
type HealthCheck struct {
	Severity string          `json:"severity"`
	Summary  HealthSummary   `json:"summary"`
	Detail   *[]HealthDetail `json:"detail,omitempty"`
	Muted    bool            `json:"muted"`
}

// Health is `ceph health [detail] -f json`.
type Health struct {
	Status string                 `json:"status"`
	Checks map[string]HealthCheck `json:"checks"`
	Mutes  []any                  `json:"mutes"`
}

// withoutDetail drops detail lines (the `health` / `status` form).
func (h Health) WithoutDetail() Health {
	out := Health{Status: h.Status, Checks: make(map[string]HealthCheck, len(h.Checks)), Mutes: h.Mutes}
	for k, c := range h.Checks {
		c.Detail = nil
		out.Checks[k] = c
	}
	return out
}

// NewCheck builds a check from a summary and detail lines.
func NewCheck(severity, summary string, count int, detail ...string) HealthCheck {
	d := make([]HealthDetail, len(detail))
	for i, s := range detail {
		d[i] = HealthDetail{Message: s}
	}
	return HealthCheck{Severity: severity, Summary: HealthSummary{Message: summary, Count: count}, Detail: &d}
}

var osdFlagBits = map[string]uint64{
	"pauserd": 1 << 2, "pausewr": 1 << 3, "noup": 1 << 5, "nodown": 1 << 6,
	"noout": 1 << 7, "noin": 1 << 8, "nobackfill": 1 << 9, "norecover": 1 << 10,
	"noscrub": 1 << 11, "nodeep-scrub": 1 << 12, "notieragent": 1 << 13,
	"sortbitwise": 1 << 15, "norebalance": 1 << 14, "recovery_deletes": 1 << 18,
	"purged_snapdirs": 1 << 19, "pglog_hardlimit": 1 << 22,
}

// Normalize fills the derived fields (flags, max_osd) and the empty
// collections Ceph prints as [] or {}.
func (m *OSDMap) Normalize() {
	if m.FlagsSet == nil {
		m.FlagsSet = []string{}
	}
	sort.Strings(m.FlagsSet)
	m.Flags = ""
	m.FlagsNum = 0
	// Ceph prints flags in bit order.
	byBit := append([]string(nil), m.FlagsSet...)
	sort.Slice(byBit, func(i, j int) bool { return osdFlagBits[byBit[i]] < osdFlagBits[byBit[j]] })
	m.Flags = strings.Join(byBit, ",")
	for _, f := range m.FlagsSet {
		m.FlagsNum |= osdFlagBits[f]
	}
	m.MaxOSD = 0
	if n := len(m.OSDs); n > 0 {
		m.MaxOSD = m.OSDs[n-1].OSD + 1
	}
	if m.Pools == nil {
		m.Pools = []Pool{}
	}
	if m.OSDs == nil {
		m.OSDs = []*OSDInfo{}
	}
	for _, p := range []*[]any{&m.PGUpmap, &m.PGUpmapItems, &m.PGTemp, &m.PrimaryTemp} {
		if *p == nil {
			*p = []any{}
		}
	}
	if m.Blocklist == nil {
		m.Blocklist = map[string]string{}
	}
	if m.ErasureCodeProfiles == nil {
		m.ErasureCodeProfiles = map[string]map[string]string{}
	}
}

// PGSummary is the pgmap part of `status`, as the active mgr reports it.
type PGSummary struct {
	PGsByState      []PGStateCount `json:"pgs_by_state"`
	NumPGs          int            `json:"num_pgs"`
	NumPools        int            `json:"num_pools"`
	NumObjects      uint64         `json:"num_objects"`
	DataBytes       uint64         `json:"data_bytes"`
	BytesUsed       uint64         `json:"bytes_used"`
	BytesAvail      uint64         `json:"bytes_avail"`
	BytesTotal      uint64         `json:"bytes_total"`
	UnknownPGsRatio float64        `json:"unknown_pgs_ratio,omitempty"`
}

// PGStateCount is one pgs_by_state entry.
type PGStateCount struct {
	StateName string `json:"state_name"`
	Count     int    `json:"count"`
}
