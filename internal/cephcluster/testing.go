package cephcluster

import (
	"context"
	"testing"
	"time"
)

// mgrWait bounds WaitMgrAvailable.
const mgrWait = 60 * time.Second

// Start is New for a test: it fails the test if the cluster does not start
// (a missing Ceph binary included), and when the test ends it calls
// CheckAlive, logs every daemon's log tail if the test failed, and Closes
// the cluster.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	began := time.Now()
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.CheckAlive(t)
		if t.Failed() {
			c.mu.Lock()
			procs := append([]*Proc(nil), c.procs...)
			c.mu.Unlock()
			for _, p := range procs {
				if p != c.mon {
					t.Logf("cephcluster: %v\n%s", p, c.tails(p))
				}
			}
			t.Logf("cephcluster: %v\n%s", c.mon, c.tails(c.mon))
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("cephcluster: mon %s, %d OSDs, pools %v: started in %v (%s)",
		c.MonAddr, opts.OSDs, opts.Pools, time.Since(began).Round(time.Millisecond), c.Dir)
	return c
}

// MustCeph is Ceph with a background context that fails the test on error.
func (c *Cluster) MustCeph(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := c.Ceph(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// StartCephMgr is StartMgr for a test: it fails the test on error and
// stops the mgr when t ends (t may be a subtest's).
func (c *Cluster) StartCephMgr(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	p, err := c.StartMgr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// WaitMgrAvailable is WaitMgr for a test, within 60 s.
func (c *Cluster) WaitMgrAvailable(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mgrWait)
	defer cancel()
	if err := c.WaitMgr(ctx, name); err != nil {
		t.Fatal(err)
	}
}

// CheckAlive fails the test if the mon or an OSD (other than those stopped
// with KillOSD) has exited, with the tail of its log. Start also calls it
// when the test ends, before stopping the processes.
func (c *Cluster) CheckAlive(t testing.TB) {
	t.Helper()
	for _, p := range c.dead() {
		t.Errorf("cephcluster: %v\n%s", p, c.tails(p))
	}
}

// KillOSD kills osd.id with SIGKILL and waits for it to exit; CheckAlive no
// longer expects it. The mon is not told: with no other OSD to report it,
// it keeps the OSD up until mon_osd_report_timeout (900 s) or until the
// OSD boots again (StartOSD).
func (c *Cluster) KillOSD(t testing.TB, id int) {
	t.Helper()
	c.mu.Lock()
	p := c.osds[id]
	delete(c.osds, id)
	c.mu.Unlock()
	if p == nil {
		t.Fatalf("cephcluster: osd.%d is not running", id)
	}
	p.Kill()
}

// StartOSD starts osd.id again after KillOSD and waits until the mon has
// the new process up. A memstore OSD killed with SIGKILL has lost its data:
// it boots with what it had at mkfs.
func (c *Cluster) StartOSD(t testing.TB, id int) *Proc {
	t.Helper()
	c.mu.Lock()
	_, known := c.uuids[id]
	running := c.osds[id] != nil
	c.mu.Unlock()
	if !known || running {
		t.Fatalf("cephcluster: osd.%d: not an OSD of this cluster, or still running", id)
	}
	p, err := c.startOSD(id)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	err = c.waitFor(ctx, p.Name+" up again", func() (bool, error) {
		return c.osdUpWithNonce(ctx, id, p.Pid)
	}, p)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
