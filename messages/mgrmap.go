package messages

import (
	"fmt"
	"slices"
	"strings"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// Option types and levels as Ceph's Option::type_t and level_t number them.
const (
	OptUint  = 0
	OptInt   = 1
	OptStr   = 2
	OptFloat = 3
	OptBool  = 4
	OptAddr  = 5

	LevelBasic    = 0
	LevelAdvanced = 1
	LevelDev      = 2
	LevelUnknown  = 3
)

// ModuleOption is MgrMap::ModuleOption (struct v1): one option a module
// declares in MODULE_OPTIONS.
type ModuleOption struct {
	Name        string
	Type        uint8 // Opt*
	Level       uint8 // Level*
	Flags       uint32
	Default     string
	Min, Max    string
	EnumAllowed []string // a set
	Desc        string
	LongDesc    string
	Tags        []string // a set
	SeeAlso     []string // a set
}

func (o *ModuleOption) denc(c Denc) {
	st := c.Start(1, 1, "ModuleOption")
	c.String(&o.Name)
	c.U8(&o.Type)
	c.U8(&o.Level)
	c.U32(&o.Flags)
	c.String(&o.Default)
	c.String(&o.Min)
	c.String(&o.Max)
	c.StringSet(&o.EnumAllowed)
	c.String(&o.Desc)
	c.String(&o.LongDesc)
	c.StringSet(&o.Tags)
	c.StringSet(&o.SeeAlso)
	c.Finish(st)
}

// ModuleInfo is MgrMap::ModuleInfo (struct v2): a module a mgr can load,
// whether it can run (and why not), and its options by name.
type ModuleInfo struct {
	Name        string
	CanRun      bool
	ErrorString string
	Options     map[string]ModuleOption
}

// denc encodes v2 but decodes with Ceph's DECODE_START(1), which reads
// the options of any version that has them.
func (mi *ModuleInfo) denc(c Denc) {
	st := c.StartCompat(2, 1, 1, "ModuleInfo")
	c.String(&mi.Name)
	c.Bool(&mi.CanRun)
	c.String(&mi.ErrorString)
	if st.V >= 2 {
		DencMap(c, &mi.Options, 10, Denc.String, elem[ModuleOption])
	}
	c.Finish(st)
}

func moduleNames(ms []ModuleInfo) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return names
}

// StandbyInfo is MgrMap::StandbyInfo (struct v4).
type StandbyInfo struct {
	GID              uint64
	Name             string
	AvailableModules []ModuleInfo
	MgrFeatures      uint64
}

func (s *StandbyInfo) denc(c Denc) {
	st := c.Start(4, 1, "StandbyInfo")
	c.U64(&s.GID)
	c.String(&s.Name)
	if st.V >= 2 {
		dencModuleNames(c, &s.AvailableModules, st.V < 3)
	}
	if st.V >= 3 {
		DencSlice(c, &s.AvailableModules, 10, elem[ModuleInfo])
	}
	if st.V >= 4 {
		c.U64(&s.MgrFeatures)
	}
	c.Finish(st)
}

// dencModuleNames lists the set of module names that older encodings
// carried instead of ModuleInfos (and newer ones still carry before them):
// encoded from modules; decoded into modules only when use is set (an
// encoding without ModuleInfos), and otherwise read and dropped.
func dencModuleNames(c Denc, modules *[]ModuleInfo, use bool) {
	var names []string
	if !c.Decoding() {
		names = moduleNames(*modules)
	}
	c.StringSet(&names)
	if c.Decoding() && use {
		for _, n := range names {
			*modules = append(*modules, ModuleInfo{Name: n, CanRun: true})
		}
	}
}

// MgrClient is one RADOS client a mgr runs (a module's librados handle),
// named, with its addresses, so the mons can blocklist it on failover.
type MgrClient struct {
	Name  string
	Addrs []wire.EntityAddr
}

