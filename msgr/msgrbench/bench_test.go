package msgrbench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var full = flag.Bool("msgrbench.full", false, "run the full benchmark (all sizes and connection counts, 10,000 idle connections) and print JSON lines")

// TestRunFull is the full benchmark, run on demand:
//
//	go test ./msgr/msgrbench -run TestRunFull -msgrbench.full -v
func TestRunFull(t *testing.T) {
	if !*full {
		t.Skip("needs -msgrbench.full")
	}
	o := testOptions(t)
	o.Sizes, o.Conns, o.Duration, o.Rounds, o.IdleConns = nil, nil, 0, 0, 0
	o.Log = os.Stderr
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
	}
}

// The test binary doubles as the client process: re-executed under this
// name (Options.Argv0), it runs ClientMain instead of the tests, as
// gomgr's binary does under its child role's name.
const clientArgv0 = "msgrbench-test-client"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == clientArgv0 {
		if err := ClientMain(os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testOptions(t *testing.T) Options {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Exe: exe, Argv0: clientArgv0,
		Sizes: []int{64, 64 << 10}, Conns: []int{1, 8}, Duration: 300 * time.Millisecond, Rounds: 2, IdleConns: 500, Workers: 2}
}

func TestRunSmall(t *testing.T) {
	res, err := Run(context.Background(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2+2*2*2 {
		t.Fatalf("%d results", len(res))
	}
	for _, r := range res {
		b, _ := json.Marshal(r)
		t.Log(string(b))
		switch r.Kind {
		case "idle":
			if r.Conns != 500 || r.BytesPerIdleConn <= 0 {
				t.Errorf("idle result %+v", r)
			}
		case "echo":
			if r.MsgsPerS <= 0 || r.P50us <= 0 || r.P99us < r.P50us || r.RSSKB <= 0 || r.ClientRSSKB <= 0 {
				t.Errorf("echo result %+v", r)
			}
			if r.Impl == ImplGomgr && r.RatioVsStdlib <= 0 {
				t.Errorf("no ratio: %+v", r)
			}
		default:
			t.Errorf("kind %q", r.Kind)
		}
	}
}

func TestRunBadOptions(t *testing.T) {
	if _, err := Run(context.Background(), Options{}); err == nil {
		t.Fatal("no executable accepted")
	}
	o := testOptions(t)
	o.Impls = []string{"nope"}
	if _, err := Run(context.Background(), o); err == nil {
		t.Fatal("unknown impl accepted")
	}
}

func TestRunServerReportsAddr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error, 1)
	go func() { done <- RunServer(ctx, ServerConfig{Impl: ImplGomgr, Workers: 1}, w); w.Close() }()
	var addr string
	if _, err := fmt.Fscanf(r, "addr %s\n", &addr); err != nil || addr == "" {
		t.Fatalf("addr %q: %v", addr, err)
	}
	if err := RunClient(ClientConfig{Addr: addr, Conns: 2, Size: 100, Duration: 100 * time.Millisecond, Window: 2}, nil, devNull{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

// Example: how `gomgr bench msgr` drives the engine. The CLI re-executes
// itself as its child role gomgr-msgr-client, which calls ClientMain.
func ExampleRun() {
	exe, _ := os.Executable()
	res, err := Run(context.Background(), Options{Exe: exe, Argv0: "gomgr-msgr-client"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
	}
}
