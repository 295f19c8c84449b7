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
func (p *OSDBoot) EncodeTo(m *msgr.Message) { encodePayload(m, p, 7, 7) }

// DecodeFrom implements Payload.
func (p *OSDBoot) DecodeFrom(m *msgr.Message) error {
	*p = OSDBoot{}
	return decodePayload(m, p)
}

func (p *OSDBoot) denc(c Denc, v uint16) {
	addrs := func(a *[]wire.EntityAddr) {
		if v < 7 { // one legacy entity_addr_t (only ever decoded)
			*a = make([]wire.EntityAddr, 1)
			c.EntityAddr(&(*a)[0])
			return
		}
		c.AddrVec(a)
	}
	p.Paxos.denc(c)
	c.RawStruct(&p.Superblock)
	addrs(&p.HBBackAddrs)
	addrs(&p.ClusterAddrs)
	c.U32(&p.BootEpoch)
	addrs(&p.HBFrontAddrs)
	c.StringMap(&p.Metadata)
	c.U64(&p.OSDFeatures)
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
func (p *OSDBeacon) EncodeTo(m *msgr.Message) { encodePayload(m, p, 3, 1) }

// DecodeFrom implements Payload.
func (p *OSDBeacon) DecodeFrom(m *msgr.Message) error {
	*p = OSDBeacon{}
	return decodePayload(m, p)
}

func (p *OSDBeacon) denc(c Denc, v uint16) {
	p.Paxos.denc(c)
	DencSlice(c, &p.PGs, 17, elem[PGID])
	c.U32(&p.MinLastEpochClean)
	if v >= 2 {
		c.Utime(&p.LastPurgedSnapsScrub)
	}
	if v >= 3 {
		c.S32(&p.BeaconInterval)
	}
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

func (hc *HealthCheck) denc(c Denc) {
	st := c.Start(2, 1, "health_check_t")
	c.U8((*uint8)(&hc.Severity))
	c.String(&hc.Summary)
	c.Strings(&hc.Detail)
	if st.V >= 2 {
		c.S64(&hc.Count)
	}
	c.Finish(st)
}

// dencHealthChecks lists a health_check_map_t (v1 compat 1): the checks by
// code, in std::map order.
func dencHealthChecks(c Denc, checks *map[string]HealthCheck) {
	st := c.Start(1, 1, "health_check_map_t")
	DencMap(c, checks, 10, Denc.String, elem[HealthCheck])
	c.Finish(st)
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
	p.denc(e.Denc(), 2)
	return RawStruct{V: 2, Compat: 1, Body: e.Bytes()}
}

// DecodeProgressEvent reads what Raw wrote (v1 has no AddToCephS: a
// non-empty message is shown).
func DecodeProgressEvent(s RawStruct) (ProgressEvent, error) {
	if s.Compat > 2 {
		return ProgressEvent{}, fmt.Errorf("%w: ProgressEvent compat %d", ErrIncompatible, s.Compat)
	}
	d := NewDecoder(s.Body)
	var p ProgressEvent
	p.denc(d.Denc(), s.V)
	return p, d.Err()
}

// denc lists a ProgressEvent's body of struct version v (kept raw, so the
// versions travel in the RawStruct around it).
func (p *ProgressEvent) denc(c Denc, v uint8) {
	c.String(&p.Message)
	c.F32(&p.Progress)
	if v >= 2 {
		c.Bool(&p.AddToCephS)
	} else {
		p.AddToCephS = p.Message != ""
	}
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
	encodePayload(m, p, 3, 1)
	m.Data = p.PGDigest
}

// DecodeFrom implements Payload.
func (p *MonMgrReport) DecodeFrom(m *msgr.Message) error {
	*p = MonMgrReport{}
	if err := decodePayload(m, p); err != nil {
		return err
	}
	if len(m.Data) > 0 {
		p.PGDigest = m.Data
	}
	return nil
}

func (p *MonMgrReport) denc(c Denc, v uint16) {
	p.Paxos.denc(c)
	dencHealthChecks(c, &p.HealthChecks)
	c.Bufferlist(&p.ServiceMap)
	if v >= 2 {
		DencMap(c, &p.ProgressEvents, 10, Denc.String, Denc.RawStruct)
	}
	if v >= 3 {
		c.U64(&p.GID)
	}
}
