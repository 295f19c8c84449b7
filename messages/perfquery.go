package messages

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
)

// OSD perf metric queries (Ceph's src/mgr/OSDPerfMetricTypes.h and
// MetricTypes.h, 16.2 "pacific"): a module asks the mgr for per-key I/O
// counters (add_osd_perf_query), the mgr sends the queries to every OSD in
// MMgrConfigure, and each OSD reports its counters per key in MMgrReport.
// The structs here are Ceph's, with Ceph's encodings; maps keyed by a
// struct are kept as slices and encoded in Ceph's key order.

// OSD perf metric sub-key types (OSDPerfMetricSubKeyType): what a key
// descriptor's regex is matched against on the OSD.
const (
	OSDPerfSubKeyClientID uint8 = iota
	OSDPerfSubKeyClientAddress
	OSDPerfSubKeyPoolID
	OSDPerfSubKeyNamespace
	OSDPerfSubKeyOSDID
	OSDPerfSubKeyPGID
	OSDPerfSubKeyObjectName
	OSDPerfSubKeySnapID
)

// OSDPerfSubKeyNames are the sub-key types by value, with the names a
// module gives them (BaseMgrModule.cc's sub_key_types).
var OSDPerfSubKeyNames = []string{"client_id", "client_address", "pool_id", "namespace", "osd_id", "pg_id", "object_name", "snap_id"}

// OSD perf counter types (PerformanceCounterType). The latency types are
// a [sum, count] pair; the rest a single value.
const (
	OSDPerfOps uint8 = iota
	OSDPerfWriteOps
	OSDPerfReadOps
	OSDPerfBytes
	OSDPerfWriteBytes
	OSDPerfReadBytes
	OSDPerfLatency
	OSDPerfWriteLatency
	OSDPerfReadLatency
)

// OSDPerfCounterNames are the counter types by value, with the names a
// module gives them (BaseMgrModule.cc's counter_types).
var OSDPerfCounterNames = []string{"ops", "write_ops", "read_ops", "bytes", "write_bytes", "read_bytes", "latency", "write_latency", "read_latency"}

// osdPerfPair reports whether a counter of type t packs two values (a
// latency's sum and count), as PerformanceCounterDescriptor::pack_counter.
// ok is false for a type this Ceph does not know.
func osdPerfPair(t uint8) (pair, ok bool) {
	switch {
	case t <= OSDPerfReadBytes:
		return false, true
	case t <= OSDPerfReadLatency:
		return true, true
	}
	return false, false
}

// OSDPerfSubKeyDescriptor is OSDPerfMetricSubKeyDescriptor (struct v1):
// the OSD matches Regex against the op's Type field; the regex's capture
// groups make the sub-key.
type OSDPerfSubKeyDescriptor struct {
	Type  uint8
	Regex string
}

func (s *OSDPerfSubKeyDescriptor) denc(c Denc) {
	st := c.Start(1, 1, "OSDPerfMetricSubKeyDescriptor")
	c.U8(&s.Type)
	c.String(&s.Regex)
	c.Finish(st)
}

func cmpSubKeyDescriptor(a, b OSDPerfSubKeyDescriptor) int {
	return cmp.Or(cmp.Compare(a.Type, b.Type), strings.Compare(a.Regex, b.Regex))
}

// OSDPerfMetricQuery is Ceph's OSDPerfMetricQuery (struct v1): the key
// descriptor and the counters wanted (PerformanceCounterDescriptor, each
// a struct v1 of one type byte). Both vectors are counted with a varint,
// as Ceph's denc_traits for them do.
type OSDPerfMetricQuery struct {
	KeyDescriptor []OSDPerfSubKeyDescriptor
	Counters      []uint8 // OSDPerf* counter types
}

func (q *OSDPerfMetricQuery) denc(c Denc) {
	st := c.Start(1, 1, "OSDPerfMetricQuery")
	dencVarSlice(c, &q.KeyDescriptor, 7, elem[OSDPerfSubKeyDescriptor])
	dencCounterDescriptors(c, &q.Counters)
	c.Finish(st)
}

// CompareOSDPerfQueries orders queries as Ceph's OSDPerfMetricQuery
// operator< does: by key descriptor, then counters, each vector
// lexicographically. Ceph's maps keyed by a query are in this order.
func CompareOSDPerfQueries(a, b OSDPerfMetricQuery) int {
	return cmp.Or(slices.CompareFunc(a.KeyDescriptor, b.KeyDescriptor, cmpSubKeyDescriptor),
		slices.Compare(a.Counters, b.Counters))
}

// Marshal is the query's encoding: two queries are the same query (one
// key of Ceph's map) when their encodings are equal.
func (q OSDPerfMetricQuery) Marshal() []byte { return marshalStruct(&q, (*OSDPerfMetricQuery).denc) }

