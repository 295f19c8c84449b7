// Package mon is the deterministic core of gomgr's map authority, after
// Ceph's MgrMonitor, OSDMonitor, LogMonitor and HealthMonitor.
//
// It owns the cluster maps (MgrMap, OSDMap, MonMap, FSMap, ServiceMap), the
// cluster log, health aggregation, config-keys, mon commands and the durable
// store of all of these. The core is etcd-raft shaped: events go in (a
// beacon, an OSD boot or report, a tick, a command), each carrying the
// current time, and map changes come out as Effects. There are no
// goroutines, timers or sockets here; the only IO is the Store.
//
// Goroutines: a Mon and everything it holds is owned by one goroutine (the
// mon daemon's loop); no method is safe for concurrent use. What a Mon hands
// out (maps in Effects, Snapshot values, log entries) is immutable and may be
// shared freely with any goroutine: every change builds a new map with a
// higher epoch (copy on write), so a published map is never modified again.
//
// Timing (see MgrConfig): mgrs beacon every MgrTickPeriod (2 s); the daemon
// calls Tick every TickInterval (500 ms); an active mgr whose last beacon is
// older than BeaconGrace (4 s) is dropped at the next tick and the
// lowest-gid standby promoted in the same epoch. The worst case between the
// active's last beacon and the promotion is BeaconGrace+TickInterval =
// 4.5 s, so a standby takes over within 5 s of the active dying (a beacon
// lost or up to 2 s late is still tolerated).
package mon
