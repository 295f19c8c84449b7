package messages

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gomgr/msgr"
)

// MgrOpen (MSG_MGR_OPEN, v3): a daemon's first message to the active mgr:
// who it is, whether it is a service daemon (then with metadata and status),
// and its current config (encoded map<string,map<int32,string>>) and
// compiled-in defaults (encoded map<string,string>), both kept opaque.
type MgrOpen struct {
	DaemonName       string
	ServiceName      string
	ServiceDaemon    bool
	DaemonMetadata   map[string]string // sent only if ServiceDaemon
	DaemonStatus     map[string]string // sent only if ServiceDaemon
	ConfigBL         []byte
	ConfigDefaultsBL []byte
}

// Type implements Payload.
func (*MgrOpen) Type() uint16 { return TypeMgrOpen }

// EncodeTo implements Payload.
func (p *MgrOpen) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.String(p.DaemonName)
	e.String(p.ServiceName)
	e.Bool(p.ServiceDaemon)
	if p.ServiceDaemon {
		e.StringMap(p.DaemonMetadata)
		e.StringMap(p.DaemonStatus)
	}
	e.Bufferlist(p.ConfigBL)
	e.Bufferlist(p.ConfigDefaultsBL)
	setHeader(m, 3, 1, e)
}

// DecodeFrom implements Payload.
func (p *MgrOpen) DecodeFrom(m *msgr.Message) error {
	*p = MgrOpen{}
	return decodeFront(m, func(d *Decoder) {
		p.DaemonName = d.String()
		if m.Version >= 2 {
			p.ServiceName = d.String()
			p.ServiceDaemon = d.Bool()
			if p.ServiceDaemon {
				p.DaemonMetadata = d.StringMap()
				p.DaemonStatus = d.StringMap()
			}
		}
		if m.Version >= 3 {
			p.ConfigBL = d.Bufferlist()
			p.ConfigDefaultsBL = d.Bufferlist()
		}
	})
}

// MgrConfigure (MSG_MGR_CONFIGURE, v4): the mgr tells a daemon how often
// (seconds) to report and which counters (priority threshold) to include.
// Ceph's OSD perf metric queries and metric config follow; gomgr does not
// interpret them and keeps their bytes in Rest (nil encodes "none").
type MgrConfigure struct {
	StatsPeriod    uint32
	StatsThreshold uint32
	Rest           []byte
}

// Type implements Payload.
func (*MgrConfigure) Type() uint16 { return TypeMgrConfigure }

// EncodeTo implements Payload.
func (p *MgrConfigure) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U32(p.StatsPeriod)
	e.U32(p.StatsThreshold)
	if p.Rest != nil {
		e.Raw(p.Rest)
	} else {
		e.U32(0) // no osd_perf_metric_queries
		e.U8(0)  // no metric_config_message
	}
	setHeader(m, 4, 1, e)
}

// DecodeFrom implements Payload.
func (p *MgrConfigure) DecodeFrom(m *msgr.Message) error {
	*p = MgrConfigure{}
	return decodeFront(m, func(d *Decoder) {
		p.StatsPeriod = d.U32()
		if m.Version >= 2 {
			p.StatsThreshold = d.U32()
		}
		if m.Version >= 3 && !d.Done() {
			p.Rest = d.Rest()
			if string(p.Rest) == "\x00\x00\x00\x00\x00" {
				p.Rest = nil // no queries, no metric config: what EncodeTo sends
			}
		}
	})
}

// Perf counter type bits (perfcounter_type_d).
const (
	PerfTime       = 0x1
	PerfU64        = 0x2
	PerfLongRunAvg = 0x4
	PerfCounter    = 0x8
	PerfHistogram  = 0x10
)

// Perf counter priorities (PerfCountersBuilder::PRIO_*).
const (
	PerfPrioCritical      = 10
	PerfPrioInteresting   = 8
	PerfPrioUseful        = 5
	PerfPrioUninteresting = 2
	PerfPrioDebugOnly     = 0
)

