package mon_test

import (
	"fmt"
	"time"

	"gomgr/clustermap"
	"gomgr/messages"
	"gomgr/mon"
)

// A mon in memory: two mgrs beacon, the active dies, the standby takes over.
func Example() {
	cfg := mon.DefaultConfig()
	cfg.FSID = "c61c2ab8-9d99-45ce-af51-a34b9f0a08d7"
	now := time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)
	m, err := mon.Open(now, "", cfg) // a data directory instead of "" makes it durable
	if err != nil {
		panic(err)
	}
	m.Beacon(now, mon.Beacon{GID: 10, Name: "x", FSID: cfg.FSID})
	m.Beacon(now, mon.Beacon{GID: 11, Name: "y", FSID: cfg.FSID})
	mm := m.Snapshot().MgrMap
	fmt.Println("epoch", mm.Epoch, "active", mm.ActiveName, "standbys", mm.StandbyNames())

	// x stops beaconing; y goes on. The daemon ticks every TickInterval.
	for i := 1; i <= 10; i++ {
		now = now.Add(cfg.Mgr.TickInterval)
		if i%4 == 0 {
			m.Beacon(now, mon.Beacon{GID: 11, Name: "y", FSID: cfg.FSID})
		}
		e, _ := m.Tick(now)
		if e.MgrMap != nil {
			fmt.Println("after", now.Sub(time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)), "epoch", e.MgrMap.Epoch, "active", e.MgrMap.ActiveName)
		}
		for _, l := range e.Log {
			fmt.Println(l.Priority, l.Message)
		}
	}
	// Output:
	// epoch 3 active x standbys [y]
	// after 3.5s epoch 4 active y
	// [INF] Activating manager daemon y
	// [INF] Manager daemon x is unresponsive, replacing it with standby daemon y
}

// Commands take Ceph's cmdmap and return (retval, output, status).
func ExampleMon_HandleCommand() {
	now := time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)
	m, _ := mon.Open(now, "", mon.DefaultConfig())
	r, _, _ := m.HandleCommand(now, map[string]any{"prefix": "config-key set", "key": "mgr/foo/bar", "val": "42"}, nil)
	fmt.Println(r.Retval, r.Status)
	r, _, _ = m.HandleCommand(now, map[string]any{"prefix": "config-key get", "key": "mgr/foo/bar"}, nil)
	fmt.Println(r.Retval, string(r.Out))
	r, _, _ = m.HandleCommand(now, map[string]any{"prefix": "mgr module enable", "module": "nosuch"}, nil)
	fmt.Println(r.Retval, r.Status)
	r, _, _ = m.HandleCommandJSON(now, []byte(`{"prefix":"osd pool create","pool":"rbd","pg_num":8}`), nil)
	fmt.Println(r.Retval, r.Status)
	r, _, _ = m.HandleCommandJSON(now, []byte(`{"prefix":`), nil)
	fmt.Println(r.Retval, r.Status)
	// Output:
	// 0 set mgr/foo/bar
	// 0 42
	// -2 all mgr daemons do not support module 'nosuch', pass --force to force enablement
	// 0 pool 'rbd' created
	// -22 invalid command json: expected one JSON object
}

// Subscribers get the current map at once and every later epoch through
// Effects.Deliveries.
func ExampleMon_Subscribe() {
	now := time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)
	cfg := mon.DefaultConfig()
	cfg.FSID = "c61c2ab8-9d99-45ce-af51-a34b9f0a08d7"
	m, _ := mon.Open(now, "", cfg)
	ds, _ := m.Subscribe(1, messages.SubMgrMap, 0, false)
	fmt.Println("now:", ds[0].What, ds[0].Epoch)
	e, _ := m.Beacon(now, mon.Beacon{GID: 10, Name: "x", FSID: cfg.FSID})
	for _, d := range e.Deliveries {
		fmt.Println("later:", d.What, d.Epoch, d.Map.(*clustermap.MgrMap).ActiveName)
	}
	// Output:
	// now: mgrmap 1
	// later: mgrmap 2 x
}
