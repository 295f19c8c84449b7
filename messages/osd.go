package messages

import (
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

// OSDBoot (MSG_OSD_BOOT, v7 compat 6) has Ceph's MOSDBoot layout: Paxos
// header, the OSD superblock, heartbeat back/front and cluster addrvecs,
// boot epoch, metadata and features. The superblock is gomgr's JSON struct
// ({"cluster_fsid", "osd_fsid", "whoami"}): Ceph's binary OSDSuperblock is
// an OSD's on-disk state, which a simulated OSD does not have.
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
	e.AddrVec(p.HBFrontAddrs)
	e.AddrVec(p.ClusterAddrs)
	e.U32(p.BootEpoch)
	e.StringMap(p.Metadata)
	e.U64(p.OSDFeatures)
	setHeader(m, 7, 6, e)
}

// DecodeFrom implements Payload.
func (p *OSDBoot) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		p.Superblock = DecodeRawStruct(d)
		p.HBBackAddrs = d.AddrVec()
		p.HBFrontAddrs = d.AddrVec()
		p.ClusterAddrs = d.AddrVec()
		p.BootEpoch = d.U32()
		p.Metadata = d.StringMap()
		p.OSDFeatures = d.U64()
	})
}

// OSDBeacon (MSG_OSD_BEACON, v3 as Ceph's MOSDBeacon) tells the mon an OSD is
// alive: Paxos header, the PGs it is primary for (left empty by gomgr),
// min_last_epoch_clean, last_purged_snaps_scrub and the beacon interval.
type OSDBeacon struct {
	Paxos                Paxos
	MinLastEpochClean    uint32
	LastPurgedSnapsScrub Utime
	BeaconInterval       uint32 // seconds
}

// Type implements Payload.
func (*OSDBeacon) Type() uint16 { return TypeOSDBeacon }

// EncodeTo implements Payload.
func (p *OSDBeacon) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	p.Paxos.encode(e)
	e.U32(0) // vector<pg_t> pgs: empty
	e.U32(p.MinLastEpochClean)
	e.Utime(p.LastPurgedSnapsScrub)
	e.U32(p.BeaconInterval)
	setHeader(m, 3, 1, e)
}

// DecodeFrom implements Payload.
func (p *OSDBeacon) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.Paxos.decode(d)
		if n := d.Count(1); n != 0 && d.Err() == nil {
			d.Raw(n * 17) // pg_t: u8 version, u64 pool, u32 seed, u32 preferred
		}
		p.MinLastEpochClean = d.U32()
		p.LastPurgedSnapsScrub = d.Utime()
		p.BeaconInterval = d.U32()
	})
}

// MonMgrReport (MSG_MON_MGR_REPORT) is the active mgr's report to the mon:
// its gid, the health checks its modules raise, the services they run and
// the PG summary, each as JSON in a bufferlist (Ceph sends
// health_checks_t, a ServiceMap and progress events in binary; gomgr's mgr
// and mon are both ends, and these carry the shapes of `ceph health detail`
// checks, `ceph service dump` services and `ceph pg stat`).
type MonMgrReport struct {
	GID         uint64
	HealthJSON  []byte // {"CODE": {"severity": ..., "summary": {...}, "detail": [...]}}
	ServiceJSON []byte // {"services": {...}}
	PGJSON      []byte // pg summary
}

// Type implements Payload.
func (*MonMgrReport) Type() uint16 { return TypeMonMgrReport }

// EncodeTo implements Payload.
func (p *MonMgrReport) EncodeTo(m *msgr.Message) {
	e := NewEncoder(nil)
	e.U64(p.GID)
	e.Bufferlist(p.HealthJSON)
	e.Bufferlist(p.ServiceJSON)
	e.Bufferlist(p.PGJSON)
	setHeader(m, 1, 1, e)
}

// DecodeFrom implements Payload.
func (p *MonMgrReport) DecodeFrom(m *msgr.Message) error {
	return decodeFront(m, func(d *Decoder) {
		p.GID = d.U64()
		p.HealthJSON = d.Bufferlist()
		p.ServiceJSON = d.Bufferlist()
		p.PGJSON = d.Bufferlist()
	})
}
