package mon

import (
	"time"

	"gomgr/clustermap"
)

// logMsg is a log line a monitor asks for; the Mon stamps and numbers it.
type logMsg struct {
	Priority string
	Message  string
}

// Effects is what one event changed: each non-nil map is a new epoch (already
// persisted), Log holds new cluster log entries, Deliveries is the same
// routed to the subscribers that want it (see Subscribe), and Reply, when
// set, is a MgrMap to send back to the beacon's sender only (a mgr that
// believes it is active but is not).
type Effects struct {
	MgrMap     *clustermap.MgrMap
	OSDMap     *clustermap.OSDMap
	MonMap     *clustermap.MonMap
	FSMap      *clustermap.FSMap
	ServiceMap *clustermap.ServiceMap
	Log        []clustermap.LogEntry
	Reply      *clustermap.MgrMap
	Deliveries []Delivery

	pending []logMsg
}

func (e *Effects) log(prio, msg string) { e.pending = append(e.pending, logMsg{prio, msg}) }

// merge folds o into e; later maps win.
func (e *Effects) merge(o Effects) {
	if o.MgrMap != nil {
		e.MgrMap = o.MgrMap
	}
	if o.OSDMap != nil {
		e.OSDMap = o.OSDMap
	}
	if o.MonMap != nil {
		e.MonMap = o.MonMap
	}
	if o.FSMap != nil {
		e.FSMap = o.FSMap
	}
	if o.ServiceMap != nil {
		e.ServiceMap = o.ServiceMap
	}
	if o.Reply != nil {
		e.Reply = o.Reply
	}
	e.Log = append(e.Log, o.Log...)
	e.pending = append(e.pending, o.pending...)
}

// Empty reports whether nothing changed.
func (e Effects) Empty() bool {
	return e.MgrMap == nil && e.OSDMap == nil && e.MonMap == nil && e.FSMap == nil &&
		e.ServiceMap == nil && len(e.Log) == 0 && e.Reply == nil && len(e.pending) == 0
}

// ClusterLog is a bounded ring of cluster log entries with increasing
// sequence numbers (Ceph's LogMonitor); the Mon keeps it durable through
// its Store's log file.
type ClusterLog struct {
	name, rank string
	addrs      clustermap.AddrVec
	ring       []clustermap.LogEntry
	start      int // index of the oldest entry
	n          int
	next       uint64
}

// NewClusterLog keeps the last size entries; seq numbering starts at first.
func NewClusterLog(size int, name, rank string, addrs clustermap.AddrVec, first uint64) *ClusterLog {
	if size < 1 {
		size = 1
	}
	if first == 0 {
		first = 1
	}
	return &ClusterLog{name: name, rank: rank, addrs: addrs.Clone(), ring: make([]clustermap.LogEntry, size), next: first}
}

// Append adds one entry on channel and returns it.
func (l *ClusterLog) Append(now time.Time, channel, prio, msg string) clustermap.LogEntry {
	return l.AppendFrom(clustermap.LogEntry{Name: l.name, Rank: l.rank, Addrs: l.addrs, Stamp: clustermap.Stamp{Time: now},
		Channel: channel, Priority: prio, Message: msg})
}

// AppendFrom adds an entry another daemon sent (MLog): its name, rank,
// addrs and stamp are kept; the seq is the log's own.
func (l *ClusterLog) AppendFrom(e clustermap.LogEntry) clustermap.LogEntry {
	e.Seq = l.next
	l.next++
	i := (l.start + l.n) % len(l.ring)
	l.ring[i] = e
	if l.n < len(l.ring) {
		l.n++
	} else {
		l.start = (l.start + 1) % len(l.ring)
	}
	return e
}

// restore puts back entries read from the store (oldest first, seqs
// ascending) into an empty log; the next seq stays above them all.
func (l *ClusterLog) restore(entries []clustermap.LogEntry) {
	next := l.next
	for _, e := range entries {
		l.next = e.Seq
		l.AppendFrom(e)
	}
	l.next = max(l.next, next)
}

// NextSeq is the seq the next entry gets.
func (l *ClusterLog) NextSeq() uint64 { return l.next }

// Last returns up to n most recent entries of channel ("" or "*" for all),
// oldest first, like `ceph log last n`.
func (l *ClusterLog) Last(n int, channel string) []clustermap.LogEntry {
	out := []clustermap.LogEntry{}
	for i := l.n - 1; i >= 0 && len(out) < n; i-- {
		e := l.ring[(l.start+i)%len(l.ring)]
		if channel == "" || channel == "*" || e.Channel == channel {
			out = append(out, e)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Since returns the kept entries with seq >= seq, oldest first (what a
// `log` subscriber starting at seq is sent).
func (l *ClusterLog) Since(seq uint64) []clustermap.LogEntry {
	out := []clustermap.LogEntry{}
	for i := 0; i < l.n; i++ {
		e := l.ring[(l.start+i)%len(l.ring)]
		if e.Seq >= seq {
			out = append(out, e)
		}
	}
	return out
}
