// Package msgr is gomgr's asynchronous messenger, after Ceph's
// AsyncMessenger: epoll event loops speaking the msgr v1 protocol (framing
// and codecs in msgr/wire, epoll and sockets in msgr/internal/netpoll).
//
// # Goroutines and ownership
//
//   - Event loops (Config.Workers). Each is ONE goroutine that alone owns its
//     poller, its 64 KiB read buffer, its timer heap and every Connection
//     assigned to it: the socket, the parser, the write iovecs, the sent and
//     resend lists, sequence numbers, handshake state and timers. Nothing
//     else touches those fields. Other goroutines reach a loop only by
//     posting a task to its queue (a mutex-guarded slice) and waking it
//     through the poller's eventfd; an atomic flag makes that one eventfd
//     write per batch of posts, not per post.
//   - The listener is registered on loop 0; it accepts until EAGAIN and hands
//     each socket to the loop with the fewest connections.
//   - Dispatch goroutines (Config.DispatchWorkers) drain the DispatchQueue.
//     A connection's messages and events always go to the same dispatch
//     goroutine, so per-connection order holds.
//   - Any goroutine may call the exported methods of Messenger and the
//     "any goroutine" methods of Connection (all of them, today): they
//     touch only the out queue (Connection.outMu), atomics and the
//     messenger maps (Messenger.mu), and post to the loop.
//
// A connection never changes loop once it is a session. A handshake whose
// peer already has a session on another loop migrates to that loop before
// the two are compared (Ceph's replace), so the decision runs on one
// goroutine without locks.
//
// Lock order: Messenger.mu, then loop.tmu; Connection.outMu is a leaf;
// waitList.mu and shard.mu are leaves.
//
// # Flow control
//
// Send appends to per-priority out queues (highest first) and posts one
// flush per batch; the eventfd is written only when the loop is blocked in
// epoll_wait (a busy loop, or a Send from the loop itself, costs no
// syscall). The loop encodes frames into a per-connection arena (payloads up
// to 256 bytes are copied there too, as Ceph coalesces them; larger ones go
// out as their own iovecs, never copied) and writes with one writev,
// registering for writability only while bytes remain. Each iteration first
// polls epoll without blocking (a raw syscall, no scheduler hand-off) and
// blocks only when that finds nothing. Reads are capped at 4 x 64 KiB per readiness report
// (level-triggered, so the rest is reported again). When the bytes queued
// for dispatch exceed Config.DispatchThrottleBytes a loop stops reading that
// connection (read interest removed) until the dispatchers drain below the
// limit: at most one read chunk plus one message per connection can
// overshoot it.
//
// # Memory of messages being received
//
// A peer's claim costs nothing until its bytes come: the parser grows a
// message's buffer as they arrive (doubling, never past the claim), and
// before it reads any segment the loop decides about the header
// (admitHeader):
//
//   - A claim over Config.MaxConnPartialBytes (default, and at most,
//     MaxMessageSize) can never be read: the connection is closed with a
//     warning, as for one over MaxMessageSize.
//   - A connection that is not authenticated gets MaxPreAuthBytes (64 KiB,
//     room for MAuth or MMgrOpen). The application vouches for a peer with
//     Connection.SetAuthenticated; dialled connections, and all of them with
//     Config.TrustPeers, start authenticated. Over the cap, the connection
//     stops reading right after the header and waits, nothing allocated,
//     until it is authenticated, or is closed with a warning after
//     HandshakeTimeout. It waits rather than being closed at once because
//     a peer may send its next message right behind the one that
//     authenticates it, while a dispatch goroutine is still deciding.
//   - Otherwise the claim is reserved from Config.MaxPartialBytes (128 MiB,
//     messenger-wide; Stats.PartialBytes). With no room, the connection
//     stops reading (read interest off, as for the dispatch throttle) and
//     retries when a reservation is released: a message completed (its
//     bytes then count against DispatchThrottleBytes) or a connection
//     closed. A message always fits when nothing else is reserved.
//   - A connection that sends nothing for StallTimeout (30 s) inside a
//     reserved message is faulted. A close or fault drops the partial
//     message with its buffer and releases its reservation, as does
//     IdleTimeout.
//
// This is how Ceph's policy throttlers behave (mon_client_bytes,
// osd_client_message_size_cap), as Ceph operators know them: the claimed
// size is reserved before the payload is read, and a busy daemon slows its peers down instead of
// cutting them off; only a claim that can never fit, or a stranger that
// never authenticates, is closed. Reserving whole claims keeps them
// all-or-nothing: every admitted message can complete, so connections
// never deadlock each holding half the budget. Unlike Ceph, memory follows
// the bytes, not the reservation. Bounds: messages being received hold at
// most MaxPartialBytes, plus, per held connection, the rest of the one
// read (64 KiB) that brought its header.
//
// # Sessions
//
// Policies follow Ceph's Policy: lossy sessions end at the first fault
// (HandleReset, queue dropped); lossless ones keep out_seq/in_seq, batch
// ACKs, keep sent messages until acked and resend them in order after the
// v1 reconnect (connect_seq/global_seq, TAG_SEQ, RETRY_SESSION,
// RETRY_GLOBAL, RESETSESSION, WAIT), dropping duplicates (seq <= in_seq).
// Clients reconnect with backoff from Config.BackoffInitial (0.2 s)
// doubling to Config.BackoffMax; servers wait in standby for the peer.
package msgr
