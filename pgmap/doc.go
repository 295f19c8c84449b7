// Package pgmap is Ceph's PGMap as the active ceph-mgr keeps it
// (src/mon/PGMap.h/.cc, src/mgr/ClusterState.cc, src/mgr/DaemonServer.cc,
// pacific 16.2): the PG, OSD and pool statistics the OSDs report in
// MPGStats, their sums and rates, the PGMapDigest the mgr sends the mon,
// the health checks it derives from them, and the commands and module
// get() names Ceph answers from it, byte for byte.
//
// What it owns:
//
//   - pgmap.go: PGMap, its state and Ceph's update cycle. Ingest puts one
//     MPGStats into the pending incremental (ClusterState::ingest_pgstats);
//     Tick (update_delta_stats, each mgr tick) and ApplyOSDMap
//     (notify_osdmap) apply it (PGMap::apply_incremental), which is when
//     stats become visible and the IO and recovery deltas advance. Digest
//     is PGMap::encode_digest's PGMapDigest.
//   - umap.go: libstdc++'s std::unordered_map iteration order. Ceph dumps
//     pg_stat, osd_stat, pg_pool_sum and the by-state and by-OSD counts in
//     hash order, and so does this package, given the same inserts.
//   - stats.go: the stats arithmetic and dump functions of osd_types.
//   - osdmap.go: what PGMap needs of `ceph osd dump -f json`, of the CRUSH
//     tree (`ceph osd tree -f json`) and of the CRUSH rules.
//   - format.go: Ceph's JSONFormatter (flush and all), the PyFormatter
//     shape of get(), TextTable, byte_u_t and friends.
//   - commands.go: Command and the pg commands (stat, dump, ls,
//     dump_stuck, debug), osd perf and osd blocked-by; summary.go: the
//     digest's summaries and IO rates, osd pool stats; osddf.go: osd df
//     [tree]; df.go: the mon's df and osd utilization; health.go:
//     HealthChecks; get.go: Get.
//
// Ceph's mgr applies nothing before its PGMap is ready (pg_ready: every
// up OSD has reported, or four stats periods have passed): Tick waits
// likewise, and a caller sends the mon a digest only once Ready.
//
// The tests replay what real pacific daemons did (testdata/, and the
// session in ../shared/ceph-wire) and require the real bytes back.
//
// Goroutines: PGMap holds one mutex; every exported method takes it and
// is safe from any goroutine. Nothing here starts a goroutine or reads a
// clock except through the clock SetClock installs (time.Now by
// default), which Command, HealthChecks and Get read as Ceph reads
// ceph_clock_now; Ingest, Tick and ApplyOSDMap take the time as an
// argument.
package pgmap
