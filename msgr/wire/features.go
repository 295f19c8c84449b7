package wire

// Ceph feature bits (src/include/ceph_features.h, pacific meaning). Only the
// bits a Ceph 16 daemon advertises are named. Several bits were reused
// ("incarnations"): a name's meaning holds only if the incarnation marker bits
// are also set, which is always the case in FeaturesSupported.
const (
	FeatureUID                uint64 = 1 << 0
	FeatureNoSrcAddr          uint64 = 1 << 1
	FeatureServerNautilus     uint64 = 1 << 2 // incarnation 3
	FeatureFlock              uint64 = 1 << 3
	FeatureSubscribe2         uint64 = 1 << 4
	FeatureMonNames           uint64 = 1 << 5
	FeatureReconnectSeq       uint64 = 1 << 6 // TagSeq in the v1 handshake
	FeatureDirLayoutHash      uint64 = 1 << 7
	FeatureObjectLocator      uint64 = 1 << 8
	FeaturePGID64             uint64 = 1 << 9
	FeatureIncSubOSDMap       uint64 = 1 << 10
	FeaturePGPool3            uint64 = 1 << 11
	FeatureOSDReplyMux        uint64 = 1 << 12
	FeatureOSDEnc             uint64 = 1 << 13
	FeatureServerKraken       uint64 = 1 << 14 // incarnation 2
	FeatureMonEnc             uint64 = 1 << 15
	FeatureServerOctopus      uint64 = 1 << 16 // incarnation 3
	FeatureCrushTunables      uint64 = 1 << 18
	FeatureOSDPGLogHardLimit  uint64 = 1 << 19 // incarnation 2
	FeatureServerPacific      uint64 = 1 << 20 // incarnation 3
	FeatureServerLuminous     uint64 = 1 << 21 // incarnation 2
	FeatureOSDFixedCollList   uint64 = 1 << 22 // incarnation 2
	FeatureMsgAuth            uint64 = 1 << 23 // footer carries a signature (21-byte footer)
	FeatureRecoveryResv2      uint64 = 1 << 24 // incarnation 2
	FeatureCrushTunables2     uint64 = 1 << 25
	FeatureCreatePoolID       uint64 = 1 << 26
	FeatureReplyCreateInode   uint64 = 1 << 27
	FeatureServerMimic        uint64 = 1 << 28 // incarnation 2
	FeatureMDSEnc             uint64 = 1 << 29
	FeatureOSDHashPSPool      uint64 = 1 << 30
	FeatureMonSinglePaxos     uint64 = 1 << 31 // retired, still advertised by pacific
	FeatureStretchMode        uint64 = 1 << 32 // incarnation 3
	FeatureRangeBlocklist     uint64 = 1 << 34 // incarnation 3
	FeatureOSDCachePool       uint64 = 1 << 35
	FeatureCrushV2            uint64 = 1 << 36
	FeatureExportPeer         uint64 = 1 << 37
	FeatureOSDMapEnc          uint64 = 1 << 39
	FeatureMDSInlineData      uint64 = 1 << 40
	FeatureCrushTunables3     uint64 = 1 << 41 // also OSD_PRIMARY_AFFINITY
	FeatureMsgrKeepalive2     uint64 = 1 << 42 // KEEPALIVE2 / KEEPALIVE2_ACK
	FeatureOSDPoolResend      uint64 = 1 << 43
	FeatureOSDFadviseFlags    uint64 = 1 << 46
	FeatureMDSQuota           uint64 = 1 << 47
	FeatureCrushV4            uint64 = 1 << 48 // straw2 buckets
	FeatureNewOSDOpEncoding   uint64 = 1 << 56
	FeatureMonStatefulSub     uint64 = 1 << 57 // also SERVER_JEWEL, incarnation-2 marker
	FeatureCrushTunables5     uint64 = 1 << 58 // also NEW_OSDOPREPLY_ENCODING, FS_FILE_LAYOUT_V2
	FeatureMsgAddr2           uint64 = 1 << 59 // also FS_BTIME, FS_CHANGE_ATTR
	FeatureOSDRecoveryDeletes uint64 = 1 << 60
	FeatureCephxV2            uint64 = 1 << 61
)

// Incarnation markers: a reused bit means its newer meaning only together
// with these (CEPH_FEATURE_INCARNATION_2 / _3).
const (
	FeatureIncarnation2 uint64 = FeatureMonStatefulSub
	FeatureIncarnation3 uint64 = FeatureMonStatefulSub | FeatureServerMimic
)

// FeaturesSupported is what gomgr advertises in connect and connect_reply:
// exactly what the Ceph 16.2.15 mon and mgr advertise in the capture
// (0x3f01cfbdfffdffff), so a pacific peer treats gomgr as one of its own.
const FeaturesSupported uint64 = 0x3f01cfbdfffdffff

// FeaturesRequired is the minimal set a pacific mon demands of a client on a
// v1 connect. ceph_mon starts with the client policy stateless_server(0)
// (nothing required; CEPH_FEATURES_REQUIRED_DEFAULT is 0), then
// OSDMonitor::update_msgr_features ORs in OSDMap::get_features(CLIENT): with
// the default "optimal" (jewel) crush tunables, straw2 buckets and
// HASHPSPOOL pools that is CRUSH_TUNABLES, _TUNABLES2, _TUNABLES3, _TUNABLES5,
// CRUSH_V4 and OSDHASHPSPOOL. CEPHX_V2 is added only when
// require_min_compat_client >= nautilus (pacific's default is luminous), and
// MSG_AUTH only with cephx signatures required (not with auth none).
const FeaturesRequired uint64 = FeatureCrushTunables | FeatureCrushTunables2 |
	FeatureCrushTunables3 | FeatureCrushTunables5 | FeatureCrushV4 | FeatureOSDHashPSPool

// FeaturesMsgr is what this package's v1 framing itself relies on from a
// peer: the reconnect seq exchange, KEEPALIVE2 and the 21-byte signed footer.
const FeaturesMsgr uint64 = FeatureReconnectSeq | FeatureMsgrKeepalive2 | FeatureMsgAuth
