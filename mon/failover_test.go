package mon

import (
	"fmt"
	"testing"
	"time"
)

// TestFailoverWithin5s sweeps where the kill falls between beacons and how
// beacons and mon ticks are phased: the standby is always active within
// 5 s of the kill (4.5 s worst case), and never before it.
func TestFailoverWithin5s(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FSID = testFSID
	var worst time.Duration
	for _, tickPhase := range []time.Duration{0, 100 * time.Millisecond, 250 * time.Millisecond, 499 * time.Millisecond} {
		for _, yPhase := range []time.Duration{0, 700 * time.Millisecond, 1900 * time.Millisecond} {
			for off := time.Duration(0); off < cfg.Mgr.TickPeriod; off += 100 * time.Millisecond {
				name := fmt.Sprintf("tick%v/y%v/kill+%v", tickPhase, yPhase, off)
				start := scenarioStart
				m, err := Open(start, "", cfg)
				if err != nil {
					t.Fatal(err)
				}
				kill := start.Add(10*time.Second + off)
				// Events in time order: x beacons at 0,2,4,... until the kill;
				// y at yPhase+2k; ticks at tickPhase+k*interval.
				nextX, nextY, nextTick := start, start.Add(yPhase), start.Add(tickPhase)
				var took time.Duration = -1
				for step := 0; step < 200 && took < 0; step++ {
					at := nextTick
					if nextX.Before(at) && nextX.Before(kill) {
						at = nextX
					}
					if nextY.Before(at) {
						at = nextY
					}
					switch {
					case at.Equal(nextX) && nextX.Before(kill):
						_, err = m.Beacon(at, Beacon{GID: 1, Name: "x", FSID: testFSID, Available: m.Snapshot().MgrMap.ActiveGID == 1})
						nextX = nextX.Add(cfg.Mgr.TickPeriod)
					case at.Equal(nextY):
						_, err = m.Beacon(at, Beacon{GID: 2, Name: "y", FSID: testFSID, Available: m.Snapshot().MgrMap.ActiveGID == 2})
						nextY = nextY.Add(cfg.Mgr.TickPeriod)
					default:
						_, err = m.Tick(at)
						nextTick = nextTick.Add(cfg.Mgr.TickInterval)
					}
					if err != nil {
						t.Fatal(err)
					}
					if a := m.Snapshot().MgrMap.ActiveName; a == "y" {
						if at.Before(kill) {
							t.Fatalf("%s: y took over at %v, before the kill at %v", name, at.Sub(start), kill.Sub(start))
						}
						took = at.Sub(kill)
					}
				}
				if took < 0 || took > 5*time.Second {
					t.Fatalf("%s: takeover after %v", name, took)
				}
				worst = max(worst, took)
			}
		}
	}
	t.Logf("worst takeover after the kill: %v", worst)
	if worst > cfg.Mgr.BeaconGrace+cfg.Mgr.TickInterval {
		t.Fatalf("worst %v exceeds grace+interval", worst)
	}
}

// TestFailoverOnSessionLoss: the active's session closes (its process died)
// and it does not beacon again: the standby is active SessionGrace later,
// not a BeaconGrace later. A mgr that beacons on a new session in time
// stays active; with SessionGrace off only BeaconGrace counts.
func TestFailoverOnSessionLoss(t *testing.T) {
	setup := func(grace time.Duration) (*Mon, time.Time) {
		cfg := DefaultConfig()
		cfg.FSID = testFSID
		cfg.Mgr.SessionGrace = grace
		m, err := Open(scenarioStart, "", cfg)
		if err != nil {
			t.Fatal(err)
		}
		now := scenarioStart
		for _, b := range []Beacon{{GID: 1, Name: "x"}, {GID: 2, Name: "y"}} {
			b.FSID = testFSID
			if _, err := m.Beacon(now, b); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Tick(now); err != nil {
			t.Fatal(err)
		}
		if a := m.Snapshot().MgrMap.ActiveName; a != "x" {
			t.Fatalf("active %q", a)
		}
		return m, now.Add(100 * time.Millisecond)
	}
	active := func(m *Mon, at time.Time) string {
		t.Helper()
		if _, err := m.Tick(at); err != nil {
			t.Fatal(err)
		}
		return m.Snapshot().MgrMap.ActiveName
	}
	grace := DefaultConfig().Mgr.SessionGrace

	m, lost := setup(0)
	at, ok := m.MgrSessionLost(lost, 1)
	if !ok || !at.Equal(lost.Add(grace)) {
		t.Fatalf("tick due at %v %v", at, ok)
	}
	if a := active(m, at.Add(-time.Millisecond)); a != "x" {
		t.Fatalf("%q active before the session grace", a)
	}
	if a := active(m, at); a != "y" {
		t.Fatalf("%q active at the session grace", a)
	}

	m, lost = setup(0)
	m.MgrSessionLost(lost, 1)
	if _, err := m.Beacon(lost.Add(50*time.Millisecond), Beacon{GID: 1, Name: "x", FSID: testFSID, Available: true}); err != nil {
		t.Fatal(err)
	}
	if a := active(m, lost.Add(2*grace)); a != "x" {
		t.Fatalf("a mgr that beaconed on a new session was replaced by %q", a)
	}

	m, lost = setup(-1)
	if _, ok := m.MgrSessionLost(lost, 1); ok {
		t.Fatal("a tick is due with SessionGrace off")
	}
	if a := active(m, lost.Add(2*grace)); a != "x" {
		t.Fatalf("%q active with SessionGrace off", a)
	}
	m, lost = setup(0)
	if _, ok := m.MgrSessionLost(lost, 99); ok {
		t.Fatal("an unknown gid got a tick")
	}
}