// PerfCounterType is one counter's schema (struct v3), sent once per
// session in MgrReport.DeclareTypes before its values appear in Packed.
type PerfCounterType struct {
	Path        string // "osd.op_w"
	Description string
	Nick        string
	Type        uint8 // Perf* bits
	Priority    uint8 // Prio*
	Unit        uint8 // 0 bytes, 1 none (unit_t)
}

func (t PerfCounterType) encode(e *Encoder) {
	st := e.StartStruct(3, 1)
	e.String(t.Path)
	e.String(t.Description)
	e.String(t.Nick)
	e.U8(t.Type)
	e.U8(t.Priority)
	e.U8(t.Unit)
	e.FinishStruct(st)
}

func decodePerfCounterType(d *Decoder) PerfCounterType {
	st := d.StartStruct(3, "PerfCounterType")
	t := PerfCounterType{Path: d.String(), Description: d.String(), Nick: d.String(), Type: d.U8(), Priority: PerfPrioUseful}
	if st.V >= 2 {
		t.Priority = d.U8()
	}
	if st.V >= 3 {
		t.Unit = d.U8()
	}
	d.FinishStruct(st, "PerfCounterType")
	return t
}

// CounterValue is one counter's value. Long-run averages also carry their
// count twice (Ceph's avgcount and avgcount2, read as a pair to detect a
// torn read); Value is then the sum.
type CounterValue struct {
	Value     uint64
	AvgCount  uint64
	AvgCount2 uint64
}

// sortedTypes orders counter types by path: Ceph keeps a session's
// declared counters in a std::set<string> and packs values in that order.
func sortedTypes(types []PerfCounterType) []PerfCounterType {
	out := slices.Clone(types)
	slices.SortFunc(out, func(a, b PerfCounterType) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// PackCounters builds MgrReport.Packed as Ceph's MgrClient does: a struct
// v1 holding, for every counter declared in the session (types, in any
// order; packed in path order as Ceph does), le64 value, followed for
// long-run averages by le64 avgcount and le64 avgcount2. Histograms carry
// one le64 like plain counters: that is all Ceph's mgr reads for them. vals maps each path to its value; a
// missing path packs as zero.
func PackCounters(types []PerfCounterType, vals map[string]CounterValue) ([]byte, error) {
	e := NewEncoder(nil)
	st := e.StartStruct(1, 1)
	for _, t := range sortedTypes(types) {
		v := vals[t.Path]
		e.U64(v.Value)
		if t.Type&PerfLongRunAvg != 0 {
			e.U64(v.AvgCount)
			e.U64(v.AvgCount2)
		}
	}
	e.FinishStruct(st)
	return e.Bytes(), nil
}

// UnpackCounters reads Packed back given every counter declared in the
// session (and not undeclared since), returning values by path.
func UnpackCounters(types []PerfCounterType, packed []byte) (map[string]CounterValue, error) {
	d := NewDecoder(packed)
	st := d.StartStruct(1, "packed counters")
	out := make(map[string]CounterValue, min(len(types), len(packed)/8))
	for _, t := range sortedTypes(types) {
		if d.Err() != nil {
			break
		}
		v := CounterValue{Value: d.U64()}
		if t.Type&PerfLongRunAvg != 0 {
			v.AvgCount = d.U64()
			v.AvgCount2 = d.U64()
		}
		out[t.Path] = v
	}
	d.FinishStruct(st, "packed counters")
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: packed counters: %w", err)
	}
	return out, nil
}

// RawPair is a map entry whose key and value are structs gomgr carries but
// does not interpret.
type RawPair struct {
	Key, Value RawStruct
}

// MgrReport (MSG_MGR_REPORT, v9 compat 1): a daemon's periodic report to the
// active mgr. The fields up to MetricReport are Ceph's, in Ceph's order;
// the structs gomgr does not use (health metrics, OSD perf metric reports)
// are kept raw. After them comes a gomgr extension, a struct v2 sent only
// when Metadata is set: the daemon's metadata (v1 also carried PG and OSD
// stats as JSON; PG statistics now travel in MPGStats, as Ceph's). Ceph
// ignores trailing bytes in a message front, so a real ceph-mgr still reads
// the Ceph part.
type MgrReport struct {
	DaemonName     string
	DeclareTypes   []PerfCounterType
	Packed         []byte // see PackCounters
	UndeclareTypes []string
	ServiceName    string
	// DaemonStatus and TaskStatus are optionals: nil is "none".
	DaemonStatus         map[string]string
	HealthMetrics        []RawStruct // DaemonHealthMetric
	ConfigBL             []byte
	OSDPerfMetricReports []RawPair
	TaskStatus           map[string]string
	// MetricReport is the raw optional<MetricReportMessage> body (after
	// its presence byte) as Ceph sent it; it runs to the end of the front,
	// so a report that has one carries no gomgr extension.
	MetricReport []byte

	// gomgr extension.
	Metadata map[string]string
}

// Type implements Payload.
func (*MgrReport) Type() uint16 { return TypeMgrReport }

func encodeOptMap(e *Encoder, m map[string]string) {
	if m == nil {
		e.U8(0)
		return
	}
	e.U8(1)
	e.StringMap(m)
}

func decodeOptMap(d *Decoder) map[string]string {
	if !d.Bool() {
		return nil
	}
	m := d.StringMap()
	if m == nil && d.Err() == nil {
		m = map[string]string{}
	}
	return m
}

// EncodeTo implements Payload.
func (p *MgrReport) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.String(p.DaemonName)
	EncodeSlice(e, p.DeclareTypes, func(e *Encoder, v PerfCounterType) { v.encode(e) })
	e.Bufferlist(p.Packed)
	e.Strings(p.UndeclareTypes)
	e.String(p.ServiceName)
	encodeOptMap(e, p.DaemonStatus)
	EncodeSlice(e, p.HealthMetrics, func(e *Encoder, v RawStruct) { v.Encode(e) })
	e.Bufferlist(p.ConfigBL)
	EncodeSlice(e, p.OSDPerfMetricReports, func(e *Encoder, kv RawPair) {
		kv.Key.Encode(e)
		kv.Value.Encode(e)
	})
	encodeOptMap(e, p.TaskStatus)
	if p.MetricReport != nil {
		e.U8(1)
		e.Raw(p.MetricReport)
	} else {
		e.U8(0)
		if p.Metadata != nil {
			st := e.StartStruct(2, 1)
			e.StringMap(p.Metadata)
			e.FinishStruct(st)
		}
	}
	setHeader(m, 9, 1, e)
}

