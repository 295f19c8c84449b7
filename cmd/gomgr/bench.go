package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gomgr/msgr/msgrbench"
	"gomgr/plugins"
)

func init() {
	register(command{path: "bench msgr", args: "[--json] [--sizes 64,4096,1048576] [--conns 1,16,256] [--duration 2s] [--idle 10000]",
		help: "messenger throughput, latency and memory against a plain-Go control", run: benchMsgr})
	register(command{path: "bench plugins", args: "[--json] [--events N]",
		help: "Go plugin start-up, notify throughput, callbacks and RSS", run: benchPlugins})
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%w: %q is not a number", errUsage, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// printJSON writes one JSON object a line.
func printJSON[T any](w io.Writer, rows []T) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

func benchMsgr(args []string) error {
	fs := newFlags("bench msgr", "[--json]")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	sizes := fs.String("sizes", "64,4096,1048576", "message sizes in bytes")
	conns := fs.String("conns", "1,16,256", "connection counts")
	dur := fs.Duration("duration", 2*time.Second, "measured time per case")
	idle := fs.Int("idle", 10000, "idle connections for the memory figure (<0 skips)")
	if err := parse(fs, args); err != nil {
		return err
	}
	sz, err := intList(*sizes)
	if err != nil {
		return err
	}
	cn, err := intList(*conns)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var progress io.Writer = os.Stderr
	res, err := msgrbench.Run(context.Background(), msgrbench.Options{Exe: exe, Argv0: roleMsgrClient,
		Sizes: sz, Conns: cn, Duration: *dur, IdleConns: *idle, Log: progress})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(os.Stdout, res)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "impl\tkind\tconns\tsize\tmsgs/s\tMB/s\tp50 us\tp99 us\tRSS KB\tB/idle conn\tx stdlib\t")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.1f\t%.0f\t%.0f\t%d\t%.0f\t%.2f\t\n", r.Impl, r.Kind, r.Conns, r.Size,
			r.MsgsPerS, r.MBPerS, r.P50us, r.P99us, r.RSSKB, r.BytesPerIdleConn, r.RatioVsStdlib)
	}
	return tw.Flush()
}

func benchPlugins(args []string) error {
	fs := newFlags("bench plugins", "[--json]")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	events := fs.Int("events", 1_000_000, "notifications sent to one plugin")
	if err := parse(fs, args); err != nil {
		return err
	}
	res, err := plugins.Bench(context.Background(), plugins.BenchOptions{Events: *events})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(os.Stdout, res)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tmtls\tmode\tvalue\tunit\tp50\tp99\tn")
	for _, r := range res {
		fmt.Fprintf(tw, "%s\t%v\t%s\t%.1f\t%s\t%.1f\t%.1f %s\t%d\n", r.Metric, r.MTLS, r.Mode, r.Value, r.Unit, r.P50, r.P99, r.PUnit, r.N)
	}
	return tw.Flush()
}
