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
