package clustermap

import (
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gomgr/messages"
	"gomgr/msgr/wire"
)

// The mon's maps travel in Ceph's encodings where gomgr has them (MgrMap,
// MonMap) and as JSON structs otherwise (see messages). These convert
// between the JSON-shaped maps of this package and the wire forms, both
// ways: the mon encodes, the mgr decodes.

// ParseUUID reads "6b1a6b39-2f47-4c1b-9d0d-1d2a3b4c5d6e".
func ParseUUID(s string) (messages.UUID, error) {
	var u messages.UUID
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		return u, fmt.Errorf("%w: %q", ErrInvalid, s)
	}
	copy(u[:], b)
	return u, nil
}

// WireAddrs converts an addrvec to entity_addr_t values.
func WireAddrs(v AddrVec) []wire.EntityAddr {
	out := make([]wire.EntityAddr, 0, len(v.Addrvec))
	for _, a := range v.Addrvec {
		ap, err := netip.ParseAddrPort(a.Addr)
		if err != nil {
			continue
		}
		typ := uint32(1)
		if a.Type == "v2" {
			typ = 2
		}
		ip := ap.Addr().Unmap()
		out = append(out, wire.EntityAddr{Type: typ, Nonce: a.Nonce, IP: ip.AsSlice(), Port: ap.Port()})
	}
	return out
}

// AddrsFromWire converts entity_addr_t values to an addrvec.
func AddrsFromWire(addrs []wire.EntityAddr) AddrVec {
	v := AddrVec{Addrvec: []Addr{}}
	for _, a := range addrs {
		typ := "v1"
		switch a.Type {
		case 2:
			typ = "v2"
		case 3:
			typ = "any"
		}
		host := ""
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			host = ip.Unmap().String()
		}
		v.Addrvec = append(v.Addrvec, Addr{Type: typ, Addr: netipJoin(host, a.Port), Nonce: a.Nonce})
	}
	return v
}

func netipJoin(host string, port uint16) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(int(port))
	}
	return host + ":" + strconv.Itoa(int(port))
}

var optTypes = []string{"uint", "int", "str", "float", "bool", "addr", "addrvec", "uuid", "size", "secs"}

func optTypeCode(t string) uint8 {
	for i, n := range optTypes {
		if n == t {
			return uint8(i)
		}
	}
	return 2 // str
}

func optTypeName(c uint8) string {
	if int(c) < len(optTypes) {
		return optTypes[c]
	}
	return "str"
}

var optLevels = []string{"basic", "advanced", "dev"}

func levelCode(l string) uint8 {
	for i, n := range optLevels {
		if n == l {
			return uint8(i)
		}
	}
	return 1
}

func levelName(c uint8) string {
	if int(c) < len(optLevels) {
		return optLevels[c]
	}
	return "advanced"
}

// ModulesToWire converts module declarations for a beacon or a MgrMap.
func ModulesToWire(mods []ModuleInfo) []messages.ModuleInfo {
	out := make([]messages.ModuleInfo, 0, len(mods))
	for _, m := range mods {
		w := messages.ModuleInfo{Name: m.Name, CanRun: m.CanRun, ErrorString: m.ErrorString,
			Options: map[string]messages.ModuleOption{}}
		for k, o := range m.ModuleOptions {
			w.Options[k] = messages.ModuleOption{
				Name: o.Name, Type: optTypeCode(o.Type), Level: levelCode(o.Level), Flags: uint32(o.Flags),
				Default: o.DefaultValue, Min: o.Min, Max: o.Max, EnumAllowed: o.EnumAllowed,
				Desc: o.Desc, LongDesc: o.LongDesc, Tags: o.Tags, SeeAlso: o.SeeAlso,
			}
		}
		out = append(out, w)
	}
	return out
}

