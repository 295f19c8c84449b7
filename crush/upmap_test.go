package crush

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type upmapScenario struct {
	osdmapScenario
	deviation, max int
}

func upmapScenarios() map[string]upmapScenario {
	p := placementScenarios()
	// osdmaptool --upmap first cancels upmaps onto out OSDs
	// (clean_pg_upmaps, the mon's job, not modelled here): keep all in.
	heavy := p["upmap-target-out"]
	heavy.marks = nil
	return map[string]upmapScenario{
		"24osd-6host":     {p["24osd-6host"], 1, 100},
		"40osd-racks":     {p["40osd-racks-upmaps-out"], 2, 60},
		"30osd-heavyhost": {heavy, 1, 200},
		"weight-set":      {p["weight-set"], 1, 50},
	}
}

var preparedLine = regexp.MustCompile(`prepared (\d+)/(\d+) changes`)

// osdmaptoolUpmap runs osdmaptool --upmap on om (with marks and extra
// options) and returns its commands and its count of changes.
func osdmaptoolUpmap(t *testing.T, dir, om string, marks []string, dev, max int, extra ...string) ([]string, int) {
	t.Helper()
	file := filepath.Join(dir, "calc.out")
	args := append([]string{om}, marks...)
	args = append(args, "--upmap", file, "--upmap-deviation", strconv.Itoa(dev),
		"--upmap-max", strconv.Itoa(max), "--upmap-pool", "rbd")
	out := run(t, dir, "osdmaptool", append(args, extra...)...)
	n := 0
	if g := preparedLine.FindSubmatch(out); g != nil {
		n, _ = strconv.Atoi(string(g[1]))
	} else if !bytes.Contains(out, []byte("no upmaps proposed")) && !bytes.Contains(out, []byte("Unable to find further optimization")) {
		t.Logf("osdmaptool said:\n%s", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			cmds = append(cmds, line)
		}
	}
	return cmds, n
}

// TestCalcPGUpmapsMatchesOsdmaptool runs Ceph's calc_pg_upmaps in its
// deterministic mode (osd_calc_pg_upmaps_aggressively=false) and requires
// the same commands and the same count of changes.
func TestCalcPGUpmapsMatchesOsdmaptool(t *testing.T) {
	needTools(t, "crushtool", "osdmaptool")
	for name, s := range upmapScenarios() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			om, marks := buildOSDMap(t, dir, s.osdmapScenario)
			o := loadOSDMap(t, dir, om, marks)
			want, wantN := osdmaptoolUpmap(t, dir, om, marks, s.deviation, s.max,
				"--osd_calc_pg_upmaps_aggressively=false")
			u, err := o.CalcPGUpmapsOpts(UpmapOptions{MaxDeviation: s.deviation, MaxIterations: s.max,
				Pools: []int64{1}, Deterministic: true})
			if err != nil {
				t.Fatal(err)
			}
			got := u.Commands()
			if !slices.Equal(got, want) || u.Changes != wantN {
				t.Errorf("%d changes, osdmaptool %d", u.Changes, wantN)
				for i := range max(len(got), len(want)) {
					g, w := "", ""
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if g != w {
						t.Errorf("line %d: got %q, osdmaptool %q", i, g, w)
					}
				}
			}
			t.Logf("%d changes, %d commands agree", u.Changes, len(got))
		})
	}
}

// parseCommands turns osdmaptool --upmap output back into Upmaps.
func parseCommands(t *testing.T, cmds []string) *Upmaps {
	t.Helper()
	u := &Upmaps{New: map[PG][]Pair{}}
	for _, c := range cmds {
		f := strings.Fields(c)
		if len(f) < 4 {
			t.Fatalf("command %q", c)
		}
		pg, err := ParsePG(f[3])
		if err != nil {
			t.Fatal(err)
		}
		switch f[2] {
		case "rm-pg-upmap-items":
			u.Old = append(u.Old, pg)
		case "pg-upmap-items":
			var items []Pair
			for i := 4; i+1 < len(f); i += 2 {
				a, _ := strconv.Atoi(f[i])
				b, _ := strconv.Atoi(f[i+1])
				items = append(items, Pair{a, b})
			}
			u.New[pg] = items
		default:
			t.Fatalf("command %q", c)
		}
		u.Changes++
	}
	return u
}

// checkFailureDomains requires every PG of every pool to have a full up
// set on distinct hosts (type 1), as the replicated rules demand.
func checkFailureDomains(t *testing.T, o *OSDMap) {
	t.Helper()
	tc := newTreeCache(o.Crush)
	for _, p := range o.Pools {
		rule := o.FindRule(p)
		for ps := range p.PGNum {
			pg := PG{p.ID, ps}
			up, _, err := o.PGToUpOSDs(pg)
			if err != nil {
				t.Fatal(err)
			}
			hosts := map[int]bool{}
			for _, osd := range up {
				h := tc.parentOfType(osd, 1, rule)
				if hosts[h] {
					t.Fatalf("%v: up %v puts two replicas on host %d", pg, up, h)
				}
				hosts[h] = true
			}
			if len(up) != p.Size {
				t.Fatalf("%v: up %v, pool size %d", pg, up, p.Size)
			}
		}
	}
}

// TestCalcPGUpmapsAggressiveOutcome runs Ceph's default (randomised)
// mode: the plans cannot match, so it requires ours to balance as well
// (max deviation within one PG of Ceph's) and to keep every replica of a
// PG on its own host.
func TestCalcPGUpmapsAggressiveOutcome(t *testing.T) {
	needTools(t, "crushtool", "osdmaptool")
	for _, name := range []string{"24osd-6host", "30osd-heavyhost"} {
		s := upmapScenarios()[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			om, marks := buildOSDMap(t, dir, s.osdmapScenario)
			o := loadOSDMap(t, dir, om, marks)
			before, err := o.MaxDeviation(nil)
			if err != nil {
				t.Fatal(err)
			}
			cmds, _ := osdmaptoolUpmap(t, dir, om, marks, s.deviation, s.max)
			theirs, err := o.ApplyUpmaps(parseCommands(t, cmds)).MaxDeviation(nil)
			if err != nil {
				t.Fatal(err)
			}
			for seed := uint64(1); seed <= 3; seed++ {
				u, err := o.CalcPGUpmapsOpts(UpmapOptions{MaxDeviation: s.deviation, MaxIterations: s.max,
					Pools: []int64{1}, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				after := o.ApplyUpmaps(u)
				ours, err := after.MaxDeviation(nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("seed %d: max deviation %.2f -> %.2f in %d changes (Ceph: %.2f in %d)",
					seed, before, ours, u.Changes, theirs, len(cmds))
				if ours > theirs+1 {
					t.Errorf("seed %d: max deviation %.2f, Ceph reaches %.2f", seed, ours, theirs)
				}
				checkFailureDomains(t, after)
			}
		})
	}
}
