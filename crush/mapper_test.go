package crush

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// textMap exercises what --build cannot: list buckets, device classes (shadow trees), per-rule tunable steps, an erasure rule,
// a multi-step choose rule, weight sets and zero weights.
const textMap = `
tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
device 0 osd.0 class hdd
device 1 osd.1 class hdd
device 2 osd.2 class ssd
device 3 osd.3 class hdd
device 4 osd.4 class hdd
device 5 osd.5 class ssd
device 6 osd.6 class hdd
device 7 osd.7 class hdd
device 8 osd.8 class hdd
device 9 osd.9 class hdd
device 10 osd.10 class hdd
device 11 osd.11 class hdd
type 0 osd
type 1 host
type 3 rack
type 11 root
host h0 {
	id -2
	alg straw2
	hash 0
	item osd.0 weight 1.000
	item osd.1 weight 2.500
	item osd.2 weight 0.700
}
host h1 {
	id -3
	alg list
	hash 0
	item osd.3 weight 1.000
	item osd.4 weight 3.000
	item osd.5 weight 0.500
}
host h2 {
	id -4
	alg straw2
	hash 0
	item osd.6 weight 1.000
	item osd.7 weight 1.000
	item osd.8 weight 1.000
}
host h3 {
	id -5
	alg straw2
	hash 0
	item osd.9 weight 1.000
	item osd.10 weight 0.000
	item osd.11 weight 4.000
}
rack r0 {
	id -6
	alg straw2
	hash 0
	item h0 weight 4.200
	item h1 weight 4.500
}
rack r1 {
	id -7
	alg straw2
	hash 0
	item h2 weight 3.000
	item h3 weight 5.000
}
root default {
	id -1
	alg straw2
	hash 0
	item r0 weight 8.700
	item r1 weight 8.000
}
rule replicated_rule {
	id 0
	type replicated
	min_size 1
	max_size 10
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
rule ec {
	id 1
	type erasure
	min_size 1
	max_size 10
	step set_chooseleaf_tries 5
	step set_choose_tries 100
	step take default class hdd
	step chooseleaf indep 0 type host
	step emit
}
rule racks {
	id 2
	type replicated
	min_size 1
	max_size 10
	step set_choose_local_tries 2
	step set_chooseleaf_vary_r 0
	step take default
	step choose firstn 2 type rack
	step chooseleaf firstn 2 type host
	step emit
}
rule indep_osd {
	id 3
	type erasure
	min_size 1
	max_size 10
	step take default
	step choose indep 0 type rack
	step choose indep 2 type osd
	step emit
}
rule legacy {
	id 4
	type replicated
	min_size 1
	max_size 10
	step set_choose_local_fallback_tries 5
	step set_chooseleaf_stable 0
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
choose_args 0 {
  {
    bucket_id -1
    weight_set [
      [ 3.14159 2.1 ]
      [ 1.0 1.0 ]
    ]
  }
  {
    bucket_id -5
    weight_set [
      [ 1.0 1.0 1.0 ]
    ]
    ids [ -100 -101 -102 ]
  }
}
`

// oracleMaps are the maps TestDoRuleMatchesCrushtool checks, each made by
// crushtool from the argument lists given.
func oracleMaps(dir string) map[string][][]string {
	c := filepath.Join(dir, "c")
	return map[string][][]string{
		"24osd-host": {
			{"--outfn", c, "--build", "--num_osds", "24", "host", "straw2", "4", "root", "straw2", "0"},
			{"-i", c, "--create-simple-rule", "ec", "root", "host", "indep", "-o", c},
		},
		"60osd-host-rack-reweighted": {
			{"--outfn", c, "--build", "--num_osds", "60", "host", "straw2", "5", "rack", "straw2", "3", "root", "straw2", "0"},
			{"-i", c, "--create-simple-rule", "ec", "root", "host", "indep", "-o", c},
			{"-i", c, "--create-replicated-rule", "byrack", "root", "rack", "-o", c},
			{"-i", c, "--reweight-item", "osd.7", "0.5", "-o", c},
			{"-i", c, "--reweight-item", "osd.31", "3.25", "-o", c},
			{"-i", c, "--reweight-item", "host4", "0.1", "-o", c},
		},
		"10osd-uniform-list": {
			{"--outfn", c, "--build", "--num_osds", "10", "host", "uniform", "2", "root", "list", "0"},
			{"-i", c, "--create-simple-rule", "ec", "root", "host", "indep", "-o", c},
		},
		"text": {},
	}
}

var mappingLine = regexp.MustCompile(`^CRUSH rule (\d+) x (\d+) \[([-0-9,]*)\]$`)

