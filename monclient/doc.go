// Package monclient is the client side of a mon, after Ceph's MonClient: one
// lossy session with a monitor (hunting through the mons it was given),
// authentication, subscriptions renewed after a reconnect, and commands
// matched by tid. It speaks to gomgr's own mon and to a real ceph-mon alike,
// and never sends either anything but Ceph's encodings.
//
// The client keeps the latest MonMap itself: the cluster's fsid, which every
// MMonCommand must carry, and whether the mon declared itself a gomgr mon
// (messages.MonFeatureGomgr), which callers use to decide whether gomgr's
// private extensions may be sent.
//
// Goroutines: the client's messenger has one event loop and one dispatch
// goroutine; the Handler runs on the dispatch goroutine, in the order the
// mon sent the messages, and never before New has returned. A reconnect
// runs on a goroutine of its own. Every exported method is safe from any
// goroutine.
package monclient
