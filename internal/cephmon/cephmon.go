package cephmon

import (
	"testing"

	"gomgr/internal/cephcluster"
)

// Mon is a running ceph-mon.
type Mon struct {
	Addr string // 127.0.0.1:port, msgr v1
	FSID string
	Dir  string
	Conf string // path of its ceph.conf, for the ceph CLI

	// Cluster is the one-node cluster the mon belongs to (no OSDs), for
	// the ceph CLI (Cluster.Ceph) and its process (Cluster.Mon()).
	Cluster *cephcluster.Cluster
}

// Start makes a fresh cluster and runs its mon until the test ends: a
// cephcluster with no OSDs. It fails the test if ceph-mon, monmaptool or
// the ceph CLI are not installed.
func Start(t testing.TB) *Mon {
	t.Helper()
	c := cephcluster.Start(t, cephcluster.Options{})
	return &Mon{Addr: c.MonAddr, FSID: c.FSID, Dir: c.Dir, Conf: c.Conf, Cluster: c}
}
