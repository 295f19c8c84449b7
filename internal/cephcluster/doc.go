// Package cephcluster starts a real one-node Ceph 16.2 cluster (Debian's
// packages) for interop tests, benchmarks and `gomgr demo --ceph`, as
// ../shared/ceph-cluster/up.sh does but from Go: one mon and Options.OSDs
// memstore OSDs on 127.0.0.1, auth none, msgr v1 only, pools of size 1, no
// mgr, everything in a new directory under os.TempDir().
//
// # What it owns
//
// A Cluster owns its processes (Proc): it starts them with Pdeathsig
// SIGKILL from threads that never exit (internal/spawn), so a program or
// test binary that dies takes its daemons with it, each in a process group
// of its own, so that a terminal's Ctrl-C reaches only the program, which
// then stops them in order. Close stops every one of them (SIGTERM, then
// SIGKILL after a deadline, waiting for the exit) and removes the
// directory. Daemons write their logs to Dir/log (NAME.log from Ceph,
// NAME.out for stdout and stderr); nothing is piped back into the caller
// (a daemon would keep the pipe open).
//
// New, Close, StartMgr, StartDaemon, WaitMgr, Check, Ceph, CephBatch and
// the Proc methods return errors and are safe from any goroutine. For
// tests, Start wraps New: it fails the test on error, and when the test
// ends calls CheckAlive (a mon or OSD that died during a test fails that
// test, with the tail of its log) and Close. Start, StartCephMgr,
// WaitMgrAvailable, StartOSD, KillOSD, CheckAlive and MustCeph take the
// test's testing.TB and are meant for the test goroutine.
//
// # Start-up, and why it is faster than up.sh
//
// With up.sh, an OSD sometimes never comes up (one start in three here,
// and up.sh then waits out its 45 s loop): with auth none, ceph-osd's
// MonClient, whose initial monmap has fsid zero, is done authenticating
// before the mon's monmap arrives, and the `osd crush set-device-class` it
// sends at init is refused with "wrong fsid"; the OSD gives up (its log:
// "init unable to update_crush_device_class"). Here the OSDs do not update
// their own CRUSH position (osd_crush_update_on_start and
// osd_class_update_on_start are false); the cluster does it for them, with
// the commands and values an OSD uses (`osd crush create-or-move osd.N
// 0.0002 root=default host=H`, `osd crush set-device-class hdd osd.N`).
//
// The rest of the time went to the mon's Paxos batching: every map change
// waits for paxos_propose_interval (1 s) after the previous commit, and an
// OSD boot takes two. The conf sets it to 0.05 s (New with two OSDs and a
// pool: 6.4 s with the default, 0.8 s with that). New then:
//
//  1. writes ceph.conf, runs monmaptool and ceph-mon --mkfs, starts the mon;
//  2. once the mon accepts TCP connections, runs in parallel one `ceph`
//     process reading its commands from stdin (`mon stat`, `osd new` with
//     fixed ids, the CRUSH commands, `osd pool create NAME 8 8`) and every
//     `ceph-osd --mkfs`;
//  3. starts all OSDs at once and polls `ceph osd stat -f json` until
//     num_up_osds is Options.OSDs.
//
// Pools are therefore created before their OSDs boot; their PGs are created
// as the OSDs come up. Without a mgr nothing reports PG states, so New
// does not wait for active+clean.
//
// # Ports
//
// The mon port comes from the kernel (a free ephemeral port, bound by
// ceph-mon a moment later). The OSDs (and ceph-mgr) bind the first free
// ports of a range of 100 (ms_bind_port_min/max) chosen at random below the
// kernel's ephemeral range, so that it never meets another cluster's mon
// port; two clusters whose ranges overlap just take different ports.
//
// A missing binary is ErrNotInstalled, and in Start a test failure, never a
// skip: CI installs Ceph, and interop that silently does not run proves
// nothing.
//
// # Use
//
//	func TestInteropSomething(t *testing.T) {
//		c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
//		c.StartCephMgr(t, "x") // or a gomgr mgr with -c c.Conf
//		c.WaitMgrAvailable(t, "x")
//		out := c.MustCeph(t, "pg", "stat", "-f", "json")
//		...
//		c.CheckAlive(t)
//	}
//
// and outside a test:
//
//	c, err := cephcluster.New(ctx, cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
package cephcluster
