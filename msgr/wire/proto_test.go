package wire

import "testing"

// TestProtoVersion: the versions of Ceph's ProtocolV1::get_proto_version
// for the sessions gomgr has: an OSD refuses any other (BADPROTOVER).
func TestProtoVersion(t *testing.T) {
	for _, tc := range []struct {
		my, peer uint8
		connect  bool
		want     uint32
	}{
		{EntityMgr, EntityOSD, true, 24},    // send_command to an OSD
		{EntityClient, EntityMon, true, 15}, // monclient
		{EntityMgr, EntityMon, true, 15},
		{EntityOSD, EntityMgr, true, 0},      // a real OSD's session with the mgr
		{EntityMgr, EntityOSD, false, 0},     // the mgr's reply to it
		{EntityMon, EntityClient, false, 15}, // gomgr's mon replying to a client
		{EntityOSD, EntityOSD, true, 10},
		{EntityMon, EntityMon, false, 13},
		{EntityClient, EntityMgr, true, 0},
	} {
		if got := ProtoVersion(tc.my, tc.peer, tc.connect); got != tc.want {
			t.Errorf("ProtoVersion(%d, %d, %v) = %d, want %d", tc.my, tc.peer, tc.connect, got, tc.want)
		}
	}
}
