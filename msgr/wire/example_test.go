package wire_test

import (
	"fmt"
	"net/netip"

	"gomgr/msgr/wire"
)

// A client-side parser: the server's banner, address pair and connect_reply
// come first, then tagged frames. The connection tells the parser what comes
// next as the handshake unfolds, from inside the callback.
func ExampleParser() {
	// What a pacific mon sends a new client, in one read.
	mon := wire.AddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:6789"), 0)
	me := wire.AddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:40000"), 0)
	in := wire.AppendBanner(nil)
	in = wire.AppendAddr(in, &mon)
	in = wire.AppendAddr(in, &me)
	in = wire.AppendConnectReply(in, &wire.ConnectReply{Tag: wire.TagSeq,
		Features: wire.FeaturesSupported, GlobalSeq: 1, ConnectSeq: 1,
		ProtocolVersion: wire.ProtocolVersion, Flags: wire.ConnectLossy})
	in = wire.AppendSeq(in, 0)
	in = wire.AppendMessage(in, wire.Header{Seq: 1, Type: 4, Priority: 196,
		Src: wire.EntityName{Type: wire.EntityMon, Num: 0}}, []byte("monmap"), nil, nil)
	in = wire.AppendKeepalive2Ack(in, wire.Timespec{Sec: 1795384605, Nsec: 991227488})

	var p wire.Parser
	if err := p.Expect(wire.KindBanner, wire.KindAddrPair, wire.KindConnectReply); err != nil {
		panic(err)
	}
	// Split anywhere: the frames are the same.
	for _, chunk := range [][]byte{in[:5], in[5:300], in[300:]} {
		_, err := p.Feed(chunk, func(f *wire.Frame) error {
			switch f.Kind {
			case wire.KindAddrPair:
				fmt.Println("server", f.Addrs[0], "sees us as", f.Addrs[1])
			case wire.KindConnectReply:
				fmt.Printf("reply tag %d, features %#x\n", f.Reply.Tag, f.Reply.Features)
				if f.Reply.Tag == wire.TagSeq {
					return p.Expect(wire.KindSeq, wire.KindOpen)
				}
				return p.Expect(wire.KindOpen)
			case wire.KindMsg:
				fmt.Printf("msg seq %d type %d from %v: %q\n", f.Header.Seq, f.Header.Type, f.Header.Src, f.Front)
			default:
				fmt.Println(f.Kind)
			}
			return nil
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// banner
	// server v1:127.0.0.1:6789/0 sees us as v1:127.0.0.1:40000/0
	// reply tag 13, features 0x3f01cfbdfffdffff
	// seq
	// msg seq 1 type 4 from mon.0: "monmap"
	// keepalive2_ack
}

// The write side: head and tail around the payload, for one writev.
func ExamplePutMessageHeadTail() {
	var head [wire.MsgHeadLen]byte
	var tail [wire.FooterLen]byte
	h := wire.Header{Seq: 7, Type: 0x703, Priority: 127, Version: 9}
	front := []byte("beacon")
	wire.PutMessageHeadTail(&head, &tail, &h, front, nil, nil)
	// iovecs: head[:], front, tail[:]
	fmt.Println(len(head), h.FrontLen, len(tail))
	// Output: 54 6 21
}

func ExampleCRC32C() {
	// Ceph's crc32c: no inversions, so zeros keep a zero crc.
	fmt.Printf("%#x %#x\n", wire.CRC32C(0, make([]byte, 8)), wire.CRC32C(0, []byte("ceph")))
	// Output: 0x0 0x575990d6
}