// dencCounterDescriptors lists a PerformanceCounterDescriptors: a varint
// count, then each descriptor as a struct v1 holding its type.
func dencCounterDescriptors(c Denc, v *[]uint8) {
	dencVarSlice(c, v, 7, func(c Denc, t *uint8) {
		st := c.Start(1, 1, "PerformanceCounterDescriptor")
		c.U8(t)
		c.Finish(st)
	})
}

// OSDPerfMetricLimit is Ceph's OSDPerfMetricLimit (struct v1): an OSD
// reports only the MaxCount keys with the highest OrderBy counter.
type OSDPerfMetricLimit struct {
	OrderBy  uint8 // an OSDPerf* counter type, encoded as its descriptor
	MaxCount uint64
}

func (l *OSDPerfMetricLimit) denc(c Denc) {
	st := c.Start(1, 1, "OSDPerfMetricLimit")
	ob := c.Start(1, 1, "PerformanceCounterDescriptor")
	c.U8(&l.OrderBy)
	c.Finish(ob)
	c.U64(&l.MaxCount)
	c.Finish(st)
}

func cmpLimit(a, b OSDPerfMetricLimit) int {
	return cmp.Or(cmp.Compare(a.OrderBy, b.OrderBy), cmp.Compare(a.MaxCount, b.MaxCount))
}

// OSDPerfQueryLimits is one entry of Ceph's
// map<OSDPerfMetricQuery, OSDPerfMetricLimits>: a query and the set of
// its limits (empty: unlimited, some module wants every key).
type OSDPerfQueryLimits struct {
	Query  OSDPerfMetricQuery
	Limits []OSDPerfMetricLimit
}

func (e *OSDPerfQueryLimits) denc(c Denc) {
	e.Query.denc(c)
	lim := &e.Limits
	if c.d == nil && !isSetOf(*lim, cmpLimit) {
		s := slices.Clone(*lim)
		slices.SortFunc(s, cmpLimit)
		s = slices.CompactFunc(s, func(a, b OSDPerfMetricLimit) bool { return a == b })
		lim = &s
	}
	DencSlice(c, lim, 15, elem[OSDPerfMetricLimit])
}

// isSetOf reports whether v is strictly ascending under f (a std::set's order).
func isSetOf[T any](v []T, f func(a, b T) int) bool {
	for i := 1; i < len(v); i++ {
		if f(v[i-1], v[i]) >= 0 {
			return false
		}
	}
	return true
}

// dencQueryLimits lists a map<OSDPerfMetricQuery, OSDPerfMetricLimits>.
func dencQueryLimits(c Denc, v *[]OSDPerfQueryLimits) {
	DencSorted(c, v, 12, func(a, b OSDPerfQueryLimits) int { return CompareOSDPerfQueries(a.Query, b.Query) },
		elem[OSDPerfQueryLimits])
}

// OSDPerfGroup is one entry of a report's group_packed_performance_counters:
// the key (per sub-key descriptor, what the regex's capture groups
// matched) and its counters packed (see UnpackOSDPerfCounters).
type OSDPerfGroup struct {
	Key    [][]string
	Packed []byte
}

func (g *OSDPerfGroup) denc(c Denc) {
	DencSlice(c, &g.Key, 4, Denc.Strings)
	c.Bufferlist(&g.Packed)
}

// CompareOSDPerfKeys orders keys as Ceph's std::map<OSDPerfMetricKey, ...>.
func CompareOSDPerfKeys(a, b [][]string) int {
	return slices.CompareFunc(a, b, slices.Compare[[]string])
}

// OSDPerfMetricReport is Ceph's OSDPerfMetricReport (struct v1): the
// counters an OSD packed, and per key their values since its last report.
type OSDPerfMetricReport struct {
	Counters []uint8 // OSDPerf* counter types
	Groups   []OSDPerfGroup
}

func (r *OSDPerfMetricReport) denc(c Denc) {
	st := c.Start(1, 1, "OSDPerfMetricReport")
	dencCounterDescriptors(c, &r.Counters)
	DencSorted(c, &r.Groups, 8, func(a, b OSDPerfGroup) int { return CompareOSDPerfKeys(a.Key, b.Key) }, elem[OSDPerfGroup])
	c.Finish(st)
}

// OSDPerfQueryReport is one entry of map<OSDPerfMetricQuery,
// OSDPerfMetricReport>: an OSD's report for one query it was sent.
type OSDPerfQueryReport struct {
	Query  OSDPerfMetricQuery
	Report OSDPerfMetricReport
}

func (e *OSDPerfQueryReport) denc(c Denc) {
	e.Query.denc(c)
	e.Report.denc(c)
}

func dencQueryReports(c Denc, v *[]OSDPerfQueryReport) {
	DencSorted(c, v, 14, func(a, b OSDPerfQueryReport) int { return CompareOSDPerfQueries(a.Query, b.Query) },
		elem[OSDPerfQueryReport])
}

