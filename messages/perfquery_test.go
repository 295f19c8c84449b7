package messages

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"gomgr/msgr"
)

// unhexParts joins hex parts (spaces allowed) into bytes.
func unhexParts(t *testing.T, parts ...string) []byte {
	t.Helper()
	return unhex(t, strings.Join(parts, ""))
}

// poolQuery is rbd_support's kind of query, shortened: per pool, three
// counters.
var poolQuery = OSDPerfMetricQuery{
	KeyDescriptor: []OSDPerfSubKeyDescriptor{{Type: OSDPerfSubKeyPoolID, Regex: "^(.*)$"}},
	Counters:      []uint8{OSDPerfWriteOps, OSDPerfReadOps, OSDPerfWriteBytes},
}

// poolQueryHex is poolQuery as Ceph encodes it (OSDPerfMetricTypes.h):
// DENC_START(1, 1) and its le32 length, the key descriptor's varint count
// and each OSDPerfMetricSubKeyDescriptor (DENC_START(1, 1), u8 type,
// string), the counters' varint count and each PerformanceCounterDescriptor
// (DENC_START(1, 1), u8 type).
const poolQueryHex = "01 01 28000000" +
	"01" + "01 01 0b000000 02 06000000 5e282e2a2924" +
	"03" + "01 01 01000000 01" + "01 01 01000000 02" + "01 01 01000000 04"

// TestMgrConfigureGolden: an MMgrConfigure with one query and a limit is
// byte for byte what Ceph's MMgrConfigure::encode_payload writes: period,
// threshold, the map<OSDPerfMetricQuery, set<OSDPerfMetricLimit>> (le32
// count), then the optional<MetricConfigMessage> (absent, u8 0).
func TestMgrConfigureGolden(t *testing.T) {
	p := &MgrConfigure{StatsPeriod: 5, StatsThreshold: 5, OSDPerfMetricQueries: []OSDPerfQueryLimits{{
		Query:  poolQuery,
		Limits: []OSDPerfMetricLimit{{OrderBy: OSDPerfWriteBytes, MaxCount: 64}, {OrderBy: OSDPerfWriteOps, MaxCount: 64}},
	}}}
	want := unhexParts(t, "05000000 05000000", "01000000", poolQueryHex,
		"02000000",
		// set<OSDPerfMetricLimit> in order: write_ops (1) before write_bytes (4).
		"01 01 0f000000 01 01 01000000 01 4000000000000000",
		"01 01 0f000000 01 01 01000000 04 4000000000000000",
		"00")
	m := Encode(p)
	if m.Version != 4 || m.CompatVersion != 1 || !bytes.Equal(m.Front, want) {
		t.Fatalf("v%d compat %d\n got %x\nwant %x", m.Version, m.CompatVersion, m.Front, want)
	}
	got, err := Decode(&msgr.Message{Type: TypeMgrConfigure, Version: 4, Front: want})
	if err != nil {
		t.Fatal(err)
	}
	p.OSDPerfMetricQueries[0].Limits[0], p.OSDPerfMetricQueries[0].Limits[1] = p.OSDPerfMetricQueries[0].Limits[1], p.OSDPerfMetricQueries[0].Limits[0]
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("decoded %+v, want %+v", got, p)
	}
}

// TestMgrConfigureClearsOSDQueries: the form gomgr sends an OSD when the
// last query goes: no map entries, and an OSD MetricConfigMessage (le32
// type 0, OSDConfigPayload DENC_START(1, 1) holding an empty map).
func TestMgrConfigureClearsOSDQueries(t *testing.T) {
	p := &MgrConfigure{StatsPeriod: 5, MetricConfig: &MetricConfig{Type: MetricTypeOSD}}
	want := unhex(t, "05000000 00000000 00000000 01 00000000 01 01 04000000 00000000")
	if m := Encode(p); !bytes.Equal(m.Front, want) {
		t.Fatalf("got %x, want %x", m.Front, want)
	}
	got, err := Decode(&msgr.Message{Type: TypeMgrConfigure, Version: 4, Front: want})
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("decoded %+v, %v", got, err)
	}
}