// TestDoRuleMatchesCrushtool compares DoRule with crushtool --test
// --show-mappings for x in 0..1023, every rule, num_rep 1..4 (6 for the
// text map), with and without reweighted devices.
func TestDoRuleMatchesCrushtool(t *testing.T) {
	needTools(t, "crushtool")
	base := t.TempDir()
	for name, steps := range oracleMaps(filepath.Join(base, "%s")) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(base, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			c := filepath.Join(dir, "c")
			if name == "text" {
				if err := os.WriteFile(c+".txt", []byte(textMap), 0o644); err != nil {
					t.Fatal(err)
				}
				steps = [][]string{{"-c", c + ".txt", "-o", c}}
			}
			for i := range steps {
				for j := range steps[i] {
					steps[i][j] = strings.ReplaceAll(steps[i][j], filepath.Join(base, "%s"), dir)
				}
			}
			m := crushMap(t, dir, steps...)
			maxRep := 4
			if name == "text" {
				maxRep = 6
			}
			weights := presentWeights(m)
			reweighted := append([]uint32(nil), weights...)
			reweighted[1] = 0x8000 // 0.5
			reweighted[3] = 0x4000 // 0.25
			reweighted[5] = 0      // out
			checked := 0
			for numRep := 1; numRep <= maxRep; numRep++ {
				args := []string{"-i", c, "--test", "--show-mappings", "--min-x", "0", "--max-x", "1023",
					"--num-rep", strconv.Itoa(numRep)}
				checked += compareMappings(t, m, run(t, dir, "crushtool", args...), numRep, weights, 0, -1)
				args = append(args, "--weight", "1", "0.5", "--weight", "3", "0.25", "--weight", "5", "0")
				checked += compareMappings(t, m, run(t, dir, "crushtool", args...), numRep, reweighted, 0, -1)
			}
			if name == "text" {
				// crushtool --test maps with weight set 0 whatever --pool-id
				// says (the pool id only hashes x), hence args 0 throughout;
				// OSDMap uses the pool's own set, which
				// TestPlacementMatchesOsdmaptool checks.
				for _, pool := range []int64{7, 8} {
					args := []string{"-i", c, "--test", "--show-mappings", "--min-x", "0", "--max-x", "1023",
						"--num-rep", "3", "--pool-id", strconv.FormatInt(pool, 10)}
					checked += compareMappings(t, m, run(t, dir, "crushtool", args...), 3, weights, 0, pool)
				}
			}
			if checked < 1024*4 {
				t.Fatalf("only %d mappings compared", checked)
			}
			t.Logf("%d mappings agree", checked)
		})
	}
}

// presentWeights is crushtool's default weight vector: in for every
// device a bucket holds, out for the rest.
func presentWeights(m *Map) []uint32 {
	w := make([]uint32, m.MaxDevices())
	for _, b := range m.Buckets {
		if b == nil {
			continue
		}
		for _, it := range b.Items {
			if it >= 0 {
				w[it] = Weight1
			}
		}
	}
	return w
}

// compareMappings checks crushtool's mapping lines against DoRuleArgs
// with weight set args; hashPool >= 0 hashes x with that pool id first
// (crushtool --pool-id).
func compareMappings(t *testing.T, m *Map, out []byte, numRep int, weights []uint32, args, hashPool int64) int {
	t.Helper()
	n, bad := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		g := mappingLine.FindStringSubmatch(sc.Text())
		if g == nil {
			continue
		}
		rule, _ := strconv.Atoi(g[1])
		x, _ := strconv.ParseUint(g[2], 10, 32)
		var want []int
		if g[3] != "" {
			for _, f := range strings.Split(g[3], ",") {
				v, _ := strconv.Atoi(f)
				want = append(want, v)
			}
		}
		in := uint32(x)
		if hashPool >= 0 {
			in = Hash2(in, uint32(hashPool))
		}
		got, err := m.DoRuleArgs(rule, in, numRep, weights, args)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if fmt.Sprint(got) != fmt.Sprint(want) && len(got)+len(want) > 0 {
			if bad++; bad <= 5 {
				t.Errorf("rule %d x %d numrep %d: got %v, crushtool %v", rule, x, numRep, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d mappings differ", bad, n)
	}
	return n
}

// TestUnsupportedAlgRefused: a tree or straw bucket on the path is an
// error, never a guess.
func TestUnsupportedAlgRefused(t *testing.T) {
	for _, alg := range []string{"tree", "straw"} {
		m, err := ParseCrush([]byte(strings.Replace(sampleCrush, `"alg":"list"`, `"alg":"`+alg+`"`, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.DoRule(0, 1, 2, presentWeights(m)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err %v, want ErrUnsupported", alg, err)
		}
	}
	if _, err := ParseCrush([]byte(`{"buckets":[{"id":-1,"alg":"straw3"}]}`)); !errors.Is(err, ErrBadMap) {
		t.Errorf("unknown algorithm: err %v", err)
	}
}
