package crush_test

import (
	"fmt"

	"gomgr/crush"
)

const exampleCrush = `{"devices":[{"id":0,"name":"osd.0"},{"id":1,"name":"osd.1"},{"id":2,"name":"osd.2"},{"id":3,"name":"osd.3"}],
"types":[{"type_id":0,"name":"osd"},{"type_id":1,"name":"host"},{"type_id":11,"name":"root"}],
"buckets":[
{"id":-1,"name":"default","type_id":11,"weight":262144,"alg":"straw2","hash":"rjenkins1",
 "items":[{"id":-2,"weight":131072,"pos":0},{"id":-3,"weight":131072,"pos":1}]},
{"id":-2,"name":"a","type_id":1,"weight":131072,"alg":"straw2","hash":"rjenkins1",
 "items":[{"id":0,"weight":65536,"pos":0},{"id":1,"weight":65536,"pos":1}]},
{"id":-3,"name":"b","type_id":1,"weight":131072,"alg":"straw2","hash":"rjenkins1",
 "items":[{"id":2,"weight":65536,"pos":0},{"id":3,"weight":65536,"pos":1}]}],
"rules":[{"rule_id":0,"rule_name":"replicated_rule","ruleset":0,"type":1,"min_size":1,"max_size":10,
 "steps":[{"op":"take","item":-1},{"op":"chooseleaf_firstn","num":0,"type":"host"},{"op":"emit"}]}],
"tunables":{"choose_total_tries":50,"chooseleaf_descend_once":1,"chooseleaf_vary_r":1,"chooseleaf_stable":1}}`

const exampleOSDDump = `{"epoch":1,"max_osd":4,
"pools":[{"pool":1,"pool_name":"rbd","flags":1,"type":1,"size":2,"min_size":1,"crush_rule":0,"pg_num":16,"pg_placement_num":16}],
"osds":[{"osd":0,"up":1,"in":1,"weight":1,"primary_affinity":1},{"osd":1,"up":1,"in":1,"weight":1,"primary_affinity":1},
{"osd":2,"up":1,"in":1,"weight":1,"primary_affinity":1},{"osd":3,"up":0,"in":1,"weight":1,"primary_affinity":1}],
"pg_upmap":[],"pg_upmap_items":[]}`

func Example() {
	m, err := crush.ParseCrush([]byte(exampleCrush))
	if err != nil {
		panic(err)
	}
	// Two replicas on two hosts, for CRUSH input 7, all devices in.
	all := []uint32{crush.Weight1, crush.Weight1, crush.Weight1, crush.Weight1}
	fmt.Println(m.DoRule(0, 7, 2, all))

	o, err := crush.ParseOSDMap([]byte(exampleOSDDump), m)
	if err != nil {
		panic(err)
	}
	// osd.3 is down: a PG CRUSH puts there has one replica up.
	for ps := range uint32(16) {
		up, primary, _ := o.PGToUpOSDs(crush.PG{Pool: 1, Seed: ps})
		if len(up) < 2 {
			fmt.Println(crush.PG{Pool: 1, Seed: ps}, up, primary)
			break
		}
	}
	u, err := o.CalcPGUpmapsOpts(crush.UpmapOptions{MaxDeviation: 1, MaxIterations: 10, Deterministic: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Changes, "changes")
	// Output:
	// [1 2] <nil>
	// 1.0 [0] 0
	// 4 changes
}