// ModulesFromWire is the inverse of ModulesToWire.
func ModulesFromWire(mods []messages.ModuleInfo) []ModuleInfo {
	out := make([]ModuleInfo, 0, len(mods))
	for _, w := range mods {
		m := ModuleInfo{Name: w.Name, CanRun: w.CanRun, ErrorString: w.ErrorString,
			ModuleOptions: map[string]ModuleOption{}}
		for k, o := range w.Options {
			m.ModuleOptions[k] = ModuleOption{
				Name: o.Name, Type: optTypeName(o.Type), Level: levelName(o.Level), Flags: int(o.Flags),
				DefaultValue: o.Default, Min: o.Min, Max: o.Max, EnumAllowed: nonNil(o.EnumAllowed),
				Desc: o.Desc, LongDesc: o.LongDesc, Tags: nonNil(o.Tags), SeeAlso: nonNil(o.SeeAlso),
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// releases maps Ceph release names to their numbers (ceph_release_t).
var releases = map[string]uint32{"nautilus": 14, "octopus": 15, "pacific": 16, "quincy": 17}

// MgrMapToWire converts a MgrMap to Ceph's binary MgrMap.
func MgrMapToWire(m *MgrMap) messages.MgrMap {
	w := messages.MgrMap{
		Epoch: uint32(m.Epoch), ActiveAddrs: WireAddrs(m.ActiveAddrs), ActiveGID: m.ActiveGID,
		Available: m.Available, ActiveName: m.ActiveName, Standbys: map[uint64]messages.StandbyInfo{},
		Modules: m.Modules, Services: m.Services, AvailableModules: ModulesToWire(m.AvailableModules),
		ActiveChange: messages.UtimeOf(m.ActiveChange.Time), AlwaysOnModules: map[uint32][]string{},
		ActiveMgrFeatures: m.ActiveMgrFeatures, LastFailureOSDEpoch: uint32(m.LastFailureOSDEpoch),
	}
	if m.ActiveChange.IsZero() {
		w.ActiveChange = messages.Utime{}
	}
	for _, s := range m.Standbys {
		w.Standbys[s.GID] = messages.StandbyInfo{GID: s.GID, Name: s.Name,
			AvailableModules: ModulesToWire(s.AvailableModules), MgrFeatures: s.MgrFeatures}
	}
	for rel, mods := range m.AlwaysOnModules {
		if n, ok := releases[rel]; ok {
			w.AlwaysOnModules[n] = mods
		}
	}
	return w
}

// MgrMapFromWire converts Ceph's binary MgrMap to the JSON-shaped one.
func MgrMapFromWire(w *messages.MgrMap) *MgrMap {
	m := &MgrMap{
		Epoch: uint64(w.Epoch), ActiveGID: w.ActiveGID, ActiveName: w.ActiveName,
		ActiveAddrs: AddrsFromWire(w.ActiveAddrs), ActiveMgrFeatures: w.ActiveMgrFeatures,
		Available: w.Available, Standbys: []StandbyInfo{}, Modules: nonNil(w.Modules),
		AvailableModules: ModulesFromWire(w.AvailableModules), Services: w.Services,
		AlwaysOnModules: map[string][]string{}, LastFailureOSDEpoch: uint64(w.LastFailureOSDEpoch),
		ActiveClients: []any{},
	}
	m.ActiveAddr = m.ActiveAddrs.Legacy()
	if w.ActiveChange != (messages.Utime{}) {
		m.ActiveChange = Stamp{w.ActiveChange.Time()}
	}
	if m.Services == nil {
		m.Services = map[string]string{}
	}
	for _, s := range w.Standbys {
		m.Standbys = append(m.Standbys, StandbyInfo{GID: s.GID, Name: s.Name, MgrFeatures: s.MgrFeatures,
			AvailableModules: ModulesFromWire(s.AvailableModules)})
	}
	sort.Slice(m.Standbys, func(i, j int) bool { return m.Standbys[i].GID < m.Standbys[j].GID })
	for n, mods := range w.AlwaysOnModules {
		for rel, num := range releases {
			if num == n {
				m.AlwaysOnModules[rel] = mods
			}
		}
	}
	return m
}

// monFeatureNames are ceph::features::mon's bits, as `mon dump` names them.
var monFeatureNames = []string{"kraken", "luminous", "mimic", "osdmap-prune", "nautilus", "octopus", "pacific", "elector-pinging"}

func monFeatureBits(names []string) uint64 {
	var bits uint64
	for i, n := range monFeatureNames {
		if slices.Contains(names, n) {
			bits |= 1 << i
		}
	}
	return bits
}

func monFeatureList(bits uint64) []string {
	out := []string{}
	for i, n := range monFeatureNames {
		if bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// MonMapFromWire converts Ceph's binary MonMap to the shape of MonMap::dump
// (what `mon dump` prints, whose quorum the map itself does not hold: the
// mons are listed as all in quorum).
func MonMapFromWire(w *messages.MonMap) *MonMap {
	m := &MonMap{
		Epoch: uint64(w.Epoch), FSID: w.FSID.String(), Modified: ZStamp{w.LastChanged.Time()},
		Created: ZStamp{w.Created.Time()}, MinMonRelease: int(w.MinMonRelease),
		MinMonReleaseName: releaseName(int(w.MinMonRelease)), ElectionStrategy: int(w.ElectionStrategy),
		DisallowedLeaders: strings.Join(w.DisallowedLeaders, ","), StretchMode: w.StretchModeEnabled,
		TiebreakerMon: w.TiebreakerMon,
		Features:      MonFeatures{Persistent: monFeatureList(w.PersistentFeatures), Optional: monFeatureList(w.OptionalFeatures)},
		Mons:          []MonInfo{}, Quorum: []int{},
	}
	removed := make([]string, 0, len(w.RemovedRanks))
	for _, r := range w.RemovedRanks {
		removed = append(removed, strconv.Itoa(int(r)))
	}
	m.RemovedRanks = strings.Join(removed, ",")
	for rank, name := range w.Ranks {
		info := w.Mons[name]
		av := AddrsFromWire(info.Addrs)
		loc := "{}"
		if len(info.CrushLoc) > 0 {
			parts := make([]string, 0, len(info.CrushLoc))
			for _, k := range slices.Sorted(maps.Keys(info.CrushLoc)) {
				parts = append(parts, k+"="+info.CrushLoc[k])
			}
			loc = "{" + strings.Join(parts, ",") + "}"
		}
		m.Mons = append(m.Mons, MonInfo{Rank: rank, Name: name, PublicAddrs: av, Addr: av.Legacy(),
			PublicAddr: av.Legacy(), Priority: int(info.Priority), Weight: int(info.Weight), CrushLocation: loc})
		m.Quorum = append(m.Quorum, rank)
	}
	return m
}

// releaseName names a ceph_release_t.
func releaseName(r int) string {
	names := map[int]string{12: "luminous", 13: "mimic", 14: "nautilus", 15: "octopus", 16: "pacific", 17: "quincy"}
	if n, ok := names[r]; ok {
		return n
	}
	return "unknown"
}

// MonMapToWire converts a MonMap to Ceph's binary MonMap.
func MonMapToWire(m *MonMap) (*messages.MonMap, error) {
	fsid, err := ParseUUID(m.FSID)
	if err != nil {
		return nil, err
	}
	w := &messages.MonMap{
		FSID: fsid, Epoch: uint32(m.Epoch), LastChanged: messages.UtimeOf(m.Modified.Time),
		Created: messages.UtimeOf(m.Created.Time), Mons: map[string]messages.MonInfo{},
		MinMonRelease: uint8(m.MinMonRelease), ElectionStrategy: uint8(max(m.ElectionStrategy, 1)),
		PersistentFeatures: monFeatureBits(m.Features.Persistent),
		OptionalFeatures:   monFeatureBits(m.Features.Optional) | messages.MonFeatureGomgr,
	}
	for _, mi := range m.Mons {
		w.Mons[mi.Name] = messages.MonInfo{Name: mi.Name, Addrs: WireAddrs(mi.PublicAddrs),
			Priority: uint16(mi.Priority), Weight: uint16(mi.Weight)}
		w.Ranks = append(w.Ranks, mi.Name)
	}
	return w, nil
}
