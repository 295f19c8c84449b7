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
func (p *MgrOpen) EncodeTo(m *msgr.Message) { encodePayload(m, p, 3, 1) }

// DecodeFrom implements Payload.
func (p *MgrOpen) DecodeFrom(m *msgr.Message) error {
	*p = MgrOpen{}
	return decodePayload(m, p)
}

func (p *MgrOpen) denc(c Denc, v uint16) {
	c.String(&p.DaemonName)
	if v >= 2 {
		c.String(&p.ServiceName)
		c.Bool(&p.ServiceDaemon)
		if p.ServiceDaemon {
			c.StringMap(&p.DaemonMetadata)
			c.StringMap(&p.DaemonStatus)
		}
	}
	if v >= 3 {
		c.Bufferlist(&p.ConfigBL)
		c.Bufferlist(&p.ConfigDefaultsBL)
	}
}

// MgrConfigure (MSG_MGR_CONFIGURE, v4): the mgr tells a daemon how often
// (seconds) to report, which counters (priority threshold) to include,
// and, to an OSD, the OSD perf metric queries to collect: a pacific mgr
// sends them in OSDPerfMetricQueries and no MetricConfig (which it uses for
// an MDS's queries). A pacific OSD takes OSDPerfMetricQueries when there
// are any, else an OSD MetricConfig's (MgrClient::handle_mgr_configure):
// so an empty map alone does not clear an OSD's queries.
type MgrConfigure struct {
	StatsPeriod          uint32
	StatsThreshold       uint32
	OSDPerfMetricQueries []OSDPerfQueryLimits // Ceph's map, in its key order
	MetricConfig         *MetricConfig        // optional: nil is "none"
}

// Type implements Payload.
func (*MgrConfigure) Type() uint16 { return TypeMgrConfigure }

// EncodeTo implements Payload.
func (p *MgrConfigure) EncodeTo(m *msgr.Message) { encodePayload(m, p, 4, 1) }

// DecodeFrom implements Payload.
func (p *MgrConfigure) DecodeFrom(m *msgr.Message) error {
	*p = MgrConfigure{}
	return decodePayload(m, p)
}

// The parts after the threshold are read only when there are bytes for
// them: gomgr's simulated daemons have sent v4 messages without them.
func (p *MgrConfigure) denc(c Denc, v uint16) {
	c.U32(&p.StatsPeriod)
	if v >= 2 {
		c.U32(&p.StatsThreshold)
	}
	if v >= 3 && c.More(true) {
		dencQueryLimits(c, &p.OSDPerfMetricQueries)
	}
	if v >= 4 && c.More(true) {
		present := p.MetricConfig != nil
		c.Bool(&present)
		if present {
			if c.Decoding() {
				p.MetricConfig = new(MetricConfig)
			}
			p.MetricConfig.denc(c)
		}
	}
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

func (t *PerfCounterType) denc(c Denc) {
	st := c.Start(3, 1, "PerfCounterType")
	c.String(&t.Path)
	c.String(&t.Description)
	c.String(&t.Nick)
	c.U8(&t.Type)
	if st.V >= 2 {
		c.U8(&t.Priority)
	} else {
		t.Priority = PerfPrioUseful
	}
	if st.V >= 3 {
		c.U8(&t.Unit)
	}
	c.Finish(st)
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
// Types already in order (as a daemon usually keeps them) are not copied.
func sortedTypes(types []PerfCounterType) []PerfCounterType {
	byPath := func(a, b PerfCounterType) int { return strings.Compare(a.Path, b.Path) }
	if slices.IsSortedFunc(types, byPath) {
		return types
	}
	out := slices.Clone(types)
	slices.SortFunc(out, byPath)
	return out
}

// PackCounters builds MgrReport.Packed as Ceph's MgrClient does: a struct
// v1 holding, for every counter declared in the session (types, in any
// order; packed in path order as Ceph does), le64 value, followed for
// long-run averages by le64 avgcount and le64 avgcount2. Histograms carry
// one le64 like plain counters: that is all Ceph's mgr reads for them. vals maps each path to its value; a
// missing path packs as zero.
func PackCounters(types []PerfCounterType, vals map[string]CounterValue) ([]byte, error) {
	e := NewEncoder(make([]byte, 0, 6+8*len(types)))
	dencCounters(e.Denc(), types, vals)
	return e.Bytes(), nil
}

// UnpackCounters reads Packed back given every counter declared in the
// session (and not undeclared since), returning values by path.
func UnpackCounters(types []PerfCounterType, packed []byte) (map[string]CounterValue, error) {
	d := NewDecoder(packed)
	out := make(map[string]CounterValue, min(len(types), len(packed)/8))
	dencCounters(d.Denc(), types, out)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: packed counters: %w", err)
	}
	return out, nil
}

// dencCounters lists the packed counters: vals is read when encoding and
// filled in when decoding.
func dencCounters(c Denc, types []PerfCounterType, vals map[string]CounterValue) {
	st := c.Start(1, 1, "packed counters")
	for _, t := range sortedTypes(types) {
		if c.Err() != nil {
			break
		}
		v := vals[t.Path]
		c.U64(&v.Value)
		if t.Type&PerfLongRunAvg != 0 {
			c.U64(&v.AvgCount)
			c.U64(&v.AvgCount2)
		}
		if c.Decoding() {
			vals[t.Path] = v
		}
	}
	c.Finish(st)
}

// MgrReport (MSG_MGR_REPORT, v9 compat 1): a daemon's periodic report to the
// active mgr. The fields up to MetricReport are Ceph's, in Ceph's order;
// the health metrics, which gomgr does not use, are kept raw. A pacific OSD
// reports its perf metric queries' counters in MetricReport (an OSD
// payload), and leaves OSDPerfMetricReports, the older field, empty. After
// them comes a gomgr extension, a struct v2 sent only when Metadata is
// set: the daemon's metadata (v1 also carried PG and OSD stats as JSON; PG
// statistics now travel in MPGStats, as Ceph's). Ceph ignores trailing
// bytes in a message front, so a real ceph-mgr still reads the Ceph part.
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
	OSDPerfMetricReports []OSDPerfQueryReport // Ceph's map, in its key order
	TaskStatus           map[string]string
	// MetricReport is the optional<MetricReportMessage>: nil is "none".
	// One that is not an OSD's runs to the end of the front (its Rest), so
	// a report that has one carries no gomgr extension.
	MetricReport *MetricReport

	// gomgr extension.
	Metadata map[string]string
}

