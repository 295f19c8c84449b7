// Package cephx is Ceph's cephx authentication, as Ceph 16.2 speaks it on
// msgr v1: keys and keyring files; the principal's side (CephxClientHandler:
// the MAuth exchange with a mon for a session key and service tickets, the
// rotating secrets of a daemon that is itself a service, authorizers for
// connecting to a service, and the challenge round trip); the service's
// side (verifying a peer's authorizer with the rotating secrets); and
// message signatures.
//
// It does no IO and owns no goroutine: monclient drives the MAuth
// exchange, msgr carries authorizers in its handshake and calls Signature
// for each message of a signed session. Client is safe from any
// goroutine; the rest are values.
//
// Encodings follow src/auth/cephx/CephxProtocol.{h,cc} field for field;
// the crypto is AES-128-CBC with Ceph's fixed IV and PKCS#7 padding.
package cephx
