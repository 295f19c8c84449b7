package msgr

// Policy is Ceph's Messenger::Policy: how a connection to one peer type
// behaves across faults.
type Policy struct {
	// Lossy: a fault ends the connection; queued and unacked messages are
	// dropped and the dispatcher gets HandleReset.
	Lossy bool
	// Server: never reconnect; after a fault wait (standby) for the peer.
	Server bool
	// Standby: after a fault with nothing to send, wait idle instead of
	// reconnecting; the next Send reconnects.
	Standby bool
	// ResetCheck: detect that the peer lost our session (connect_seq 0 or
	// RESETSESSION) and reset ours, reporting HandleRemoteReset.
	ResetCheck bool
	// FeaturesRequired must all be offered by the peer, or it gets TAG_FEATURES.
	FeaturesRequired uint64
}

// The policies Ceph defines (Policy.h).
func LossyClient() Policy     { return Policy{Lossy: true} }
func LosslessClient() Policy  { return Policy{ResetCheck: true} }
func LosslessPeer() Policy    { return Policy{Standby: true} }
func StatefulServer() Policy  { return Policy{Server: true, Standby: true, ResetCheck: true} }
func StatelessServer() Policy { return Policy{Lossy: true, Server: true} }
