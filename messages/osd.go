package messages

import (
	"fmt"
	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// Message types gomgr's simulated OSDs and its mgr send the mon.
const (
	TypeOSDBoot      uint16 = 71    // MSG_OSD_BOOT
	TypeOSDBeacon    uint16 = 79    // MSG_OSD_BEACON
	TypeMonMgrReport uint16 = 0x706 // MSG_MON_MGR_REPORT
)

func init() {
	newPayload[TypeOSDBoot] = func() Payload { return new(OSDBoot) }
	newPayload[TypeOSDBeacon] = func() Payload { return new(OSDBeacon) }
	newPayload[TypeMonMgrReport] = func() Payload { return new(MonMgrReport) }
}

// OSDBoot (MSG_OSD_BOOT, v7 compat 7) has Ceph's MOSDBoot layout: Paxos
// header, the OSDSuperblock, then hb_back_addrs, cluster_addrs, boot_epoch,
// hb_front_addrs (Ceph's order), metadata and features. The superblock is
// kept raw: from a Ceph OSD it is Ceph's binary OSDSuperblock (the OSD's
// on-disk state, which a simulated OSD does not have); gomgr's simulated
// OSDs send the JSON struct form (JSONStruct) of
// {"whoami", "osd_fsid", "cluster_fsid"}.
//
// Pre-nautilus messages (v6) carry single legacy entity_addr_t instead of
// addrvecs; they decode into one-element slices and re-encode as v7.
type OSDBoot struct {
	Paxos        Paxos
	Superblock   RawStruct
	HBBackAddrs  []wire.EntityAddr
	HBFrontAddrs []wire.EntityAddr
	ClusterAddrs []wire.EntityAddr
	BootEpoch    uint32
	Metadata     map[string]string
	OSDFeatures  uint64
}

// Type implements Payload.
func (*OSDBoot) Type() uint16 { return TypeOSDBoot }

// EncodeTo implements Payload.
func (p *OSDBoot) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	p.Superblock.Encode(e)
	e.AddrVec(p.HBBackAddrs)
	e.AddrVec(p.ClusterAddrs)
	e.U32(p.BootEpoch)
	e.AddrVec(p.HBFrontAddrs)
	e.StringMap(p.Metadata)
	e.U64(p.OSDFeatures)
	setHeader(m, 7, 7, e)
}

// DecodeFrom implements Payload.
func (p *OSDBoot) DecodeFrom(m *msgr.Message) error {
	*p = OSDBoot{}
	addrs := (*Decoder).AddrVec
	if m.Version < 7 {
		addrs = func(d *Decoder) []wire.EntityAddr { return []wire.EntityAddr{d.EntityAddr()} }
	}
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.Superblock = DecodeRawStruct(d)
		p.HBBackAddrs = addrs(d)
		p.ClusterAddrs = addrs(d)
		p.BootEpoch = d.U32()
		p.HBFrontAddrs = addrs(d)
		p.Metadata = d.StringMap()
		p.OSDFeatures = d.U64()
	})
}

// OSDBeacon (MSG_OSD_BEACON, v3 compat 1) has Ceph's MOSDBeacon layout: Paxos
// header, the PGs the OSD is primary for (gomgr's simulated OSDs send
// none), min_last_epoch_clean, (v2) last_purged_snaps_scrub and (v3) the
// beacon interval in seconds.
type OSDBeacon struct {
	Paxos                Paxos
	PGs                  []PGID
	MinLastEpochClean    uint32
	LastPurgedSnapsScrub Utime
	BeaconInterval       int32 // seconds
}

// Type implements Payload.
func (*OSDBeacon) Type() uint16 { return TypeOSDBeacon }

// EncodeTo implements Payload.
func (p *OSDBeacon) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	EncodeSlice(e, p.PGs, func(e *Encoder, id PGID) { id.encode(e) })
	e.U32(p.MinLastEpochClean)
	e.Utime(p.LastPurgedSnapsScrub)
	e.S32(p.BeaconInterval)
	setHeader(m, 3, 1, e)
}

// DecodeFrom implements Payload.
func (p *OSDBeacon) DecodeFrom(m *msgr.Message) error {
	*p = OSDBeacon{}
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.PGs = DecodeSlice(d, 17, decodePGID)
		p.MinLastEpochClean = d.U32()
		if m.Version >= 2 {
			p.LastPurgedSnapsScrub = d.Utime()
		}
		if m.Version >= 3 {
			p.BeaconInterval = d.S32()
		}
	})
}

// HealthStatus is Ceph's health_status_t, one byte on the wire.
type HealthStatus uint8

// Ceph's health_status_t values.
const (
	HealthError HealthStatus = 0 // HEALTH_ERR
	HealthWarn  HealthStatus = 1 // HEALTH_WARN
	HealthOK    HealthStatus = 2 // HEALTH_OK
)

// String is the name Ceph prints ("HEALTH_WARN").
func (s HealthStatus) String() string {
	switch s {
	case HealthError:
		return "HEALTH_ERR"
	case HealthWarn:
		return "HEALTH_WARN"
	case HealthOK:
		return "HEALTH_OK"
	}
	return "HEALTH_UNKNOWN"
}