// DecodeFrom implements Payload.
func (p *MgrReport) DecodeFrom(m *msgr.Message) error {
	*p = MgrReport{}
	return decodeFront(m, func(d *Decoder) {
		p.DaemonName = d.String()
		p.DeclareTypes = DecodeSlice(d, 6, decodePerfCounterType)
		p.Packed = d.Bufferlist()
		if m.Version >= 2 {
			p.UndeclareTypes = d.Strings()
		}
		if m.Version >= 3 {
			p.ServiceName = d.String()
			p.DaemonStatus = decodeOptMap(d)
		}
		if m.Version >= 5 {
			p.HealthMetrics = DecodeSlice(d, 6, DecodeRawStruct)
		}
		if m.Version >= 6 {
			p.ConfigBL = d.Bufferlist()
		}
		if m.Version >= 7 {
			p.OSDPerfMetricReports = DecodeSlice(d, 12, func(d *Decoder) RawPair {
				return RawPair{Key: DecodeRawStruct(d), Value: DecodeRawStruct(d)}
			})
		}
		if m.Version >= 8 {
			p.TaskStatus = decodeOptMap(d)
		}
		if m.Version >= 9 {
			if d.Bool() {
				p.MetricReport = d.Rest()
				if p.MetricReport == nil {
					p.MetricReport = []byte{}
				}
				return
			}
		}
		if !d.Done() {
			st := d.StartStruct(1, "gomgr report extension")
			p.Metadata = d.StringMap()
			d.FinishStruct(st, "gomgr report extension")
		}
	})
}

// MgrDigest (MSG_MGR_DIGEST, v1): the mon's status and health as JSON, sent
// to the active mgr (Ceph's mon_status_json and health_json).
type MgrDigest struct {
	MonStatusJSON []byte
	HealthJSON    []byte
}

