package crush

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// osdmapScenario is an osdmap osdmaptool builds (createsimple, then a
// CRUSH map imported) and the marks applied when it is dumped and mapped.
type osdmapScenario struct {
	osds    int
	pgBits  string // --pg-bits (pg_num = osds << bits); "" for the default
	pgpBits string
	crush   [][]string // crushtool steps making file "c" (%s is the directory)
	upmaps  bool       // save pg_upmap_items from osdmaptool --upmap first
	marks   []string   // e.g. --mark-out 5
}

func placementScenarios() map[string]osdmapScenario {
	return map[string]osdmapScenario{
		"24osd-6host": {
			osds: 24,
			crush: [][]string{
				{"--outfn", "%s/c", "--build", "--num_osds", "24", "host", "straw2", "4", "root", "straw2", "0"},
			},
			marks: []string{"--mark-out", "5"},
		},
		"40osd-racks-upmaps-out": {
			osds: 40, pgBits: "5", pgpBits: "4",
			crush: [][]string{
				{"--outfn", "%s/c", "--build", "--num_osds", "40", "host", "straw2", "5", "rack", "straw2", "2", "root", "straw2", "0"},
				{"-i", "%s/c", "--reweight-item", "osd.3", "2.5", "-o", "%s/c"},
				{"-i", "%s/c", "--reweight-item", "host6", "0.5", "-o", "%s/c"},
			},
			upmaps: true,
			marks:  []string{"--mark-out", "UNTOUCHED"},
		},
		// The OSD marked out is the target of an upmap, which must then be
		// ignored.
		"upmap-target-out": {
			osds: 30, pgBits: "4",
			crush: [][]string{
				{"--outfn", "%s/c", "--build", "--num_osds", "30", "host", "straw2", "3", "root", "straw2", "0"},
				{"-i", "%s/c", "--reweight-item", "host2", "6", "-o", "%s/c"},
			},
			upmaps: true,
			marks:  []string{"--mark-out", "TARGET"},
		},
		// A weight set for pool 1 (choose_args index = pool id).
		"weight-set": {
			osds: 12, pgBits: "6",
			crush: [][]string{{"-c", "%s/ws.txt", "-o", "%s/c"}},
		},
	}
}

// weightSetMap is 12 OSDs on 4 hosts with a weight set for pool 1 that
// reverses the hosts' weights.
const weightSetMap = `
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
device 0 osd.0
device 1 osd.1
device 2 osd.2
device 3 osd.3
device 4 osd.4
device 5 osd.5
device 6 osd.6
device 7 osd.7
device 8 osd.8
device 9 osd.9
device 10 osd.10
device 11 osd.11
type 0 osd
type 1 host
type 11 root
host h0 {
	id -2
	alg straw2
	hash 0
	item osd.0 weight 1.000
	item osd.1 weight 1.000
	item osd.2 weight 1.000
}
host h1 {
	id -3
	alg straw2
	hash 0
	item osd.3 weight 1.000
	item osd.4 weight 2.000
	item osd.5 weight 1.000
}
host h2 {
	id -4
	alg straw2
	hash 0
	item osd.6 weight 1.000
	item osd.7 weight 1.000
	item osd.8 weight 3.000
}
host h3 {
	id -5
	alg straw2
	hash 0
	item osd.9 weight 1.000
	item osd.10 weight 1.000
	item osd.11 weight 1.000
}
root default {
	id -1
	alg straw2
	hash 0
	item h0 weight 3.000
	item h1 weight 4.000
	item h2 weight 5.000
	item h3 weight 3.000
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
choose_args 1 {
  {
    bucket_id -1
    weight_set [
      [ 5.0 3.0 3.0 4.0 ]
      [ 1.0 2.0 3.0 4.0 ]
    ]
  }
  {
    bucket_id -3
    weight_set [
      [ 2.0 0.5 1.0 ]
    ]
  }
}
`

