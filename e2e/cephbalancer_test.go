package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// balancerView is what Ceph's balancer module says of pool p2 under one
// manager: its score, the plan it makes, and the plan's score.
type balancerView struct {
	eval, planEval string
	upmaps         int    // new pg_upmap_items in the plan
	show           string // the plan's incremental (balancer dump)
}

// balancerPlan has the balancer score p2 and make (but not run) a plan for
// it. The balancer needs the PG stats of a fresh mgr first: it is polled.
func balancerPlan(t *testing.T, c *cephcluster.Cluster, who string) balancerView {
	t.Helper()
	var v balancerView
	ceph := func(args ...string) (string, error) {
		out, errOut, err := c.CephOutput(context.Background(), args...)
		if err != nil {
			return "", fmt.Errorf("%v: %w: %s", args, err, errOut)
		}
		return strings.TrimSpace(string(out)), nil
	}
	testutil.Poll(t, 60*time.Second, "a balancer plan for p2 under "+who, func() error {
		var err error
		if v.eval, err = ceph("balancer", "eval", "p2"); err != nil {
			return err
		}
		_, err = ceph("balancer", "optimize", "plan", "p2")
		return err
	})
	var err error
	if v.planEval, err = ceph("balancer", "eval", "plan"); err != nil {
		t.Fatal(err)
	}
	if v.show, err = ceph("balancer", "dump", "plan"); err != nil {
		t.Fatal(err)
	}
	var inc struct {
		New []any `json:"new_pg_upmap_items"`
	}
	if err := json.Unmarshal([]byte(v.show), &inc); err != nil {
		t.Fatalf("balancer dump plan under %s: %v: %s", who, err, v.show)
	}
	v.upmaps = len(inc.New)
	t.Logf("balancer under %s: %s; plan: %s; %d upmap changes:\n%s", who, v.eval, v.planEval, v.upmaps, v.show)
	return v
}

