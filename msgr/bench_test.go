package msgr

import (
	"testing"

	"gomgr/msgr/wire"
)

// pingPong is a server that echoes from FastDispatch, on the event loop.
type pingPong struct{}

func (pingPong) Dispatch(c *Connection, m *Message) { pingPong{}.FastDispatch(c, m) }
func (pingPong) CanFastDispatch(*Message) bool      { return true }
func (pingPong) FastDispatch(c *Connection, m *Message) {
	_ = c.Send(&Message{Type: m.Type, Priority: m.Priority, Front: m.Front})
}

// chanDispatcher signals every received message.
type chanDispatcher chan struct{}

func (d chanDispatcher) Dispatch(*Connection, *Message) { d <- struct{}{} }

// BenchmarkRoundTrip64B measures one 64-byte round trip at a time over
// loopback between two messengers in this process.
func BenchmarkRoundTrip64B(b *testing.B) {
	got := make(chanDispatcher, 1)
	srv, cli := newPair(b, pingPong{}, got, func(s, c *Config) {
		s.DefaultPolicy, c.DefaultPolicy = StatelessServer(), LossyClient()
	})
	c, err := cli.Connect(srvAddr(srv), wire.EntityOSD)
	if err != nil {
		b.Fatal(err)
	}
	front := make([]byte, 64)
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Send(&Message{Type: 1, Priority: PrioDefault, Front: front}); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

var _ FastDispatcher = pingPong{}
