package isolate

import (
	"encoding/json"
	"testing"
)

// calcCrush and calcOSDDump are a small cluster: two hosts of two OSDs,
// one replicated pool of 16 PGs, one upmap.
const calcCrush = `{"devices":[{"id":0,"name":"osd.0"},{"id":1,"name":"osd.1"},{"id":2,"name":"osd.2"},{"id":3,"name":"osd.3"}],
"types":[{"type_id":0,"name":"osd"},{"type_id":1,"name":"host"},{"type_id":11,"name":"root"}],
"buckets":[{"id":-1,"name":"default","type_id":11,"weight":262144,"alg":"straw2","hash":"rjenkins1",
"items":[{"id":-2,"weight":131072,"pos":0},{"id":-3,"weight":131072,"pos":1}]},
{"id":-2,"name":"a","type_id":1,"weight":131072,"alg":"straw2","hash":"rjenkins1","items":[{"id":0,"weight":65536,"pos":0},{"id":1,"weight":65536,"pos":1}]},
{"id":-3,"name":"b","type_id":1,"weight":131072,"alg":"straw2","hash":"rjenkins1","items":[{"id":2,"weight":65536,"pos":0},{"id":3,"weight":65536,"pos":1}]}],
"rules":[{"rule_id":0,"rule_name":"r","ruleset":0,"type":1,"min_size":1,"max_size":10,"steps":[
{"op":"take","item":-1},{"op":"chooseleaf_firstn","num":0,"type":"host"},{"op":"emit"}]}],
"tunables":{"choose_total_tries":50,"chooseleaf_descend_once":1,"chooseleaf_vary_r":1,"chooseleaf_stable":1}}`

const calcOSDDump = `{"epoch":9,"max_osd":4,"pools":[{"pool":1,"pool_name":"p","flags":1,"type":1,"size":2,
"min_size":1,"crush_rule":0,"pg_num":16,"pg_placement_num":16,"pgp_num":16}],
"osds":[{"osd":0,"up":1,"in":1,"weight":1,"primary_affinity":1},{"osd":1,"up":1,"in":1,"weight":1,"primary_affinity":1},
{"osd":2,"up":1,"in":1,"weight":1,"primary_affinity":1},{"osd":3,"up":0,"in":1,"weight":1,"primary_affinity":1}],
"pg_upmap_items":[{"pgid":"1.3","mappings":[{"from":0,"to":1}]}],
"pg_temp":[{"pgid":"1.5","osds":[3,2,0]}],"primary_temp":[]}`

func calcReq(t testing.TB, call string, extra map[string]any) []byte {
	req := map[string]any{"call": call, "osdmap": json.RawMessage(calcOSDDump), "crush": json.RawMessage(calcCrush)}
	for k, v := range extra {
		req[k] = v
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOSDMapCalc: the three calls answer in ceph_module's shapes, the
// acting set follows pg_temp without its down OSD, and bad requests are
// errors.
func TestOSDMapCalc(t *testing.T) {
	var up struct{ Up [][]int }
	out, err := osdMapCalc(calcReq(t, "map_pool_pgs_up", map[string]any{"pool": 1}))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &up); err != nil || len(up.Up) != 16 {
		t.Fatalf("map_pool_pgs_up: %s (%v)", out, err)
	}
	for ps, osds := range up.Up {
		for _, o := range osds {
			if o == 3 {
				t.Errorf("pg 1.%x up %v holds the down osd.3", ps, osds)
			}
		}
	}
	var pg struct {
		Acting        []int `json:"acting"`
		ActingPrimary int   `json:"acting_primary"`
	}
	if out, err = osdMapCalc(calcReq(t, "pg_to_up_acting_osds", map[string]any{"pool": 1, "ps": 5})); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &pg); err != nil {
		t.Fatal(err)
	}
	if len(pg.Acting) != 2 || pg.Acting[0] != 2 || pg.Acting[1] != 0 || pg.ActingPrimary != 2 {
		t.Errorf("pg 1.5 with pg_temp [3 2 0], osd.3 down: %s", out)
	}
	var u struct {
		Changes int               `json:"changes"`
		New     []json.RawMessage `json:"new_pg_upmap_items"`
		Old     []string          `json:"old_pg_upmap_items"`
	}
	if out, err = osdMapCalc(calcReq(t, "calc_pg_upmaps", map[string]any{"max_deviation": 1, "max_iterations": 10, "pools": []int{1}})); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &u); err != nil || u.New == nil || u.Old == nil {
		t.Fatalf("calc_pg_upmaps: %s (%v)", out, err)
	}
	for _, bad := range [][]byte{[]byte(`{`), calcReq(t, "frobnicate", nil), calcReq(t, "map_pool_pgs_up", map[string]any{"pool": 7}),
		[]byte(`{"call":"map_pool_pgs_up","osdmap":{},"crush":{}}`)} {
		if _, err := osdMapCalc(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// FuzzOSDMapCalc: whatever a module process sends, the host answers or
// errs, and does not panic or hang.
func FuzzOSDMapCalc(f *testing.F) {
	f.Add(calcReq(f, "map_pool_pgs_up", map[string]any{"pool": 1}))
	f.Add(calcReq(f, "pg_to_up_acting_osds", map[string]any{"pool": 1, "ps": 5}))
	f.Add(calcReq(f, "calc_pg_upmaps", map[string]any{"max_deviation": 1, "max_iterations": 10, "pools": []int{}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = osdMapCalc(body)
	})
}
