package msgrbench

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"gomgr/internal/benchstat"
	"gomgr/internal/procstat"
	"gomgr/msgr/internal/netpoll"
	"gomgr/msgr/wire"
)

// ClientConfig is what the client process is told on its command line.
type ClientConfig struct {
	Addr     string        // server address
	Conns    int           // connections
	Size     int           // payload bytes per message
	Duration time.Duration // measured time (after a short warm-up)
	Window   int           // messages in flight per connection
	Idle     bool          // open Conns sessions, print "ready", hold them until stdin closes
}

// ClientReport is the client's one JSON line on stdout.
type ClientReport struct {
	Msgs    int64   `json:"msgs"`  // echoes received in the measured window
	Total   int64   `json:"total"` // echoes received in the whole run (warm-up and drain included)
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
	RSSKB   int64   `json:"rss_kb"`
	Opened  int     `json:"opened"`
}

// Flags returns the command-line flags that make ClientMain run cfg.
func (cfg ClientConfig) Flags() []string {
	return []string{"-addr", cfg.Addr, "-conns", fmt.Sprint(cfg.Conns), "-size", fmt.Sprint(cfg.Size),
		"-duration", cfg.Duration.String(), "-window", fmt.Sprint(cfg.Window), fmt.Sprintf("-idle=%v", cfg.Idle)}
}

// ClientMain parses args (as produced by ClientConfig.Flags) and runs the
// client, writing its report to stdout. The CLI calls it in the re-executed
// process after its own argv prefix.
func ClientMain(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("msgrbench-client", flag.ContinueOnError)
	var cfg ClientConfig
	fs.StringVar(&cfg.Addr, "addr", "", "server address")
	fs.IntVar(&cfg.Conns, "conns", 1, "connections")
	fs.IntVar(&cfg.Size, "size", 64, "payload bytes")
	fs.DurationVar(&cfg.Duration, "duration", 2*time.Second, "measured duration")
	fs.IntVar(&cfg.Window, "window", 8, "messages in flight per connection")
	fs.BoolVar(&cfg.Idle, "idle", false, "idle mode")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", ErrBadOption, err)
	}
	return RunClient(cfg, os.Stdin, stdout)
}

func dialAll(addr string, n int) ([]net.Conn, []*bufio.Reader, error) {
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, err := net.Dial("tcp", addr)
			if err == nil {
				_ = nc.(*net.TCPConn).SetNoDelay(true)
				r := bufio.NewReaderSize(nc, 4096)
				if err = stdClientHandshake(nc, r, uint32(i+1)); err == nil {
					conns[i], readers[i] = nc, r
					return
				}
				nc.Close()
			}
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, nil, firstErr
	}
	return conns, readers, nil
}

// RunClient runs the load generator: in idle mode it holds cfg.Conns open
// sessions until stdin reaches EOF; otherwise it runs a closed-loop echo
// load for cfg.Duration and writes a ClientReport.
func RunClient(cfg ClientConfig, stdin io.Reader, stdout io.Writer) error {
	if cfg.Conns <= 0 || cfg.Size < 0 || cfg.Window <= 0 {
		return fmt.Errorf("%w: %+v", ErrBadOption, cfg)
	}
	if _, err := netpoll.RaiseNoFile(uint64(cfg.Conns) + 256); err != nil {
		return err
	}
	conns, readers, err := dialAll(cfg.Addr, cfg.Conns)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if cfg.Idle {
		fmt.Fprintln(stdout, "ready")
		_, _ = io.Copy(io.Discard, stdin)
		peak, err := peakRSSKB()
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(ClientReport{Opened: len(conns), RSSKB: peak})
	}

	payload := make([]byte, cfg.Size)
	for i := range payload {
		payload[i] = byte(i)
	}
	start := time.Now()
	warm := start.Add(300 * time.Millisecond)
	end := warm.Add(cfg.Duration)
	var stop atomic.Bool
	var msgs, bytes, total atomic.Int64
	lat := make([][]uint32, len(conns))
	var wg sync.WaitGroup
	for i, nc := range conns {
		sw := &stdWriter{ch: make(chan stdOut, cfg.Window+8), w: bufio.NewWriterSize(nc, 64<<10), src: wire.EntityName{Type: wire.EntityClient, Num: int64(i)}}
		wg.Add(2)
		go sw.run(nc, wg.Done)
		send := func() {
			sw.ch <- stdOut{h: wire.Header{Type: 0x4000, Priority: 127, Tid: uint64(time.Since(start))}, d: payload}
		}
		go func() {
			defer wg.Done()
			defer close(sw.ch)
			for w := 0; w < cfg.Window; w++ {
				send()
			}
			inflight := cfg.Window
			hb := make([]byte, wire.HeaderLen)
			samples := make([]uint32, 0, 1024)
			for inflight > 0 {
				tag, m, _, err := stdReadFrame(readers[i], wire.DefaultMaxMessageLen, hb)
				if err != nil {
					break
				}
				if tag != wire.TagMsg {
					continue
				}
				inflight--
				total.Add(1)
				now := time.Since(start)
				if t := start.Add(now); t.After(warm) && t.Before(end) {
					msgs.Add(1)
					bytes.Add(int64(len(m.data) + len(m.front)))
					if len(samples) < 1<<20 {
						samples = append(samples, uint32((now-time.Duration(m.h.Tid))/time.Microsecond))
					}
				}
				if !stop.Load() {
					send()
					inflight++
				}
			}
			lat[i] = samples
		}()
	}
	time.Sleep(time.Until(end))
	stop.Store(true)
	// Unblock readers whose peer died: a generous deadline, not a wait.
	for _, nc := range conns {
		_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	wg.Wait()
	var all []uint32
	for _, s := range lat {
		all = append(all, s...)
	}
	slices.Sort(all)
	peak, err := peakRSSKB()
	if err != nil {
		return err
	}
	rep := ClientReport{Msgs: msgs.Load(), Total: total.Load(), Bytes: bytes.Load(), Seconds: cfg.Duration.Seconds(),
		P50us: float64(benchstat.PercentileSorted(all, 50)), P99us: float64(benchstat.PercentileSorted(all, 99)),
		RSSKB: peak, Opened: len(conns)}
	return json.NewEncoder(stdout).Encode(rep)
}

// peakRSSKB is this process's peak RSS in KiB.
func peakRSSKB() (int64, error) {
	peak, err := procstat.ReadPeakRSS(os.Getpid())
	return peak >> 10, err
}