// buildOSDMap makes scenario s in dir and returns the osdmap file and the
// osdmaptool flags that apply its marks.
func buildOSDMap(t testing.TB, dir string, s osdmapScenario) (string, []string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "ws.txt"), []byte(weightSetMap), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, step := range s.crush {
		args := make([]string, len(step))
		for i, a := range step {
			args[i] = strings.ReplaceAll(a, "%s", dir)
		}
		run(t, dir, "crushtool", args...)
	}
	om := filepath.Join(dir, "om")
	args := []string{"--createsimple", strconv.Itoa(s.osds), "--with-default-pool", "--clobber", om}
	if s.pgBits != "" {
		args = append(args, "--pg-bits", s.pgBits)
	}
	if s.pgpBits != "" {
		args = append(args, "--pgp-bits", s.pgpBits)
	}
	run(t, dir, "osdmaptool", args...)
	run(t, dir, "osdmaptool", om, "--import-crush", filepath.Join(dir, "c"))
	if s.upmaps {
		// --save keeps the map as --upmap leaves it: upmaps, and the OSDs
		// up and in.
		run(t, dir, "osdmaptool", om, "--mark-up-in", "--upmap", filepath.Join(dir, "upmaps"),
			"--upmap-deviation", "1", "--upmap-max", "60", "--save",
			"--osd_calc_pg_upmaps_aggressively=false") // reproducible
	}
	marks := append([]string{"--mark-up-in"}, s.marks...)
	for i, m := range marks {
		switch m {
		case "TARGET":
			marks[i] = upmapOSDs(t, filepath.Join(dir, "upmaps"))[0]
		case "UNTOUCHED":
			// The highest OSD no upmap names.
			named := upmapOSDs(t, filepath.Join(dir, "upmaps"))
			for id := s.osds - 1; id >= 0; id-- {
				if !slices.Contains(named, strconv.Itoa(id)) {
					marks[i] = strconv.Itoa(id)
					break
				}
			}
		}
	}
	return om, marks
}

// upmapOSDs are the OSDs the pg-upmap-items commands osdmaptool --upmap
// wrote name, the first command's first target first.
func upmapOSDs(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var osds []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[2] == "pg-upmap-items" {
			osds = append(osds, f[5])
			osds = append(osds, f[4:]...)
		}
	}
	if len(osds) == 0 {
		t.Fatalf("no pg-upmap-items in %s:\n%s", path, b)
	}
	return osds
}

// loadOSDMap dumps the osdmap (as modified by marks) and parses it with
// its CRUSH map.
func loadOSDMap(t testing.TB, dir, om string, marks []string) *OSDMap {
	t.Helper()
	dump := run(t, dir, "osdmaptool", append([]string{om}, append(marks, "--dump", "json")...)...)
	if i := bytes.IndexByte(dump, '{'); i > 0 {
		dump = dump[i:] // "marking ..." lines come first
	}
	cfile := filepath.Join(dir, "c.out")
	run(t, dir, "osdmaptool", om, "--export-crush", cfile)
	cm, err := ParseCrush(run(t, dir, "crushtool", "-i", cfile, "--dump"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOSDMap(dump, cm)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

var mapAllLine = regexp.MustCompile(`^(\d+\.[0-9a-f]+) raw \(\[([-0-9,]*)\], p(-?\d+)\) up \(\[([-0-9,]*)\], p(-?\d+)\)`)

// TestPlacementMatchesOsdmaptool compares the raw and up sets and the up
// primary of every PG with osdmaptool --test-map-pgs-dump-all.
func TestPlacementMatchesOsdmaptool(t *testing.T) {
	needTools(t, "crushtool", "osdmaptool")
	for name, s := range placementScenarios() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			om, marks := buildOSDMap(t, dir, s)
			o := loadOSDMap(t, dir, om, marks)
			if s.upmaps && len(o.PGUpmapItems) == 0 {
				t.Fatal("osdmaptool --upmap left no pg_upmap_items")
			}
			out := run(t, dir, "osdmaptool", append([]string{om}, append(marks, "--test-map-pgs-dump-all")...)...)
			n, bad := 0, 0
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				g := mapAllLine.FindStringSubmatch(sc.Text())
				if g == nil {
					continue
				}
				pg, err := ParsePG(g[1])
				if err != nil {
					t.Fatal(err)
				}
				raw, pps, err := o.PGToRawOSDs(pg)
				if err != nil {
					t.Fatal(err)
				}
				_ = pps
				up, primary, err := o.PGToUpOSDs(pg)
				if err != nil {
					t.Fatal(err)
				}
				got := fmt.Sprintf("%s p%d %s p%d", joinInts(raw), pickPrimary(raw), joinInts(up), primary)
				want := fmt.Sprintf("[%s] p%s [%s] p%s", g[2], g[3], g[4], g[5])
				n++
				if got != want {
					if bad++; bad <= 5 {
						t.Errorf("%v: got %s, osdmaptool %s", pg, got, want)
					}
				}
			}
			if n == 0 {
				t.Fatalf("no mappings in osdmaptool output:\n%.500s", out)
			}
			if bad > 0 {
				t.Errorf("%d of %d PGs differ", bad, n)
			}
			t.Logf("%d PGs agree (%d with pg_upmap_items)", n, len(o.PGUpmapItems))
		})
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ",") + "]"
}
