// Package mon is the deterministic core of gomgr's map authority, after
// Ceph's MgrMonitor, OSDMonitor, LogMonitor and HealthMonitor.
//
// It owns the cluster maps (the types of package clustermap: MgrMap,
// OSDMap, MonMap, FSMap, ServiceMap in the JSON shapes of Ceph 16.2's
// `-f json` dumps), the cluster log, health aggregation, config-keys,
// subscriptions, mon commands and the durable store of all of these. The
// core (Mon) is etcd-raft shaped: events go in (a beacon, an OSD boot or
// report, a tick, a command, a subscription), each carrying the current
// time, and what changed comes out as Effects: new maps, new log entries,
// and Deliveries (the same routed to subscribers, MMonSubscribe style). The
// core has no goroutines, timers or sockets; its only IO is the Store,
// written before Effects are returned, so no subscriber ever sees an epoch
// a restart could lose.
//
// Apart from the core, Daemon (daemon.go) puts it on the network: a
// messenger, one owner goroutine that drives the Mon, and its tick. The
// client side of a mon is package monclient, which the mgr, the simulated
// OSDs and the CLI use against this mon and a real ceph-mon alike.
//
// Goroutines: a Mon and everything it holds is owned by one goroutine (the
// mon daemon's loop); no method is safe for concurrent use. What a Mon hands
// out (maps in Effects, Deliveries and Snapshots, log entries) is immutable
// and may be shared with any goroutine: every change builds a new map with a
// higher epoch (copy on write), so a published map is never modified.
//
// Mgr failover timing (MgrConfig): mgrs beacon every TickPeriod (1 s,
// mgr_tick_period); the daemon calls Tick every TickInterval (500 ms); an
// active whose last beacon is older than BeaconGrace (3 s,
// mon_mgr_beacon_grace) is dropped at the next tick and the lowest-gid
// standby promoted in the same epoch. In the worst case the active dies
// right after a beacon: it is dropped BeaconGrace+TickInterval = 3.5 s
// later, so a standby takes over well within 5 s of the kill (plus map
// delivery); two lost beacons do not cause a failover. A gap between ticks
// longer than BeaconGrace-TickPeriod (2 s) is taken as a mon stall and
// restarts every beacon clock, as Ceph's tick does. A mgr whose session
// with the mon closes (its process died: the kernel resets the connection)
// and that does not beacon again within SessionGrace (500 ms) is dropped
// then: the daemon ticks at that moment, so kill -9 of the active fails
// over in about half a second; a hung mgr (its session open) still falls
// to BeaconGrace. A mgr beacons at once on each new session, so a live one
// that lost its session keeps its place.
//
// OSD timing (OSDConfig): an up OSD without a report for DownGrace (6 s) is
// marked down, and out after OutInterval (30 s) down, unless noout is set.
// OSD changes within ProposeInterval (1 s) of the last epoch are batched
// into the next tick's epoch, so a boot storm does not write one OSDMap per
// OSD; commands commit at once.
//
// Mon commands (commands.go): each is one entry of a table, with its
// signature, help, mon caps and handler; the dispatch, the caps check,
// Commands (what the CLI matches a command line against) and the CLI's
// help all come from it.
//
// Osdmaps go to subscribers as incrementals (OSDMapIncremental) when the
// monitor still has the epoch a subscriber holds: it keeps the last 32
// committed maps (osdHistory), so a subscriber that reconnects a few
// epochs behind catches up without a full map.
//
// Store layout (Store): fsid, mgrmap.json, osdmap.json (the full osdmap)
// and osdmap.inc.<epoch>.json (each later epoch as an OSDMapIncremental,
// until CompactOSDMap writes the full map again, every 32 epochs or so),
// monmap.json, fsmap.json, servicemap.json, logseq, clog.jsonl (the
// cluster log, appended and fsynced per batch, compacted to the newest
// LogSize entries), and config-key/<one file per key>; every other write is
// temp file + fsync + rename + fsync of the directory. The fsid is written
// last at mkfs (a hidden .mkfs marker before it tells a crashed mkfs from
// a lost fsid): a directory with an fsid must hold every map file, the
// config-key directory and unbroken osdmap incrementals, and one without
// an fsid must be empty, or Open refuses it (ErrStoreCorrupt, naming what
// is missing and what to do) and changes nothing; a new cluster is made
// only in an empty directory or by Mkfs (`gomgr mon --mkfs`).
//
// cephx (DaemonConfig.Cephx; `gomgr mon` defaults to it): the keys live in
// the data dir's keyring (KeyringFile, 0600), made with a mon key and
// client.admin's when the dir is new; a dir that lost it is refused
// (ErrNoKeyring). Each session runs the cephx exchange (cephx.KeyServer)
// before anything else it sends is acted on; a hello without cephx is
// refused. Each command is checked against the entity's mon caps (reads
// "r", changes "rw", showing keys "rx", making them "rwx"); `auth
// get-or-create|get|ls` manage the keys, and the mgr service's rotating
// secrets come from the same key server.
//
// One mgr per name: a beacon that uses the name of a live mgr (its session
// open, its beacons within the grace) is refused with no new epoch, a
// cluster-log warning and the health check MGR_DUPLICATE_NAME; a name whose
// holder is gone is taken over at once, as a restarted mgr's. Enabled modules live
// in mgrmap.json. Not persisted: mgr and OSD metadata, and mgr module
// health checks (the active mgr re-sends them with its next report).
//
// Scenario tests live in testdata/*.txt; their DSL is described at the top
// of scenario_test.go.
package mon
