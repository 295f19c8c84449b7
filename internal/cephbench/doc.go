// Package cephbench is the engine behind `gomgr bench ceph`: on one real
// Ceph 16.2 cluster (internal/cephcluster: a ceph-mon, two memstore
// ceph-osds), how soon after the mon commits an osdmap epoch a manager
// module hears of it, under gomgr and under the real ceph-mgr, in the same
// run and with the same probe module.
//
// # The probe
//
// One Python module, written at run time into a temp dir in Ceph's layout
// (benchprobe/__init__.py with `from .module import Module`, and
// benchprobe/module.py), in the common dialect of gpython and CPython: no
// f-strings, no str.format, super(Module, self). gomgr loads
// benchprobe/module.py from `--modules DIR`; ceph-mgr loads the package
// from `--mgr_module_path DIR`, where the directory also links Ceph's
// mgr_module.py and mgr_util.py (ceph-mgr looks for mgr_module only on its
// module path). Ceph's own modules are not on that path: ceph-mgr reports
// its always-on modules as failed (HEALTH_ERR) but goes active and runs the
// probe, so both managers run the probe alone. The probe is enabled once,
// before either manager starts (`ceph mgr module enable benchprobe
// --force`), so ceph-mgr never respawns to enable it.
//
// In notify("osd_map", ...) the probe first takes time.time_ns(), then
// reads get("osd_map") for the epoch (Ceph passes no epoch in notify_id)
// and which OSDs are out; its command `benchprobe seen` returns every
// record.
//
// # The measure
//
// Each manager in turn is the only one running. Run marks one OSD out,
// then in, alternately (Options.Changes epochs in all), each change only
// after the probe has heard of the previous one and Options.Settle has
// passed (a change makes the PGs peer, and the OSDs may commit an epoch or
// two more: up_thru, pg_temp; those are counted, not sampled). A change's
// sample is the first epoch the probe saw with the OSD in its new state:
// its latency is the probe's time.time_ns() minus the epoch's "modified"
// stamp from `ceph osd dump EPOCH -f json`, which the mon sets when it
// encodes the epoch for its Paxos commit (the same clock: one machine).
//
// # Ownership
//
// Run owns the cluster, the managers and the temp dir, on the caller's
// goroutine, and removes them all before it returns.
package cephbench
