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

func (o ModuleOption) encode(e *Encoder) {
	st := e.StartStruct(1, 1)
	e.String(o.Name)
	e.U8(o.Type)
	e.U8(o.Level)
	e.U32(o.Flags)
	e.String(o.Default)
	e.String(o.Min)
	e.String(o.Max)
	e.StringSet(o.EnumAllowed)
	e.String(o.Desc)
	e.String(o.LongDesc)
	e.StringSet(o.Tags)
	e.StringSet(o.SeeAlso)
	e.FinishStruct(st)
}

func decodeModuleOption(d *Decoder) ModuleOption {
	st := d.StartStruct(1, "ModuleOption")
	o := ModuleOption{
		Name: d.String(), Type: d.U8(), Level: d.U8(), Flags: d.U32(),
		Default: d.String(), Min: d.String(), Max: d.String(),
		EnumAllowed: d.Strings(), Desc: d.String(), LongDesc: d.String(),
		Tags: d.Strings(), SeeAlso: d.Strings(),
	}
	d.FinishStruct(st, "ModuleOption")
	return o
}

// ModuleInfo is MgrMap::ModuleInfo (struct v2): a module a mgr can load,
// whether it can run (and why not), and its options by name.
type ModuleInfo struct {
	Name        string
	CanRun      bool
	ErrorString string
	Options     map[string]ModuleOption
}

func (mi ModuleInfo) encode(e *Encoder) {
	st := e.StartStruct(2, 1)
	e.String(mi.Name)
	e.Bool(mi.CanRun)
	e.String(mi.ErrorString)
	EncodeMap(e, mi.Options, (*Encoder).String, func(e *Encoder, o ModuleOption) { o.encode(e) })
	e.FinishStruct(st)
}

func decodeModuleInfo(d *Decoder) ModuleInfo {
	st := d.StartStruct(1, "ModuleInfo")
	mi := ModuleInfo{Name: d.String(), CanRun: d.Bool(), ErrorString: d.String()}
	if st.V >= 2 {
		mi.Options = DecodeMap(d, 10, (*Decoder).String, decodeModuleOption)
	}
	d.FinishStruct(st, "ModuleInfo")
	return mi
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

func (s StandbyInfo) encode(e *Encoder) {
	st := e.StartStruct(4, 1)
	e.U64(s.GID)
	e.String(s.Name)
	e.StringSet(moduleNames(s.AvailableModules))
	EncodeSlice(e, s.AvailableModules, func(e *Encoder, v ModuleInfo) { v.encode(e) })
	e.U64(s.MgrFeatures)
	e.FinishStruct(st)
}

func decodeStandbyInfo(d *Decoder) StandbyInfo {
	st := d.StartStruct(4, "StandbyInfo")
	s := StandbyInfo{GID: d.U64(), Name: d.String()}
	if st.V >= 2 {
		old := d.Strings()
		if st.V < 3 {
			for _, n := range old {
				s.AvailableModules = append(s.AvailableModules, ModuleInfo{Name: n, CanRun: true})
			}
		}
	}
	if st.V >= 3 {
		s.AvailableModules = DecodeSlice(d, 10, decodeModuleInfo)
	}
	if st.V >= 4 {
		s.MgrFeatures = d.U64()
	}
	d.FinishStruct(st, "StandbyInfo")
	return s
}

// MgrClient is one RADOS client a mgr runs (a module's librados handle),
// named, with its addresses, so the mons can blocklist it on failover.
type MgrClient struct {
	Name  string
	Addrs []wire.EntityAddr
}

// sortClients orders clients as std::multimap<string, ...> iterates:
// by name, equal names in insertion order.
func sortClients(c []MgrClient) []MgrClient {
	out := slices.Clone(c)
	slices.SortStableFunc(out, func(a, b MgrClient) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func encodeClients(e *Encoder, c []MgrClient) {
	EncodeSlice(e, c, func(e *Encoder, c MgrClient) { e.AddrVec(c.Addrs) })
	EncodeSlice(e, c, func(e *Encoder, c MgrClient) { e.String(c.Name) })
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
func (mm *MgrMap) Marshal() []byte {
	e := NewEncoder(nil)
	mm.encode(e)
	return e.Bytes()
}

func (mm *MgrMap) encode(e *Encoder) {
	st := e.StartStruct(12, 6)
	e.U32(mm.Epoch)
	e.AddrVec(mm.ActiveAddrs)
	e.U64(mm.ActiveGID)
	e.Bool(mm.Available)
	e.String(mm.ActiveName)
	EncodeMap(e, mm.Standbys, (*Encoder).U64, func(e *Encoder, s StandbyInfo) { s.encode(e) })
	e.StringSet(mm.Modules)
	e.StringMap(mm.Services)
	EncodeSlice(e, mm.AvailableModules, func(e *Encoder, v ModuleInfo) { v.encode(e) })
	e.Utime(mm.ActiveChange)
	EncodeMap(e, mm.AlwaysOnModules, (*Encoder).U32, (*Encoder).StringSet)
	e.U64(mm.ActiveMgrFeatures)
	e.U32(mm.LastFailureOSDEpoch)
	encodeClients(e, sortClients(mm.Clients))
	e.FinishStruct(st)
}

// ParseMgrMap decodes a MgrMap of struct v6 or later.
func ParseMgrMap(b []byte) (*MgrMap, error) {
	d := NewDecoder(b)
	mm := decodeMgrMap(d)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: mgrmap: %w", err)
	}
	return mm, nil
}

func decodeMgrMap(d *Decoder) *MgrMap {
	mm := &MgrMap{}
	st := d.StartStruct(12, "MgrMap")
	if d.Err() == nil && st.V < 6 {
		d.Fail(fmt.Errorf("%w: MgrMap v%d (pre-nautilus) not supported", ErrIncompatible, st.V))
	}
	mm.Epoch = d.U32()
	mm.ActiveAddrs = d.AddrVec()
	mm.ActiveGID = d.U64()
	mm.Available = d.Bool()
	mm.ActiveName = d.String()
	mm.Standbys = DecodeMap(d, 14, (*Decoder).U64, decodeStandbyInfo)
	mm.Modules = d.Strings()
	mm.Services = d.StringMap()
	mm.AvailableModules = DecodeSlice(d, 10, decodeModuleInfo)
	if st.V >= 7 {
		mm.ActiveChange = d.Utime()
	}
	if st.V >= 8 {
		mm.AlwaysOnModules = DecodeMap(d, 8, (*Decoder).U32, (*Decoder).Strings)
	}
	if st.V >= 9 {
		mm.ActiveMgrFeatures = d.U64()
	}
	if st.V >= 10 {
		mm.LastFailureOSDEpoch = d.U32()
	}
	if st.V >= 11 {
		addrs := DecodeSlice(d, 5, (*Decoder).AddrVec)
		var names []string
		if st.V >= 12 {
			names = d.Strings()
		}
		mm.Clients = zipClients(d, addrs, names, st.V >= 12)
	}
	d.FinishStruct(st, "MgrMap")
	return mm
}

func zipClients(d *Decoder, addrs [][]wire.EntityAddr, names []string, haveNames bool) []MgrClient {
	if d.Err() != nil {
		return nil
	}
	if haveNames && len(names) != len(addrs) {
		d.Fail(fmt.Errorf("%w: %d client names for %d client addrvecs", ErrMalformed, len(names), len(addrs)))
		return nil
	}
	var out []MgrClient
	for i, a := range addrs {
		c := MgrClient{Addrs: a}
		if haveNames {
			c.Name = names[i]
		}
		out = append(out, c)
	}
	return out
}

// MgrMapMsg (MSG_MGR_MAP, v1) carries a MgrMap, encoded in place (not in a
// bufferlist), as Ceph's MMgrMap does.
type MgrMapMsg struct {
	Map MgrMap
}

// Type implements Payload.
func (*MgrMapMsg) Type() uint16 { return TypeMgrMap }

// EncodeTo implements Payload.
func (p *MgrMapMsg) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Map.encode(e)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *MgrMapMsg) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		if mm := decodeMgrMap(d); d.Err() == nil {
			p.Map = *mm
		}
	})
}

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