// Type implements Payload.
func (*MgrReport) Type() uint16 { return TypeMgrReport }

// dencOptMap lists an optional<map<string,string>>: nil is "none".
func dencOptMap(c Denc, m *map[string]string) {
	present := *m != nil
	c.Bool(&present)
	if !present {
		return
	}
	c.StringMap(m)
	if *m == nil && c.Err() == nil {
		*m = map[string]string{} // decoded: present, but empty
	}
}

// EncodeTo implements Payload.
func (p *MgrReport) EncodeTo(m *msgr.Message) { encodePayload(m, p, 9, 1) }

// DecodeFrom implements Payload.
func (p *MgrReport) DecodeFrom(m *msgr.Message) error {
	*p = MgrReport{}
	return decodePayload(m, p)
}

func (p *MgrReport) denc(c Denc, v uint16) {
	c.String(&p.DaemonName)
	DencSlice(c, &p.DeclareTypes, 6, elem[PerfCounterType])
	c.Bufferlist(&p.Packed)
	if v >= 2 {
		c.Strings(&p.UndeclareTypes)
	}
	if v >= 3 {
		c.String(&p.ServiceName)
		dencOptMap(c, &p.DaemonStatus)
	}
	if v >= 5 {
		DencSlice(c, &p.HealthMetrics, 6, Denc.RawStruct)
	}
	if v >= 6 {
		c.Bufferlist(&p.ConfigBL)
	}
	if v >= 7 {
		dencQueryReports(c, &p.OSDPerfMetricReports)
	}
	if v >= 8 {
		dencOptMap(c, &p.TaskStatus)
	}
	if v >= 9 {
		present := p.MetricReport != nil
		c.Bool(&present)
		if present {
			if c.Decoding() {
				p.MetricReport = new(MetricReport)
			}
			p.MetricReport.denc(c)
			if p.MetricReport.Type != MetricTypeOSD {
				return
			}
		}
	}
	// The gomgr extension: encoded v2 compat 1, decoded by a v1 decoder,
	// which is all it needs.
	if c.More(p.Metadata != nil) {
		st := c.StartCompat(2, 1, 1, "gomgr report extension")
		c.StringMap(&p.Metadata)
		c.Finish(st)
	}
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
func (p *MgrDigest) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *MgrDigest) DecodeFrom(m *msgr.Message) error {
	*p = MgrDigest{}
	return decodePayload(m, p)
}

func (p *MgrDigest) denc(c Denc, _ uint16) {
	c.Bufferlist(&p.MonStatusJSON)
	c.Bufferlist(&p.HealthJSON)
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
func (p *ServiceMapMsg) EncodeTo(m *msgr.Message) { encodePayload(m, p, 1, 1) }

// DecodeFrom implements Payload.
func (p *ServiceMapMsg) DecodeFrom(m *msgr.Message) error {
	*p = ServiceMapMsg{}
	return decodePayload(m, p)
}

func (p *ServiceMapMsg) denc(c Denc, _ uint16) { c.RawStruct(&p.Map) }

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
	encodePayload(m, p, 1, 1)
	m.Data = p.Inbl
}

// DecodeFrom implements Payload.
func (p *MgrCommand) DecodeFrom(m *msgr.Message) error {
	*p = MgrCommand{Inbl: m.Data}
	return decodePayload(m, p)
}

func (p *MgrCommand) denc(c Denc, _ uint16) {
	c.UUID(&p.FSID)
	c.Strings(&p.Cmd)
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
	encodePayload(m, p, 1, 1)
	m.Data = p.Outbl
}

// DecodeFrom implements Payload.
func (p *MgrCommandReply) DecodeFrom(m *msgr.Message) error {
	*p = MgrCommandReply{Outbl: m.Data}
	return decodePayload(m, p)
}

func (p *MgrCommandReply) denc(c Denc, _ uint16) {
	c.S32(&p.R)
	c.String(&p.RS)
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

// DaemonConfig is the config_bl of an MMgrOpen or MMgrReport: each option
// the daemon has set, by name, its value at each level that set it (Ceph's
// map<string, map<int32_t, string>>).
type DaemonConfig map[string]map[int32]string

// ParseDaemonConfig decodes a daemon's config_bl.
func ParseDaemonConfig(b []byte) (DaemonConfig, error) {
	cfg, err := parseStruct(b, "daemon config", (*DaemonConfig).denc)
	if err != nil {
		return nil, err
	}
	return *cfg, nil
}

// Marshal encodes the config as a daemon sends it.
func (cfg DaemonConfig) Marshal() []byte { return marshalStruct(&cfg, (*DaemonConfig).denc) }

func (cfg *DaemonConfig) denc(c Denc) {
	m := (*map[string]map[int32]string)(cfg)
	DencMap(c, m, 8, Denc.String, func(c Denc, v *map[int32]string) { DencMap(c, v, 8, Denc.S32, Denc.String) })
}
