package msgr

import "sync/atomic"

// Stats are the messenger's counters. All fields are atomics: read them from
// any goroutine.
type Stats struct {
	MsgsIn      atomic.Uint64 // messages received and handed to dispatch
	MsgsOut     atomic.Uint64 // messages put on the wire (resends included)
	BytesIn     atomic.Uint64 // socket bytes read
	BytesOut    atomic.Uint64 // socket bytes written
	Faults      atomic.Uint64 // socket faults (errors, EOF, injected, timeouts)
	Reconnects  atomic.Uint64 // client reconnect attempts after a fault
	Resets      atomic.Uint64 // lossy sessions ended by a fault (HandleReset)
	RemoteReset atomic.Uint64 // sessions the peer reset (HandleRemoteReset)
	Resent      atomic.Uint64 // messages resent after a reconnect
	Duplicates  atomic.Uint64 // received messages dropped as seq <= in_seq
	BadFrames   atomic.Uint64 // connections closed for malformed input
	Throttled   atomic.Uint64 // times a connection stopped reading for the dispatch throttle
	Accepted    atomic.Uint64 // sockets accepted
	Connections atomic.Int64  // live Connection objects (sessions and handshakes)

	PartialBytes atomic.Int64  // bytes reserved now by messages being received (the Config.MaxPartialBytes budget)
	PartialWaits atomic.Uint64 // times a connection stopped reading to wait for that budget
	AuthWaits    atomic.Uint64 // times an unauthenticated connection was held at a message over Config.MaxPreAuthBytes
	Oversized    atomic.Uint64 // connections closed for a message over their cap, or not authenticated in time to read it
	Stalls       atomic.Uint64 // connections faulted for sending nothing for Config.StallTimeout inside a message
}

// StatsSnapshot is a plain copy of Stats.
type StatsSnapshot struct {
	MsgsIn, MsgsOut, BytesIn, BytesOut, Faults, Reconnects, Resets, RemoteReset,
	Resent, Duplicates, BadFrames, Throttled, Accepted uint64
	Connections                                int64
	PartialBytes                               int64
	PartialWaits, AuthWaits, Oversized, Stalls uint64
}

// Snapshot copies the counters. Safe from any goroutine.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		MsgsIn: s.MsgsIn.Load(), MsgsOut: s.MsgsOut.Load(), BytesIn: s.BytesIn.Load(),
		BytesOut: s.BytesOut.Load(), Faults: s.Faults.Load(), Reconnects: s.Reconnects.Load(),
		Resets: s.Resets.Load(), RemoteReset: s.RemoteReset.Load(), Resent: s.Resent.Load(),
		Duplicates: s.Duplicates.Load(), BadFrames: s.BadFrames.Load(), Throttled: s.Throttled.Load(),
		Accepted: s.Accepted.Load(), Connections: s.Connections.Load(),
		PartialBytes: s.PartialBytes.Load(), PartialWaits: s.PartialWaits.Load(), AuthWaits: s.AuthWaits.Load(),
		Oversized: s.Oversized.Load(), Stalls: s.Stalls.Load(),
	}
}