// Type implements Payload.
func (*MgrDigest) Type() uint16 { return TypeMgrDigest }

// EncodeTo implements Payload.
func (p *MgrDigest) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.Bufferlist(p.MonStatusJSON)
	e.Bufferlist(p.HealthJSON)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *MgrDigest) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.MonStatusJSON = d.Bufferlist()
		p.HealthJSON = d.Bufferlist()
	})
}

// ServiceMapMsg (MSG_SERVICE_MAP, v1) carries the ServiceMap struct. From a
// real Ceph it is Ceph's binary ServiceMap (struct v1: epoch, modified,
// services); gomgr's mon sends it in the JSON struct form (JSONStruct) with
// the shape of `ceph service dump -f json`. ServiceMap decodes either form
// into a ServiceMap, JSON renders either as `ceph service dump -f json`,
// and NewServiceMapMsg builds the binary form (servicemap.go).
type ServiceMapMsg struct {
	Map RawStruct
}

// Type implements Payload.
func (*ServiceMapMsg) Type() uint16 { return TypeServiceMap }

// EncodeTo implements Payload.
func (p *ServiceMapMsg) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Map.Encode(e)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *ServiceMapMsg) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) { p.Map = DecodeRawStruct(d) })
}

// Epoch reads the map's epoch in either form.
func (p *ServiceMapMsg) Epoch() (uint32, error) {
	if p.Map.IsJSON() {
		var v struct {
			Epoch uint32 `json:"epoch"`
		}
		if err := json.Unmarshal(p.Map.Body, &v); err != nil {
			return 0, fmt.Errorf("%w: service map json: %w", ErrMalformed, err)
		}
		return v.Epoch, nil
	}
	d := NewDecoder(p.Map.Body)
	ep := d.U32()
	return ep, d.Err()
}

// MgrCommand (MSG_MGR_COMMAND, v1; Ceph's MCommand sent to a mgr): a
// command as JSON strings, input in the data segment.
type MgrCommand struct {
	FSID UUID
	Cmd  []string
	Inbl []byte // the data segment
}

// Type implements Payload.
func (*MgrCommand) Type() uint16 { return TypeMgrCommand }

// EncodeTo implements Payload.
func (p *MgrCommand) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.UUID(p.FSID)
	e.Strings(p.Cmd)
	setHeader(m, 1, 1, e)
	m.Data = p.Inbl
}

// DecodeFrom implements Payload.
func (p *MgrCommand) DecodeFrom(m *msgr.Message) error {
	p.Inbl = m.Data
	return decodeFront(m, func(d *Decoder) {
		p.FSID = d.UUID()
		p.Cmd = d.Strings()
	})
}

// MgrCommandReply (MSG_MGR_COMMAND_REPLY, v1; Ceph's MCommandReply):
// result code, status string, output in the data segment.
type MgrCommandReply struct {
	R     int32
	RS    string
	Outbl []byte // the data segment
}

// Type implements Payload.
func (*MgrCommandReply) Type() uint16 { return TypeMgrCommandReply }

// EncodeTo implements Payload.
func (p *MgrCommandReply) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.S32(p.R)
	e.String(p.RS)
	setHeader(m, 1, 1, e)
	m.Data = p.Outbl
}

// DecodeFrom implements Payload.
func (p *MgrCommandReply) DecodeFrom(m *msgr.Message) error {
	p.Outbl = m.Data
	return decodeFront(m, func(d *Decoder) {
		p.R = d.S32()
		p.RS = d.String()
	})
}

// TellCommand (MSG_COMMAND, 97, v1) is Ceph's MCommand sent straight to a
// daemon (`ceph tell mgr ...`): the same fields as MgrCommand under another
// type id.
type TellCommand struct{ MgrCommand }

// Type implements Payload.
func (*TellCommand) Type() uint16 { return TypeCommand }

// TellCommandReply (MSG_COMMAND_REPLY, 98, v1) answers a TellCommand.
type TellCommandReply struct{ MgrCommandReply }

// Type implements Payload.
func (*TellCommandReply) Type() uint16 { return TypeCommandReply }
