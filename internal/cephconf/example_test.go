package cephconf_test

import (
	"fmt"
	"strings"

	"gomgr/internal/cephconf"
)

func Example() {
	conf := `[global]
fsid = 3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab
mon host = [v2:10.0.0.1:3300,v1:10.0.0.1:6789], 10.0.0.2  # a comment
auth_cluster_required = none
keyring = /etc/ceph/$cluster.$name.keyring
[mgr]
mgr data = /var/lib/ceph/mgr/$cluster-$id
`
	c, err := cephconf.Parse(strings.NewReader(conf))
	if err != nil {
		fmt.Println(err)
		return
	}
	fsid, _ := c.FSID("mgr.x")
	mons, _ := c.MonAddrs("mgr.x")
	data, _ := c.Get("mgr.x", "mgr_data")
	fmt.Println(fsid)
	fmt.Println(mons)
	fmt.Println(data)
	fmt.Println(c.KeyringPaths("mgr.x"))
	fmt.Println(c.Auth("mgr.x").Cluster)
	// Output:
	// 3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab
	// [10.0.0.1:6789 10.0.0.2:6789]
	// /var/lib/ceph/mgr/ceph-x
	// [/etc/ceph/ceph.mgr.x.keyring]
	// [none]
}

func ExampleMonAddrs() {
	for _, v := range []string{
		"10.0.0.1",
		"10.0.0.1:3300",
		"v1:10.0.0.1:3300",
		"[v2:10.0.0.1:3300,v1:10.0.0.1:6789]",
		"[::1]:6790, 10.0.0.2:7000",
	} {
		addrs, err := cephconf.MonAddrs(v)
		fmt.Println(addrs, err)
	}
	// Output:
	// [10.0.0.1:6789] <nil>
	// [] cephconf: no msgr v1 mon address: mon_host "10.0.0.1:3300"
	// [10.0.0.1:3300] <nil>
	// [10.0.0.1:6789] <nil>
	// [[::1]:6790 10.0.0.2:7000] <nil>
}

func ExampleParse_syntaxError() {
	_, err := cephconf.Parse(strings.NewReader("[global]\nmon_host = 10.0.0.1\n  [mgr]\n"))
	fmt.Println(err)
	// Output:
	// cephconf: line 3, column 1: expected a [section] or "key = value" line (a [section] cannot be indented, a line of blanks cannot come before the first section)
}
