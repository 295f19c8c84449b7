package messages_test

import (
	"fmt"

	"gomgr/messages"
)

// A client subscribes to the monmap and, once, to the osdmap from epoch 5;
// the receiving side decodes the message by its type.
func ExampleEncode() {
	sub := &messages.MonSubscribe{
		What: map[string]messages.SubscribeItem{
			"monmap": {Start: 0},
			"osdmap": {Start: 5, Flags: messages.SubscribeOnetime},
		},
		Hostname: "node1",
	}
	m := messages.Encode(sub)
	fmt.Printf("type %d v%d compat %d, %d bytes\n", m.Type, m.Version, m.CompatVersion, len(m.Front))

	p, err := messages.Decode(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	got := p.(*messages.MonSubscribe)
	fmt.Println(got.Hostname, got.What["osdmap"].Start, got.What["osdmap"].Flags == messages.SubscribeOnetime)
	// Output:
	// type 15 v3 compat 1, 51 bytes
	// node1 5 true
}

// Payloads that are not whole messages have their own codec.
func ExampleEncodeAuthHello() {
	hello := messages.EncodeAuthHello(messages.AuthHello{
		Protocols: []uint32{messages.AuthNone},
		Name:      messages.AuthName{Type: 8, ID: "admin"},
	})
	m := messages.Encode(&messages.Auth{Paxos: messages.NewPaxos(0), AuthPayload: hello})
	p, _ := messages.Decode(m)
	h, _ := messages.DecodeAuthHello(p.(*messages.Auth).AuthPayload)
	fmt.Println(len(m.Front), h.Name.ID, h.Protocols)
	// Output: 60 admin [1]
}
