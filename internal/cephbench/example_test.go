package cephbench_test

import (
	"context"
	"fmt"
	"os"

	"gomgr/internal/cephbench"
)

// What `gomgr bench ceph` does: the gomgr binary runs the mgr, one
// cluster, both managers.
func ExampleRun() {
	res, err := cephbench.Run(context.Background(), cephbench.Options{Exe: "bin/gomgr", MgrArgs: []string{"mgr"},
		Changes: 20, Log: os.Stderr})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("%s: p50 %.1f ms, p90 %.1f ms (%.1fx gomgr's p50)\n", r.Mgr, r.P50Ms, r.P90Ms, r.P50VsGomgr)
	}
}
