package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/internal/testutil"
	"gomgr/mon"
	"gomgr/sim"
)

func osdUp(md *mon.Daemon, id int) int {
	for _, o := range md.Snapshot().OSDMap.OSDs {
		if o.OSD == id {
			return o.Up
		}
	}
	return -1
}

// TestFailAndRecoverStaysUp: a failed OSD is marked down by the mon; once
// recovered it boots and stays up (its beacons count again).
func TestFailAndRecoverStaysUp(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	cfg := mon.DefaultConfig()
	md, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Mon: cfg, Logger: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(md.Close)
	cl, err := sim.StartCluster(context.Background(), sim.ClusterConfig{MonAddr: md.Addr(), OSDs: 6, Seed: 1, Logger: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	testutil.Eventually(t, 10*time.Second, "osd.2 up", func() bool { return osdUp(md, 2) == 1 })
	if err := cl.Fail(2); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "osd.2 down", func() bool { return osdUp(md, 2) == 0 })
	if err := cl.Recover(2); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "osd.2 up again", func() bool { return osdUp(md, 2) == 1 })
	end := time.Now().Add(cfg.OSD.DownGrace + 3*time.Second)
	for time.Now().Before(end) {
		if osdUp(md, 2) != 1 {
			t.Fatalf("osd.2 went down again after recovering (epoch %d)", md.Snapshot().OSDMap.Epoch)
		}
		time.Sleep(50 * time.Millisecond) // sampling a state that must hold
	}
}
