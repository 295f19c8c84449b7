// Package crush is Ceph's CRUSH placement and the upmap balancer's
// calc_pg_upmaps in pure Go (pacific, 16.2.15), with no IO: it reads the
// JSON of `ceph osd crush dump` and `ceph osd dump` and answers what
// Ceph's C and C++ would answer, placement for placement.
//
// What it owns:
//
//   - map.go: Map, parsed from a crush dump (devices, types, buckets with
//     16.16 weights, rules, tunables, choose_args weight sets).
//   - hash.go, ln.go: the rjenkins1 hashes and crush_ln, whose lookup
//     tables are generated at first use from their definitions plus the
//     departures Ceph's published tables make from them (kept as data so
//     straw2 draws agree bit for bit; see ln.go).
//   - mapper.go: Map.DoRule, crush_do_rule: take, choose and chooseleaf
//     firstn/indep, emit, the set_* tunable steps; straw2, list and
//     uniform buckets. Tree and straw (v1) buckets, and hashes other than
//     rjenkins1, are refused with ErrUnsupported rather than mapped wrong.
//   - osdmap.go: OSDMap, parsed from an osd dump and bound to a Map, and
//     OSDMap::pg_to_up_acting_osds' up half: raw_pg_to_pps, the pool's
//     weight set, _remove_nonexistent_osds, _apply_upmap, _raw_to_up_osds
//     and primary affinity. pg_temp (the acting set) is not modelled.
//   - upmap.go, remap.go, tree.go: OSDMap::calc_pg_upmaps with
//     try_pg_upmap and CrushWrapper::try_remap_rule, in Ceph's float
//     arithmetic; Ceph's default "aggressive" mode shuffles with a seed
//     (UpmapOptions.Seed), its deterministic mode matches osdmaptool
//     --upmap exactly. clean_pg_upmaps (the mon's cleanup) is not here.
//
// The tests hold the package to Ceph's own tools: crushtool --test for
// mappings, osdmaptool --test-map-pgs-dump-all for placement and
// osdmaptool --upmap for calc_pg_upmaps.
//
// Goroutines: nothing here starts one. A Map and an OSDMap are not
// changed after parsing (CalcPGUpmaps works on a copy), so every method
// is safe from any goroutine; the package's one global, the ln tables,
// is computed once under sync.Once.
package crush
