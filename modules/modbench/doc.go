// Package modbench measures gomgr's Python modules end to end, through the
// registry with real module code, in three modes: isolated (gpython, one
// child process per module, modules/isolate), in-process (gpython inside
// the manager) and cpython (Debian's python3, one process per module, the
// module on Ceph's own mgr_module.py: modules/cpython). It is the engine of `gomgr bench modules` (issue #4).
//
// Run generates benchmark modules into a temporary directory (their
// notify calls self.get('osd_map') and self.log.debug, as a real module
// would), serves them a Ceph-shaped 1,000-OSD osd_map from a
// registry.MemState, and measures, per mode:
//
//   - notify: events per second delivered through NotifyAll to 1 and to 10
//     modules, with the latency from NotifyAll to the return of the Notify
//     that carried the event (registry.Config.ObserveNotify), unloaded (one
//     event in flight) and under the throughput load;
//   - enable_to_first_notify: Registry.Enable to the module's first
//     delivered event, for modules already loaded (as the registry loads
//     every module at start), p50 over several modules, for a notify that
//     calls get('osd_map') (whose first call converts the map) and for one
//     that only logs (the host's own cost);
//   - get_osd_map: one get('osd_map') from Python, timed inside the module
//     with time.monotonic, for a new version (converted, or shipped as
//     JSON to the child and decoded) and for the cached version;
//   - rss: resident memory with 10 modules running, the process and its
//     descendants (the module processes in isolated and cpython modes),
//     and the same figure before any module was loaded; RSS and PSS (pages
//     shared between the processes counted once).
//
// # Goroutines
//
// Run is synchronous and owns its registries; the ObserveNotify hook runs
// on the registry's module goroutines and only touches atomic counters and
// a mutex-guarded sample slice. Nothing is left running when Run returns.
//
// # Isolated mode needs a child role
//
// The isolated mode re-executes a program that calls isolate.MaybeRunChild
// with a Python Source reading its directories from the environment.
// Options.Isolate wraps the generated directory's Source accordingly;
// `gomgr` passes the same environment its `mgr` uses (GOMGR_MODULE_DIRS).
package modbench