// HealthCheck is Ceph's health_check_t (v2 compat 1): severity, summary,
// detail lines and (v2) the count of affected items. A v1 check decodes
// with Count 0 and re-encodes as v2.
type HealthCheck struct {
	Severity HealthStatus
	Summary  string
	Detail   []string
	Count    int64
}

func encodeHealthCheck(e *Encoder, c HealthCheck) {
	st := e.StartStruct(2, 1)
	e.U8(uint8(c.Severity))
	e.String(c.Summary)
	e.Strings(c.Detail)
	e.S64(c.Count)
	e.FinishStruct(st)
}

func decodeHealthCheck(d *Decoder) HealthCheck {
	st := d.StartStruct(2, "health_check_t")
	c := HealthCheck{Severity: HealthStatus(d.U8()), Summary: d.String(), Detail: d.Strings()}
	if st.V >= 2 {
		c.Count = d.S64()
	}
	d.FinishStruct(st, "health_check_t")
	return c
}

// encodeHealthChecks appends a health_check_map_t (v1 compat 1): the checks
// by code, in std::map order.
func encodeHealthChecks(e *Encoder, checks map[string]HealthCheck) {
	st := e.StartStruct(1, 1)
	EncodeMap(e, checks, (*Encoder).String, encodeHealthCheck)
	e.FinishStruct(st)
}

func decodeHealthChecks(d *Decoder) map[string]HealthCheck {
	st := d.StartStruct(1, "health_check_map_t")
	checks := DecodeMap(d, 10, (*Decoder).String, decodeHealthCheck)
	d.FinishStruct(st, "health_check_map_t")
	return checks
}

// ProgressEvent is Ceph's ProgressEvent (v2): one line of the progress
// section of `ceph -s`, which the active mgr's modules keep.
type ProgressEvent struct {
	Message    string
	Progress   float32 // 0..1
	AddToCephS bool
}

// Raw is p encoded for MonMgrReport.ProgressEvents.
func (p ProgressEvent) Raw() RawStruct {
	e := NewEncoder(nil)
	e.String(p.Message)
	e.F32(p.Progress)
	e.Bool(p.AddToCephS)
	return RawStruct{V: 2, Compat: 1, Body: e.Bytes()}
}

// DecodeProgressEvent reads what Raw wrote (v1 has no AddToCephS: a
// non-empty message is shown).
func DecodeProgressEvent(s RawStruct) (ProgressEvent, error) {
	if s.Compat > 2 {
		return ProgressEvent{}, fmt.Errorf("%w: ProgressEvent compat %d", ErrIncompatible, s.Compat)
	}
	d := NewDecoder(s.Body)
	p := ProgressEvent{Message: d.String(), Progress: d.F32()}
	if s.V >= 2 {
		p.AddToCephS = d.Bool()
	} else {
		p.AddToCephS = p.Message != ""
	}
	return p, d.Err()
}

// MonMgrReport (MSG_MON_MGR_REPORT, v3 compat 1) has Ceph's MMonMgrReport
// layout: Paxos header, health_check_map_t (the checks the mgr's modules
// raise), service_map_bl (an encoded ServiceMap), (v2) progress events and
// (v3) the mgr's gid in the front, and a PGMapDigest in the data segment.
//
// ServiceMap and PGDigest are bufferlists: from Ceph they hold its binary
// ServiceMap and PGMapDigest; gomgr's mgr puts JSON there in the JSON
// struct form (EncodeJSONMap, read back with DecodeJSONMap), the shapes of
// `ceph service dump` and gomgr's PG summary. A Ceph mon decoding such a
// digest stops at DECODE_START (compat 200 is above the 4 it knows) with
// buffer::malformed_input instead of misreading it. Progress events
// (ProgressEvent structs) are kept raw.
type MonMgrReport struct {
	Paxos          Paxos
	HealthChecks   map[string]HealthCheck
	ServiceMap     []byte
	ProgressEvents map[string]RawStruct
	GID            uint64
	PGDigest       []byte // the data segment
}

// Type implements Payload.
func (*MonMgrReport) Type() uint16 { return TypeMonMgrReport }

// EncodeTo implements Payload.
func (p *MonMgrReport) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	encodeHealthChecks(e, p.HealthChecks)
	e.Bufferlist(p.ServiceMap)
	EncodeMap(e, p.ProgressEvents, (*Encoder).String, func(e *Encoder, s RawStruct) { s.Encode(e) })
	e.U64(p.GID)
	setHeader(m, 3, 1, e)
	m.Data = p.PGDigest
}

// DecodeFrom implements Payload.
func (p *MonMgrReport) DecodeFrom(m *msgr.Message) error {
	*p = MonMgrReport{}
	err := decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.HealthChecks = decodeHealthChecks(d)
		p.ServiceMap = d.Bufferlist()
		if m.Version >= 2 {
			p.ProgressEvents = DecodeMap(d, 10, (*Decoder).String, DecodeRawStruct)
		}
		if m.Version >= 3 {
			p.GID = d.U64()
		}
	})
	if err != nil {
		return err
	}
	if len(m.Data) > 0 {
		p.PGDigest = m.Data
	}
	return nil
}
