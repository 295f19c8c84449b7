package mon

import (
	"fmt"
	"sort"

	"gomgr/clustermap"
	"gomgr/messages"
)

// SessionID names one client connection of the mon daemon.
type SessionID uint64

// Delivery is one message the daemon sends: a map (Map is *MgrMap,
// *OSDMap, *MonMap, *FSMap or *ServiceMap, immutable) or, for "log*"
// subscriptions, a batch of log entries.
type Delivery struct {
	Session SessionID
	What    string // the subscription name it answers
	Epoch   uint64 // the map's epoch, or the last entry's seq
	Map     any
	// Since, for an osdmap, is the chain of maps from the one the
	// subscriber holds (it asked to start after it, or was sent it) up to
	// Map, when the monitor still has them: incrementals will do. Nil: send
	// Map whole.
	Since []*clustermap.OSDMap
	Log   []clustermap.LogEntry
}

type subState struct {
	next    uint64
	onetime bool
}

// subscriptions is Ceph's MMonSubscribe bookkeeping: per name, the
// sessions that want it and the next epoch (or log seq) each expects.
type subscriptions struct {
	byWhat map[string]map[SessionID]*subState
}

var logLevels = map[string]int{"log": 0, "log-debug": 0, "log-info": 1, "log-sec": 2, "log-warn": 3, "log-error": 4}

var prioLevel = map[string]int{clustermap.PrioDebug: 0, clustermap.PrioInfo: 1, "[SEC]": 2, clustermap.PrioWarn: 3, clustermap.PrioError: 4}

// Subscribe is MMonSubscribe for one name: start is the first epoch (or
// log seq) wanted, 0 for "the current one". A map the subscriber does not
// have yet is delivered at once; later epochs arrive through
// Effects.Deliveries. onetime subscriptions end after one delivery.
func (m *Mon) Subscribe(s SessionID, what string, start uint64, onetime bool) ([]Delivery, error) {
	_, isLog := logLevels[what]
	switch what {
	case messages.SubMgrMap, messages.SubOSDMap, messages.SubMonMap, messages.SubFSMap, messages.SubServiceMap, messages.SubMgrDigest:
	default:
		if !isLog {
			return nil, fmt.Errorf("%w: unknown subscription %q", ErrInvalid, what)
		}
	}
	if m.subs.byWhat == nil {
		m.subs.byWhat = map[string]map[SessionID]*subState{}
	}
	set := m.subs.byWhat[what]
	if set == nil {
		set = map[SessionID]*subState{}
		m.subs.byWhat[what] = set
	}
	st := &subState{next: start, onetime: onetime}
	set[s] = st
	if what == messages.SubMgrDigest {
		return nil, nil // periodic: see Digests
	}
	var out []Delivery
	if isLog {
		if start == 0 {
			st.next = m.clog.NextSeq() // only new entries
			return nil, nil
		}
		out = m.routeLog(what, s, st, m.clog.Since(start))
	} else if d, ok := m.routeMap(what, s, st, m.currentMap(what)); ok {
		out = append(out, d)
	}
	if onetime && len(out) > 0 {
		delete(set, s)
	}
	return out, nil
}

// Unsubscribe drops every subscription of a closed session.
func (m *Mon) Unsubscribe(s SessionID) {
	for _, set := range m.subs.byWhat {
		delete(set, s)
	}
}

// DigestTargets lists the sessions subscribed to mgrdigest (the daemon
// sends each Digest every mon_mgr_digest_period).
func (m *Mon) DigestTargets() []SessionID {
	out := make([]SessionID, 0, len(m.subs.byWhat[messages.SubMgrDigest]))
	for s := range m.subs.byWhat[messages.SubMgrDigest] {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (m *Mon) currentMap(what string) any {
	switch what {
	case messages.SubMgrMap:
		return m.mgr.Map()
	case messages.SubOSDMap:
		return m.osd.Map()
	case messages.SubMonMap:
		return m.monmap
	case messages.SubFSMap:
		return m.fsmap
	case messages.SubServiceMap:
		return m.svcmap
	}
	return nil
}

func mapEpoch(v any) uint64 {
	switch t := v.(type) {
	case *clustermap.MgrMap:
		return t.Epoch
	case *clustermap.OSDMap:
		return t.Epoch
	case *clustermap.MonMap:
		return t.Epoch
	case *clustermap.FSMap:
		return t.Epoch
	case *clustermap.ServiceMap:
		return t.Epoch
	}
	return 0
}

// routeMap is Ceph's check_sub: send when the subscriber's next wanted
// epoch is not past the map's.
func (m *Mon) routeMap(what string, s SessionID, st *subState, v any) (Delivery, bool) {
	ep := mapEpoch(v)
	if ep == 0 || st.next > ep {
		return Delivery{}, false
	}
	d := Delivery{Session: s, What: what, Epoch: ep, Map: v}
	if what == messages.SubOSDMap && st.next > 1 && v == m.osd.Map() {
		d.Since = m.osd.Since(st.next - 1)
	}
	st.next = ep + 1
	return d, true
}

func (m *Mon) routeLog(what string, s SessionID, st *subState, entries []clustermap.LogEntry) []Delivery {
	min := logLevels[what]
	var batch []clustermap.LogEntry
	for _, e := range entries {
		if e.Seq >= st.next && prioLevel[e.Priority] >= min {
			batch = append(batch, e)
		}
	}
	if len(entries) > 0 && entries[len(entries)-1].Seq >= st.next {
		st.next = entries[len(entries)-1].Seq + 1
	}
	if len(batch) == 0 {
		return nil
	}
	return []Delivery{{Session: s, What: what, Epoch: batch[len(batch)-1].Seq, Log: batch}}
}

// route fans the new maps and log entries of e out to subscribers, in a
// deterministic order (by name, then session).
func (m *Mon) route(e *Effects) {
	names := make([]string, 0, len(m.subs.byWhat))
	for w := range m.subs.byWhat {
		names = append(names, w)
	}
	sort.Strings(names)
	for _, what := range names {
		set := m.subs.byWhat[what]
		var v any
		switch what {
		case messages.SubMgrMap:
			v = ptrOrNil(e.MgrMap)
		case messages.SubOSDMap:
			v = ptrOrNil(e.OSDMap)
		case messages.SubMonMap:
			v = ptrOrNil(e.MonMap)
		case messages.SubFSMap:
			v = ptrOrNil(e.FSMap)
		case messages.SubServiceMap:
			v = ptrOrNil(e.ServiceMap)
		}
		_, isLog := logLevels[what]
		if v == nil && !(isLog && len(e.Log) > 0) {
			continue
		}
		sessions := make([]SessionID, 0, len(set))
		for s := range set {
			sessions = append(sessions, s)
		}
		sort.Slice(sessions, func(i, j int) bool { return sessions[i] < sessions[j] })
		for _, s := range sessions {
			st := set[s]
			var ds []Delivery
			if isLog {
				ds = m.routeLog(what, s, st, e.Log)
			} else if d, ok := m.routeMap(what, s, st, v); ok {
				ds = []Delivery{d}
			}
			e.Deliveries = append(e.Deliveries, ds...)
			if st.onetime && len(ds) > 0 {
				delete(set, s)
			}
		}
	}
}

// ptrOrNil turns a typed nil pointer into a nil interface.
func ptrOrNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}
