// Package netpoll is the only code in gomgr that calls epoll, eventfd and
// socket options. It is a thin layer over golang.org/x/sys/unix.
//
// Ownership: a Poller belongs to one event-loop goroutine, which alone calls
// Wait, Add, Mod and Del. Wake is the one method safe from any goroutine: it
// writes the poller's eventfd so a blocked Wait returns. Socket helpers are
// plain functions on file descriptors and are safe from any goroutine, but the
// descriptor they act on must be owned by the caller.
//
// The poller is level-triggered: a loop that stops reading a socket early
// (to cap reads per wake-up, or because the dispatch throttle is full) is
// simply told again on the next Wait, so no readiness is ever lost.
package netpoll