// UnpackOSDPerfCounters reads a group's packed counters, one per counter
// type in counters (the report's): le64 value, and for latencies le64
// count after it (PerformanceCounterDescriptor::pack_counter). A type
// Ceph does not know has no known size: unpacking stops with an error.
func UnpackOSDPerfCounters(counters []uint8, packed []byte) ([][2]uint64, error) {
	d := NewDecoder(packed)
	out := make([][2]uint64, 0, min(len(counters), len(packed)/8))
	for _, t := range counters {
		pair, ok := osdPerfPair(t)
		if !ok {
			return out, fmt.Errorf("%w: osd perf counter type %d", ErrMalformed, t)
		}
		var v [2]uint64
		v[0] = d.U64()
		if pair {
			v[1] = d.U64()
		}
		if err := d.Err(); err != nil {
			return out, fmt.Errorf("messages: osd perf counters: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// PackOSDPerfCounters is what an OSD puts in a group's Packed for vals,
// one per counter type (OSDPerfMetricQuery::pack_counters: missing values
// pack as zero).
func PackOSDPerfCounters(counters []uint8, vals [][2]uint64) []byte {
	e := NewEncoder(make([]byte, 0, 16*len(counters)))
	for i, t := range counters {
		var v [2]uint64
		if i < len(vals) {
			v = vals[i]
		}
		e.U64(v[0])
		if pair, _ := osdPerfPair(t); pair {
			e.U64(v[1])
		}
	}
	return e.Bytes()
}

// Metric config and report types (MetricConfigType, MetricReportType).
const (
	MetricTypeOSD uint32 = 0
	MetricTypeMDS uint32 = 1
)

// MetricConfig is Ceph's MetricConfigMessage: a u32 type, then its
// payload. An OSD payload (OSDConfigPayload, struct v1) is decoded into
// OSD; any other type is kept whole in Rest (everything to the end of the
// message), as gomgr sends none.
type MetricConfig struct {
	Type uint32
	OSD  []OSDPerfQueryLimits
	Rest []byte
}

func (m *MetricConfig) denc(c Denc) {
	dencMetricPayload(c, &m.Type, &m.OSD, &m.Rest, "OSDConfigPayload", dencQueryLimits)
}

// MetricReport is Ceph's MetricReportMessage: a u32 type, then its
// payload. An OSD payload (OSDMetricPayload, struct v1: the OSD's reports
// per query) is decoded into OSD; any other (an MDS's) is kept whole in
// Rest, to the end of the message.
type MetricReport struct {
	Type uint32
	OSD  []OSDPerfQueryReport
	Rest []byte
}

func (m *MetricReport) denc(c Denc) {
	dencMetricPayload(c, &m.Type, &m.OSD, &m.Rest, "OSDMetricPayload", dencQueryReports)
}

// dencMetricPayload is the layout MetricConfig and MetricReport share: a
// u32 type, then an OSD payload (struct v1 called what, visited with f)
// or, for any other type, the rest of the message kept whole.
func dencMetricPayload[T any](c Denc, typ *uint32, osd *T, rest *[]byte, what string, f func(Denc, *T)) {
	c.U32(typ)
	if *typ != MetricTypeOSD {
		c.Rest(rest)
		return
	}
	st := c.Start(1, 1, what)
	f(c, osd)
	c.Finish(st)
}

// dencVarSlice is DencSlice for the vectors Ceph counts with a varint
// (denc_varint: unsigned LEB128) instead of an le32.
func dencVarSlice[T any](c Denc, v *[]T, minSize int, f func(Denc, *T)) {
	dencSlice(c, v, minSize, true, f)
}

// varCount reads a varint element count (Ceph decodes it into an
// unsigned) and checks it as Count does.
func (d *Decoder) varCount(minSize int) int {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.buf[d.off:])
	switch {
	case k == 0:
		d.Fail(fmt.Errorf("%w: varint count", ErrTruncated))
		return 0
	case k < 0 || n > math.MaxUint32:
		d.Fail(fmt.Errorf("%w: varint count overflows", ErrMalformed))
		return 0
	}
	d.off += k
	if n*uint64(max(minSize, 1)) > uint64(len(d.buf)-d.off) {
		d.Fail(fmt.Errorf("%w: %d elements of at least %d bytes, %d bytes left", ErrTruncated, n, minSize, len(d.buf)-d.off))
		return 0
	}
	return int(n)
}

// OSDPerfKeyBytes is a key's encoding (a vector<vector<string>>): equal
// keys, equal bytes, for a Go map keyed by OSD perf keys.
func OSDPerfKeyBytes(key [][]string) []byte {
	return marshalStruct(&key, func(k *[][]string, c Denc) { DencSlice(c, k, 4, Denc.Strings) })
}