// dencClients lists a mgr's RADOS clients as Ceph encodes its
// std::multimap<string, entity_addrvec_t>: the addrvecs in name order (equal
// names in insertion order), then (when withNames) the names in the same
// order.
func dencClients(c Denc, clients *[]MgrClient, withNames bool) {
	var addrs [][]wire.EntityAddr
	var names []string
	if !c.Decoding() {
		sorted := slices.Clone(*clients)
		slices.SortStableFunc(sorted, func(a, b MgrClient) int { return strings.Compare(a.Name, b.Name) })
		for _, cl := range sorted {
			addrs = append(addrs, cl.Addrs)
			names = append(names, cl.Name)
		}
	}
	DencSlice(c, &addrs, 5, Denc.AddrVec)
	if withNames {
		c.Strings(&names)
	}
	if !c.Decoding() || c.Err() != nil {
		return
	}
	if withNames && len(names) != len(addrs) {
		c.Fail(fmt.Errorf("%w: %d client names for %d client addrvecs", ErrMalformed, len(names), len(addrs)))
		return
	}
	for i, a := range addrs {
		cl := MgrClient{Addrs: a}
		if withNames {
			cl.Name = names[i]
		}
		*clients = append(*clients, cl)
	}
}

// MgrMap is Ceph's MgrMap in pacific's encoding (struct v12, compat 6):
// which mgr is active, the standbys, enabled and available modules, the
// services the active mgr exposes, and its RADOS clients. gomgr's mon
// serves this exact binary form, so a real ceph-mgr could read it.
type MgrMap struct {
	Epoch               uint32
	ActiveAddrs         []wire.EntityAddr
	ActiveGID           uint64
	Available           bool
	ActiveName          string
	Standbys            map[uint64]StandbyInfo
	Modules             []string // enabled modules, a set
	Services            map[string]string
	AvailableModules    []ModuleInfo
	ActiveChange        Utime
	AlwaysOnModules     map[uint32][]string // by ceph release number
	ActiveMgrFeatures   uint64
	LastFailureOSDEpoch uint32
	Clients             []MgrClient
}

// Marshal encodes mm as MgrMap::encode does for nautilus-and-later peers.
func (mm *MgrMap) Marshal() []byte { return marshalStruct(mm, (*MgrMap).denc) }

// ParseMgrMap decodes a MgrMap of struct v6 or later.
func ParseMgrMap(b []byte) (*MgrMap, error) { return parseStruct(b, "mgrmap", (*MgrMap).denc) }

func (mm *MgrMap) denc(c Denc) {
	st := c.Start(12, 6, "MgrMap")
	c.MinVersion(st, 6, "pre-nautilus")
	c.U32(&mm.Epoch)
	c.AddrVec(&mm.ActiveAddrs)
	c.U64(&mm.ActiveGID)
	c.Bool(&mm.Available)
	c.String(&mm.ActiveName)
	DencMap(c, &mm.Standbys, 14, Denc.U64, elem[StandbyInfo])
	c.StringSet(&mm.Modules)
	c.StringMap(&mm.Services)
	DencSlice(c, &mm.AvailableModules, 10, elem[ModuleInfo])
	if st.V >= 7 {
		c.Utime(&mm.ActiveChange)
	}
	if st.V >= 8 {
		DencMap(c, &mm.AlwaysOnModules, 8, Denc.U32, Denc.StringSet)
	}
	if st.V >= 9 {
		c.U64(&mm.ActiveMgrFeatures)
	}
	if st.V >= 10 {
		c.U32(&mm.LastFailureOSDEpoch)
	}
	if st.V >= 11 {
		dencClients(c, &mm.Clients, st.V >= 12)
	}
	c.Finish(st)
}

// MgrMapMsg (MSG_MGR_MAP, v1) carries a MgrMap, encoded in place (not in a
// bufferlist), as Ceph's MMgrMap does.
type MgrMapMsg struct {
	Map MgrMap
}

// Type implements Payload.
func (*MgrMapMsg) Type() uint16 { return TypeMgrMap }

// EncodeTo implements Payload.
func (p *MgrMapMsg) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *MgrMapMsg) DecodeFrom(m *msgr.Message) error {
	*p = MgrMapMsg{}
	return decodePayload(m, p)
}

func (p *MgrMapMsg) denc(c Denc, _ uint16) { p.Map.denc(c) }