// TestCephBalancer runs Ceph's balancer module in upmap mode on a real
// cluster whose pool p2 CRUSH spreads unevenly over three OSDs, first
// under the real ceph-mgr, then under gomgr (CRUSH and calc_pg_upmaps in
// package crush): the pool's score, the number of changes the plan makes
// and the plan's score must be the same; then gomgr runs its plan, the
// real mon takes the upmaps, the PGs move and the pool scores better.
// Ceph's localpool makes the same pool under both, and every PG's
// placement a module reads under gomgr, erasure-coded pool included, is
// the mon's (`ceph pg map`).
func TestCephBalancer(t *testing.T) {
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 3, Pools: []string{"p1"},
		Global: map[string]string{"osd_pool_default_pg_autoscale_mode": "warn"}})
	c.MustCeph(t, "osd", "pool", "create", "p2", "16", "16")
	// Neither manager balances by itself while the test compares; a plan
	// stops once every OSD is within one PG of its share.
	c.MustCeph(t, "config", "set", "mgr", "mgr/balancer/active", "false", "--force")
	c.MustCeph(t, "config", "set", "mgr", "mgr/balancer/upmap_max_deviation", "1", "--force")

	real := c.StartCephMgr(t, "y")
	waitActive(t, c, "y", 60*time.Second)
	waitClean(t, c, 24)
	want := balancerPlan(t, c, "ceph-mgr")
	if want.upmaps == 0 {
		t.Fatalf("ceph-mgr's balancer finds nothing to move: the test needs an uneven pool\n%s", want.show)
	}
	// localpool makes a pool and a CRUSH rule per host when the osdmap
	// changes: first ceph-mgr's, named real-HOST.
	for k, v := range map[string]string{"subtree": "host", "failure_domain": "osd", "pg_num": "4", "num_rep": "2", "prefix": "real-"} {
		c.MustCeph(t, "config", "set", "mgr", "mgr/localpool/"+k, v, "--force")
	}
	c.MustCeph(t, "mgr", "module", "enable", "localpool") // ceph-mgr respawns
	waitActive(t, c, "y", 60*time.Second)
	wantPool := localPool(t, c, "real-"+c.Host)
	real.Kill()
	c.MustCeph(t, "mgr", "fail", "y")

	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", cephTreeWith(t))
	waitActive(t, c, "x", 60*time.Second)
	waitClean(t, c, 24)
	got := balancerPlan(t, c, "gomgr")
	if got.eval != want.eval {
		t.Errorf("balancer eval p2: gomgr %q, ceph-mgr %q", got.eval, want.eval)
	}
	if got.upmaps != want.upmaps {
		t.Errorf("plan changes: gomgr %d, ceph-mgr %d", got.upmaps, want.upmaps)
	}
	if got.planEval != want.planEval {
		t.Errorf("balancer eval plan: gomgr %q, ceph-mgr %q", got.planEval, want.planEval)
	}

	c.MustCeph(t, "balancer", "execute", "plan")
	testutil.Poll(t, 60*time.Second, "the plan's upmaps in the osdmap", func() error {
		var d struct {
			Items []any `json:"pg_upmap_items"`
		}
		if err := cephJSON(c, &d, "osd", "dump"); err != nil {
			return err
		}
		if len(d.Items) != got.upmaps {
			return fmt.Errorf("%d pg_upmap_items, the plan had %d", len(d.Items), got.upmaps)
		}
		return nil
	})
	waitClean(t, c, 24)
	// (Ceph 16.2 scores an upmap plan as the map it started from, under
	// either manager: the score that moves is the pool's, once it ran.)
	before := score(t, got.eval)
	testutil.Poll(t, 60*time.Second, "p2 scoring better once the plan ran", func() error {
		out, err := c.Ceph(context.Background(), "balancer", "eval", "p2")
		if err != nil {
			return err
		}
		if after := score(t, string(out)); after >= before {
			return fmt.Errorf("p2 scores %g after the plan, %g before", after, before)
		}
		return nil
	})

	// Then gomgr's, under another prefix: the same pool and rule.
	c.MustCeph(t, "config", "set", "mgr", "mgr/localpool/prefix", "gomgr-", "--force")
	c.MustCeph(t, "osd", "set", "noscrub") // an osdmap epoch, which localpool is notified of
	if got := localPool(t, c, "gomgr-"+c.Host); got != wantPool {
		t.Errorf("localpool's pool and rule: gomgr %s, ceph-mgr %s", got, wantPool)
	}

	// Placement as modules see it under gomgr (package crush) against the
	// real mon's own (`ceph pg map`), for every PG of the pools: CRUSH,
	// the balancer's upmaps, a full pg_upmap and primary affinity.
	// An erasure-coded pool (k=2, m=1 over the three OSDs): indep rules,
	// and positions that stay put.
	c.MustCeph(t, "osd", "erasure-code-profile", "set", "ec21", "k=2", "m=1", "crush-failure-domain=osd")
	c.MustCeph(t, "osd", "pool", "create", "ec", "8", "8", "erasure", "ec21")
	c.MustCeph(t, "osd", "primary-affinity", "osd.0", "0")
	c.MustCeph(t, "osd", "pg-upmap", poolID(t, c, "gomgr-"+c.Host)+".1", "2", "1")
	c.MustCeph(t, "mgr", "module", "enable", "callprobe")
	upmapped := poolID(t, c, "gomgr-"+c.Host) + ".1"
	notFirst := 0 // PGs osd.0 is in but, with no primary affinity, is not the primary of
	for name, pgs := range map[string]int{"p2": 16, "real-" + c.Host: 4, "gomgr-" + c.Host: 4, "ec": 8} {
		id := poolID(t, c, name)
		testutil.Poll(t, 30*time.Second, "pool "+name+"'s PGs placed as the mon places them", func() error {
			var mod []struct {
				Up        []int `json:"up"`
				Acting    []int `json:"acting"`
				UpPrimary int   `json:"up_primary"`
			}
			if err := cephJSON(c, &mod, "callprobe", "pgmaps", id, fmt.Sprint(pgs)); err != nil {
				return err
			}
			// The primary is the OSDs' own: what they report in their
			// PG stats (`pg map` does not say it).
			var osds struct {
				Stats []struct {
					PGID      string `json:"pgid"`
					UpPrimary int    `json:"up_primary"`
				} `json:"pg_stats"`
			}
			if err := cephJSON(c, &osds, "pg", "dump", "pgs_brief"); err != nil {
				return err
			}
			primaries := map[string]int{}
			for _, st := range osds.Stats {
				primaries[st.PGID] = st.UpPrimary
			}
			n := 0
			for ps, m := range mod {
				pgid := fmt.Sprintf("%s.%x", id, ps)
				var mon struct{ Up, Acting []int }
				if err := cephJSON(c, &mon, "pg", "map", pgid); err != nil {
					return err
				}
				primary, ok := primaries[pgid]
				if !ok || !slices.Equal(m.Up, mon.Up) || !slices.Equal(m.Acting, mon.Acting) || m.UpPrimary != primary {
					return fmt.Errorf("pg %s: module: up %v acting %v primary %d; mon: up %v acting %v; OSDs: primary %d (%v)",
						pgid, m.Up, m.Acting, m.UpPrimary, mon.Up, mon.Acting, primary, ok)
				}
				if pgid == upmapped && !slices.Equal(mon.Up, []int{2, 1}) {
					return fmt.Errorf("the mon has not applied pg-upmap %s [2 1] yet: up %v", pgid, mon.Up)
				}
				if slices.Contains(mon.Up, 0) && primary != 0 {
					n++
				}
			}
			notFirst += n
			return nil
		})
	}
	if notFirst == 0 {
		t.Error("no PG had osd.0 without being its primary: primary affinity was not exercised")
	}
	c.CheckAlive(t)
}