// TestMetricReportGolden: an OSD's MetricReportMessage (the optional at
// the end of a pacific MMgrReport) with one query and two keys, as Ceph
// encodes it: le32 type 0, OSDMetricPayload DENC_START(1, 1), its map
// (le32 count), the query, then OSDPerfMetricReport DENC_START(1, 1):
// counters (varint count), map<OSDPerfMetricKey, bufferlist> in key order,
// each key a vector<vector<string>> (le32 counts).
func TestMetricReportGolden(t *testing.T) {
	vals := [][2]uint64{{3, 0}, {1, 0}, {12288, 0}}
	packed := PackOSDPerfCounters(poolQuery.Counters, vals)
	r := MetricReport{Type: MetricTypeOSD, OSD: []OSDPerfQueryReport{{Query: poolQuery, Report: OSDPerfMetricReport{
		Counters: poolQuery.Counters,
		Groups: []OSDPerfGroup{
			{Key: [][]string{{"^2$", "2"}}, Packed: packed}, // "^2$" sorts after "^1$"
			{Key: [][]string{{"^1$", "1"}}, Packed: packed},
		},
	}}}}
	group := func(pool string) string {
		return "01000000 02000000 03000000 5e" + hex.EncodeToString([]byte(pool)) + "24 01000000" + hex.EncodeToString([]byte(pool)) +
			"18000000 0300000000000000 0100000000000000 0030000000000000"
	}
	report := "03" + "01 01 01000000 01" + "01 01 01000000 02" + "01 01 01000000 04" + "02000000" + group("1") + group("2")
	want := unhexParts(t, "00000000", "01 01 b2000000", "01000000", poolQueryHex, "01 01 7a000000", report)
	got := marshalStruct(&r, (*MetricReport).denc)
	if !bytes.Equal(got, want) {
		t.Fatalf("\n got %x\nwant %x", got, want)
	}
	back, err := parseStruct(want, "metric report", (*MetricReport).denc)
	if err != nil {
		t.Fatal(err)
	}
	g := back.OSD[0].Report.Groups
	if len(g) != 2 || g[0].Key[0][1] != "1" || g[1].Key[0][1] != "2" {
		t.Fatalf("groups %+v", g)
	}
	c, err := UnpackOSDPerfCounters(back.OSD[0].Report.Counters, g[0].Packed)
	if err != nil || !reflect.DeepEqual(c, vals) {
		t.Fatalf("unpacked %v, %v; want %v", c, err, vals)
	}
}

// TestMgrReportWithOSDMetrics: a v9 MMgrReport whose metric report is an
// OSD's decodes it, and keeps the gomgr extension after it; one whose
// metric report is of another kind keeps it whole to the end.
func TestMgrReportWithOSDMetrics(t *testing.T) {
	lat := OSDPerfMetricQuery{KeyDescriptor: []OSDPerfSubKeyDescriptor{{Type: OSDPerfSubKeyClientID, Regex: "(.*)"}}, Counters: []uint8{OSDPerfLatency, OSDPerfOps}}
	for _, p := range []*MgrReport{
		{DaemonName: "0", ServiceName: "osd", MetricReport: &MetricReport{Type: MetricTypeOSD, OSD: []OSDPerfQueryReport{{
			Query: lat, Report: OSDPerfMetricReport{Counters: lat.Counters, Groups: []OSDPerfGroup{
				{Key: [][]string{{"client.4100", "client.4100"}}, Packed: PackOSDPerfCounters(lat.Counters, [][2]uint64{{900, 3}, {3, 0}})}}},
		}}}, Metadata: map[string]string{"hostname": "h"}},
		{DaemonName: "a", ServiceName: "mds", MetricReport: &MetricReport{Type: MetricTypeMDS, Rest: []byte{1, 1, 0, 0, 0, 0}}},
		{DaemonName: "0", OSDPerfMetricReports: []OSDPerfQueryReport{{Query: lat, Report: OSDPerfMetricReport{Counters: lat.Counters}}}},
	} {
		got, err := Decode(Encode(p))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("round trip %+v, want %+v", got, p)
		}
	}
}

func TestUnpackOSDPerfCounters(t *testing.T) {
	c := []uint8{OSDPerfOps, OSDPerfReadLatency}
	if _, err := UnpackOSDPerfCounters(c, make([]byte, 16)); !errors.Is(err, ErrTruncated) {
		t.Errorf("short: %v", err)
	}
	if _, err := UnpackOSDPerfCounters([]uint8{42}, make([]byte, 16)); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown type: %v", err)
	}
	if got, err := UnpackOSDPerfCounters(c, PackOSDPerfCounters(c, [][2]uint64{{7, 0}})); err != nil || !reflect.DeepEqual(got, [][2]uint64{{7, 0}, {0, 0}}) {
		t.Errorf("missing packs as zero: %v, %v", got, err)
	}
}