func (c CommandDesc) encode(e *Encoder) {
	st := e.StartStruct(1, 1)
	e.String(c.Cmd)
	e.String(c.Help)
	e.String(c.Module)
	e.String(c.Perm)
	avail := c.Availability
	if avail == "" {
		avail = "cli,rest"
	}
	e.String(avail)
	e.U64(c.Flags)
	e.FinishStruct(st)
}

func decodeCommandDesc(d *Decoder) CommandDesc {
	st := d.StartStruct(1, "MonCommand")
	c := CommandDesc{Cmd: d.String(), Help: d.String(), Module: d.String(), Perm: d.String(), Availability: d.String()}
	c.Flags = d.U64()
	d.FinishStruct(st, "MonCommand")
	return c
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
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.AddrVec(p.Addrs)
	e.U64(p.GID)
	e.Bool(p.Available)
	e.String(p.Name)
	e.UUID(p.FSID)
	e.StringSet(moduleNames(p.Modules))
	EncodeSlice(e, p.CommandDescs, func(e *Encoder, v CommandDesc) { v.encode(e) })
	e.StringMap(p.Metadata)
	e.StringMap(p.Services)
	EncodeSlice(e, p.Modules, func(e *Encoder, v ModuleInfo) { v.encode(e) })
	e.U64(p.MgrFeatures)
	encodeClients(e, sortClients(p.Clients))
	if p.Runtime != nil {
		st := e.StartStruct(1, 1)
		EncodeSlice(e, p.Runtime, func(e *Encoder, r ModuleRuntime) {
			e.String(r.Name)
			e.String(r.Kind)
			e.String(r.State)
		})
		e.FinishStruct(st)
	}
	setHeader(m, 11, 8, e)
	m.Priority = msgr.PrioHigh
}

// DecodeFrom implements Payload.
func (p *MgrBeacon) DecodeFrom(m *msgr.Message) error {
	if m.Version < 8 {
		return fmt.Errorf("%w: MMgrBeacon v%d (pre-nautilus) not supported", ErrIncompatible, m.Version)
	}
	*p = MgrBeacon{}
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.Addrs = d.AddrVec()
		p.GID = d.U64()
		p.Available = d.Bool()
		p.Name = d.String()
		p.FSID = d.UUID()
		d.Strings() // module names, superseded by Modules
		p.CommandDescs = DecodeSlice(d, 6, decodeCommandDesc)
		p.Metadata = d.StringMap()
		p.Services = d.StringMap()
		p.Modules = DecodeSlice(d, 10, decodeModuleInfo)
		if m.Version >= 9 {
			p.MgrFeatures = d.U64()
		}
		if m.Version >= 10 {
			addrs := DecodeSlice(d, 5, (*Decoder).AddrVec)
			var cn []string
			if m.Version >= 11 {
				cn = d.Strings()
			}
			p.Clients = zipClients(d, addrs, cn, m.Version >= 11)
		}
		if m.Version >= 11 && !d.Done() {
			st := d.StartStruct(1, "gomgr beacon extension")
			p.Runtime = DecodeSlice(d, 12, func(d *Decoder) ModuleRuntime {
				return ModuleRuntime{Name: d.String(), Kind: d.String(), State: d.String()}
			})
			d.FinishStruct(st, "gomgr beacon extension")
		}
	})
}