// localPool waits for localpool's pool name, with the size num_rep (2)
// that localpool sets after creating it, and returns what should be the
// same whichever manager made it: the pool's type, size, min_size and
// pg_num, and its CRUSH rule's steps.
func localPool(t *testing.T, c *cephcluster.Cluster, name string) string {
	t.Helper()
	var desc string
	testutil.Poll(t, 60*time.Second, "localpool's pool "+name, func() error {
		var pools []struct {
			Name    string `json:"pool_name"`
			Type    int    `json:"type"`
			Size    int    `json:"size"`
			MinSize int    `json:"min_size"`
			PGNum   int    `json:"pg_num"`
			Rule    int    `json:"crush_rule"`
		}
		if err := cephJSON(c, &pools, "osd", "pool", "ls", "detail"); err != nil {
			return err
		}
		for _, p := range pools {
			if p.Name != name {
				continue
			}
			if p.Size != 2 { // created, but not yet set to num_rep
				return fmt.Errorf("pool %s size %d", name, p.Size)
			}
			var rule struct {
				ID    int              `json:"rule_id"`
				Steps []map[string]any `json:"steps"`
			}
			if err := cephJSON(c, &rule, "osd", "crush", "rule", "dump", name); err != nil {
				return err
			}
			if rule.ID != p.Rule {
				return fmt.Errorf("pool %s has rule %d, not its own (%d)", name, p.Rule, rule.ID)
			}
			steps, err := json.Marshal(rule.Steps)
			if err != nil {
				return err
			}
			desc = fmt.Sprintf("type %d size %d min_size %d pg_num %d steps %s", p.Type, p.Size, p.MinSize, p.PGNum, steps)
			return nil
		}
		return fmt.Errorf("no pool %s", name)
	})
	return desc
}

// score is the figure of `balancer eval`: `pool "p2" score 0.042547
// (lower is better)`.
func score(t *testing.T, eval string) float64 {
	t.Helper()
	var name string
	var v float64
	if _, err := fmt.Sscanf(strings.TrimSpace(eval), "pool %s score %g", &name, &v); err != nil {
		t.Fatalf("balancer eval: %q: %v", eval, err)
	}
	return v
}

// waitClean polls until the cluster has at least n PGs, all active+clean
// (pg stat is the active mgr's; the devicehealth module adds a pool).
func waitClean(t *testing.T, c *cephcluster.Cluster, n int) {
	t.Helper()
	testutil.Poll(t, 90*time.Second, fmt.Sprintf("%d PGs active+clean", n), func() error {
		var st pgStat
		if err := cephJSON(c, &st, "pg", "stat"); err != nil {
			return err
		}
		if st.Summary.NumPGs < n || !st.allActiveClean(st.Summary.NumPGs) {
			return fmt.Errorf("pg stat: %+v", st.Summary)
		}
		return nil
	})
}
