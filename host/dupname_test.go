package host_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/clustermap"
	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/mon"
)

// TestSecondMgrWithTheSameNameStops: beside a live mgr.x, a second mgr.x
// is refused by gomgr's mon and stops on its own with ErrNameInUse,
// naming the live one's gid; the MgrMap does not move and the first stays
// active. Once the first has gone, the name is free again.
func TestSecondMgrWithTheSameNameStops(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	md := startMon(t, mon.DefaultConfig(), logrus.NewEntry(log))
	ctx := context.Background()
	closed := map[*host.Standby]bool{}
	closeX := func(s *host.Standby) error {
		closed[s] = true
		return s.Close(ctx)
	}
	startX := func(tick time.Duration) *host.Standby {
		t.Helper()
		s, err := host.Start(ctx, host.Config{Name: "x", MonAddrs: []string{md.Addr()}, TickPeriod: tick, Logger: logrus.NewEntry(log)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if !closed[s] {
				_ = s.Close(ctx)
			}
		})
		return s
	}

	first := startX(0)
	testutil.Eventually(t, 10*time.Second, "mgr.x active and available", func() bool {
		mm := md.Snapshot().MgrMap
		return first.IsActive() && mm.Available && mm.ActiveGID == first.GID()
	})
	epoch := md.Snapshot().MgrMap.Epoch

	second := startX(200 * time.Millisecond) // gives up after five of its beacons
	select {
	case <-second.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the second mgr.x is still running after 15 s")
	}
	dupCheck := func() (c clustermap.HealthCheck, ok bool) {
		md.Do(func(m *mon.Mon) { c, ok = m.Health(time.Now(), true).Checks["MGR_DUPLICATE_NAME"] })
		return c, ok
	}
	if c, ok := dupCheck(); !ok || !strings.Contains(c.Summary.Message, "gid "+strconv.FormatUint(second.GID(), 10)) {
		t.Fatalf("MGR_DUPLICATE_NAME while the second runs: %+v %v", c, ok)
	}
	err := closeX(second)
	want := "mgr.x is already running (gid " + strconv.FormatUint(first.GID(), 10) + ")"
	if !errors.Is(err, host.ErrNameInUse) || !errors.Is(second.Err(), host.ErrNameInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("second mgr.x: Close %v, Err %v; want ErrNameInUse saying %q", err, second.Err(), want)
	}
	mm := md.Snapshot().MgrMap
	if mm.Epoch != epoch || mm.ActiveGID != first.GID() || !first.IsActive() || second.IsActive() {
		t.Fatalf("mgrmap e%d (was e%d), active gid %d (first %d, active %v)", mm.Epoch, epoch, mm.ActiveGID, first.GID(), first.IsActive())
	}
	for _, s := range mm.Standbys {
		if s.GID == second.GID() {
			t.Fatalf("the second mgr.x is a standby: %+v", mm.Standbys)
		}
	}
	testutil.Eventually(t, 5*time.Second, "MGR_DUPLICATE_NAME to clear once the second is gone", func() bool {
		_, ok := dupCheck()
		return !ok
	})

	// The first goes; a new mgr.x takes the name (and the active role).
	if err := closeX(first); err != nil {
		t.Fatal(err)
	}
	third := startX(0)
	testutil.Eventually(t, 10*time.Second, "the new mgr.x active", third.IsActive)
	if third.Err() != nil {
		t.Fatal(third.Err())
	}
}
