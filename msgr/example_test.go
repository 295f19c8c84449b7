package msgr_test

import (
	"fmt"
	"io"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

// echoServer answers every message with the same payload.
type echoServer struct{}

func (echoServer) Dispatch(c *msgr.Connection, m *msgr.Message) {
	_ = c.Send(&msgr.Message{Type: m.Type, Priority: m.Priority, Front: m.Front})
}

// inbox hands received messages to a channel.
type inbox chan *msgr.Message

func (in inbox) Dispatch(_ *msgr.Connection, m *msgr.Message) { in <- m }

func quietLogger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// A server and a client messenger on loopback, one round trip.
func Example() {
	srv, err := msgr.New(msgr.Config{
		Name:          wire.EntityName{Type: wire.EntityMon, Num: 0},
		Dispatcher:    echoServer{},
		DefaultPolicy: msgr.StatelessServer(),
		Logger:        quietLogger(),
	})
	if err != nil {
		panic(err)
	}
	if err := srv.Bind("127.0.0.1:0"); err != nil {
		panic(err)
	}
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer func() { srv.Shutdown(); srv.Wait() }()

	in := make(inbox, 1)
	cli, err := msgr.New(msgr.Config{
		Name:          wire.EntityName{Type: wire.EntityClient, Num: 4100},
		Dispatcher:    in,
		DefaultPolicy: msgr.LossyClient(),
		Logger:        quietLogger(),
	})
	if err != nil {
		panic(err)
	}
	if err := cli.Start(); err != nil {
		panic(err)
	}
	defer func() { cli.Shutdown(); cli.Wait() }()

	ap, _ := srv.Addr().AddrPort()
	conn, err := cli.Connect(ap.String(), wire.EntityMon)
	if err != nil {
		panic(err)
	}
	if err := conn.Send(&msgr.Message{Type: 17, Priority: msgr.PrioDefault, Front: []byte("hello")}); err != nil {
		panic(err)
	}
	select {
	case m := <-in:
		fmt.Printf("%s from %v (type %d)\n", m.Front, m.Src, m.Type)
	case <-time.After(10 * time.Second):
		fmt.Println("timed out")
	}
	// Output: hello from mon.0 (type 17)
}

// Policies are chosen per peer type; the zero DefaultPolicy is a lossless peer
// without standby.
func ExampleConfig_policies() {
	cfg := msgr.Config{
		Name:          wire.EntityName{Type: wire.EntityMgr, Num: 0},
		DefaultPolicy: msgr.StatelessServer(),
		Policies: map[uint8]msgr.Policy{
			wire.EntityMon: msgr.LossyClient(),    // we talk to mons as a client
			wire.EntityOSD: msgr.StatefulServer(), // daemons reconnect to us
		},
		InjectSocketFailures: 0,
		BackoffMax:           5 * time.Second,
	}
	fmt.Println(cfg.Policies[wire.EntityMon].Lossy, cfg.Policies[wire.EntityOSD].Server)
	// Output: true true
}
