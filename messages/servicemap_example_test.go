package messages_test

import (
	"fmt"

	"gomgr/messages"
	"gomgr/msgr/wire"
)

// A real ceph-mon sends the ServiceMap in Ceph's binary form; the mgr
// decodes it and gives modules `ceph service dump -f json`.
func ExampleServiceMap_DumpJSON() {
	sm := &messages.ServiceMap{
		Epoch:    2,
		Modified: messages.Utime{Sec: 1795384603, Nsec: 824020313},
		Services: map[string]messages.ServiceInfo{"rgw": {Daemons: map[string]messages.ServiceDaemon{
			"gw1": {
				GID:        4112,
				Addr:       wire.EntityAddr{Type: 1, Nonce: 1933087321, IP: []byte{127, 0, 0, 1}},
				StartEpoch: 2,
				StartStamp: messages.Utime{Sec: 1795384600},
				Metadata:   map[string]string{"zone_name": "default"},
			},
		}}},
	}
	m := messages.Encode(messages.NewServiceMapMsg(sm))

	p, err := messages.Decode(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	js, err := p.(*messages.ServiceMapMsg).JSON()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(js))
	// Output:
	// {"epoch":2,"modified":"2026-11-22T21:56:43.824020+0000","services":{"rgw":{"daemons":{"summary":"","gw1":{"start_epoch":2,"start_stamp":"2026-11-22T21:56:40.000000+0000","gid":4112,"addr":"127.0.0.1:0/1933087321","metadata":{"zone_name":"default"},"task_status":{}}}}}}
}
