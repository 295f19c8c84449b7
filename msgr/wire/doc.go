// Package wire is the byte-level codec of Ceph's msgr v1 protocol and the
// incremental frame parser a connection keeps.
//
// It owns the v1 formats, byte for byte as Ceph 16 (pacific) writes them:
// the banner, the legacy 136-byte entity_addr_t, ceph_msg_connect and
// ceph_msg_connect_reply with their authorizers, the tag-prefixed frames of an
// open session (MSG, ACK, KEEPALIVE, KEEPALIVE2, KEEPALIVE2_ACK, CLOSE), the
// 53-byte message header and 21-byte footer, Ceph's crc32c, and the feature
// bits gomgr negotiates.
//
// Encoders are append-style (AppendX(dst, ...) []byte) and never fail;
// decoders read a fixed-size prefix of their input and return a sentinel error
// from errors.go when it is short or invalid. They never panic on any input.
//
// Goroutines: nothing here starts goroutines or holds locks. Encoders and
// decoders are safe from any goroutine. A Parser is owned by one goroutine at
// a time (in gomgr, the event loop that owns the connection); it keeps the
// partial frame between reads.
//
// Aliasing: a Parser never retains the input slices it is fed, and every
// byte slice it hands out (message segments, authorizers, addresses) is
// freshly allocated and owned by the caller. The *Frame it returns is reused:
// its fields are valid until the next call to Next or Feed, so copy the
// values you need (the slices inside may be kept). Decoders (DecodeHeader
// etc.) likewise copy: nothing they return aliases their input.
package wire