// CommandDesc is Ceph's MonCommand (struct v1): a command signature a mgr
// offers, as MMgrBeacon carries them on activation.
type CommandDesc struct {
	Cmd          string // signature, "name=prefix,type=CephString,req=true ..."
	Help         string
	Module       string
	Perm         string // "r", "rw", ...
	Availability string // obsolete; Ceph sends "cli,rest"
	Flags        uint64
}

// defaultAvailability is what Ceph sends in the obsolete availability field.
const defaultAvailability = "cli,rest"

func (cd *CommandDesc) denc(c Denc) {
	st := c.Start(1, 1, "MonCommand")
	c.String(&cd.Cmd)
	c.String(&cd.Help)
	c.String(&cd.Module)
	c.String(&cd.Perm)
	avail := &cd.Availability
	if !c.Decoding() && *avail == "" {
		def := defaultAvailability
		avail = &def
	}
	c.String(avail)
	c.U64(&cd.Flags)
	c.Finish(st)
}

// MgrBeacon (MSG_MGR_BEACON, v11 compat 8) is what a mgr sends the mon every
// few seconds: who it is, whether it is available, its modules and their
// options, its metadata, the services (URIs) its modules run, its features
// and its RADOS clients; on activation also the command descriptions.
// The encoding follows Ceph's MMgrBeacon::encode_payload field for field;
// the deprecated set of module names is derived from Modules, as Ceph does.
// After Ceph's fields comes a gomgr extension (struct v1), sent only to a
// gomgr mon and only when Runtime is set: what each module runs on and
// its state, for `mgr module ls`. Ceph ignores trailing bytes in a front.
type MgrBeacon struct {
	Paxos        Paxos
	Addrs        []wire.EntityAddr // the mgr's server addresses
	GID          uint64
	Available    bool
	Name         string
	FSID         UUID
	CommandDescs []CommandDesc
	Metadata     map[string]string
	Services     map[string]string
	Modules      []ModuleInfo
	MgrFeatures  uint64
	Clients      []MgrClient

	// gomgr extension.
	Runtime []ModuleRuntime
}

// ModuleRuntime is a module as the mgr runs it: its kind ("python",
// "cpython", "go plugin"...) and its state ("running", "failed"...).
type ModuleRuntime struct {
	Name, Kind, State string
}

// Type implements Payload.
func (*MgrBeacon) Type() uint16 { return TypeMgrBeacon }

// EncodeTo implements Payload.
func (p *MgrBeacon) EncodeTo(m *msgr.Message) {
	encodePayload(m, p, 11, 8)
	m.Priority = msgr.PrioHigh
}

// DecodeFrom implements Payload.
func (p *MgrBeacon) DecodeFrom(m *msgr.Message) error {
	if m.Version < 8 {
		return fmt.Errorf("%w: MMgrBeacon v%d (pre-nautilus) not supported", ErrIncompatible, m.Version)
	}
	*p = MgrBeacon{}
	return decodePayload(m, p)
}

func (p *MgrBeacon) denc(c Denc, v uint16) {
	p.Paxos.denc(c)
	c.AddrVec(&p.Addrs)
	c.U64(&p.GID)
	c.Bool(&p.Available)
	c.String(&p.Name)
	c.UUID(&p.FSID)
	dencModuleNames(c, &p.Modules, false) // superseded by Modules
	DencSlice(c, &p.CommandDescs, 6, elem[CommandDesc])
	c.StringMap(&p.Metadata)
	c.StringMap(&p.Services)
	DencSlice(c, &p.Modules, 10, elem[ModuleInfo])
	if v >= 9 {
		c.U64(&p.MgrFeatures)
	}
	if v >= 10 {
		dencClients(c, &p.Clients, v >= 11)
	}
	if v >= 11 && c.More(p.Runtime != nil) {
		st := c.Start(1, 1, "gomgr beacon extension")
		DencSlice(c, &p.Runtime, 12, elem[ModuleRuntime])
		c.Finish(st)
	}
}

func (r *ModuleRuntime) denc(c Denc) {
	c.String(&r.Name)
	c.String(&r.Kind)
	c.String(&r.State)
}
