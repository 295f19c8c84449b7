package cephcluster_test

import (
	"context"
	"fmt"

	"gomgr/internal/cephcluster"
)

// A cluster outside a test: New, the ceph CLI, Close.
func ExampleNew() {
	c, err := cephcluster.New(context.Background(), cephcluster.Options{OSDs: 2, Pools: []string{"p1"}})
	if err != nil {
		fmt.Println(err) // ErrNotInstalled says what to apt-get install
		return
	}
	defer c.Close() // stops every daemon, removes c.Dir
	out, err := c.Ceph(context.Background(), "osd", "stat")
	fmt.Println(string(out), err)
}
