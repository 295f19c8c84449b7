// Package host is the manager daemon, after Ceph's MgrStandby, Mgr and
// DaemonServer: a Standby beacons to the mon, keeps the cluster maps it is
// sent, and runs the active side when the MgrMap names it (and stops it
// when it no longer does, without restarting itself or its module host).
//
// What it owns:
//   - Standby: the mon session (monclient.Client), the module registry,
//     the cluster-state cache, and the active side while active.
//   - The mapFetcher (ceph.go), on a goroutine of its own: with a real
//     ceph-mon it turns the binary OSDMap and FSMap epochs the mon
//     announces into `osd dump` and `fs dump` JSON; with either mon it
//     gives the PGMap the CRUSH tree and rules after each osdmap epoch.
//     Also for a real mon: cephOptions, the module options in Ceph's
//     config database (MConfig in, config set out). The mon kind is the
//     monclient's Gomgr(): gomgr's private encodings go only to a mon that
//     declared itself.
//   - ClusterState and DaemonIndex: what modules read (registry.State).
//     Maps are immutable *registry.Value snapshots behind an atomic pointer,
//     converted once per epoch by each module; PG-derived values come from
//     the PGMap (package pgmap, fed by the OSDs' MPGStats) and are built at
//     most once per PGMap version.
//   - ConfigStore: get_store data (and, with gomgr's mon, module options)
//     on the mon's config-keys, cached and kept current by MConfig pushes.
//   - the daemon listener, as Ceph's DaemonServer: MMgrOpen, MMgrReport,
//     MPGStats, MMgrCommand and MCommand, the commands in Ceph's
//     get_command_descriptions form; and the Prometheus endpoint.
//   - the modules' OSD perf metric queries (perfquery.go, Ceph's
//     OSDPerfMetricCollector): sent to every OSD session in MMgrConfigure
//     when they change and in the reply to an OSD's MMgrOpen, and the
//     OSDs' reports summed per key until a module reads them.
//
// Goroutines: Standby.run alone changes the role (activate, deactivate)
// and sends beacons and reports on its tick; the mon client's dispatch
// goroutine updates the cache and calls NotifyAll, in map order; with a
// real ceph-mon, the mapFetcher's goroutine does so for the maps it
// fetches (the dispatch goroutine must stay free to deliver the command
// replies it waits for); the daemon messenger's dispatch goroutines apply
// reports. Exported methods are safe from any goroutine.
//
// A Standby refused its name by gomgr's mon (another live mgr has it) for
// a few beacons in a row stops on its own: Done is closed and Err is
// ErrNameInUse. With cephx (Config.Cephx) the mgr authenticates with the
// mon as mgr.NAME, keeps the mgr service's rotating secrets, verifies the
// authorizers of its daemons and clients, and checks each command against
// the peer's mgr caps.
package host
