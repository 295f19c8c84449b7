package simbench_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"gomgr/sim/simbench"
)

// Run needs a binary that runs a mon and RunRole: gomgr does, with
// `gomgr mon` and its child role gomgr-simbench (RunRole when run under
// that name).
func ExampleRun() {
	res, err := simbench.Run(context.Background(), simbench.Options{
		Exe:       "/usr/local/bin/gomgr",
		MonArgs:   []string{"mon", "--log-level", "warning"},
		RoleArgv0: "gomgr-simbench",
		OSDs:      []int{1000},
		Period:    time.Second, // Ceph's 5 s, compressed 5x
		Log:       os.Stderr,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Printf("%d OSDs: %.1f us/report, notify p50 %.0f ms\n", r.OSDs, r.MgrCPUPerReportUs, r.NotifyP50Ms)
	}
}
