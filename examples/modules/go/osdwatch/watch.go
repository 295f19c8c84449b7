package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"gomgr/registry"
)

// osdMap is the part of get("osd_map") (Ceph's `osd dump -f json`) that
// osdwatch reads.
type osdMap struct {
	Epoch int64 `json:"epoch"`
	OSDs  []struct {
		OSD int `json:"osd"`
		Up  int `json:"up"`
		In  int `json:"in"`
	} `json:"osds"`
}

type osdState struct {
	Up, In bool
	Since  int64 // epoch of the last change
}

// transition is one OSD going up or down, or in or out.
type transition struct {
	Time  time.Time `json:"time"`
	Epoch int64     `json:"epoch"`
	OSD   int       `json:"osd"`
	What  string    `json:"what"` // "up", "down", "in", "out", "new", "removed"
}

// watcher keeps the OSD states and their transitions. notify and the
// command handler run on different goroutines, hence mu.
type watcher struct {
	mu          sync.Mutex
	epoch       int64
	osds        map[int]osdState
	transitions []transition // oldest first, at most history
	history     int
	flapCount   int // downs within transitions that make an OSD flapping
	now         func() time.Time
}

func newWatcher(history, flapCount int) *watcher {
	return &watcher{osds: map[int]osdState{}, history: history, flapCount: flapCount, now: time.Now}
}

// update applies a new map and returns the transitions it caused. The
// first map only records the states (there is nothing to compare with).
func (w *watcher) update(m osdMap) []transition {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.Epoch != 0 && m.Epoch <= w.epoch {
		return nil // an old or repeated map
	}
	first := w.epoch == 0 && len(w.osds) == 0
	now := w.now()
	var out []transition
	seen := map[int]bool{}
	for _, o := range m.OSDs {
		seen[o.OSD] = true
		cur := osdState{Up: o.Up != 0, In: o.In != 0, Since: m.Epoch}
		old, known := w.osds[o.OSD]
		switch {
		case !known && !first:
			out = append(out, transition{now, m.Epoch, o.OSD, "new"})
		case known && old.Up != cur.Up:
			out = append(out, transition{now, m.Epoch, o.OSD, upDown(cur.Up)})
		case known && old.In != cur.In:
			out = append(out, transition{now, m.Epoch, o.OSD, inOut(cur.In)})
		}
		if known && old.Up == cur.Up && old.In == cur.In {
			cur.Since = old.Since
		}
		w.osds[o.OSD] = cur
	}
	for id := range w.osds {
		if !seen[id] {
			delete(w.osds, id)
			out = append(out, transition{now, m.Epoch, id, "removed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OSD < out[j].OSD })
	w.epoch = m.Epoch
	w.transitions = append(w.transitions, out...)
	if over := len(w.transitions) - w.history; over > 0 {
		w.transitions = append([]transition(nil), w.transitions[over:]...)
	}
	return out
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func inOut(in bool) string {
	if in {
		return "in"
	}
	return "out"
}

// down lists the down OSDs, sorted.
func (w *watcher) down() []int {
	var ids []int
	for id, s := range w.osds {
		if !s.Up {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	return ids
}

// flapping counts, per OSD still in the map, the "down" transitions in the
// kept history, and returns the OSDs with at least flapCount of them,
// sorted, with the epochs of their first and last counted down. A single
// down OSD is the mon's OSD_DOWN check, not ours: only repeated downs
// within the history raise anything here, and an OSD drops out once its
// old downs roll out of the history. w.mu must be held.
func (w *watcher) flapping() []flap {
	byOSD := map[int]*flap{}
	for _, t := range w.transitions {
		if t.What != "down" {
			continue
		}
		if _, ok := w.osds[t.OSD]; !ok {
			continue // removed since: nothing left to repair
		}
		f := byOSD[t.OSD]
		if f == nil {
			f = &flap{OSD: t.OSD, First: t.Epoch}
			byOSD[t.OSD] = f
		}
		f.Downs++
		f.Last = t.Epoch
	}
	var out []flap
	for _, f := range byOSD {
		if f.Downs >= w.flapCount {
			out = append(out, *f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OSD < out[j].OSD })
	return out
}

// flap is one OSD's down count within the kept history.
type flap struct {
	OSD         int
	Downs       int
	First, Last int64 // epochs of the first and last counted down
}

// health is OSDWATCH_OSD_FLAPPING while the history shows an OSD going
// down at least flapCount times, else no check.
func (w *watcher) health() map[string]registry.HealthCheck {
	w.mu.Lock()
	defer w.mu.Unlock()
	flaps := w.flapping()
	if len(flaps) == 0 {
		return map[string]registry.HealthCheck{}
	}
	detail := make([]string, len(flaps))
	for i, f := range flaps {
		detail[i] = fmt.Sprintf("osd.%d went down %d times between epochs %d and %d", f.OSD, f.Downs, f.First, f.Last)
	}
	return map[string]registry.HealthCheck{"OSDWATCH_OSD_FLAPPING": {
		Severity: "warning",
		Summary: fmt.Sprintf("%d osd(s) flapping (down at least %d times in the last %d transitions)",
			len(flaps), w.flapCount, w.history),
		Count:  len(flaps),
		Detail: detail,
	}}
}

type statusJSON struct {
	Epoch       int64        `json:"epoch"`
	NumOSDs     int          `json:"num_osds"`
	NumUp       int          `json:"num_up_osds"`
	NumIn       int          `json:"num_in_osds"`
	Down        []int        `json:"down_osds"`
	Transitions []transition `json:"transitions"`
}

// status renders `osdwatch status` as "plain" or "json".
func (w *watcher) status(format string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := statusJSON{Epoch: w.epoch, NumOSDs: len(w.osds), Down: w.down(), Transitions: w.transitions}
	for _, s := range w.osds {
		if s.Up {
			st.NumUp++
		}
		if s.In {
			st.NumIn++
		}
	}
	if st.Down == nil {
		st.Down = []int{}
	}
	if st.Transitions == nil {
		st.Transitions = []transition{}
	}
	switch format {
	case "json":
		b, err := json.Marshal(st)
		return string(b), err
	case "", "plain":
	default:
		return "", fmt.Errorf("osdwatch: unknown format %q (plain or json)", format)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "osdmap e%d: %d osds: %d up, %d in\n", st.Epoch, st.NumOSDs, st.NumUp, st.NumIn)
	if len(st.Down) > 0 {
		names := make([]string, len(st.Down))
		for i, id := range st.Down {
			names[i] = fmt.Sprintf("osd.%d", id)
		}
		fmt.Fprintf(&b, "down: %s\n", strings.Join(names, ", "))
	}
	if len(st.Transitions) > 0 {
		b.WriteString("recent transitions:\n")
		for _, t := range st.Transitions {
			fmt.Fprintf(&b, "  %s e%d osd.%d %s\n", t.Time.UTC().Format(time.RFC3339), t.Epoch, t.OSD, t.What)
		}
	}
	return b.String(), nil
}
