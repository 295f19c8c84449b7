package host

import (
	"slices"
	"sync"
	"time"

	"gomgr/messages"
	"gomgr/msgr/wire"
)

// clogMaxPending bounds the cluster log lines kept until the mon
// acknowledges them; past it the oldest are dropped.
const clogMaxPending = 1000

// clusterLog sends modules' cluster log lines to a real mon as Ceph's
// LogClient does: in MLog, each line with the next sequence number, kept
// until an MLogAck covers it. The lines not acknowledged go again with
// the next one (after a lost session, say); the mon drops those it has.
type clusterLog struct {
	mu      sync.Mutex
	seq     uint64
	pending []messages.LogEntry
}

// add numbers e and returns every line the mon has not acknowledged, e
// last: what the next MLog carries.
func (c *clusterLog) add(e messages.LogEntry) []messages.LogEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	e.Seq = c.seq
	c.pending = append(c.pending, e)
	if n := len(c.pending) - clogMaxPending; n > 0 {
		c.pending = slices.Delete(c.pending, 0, n)
	}
	return slices.Clone(c.pending)
}

// ack forgets the lines up to and including sequence number last.
func (c *clusterLog) ack(last uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = slices.DeleteFunc(c.pending, func(e messages.LogEntry) bool { return e.Seq <= last })
}

// sendClusterLog sends one module line to the mon's cluster log.
func (s *Standby) sendClusterLog(channel string, priority int, msg string) error {
	entries := s.clog.add(messages.LogEntry{
		Name:    messages.AuthName{Type: wire.EntityMgr, ID: s.cfg.Name},
		Rank:    wire.EntityName{Type: wire.EntityMgr, Num: int64(s.monc.GlobalID())},
		Stamp:   messages.UtimeOf(time.Now()),
		Prio:    uint16(priority),
		Msg:     msg,
		Channel: channel,
	})
	return s.monc.Send(&messages.Log{Paxos: messages.NewPaxos(0), FSID: s.monc.FSID(), Entries: entries})
}