// TestQueryOrder: Ceph's map keys are in OSDPerfMetricQuery::operator<
// order whatever order gomgr holds them in.
func TestQueryOrder(t *testing.T) {
	a := OSDPerfMetricQuery{KeyDescriptor: []OSDPerfSubKeyDescriptor{{Type: 2, Regex: "(b)"}}, Counters: []uint8{1}}
	b := OSDPerfMetricQuery{KeyDescriptor: []OSDPerfSubKeyDescriptor{{Type: 2, Regex: "(b)"}}, Counters: []uint8{1, 2}}
	c := OSDPerfMetricQuery{KeyDescriptor: []OSDPerfSubKeyDescriptor{{Type: 2, Regex: "(c)"}}, Counters: []uint8{0}}
	d := OSDPerfMetricQuery{KeyDescriptor: []OSDPerfSubKeyDescriptor{{Type: 3, Regex: "(a)"}}}
	in := &MgrConfigure{OSDPerfMetricQueries: []OSDPerfQueryLimits{{Query: d}, {Query: b}, {Query: c}, {Query: a}}}
	got, err := Decode(Encode(in))
	if err != nil {
		t.Fatal(err)
	}
	var order []OSDPerfMetricQuery
	for _, e := range got.(*MgrConfigure).OSDPerfMetricQueries {
		order = append(order, e.Query)
	}
	if !reflect.DeepEqual(order, []OSDPerfMetricQuery{a, b, c, d}) {
		t.Fatalf("order %+v", order)
	}
}

// FuzzOSDPerfMetrics covers the perf metric decoders on their own: the
// metric config and report messages and the packed counters. Whatever
// decodes must re-encode to bytes that decode to the same encoding.
func FuzzOSDPerfMetrics(f *testing.F) {
	r := MetricReport{Type: MetricTypeOSD, OSD: []OSDPerfQueryReport{{Query: poolQuery, Report: OSDPerfMetricReport{
		Counters: poolQuery.Counters, Groups: []OSDPerfGroup{{Key: [][]string{{"1"}}, Packed: PackOSDPerfCounters(poolQuery.Counters, nil)}}}}}}
	f.Add(marshalStruct(&r, (*MetricReport).denc))
	cfg := MetricConfig{Type: MetricTypeOSD, OSD: []OSDPerfQueryLimits{{Query: poolQuery, Limits: []OSDPerfMetricLimit{{OrderBy: 1, MaxCount: 3}}}}}
	f.Add(marshalStruct(&cfg, (*MetricConfig).denc))
	f.Add([]byte{1, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := parseStruct(b, "metric report", (*MetricReport).denc); err == nil {
			once := marshalStruct(r, (*MetricReport).denc)
			again, err := parseStruct(once, "metric report", (*MetricReport).denc)
			if err != nil || !bytes.Equal(marshalStruct(again, (*MetricReport).denc), once) {
				t.Fatalf("metric report not stable: %v", err)
			}
			for _, e := range r.OSD {
				for _, g := range e.Report.Groups {
					_, _ = UnpackOSDPerfCounters(e.Report.Counters, g.Packed)
				}
			}
		}
		if c, err := parseStruct(b, "metric config", (*MetricConfig).denc); err == nil {
			once := marshalStruct(c, (*MetricConfig).denc)
			again, err := parseStruct(once, "metric config", (*MetricConfig).denc)
			if err != nil || !bytes.Equal(marshalStruct(again, (*MetricConfig).denc), once) {
				t.Fatalf("metric config not stable: %v", err)
			}
		}
		_, _ = UnpackOSDPerfCounters([]uint8{OSDPerfOps, OSDPerfLatency, OSDPerfReadBytes}, b)
	})
}

// perfSeeds are messages that carry OSD perf queries and reports, for
// FuzzDecode.
func perfSeeds() []Payload {
	lim := []OSDPerfMetricLimit{{OrderBy: OSDPerfWriteOps, MaxCount: 8}}
	rep := OSDPerfMetricReport{Counters: poolQuery.Counters, Groups: []OSDPerfGroup{
		{Key: [][]string{{"1"}}, Packed: PackOSDPerfCounters(poolQuery.Counters, [][2]uint64{{1, 0}, {2, 0}, {4096, 0}})}}}
	return []Payload{
		&MgrConfigure{StatsPeriod: 5, OSDPerfMetricQueries: []OSDPerfQueryLimits{{Query: poolQuery, Limits: lim}}},
		&MgrConfigure{StatsPeriod: 5, MetricConfig: &MetricConfig{Type: MetricTypeOSD, OSD: []OSDPerfQueryLimits{{Query: poolQuery}}}},
		&MgrReport{DaemonName: "0", MetricReport: &MetricReport{Type: MetricTypeOSD, OSD: []OSDPerfQueryReport{{Query: poolQuery, Report: rep}}}},
		&MgrReport{DaemonName: "0", OSDPerfMetricReports: []OSDPerfQueryReport{{Query: poolQuery, Report: rep}}},
	}
}
