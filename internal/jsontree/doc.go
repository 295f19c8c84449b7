// Package jsontree parses JSON into the plain tree gomgr hands modules
// (registry.Value.Data): maps, slices, strings, int64 for integers, float64
// otherwise. It is what a mgr does with every osdmap epoch and a module
// process with every new version it reads, so it is written for speed and
// checked against encoding/json by a fuzz target.
//
// Marshal and Append encode such a tree back, byte for byte as
// encoding/json.Marshal does but without reflection, for hosts that
// re-serialize large maps; FuzzMarshal checks the two agree.
package jsontree
