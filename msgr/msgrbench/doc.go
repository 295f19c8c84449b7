// Package msgrbench is the engine behind `gomgr bench msgr`: an echo
// benchmark of the msgr v1 messenger against a control written the plain Go
// way, with the server in this process and the load-generating client in a
// separate process (the caller's executable, re-executed).
//
// Two server implementations are measured:
//
//   - "gomgr": a msgr.Messenger (epoll event loops) that echoes every
//     message from FastDispatch, on its event loop.
//   - "stdlib": the same v1 framing and handshake with wire's codecs, a
//     reader and a writer goroutine per net.Conn, bufio on both sides.
//
// The client process is the same for both (stdlib framing, a reader and a
// writer goroutine per connection, a window of outstanding messages per
// connection), so differences come from the server. v1 identifies a session
// by the client's address, so one gomgr Messenger cannot open 256 sessions
// to one server; a goroutine-per-connection load generator is the honest
// common client.
//
// Ownership: Run, RunServer and RunClient each own the goroutines they start
// and stop them before returning. Nothing here is meant to be shared between
// goroutines by callers.
package msgrbench
