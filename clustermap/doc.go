// Package clustermap holds the cluster maps as gomgr keeps and shows them:
// MgrMap, OSDMap (and the OSDMapIncremental between two epochs), MonMap,
// FSMap, ServiceMap, health and the cluster log's entries, in the JSON
// shapes of Ceph 16.2's `-f json` dumps, with their conversions to and from
// Ceph's binary encodings (package messages) where gomgr speaks them.
//
// gomgr's mon (package mon) owns and changes them; the mgr (package host)
// and the simulated OSDs read them, without importing the mon. A published
// map is immutable: every change builds a new one (Clone), so a map may be
// shared with any goroutine once published. Nothing here starts a
// goroutine or holds state between calls.
package clustermap
