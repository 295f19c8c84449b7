package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gomgr/messages"
)

func init() {
	register(command{path: "watch", args: "[--mon HOST:PORT] (or gomgr -w)",
		help: "print the cluster log as it grows, as ceph -w; Ctrl-C ends it", run: runWatch})
}

// logPrios are Ceph's clog priorities as `ceph -w` prints them.
var logPrios = map[uint16]string{messages.LogDebug: "[DBG]", messages.LogInfo: "[INF]", messages.LogSec: "[SEC]",
	messages.LogWarn: "[WRN]", messages.LogError: "[ERR]"}

// runWatch subscribes to the cluster log and prints each entry until
// SIGINT or SIGTERM, or the mon is gone.
func runWatch(args []string) error {
	words, f, err := splitCLIFlags(args)
	if err != nil {
		return err
	}
	if len(words) > 0 {
		return fmt.Errorf("%w: unexpected %q", errUsage, words)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	entries := make(chan messages.LogEntry, 256)
	dctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	monc, err := dialCluster(dctx, f, func(p messages.Payload) {
		if l, ok := p.(*messages.Log); ok {
			for _, e := range l.Entries {
				entries <- e // the client's dispatch goroutine waits for the printer
			}
		}
	})
	if err != nil {
		return err
	}
	defer monc.Close()
	if err := monc.Subscribe(map[string]messages.SubscribeItem{"log-info": {}}); err != nil {
		return fmt.Errorf("subscribe to the cluster log: %w", err)
	}
	for {
		select {
		case e := <-entries:
			fmt.Printf("%s %s %s %s\n", e.Stamp.Time().UTC().Format("2006-01-02T15:04:05.000000+0000"),
				e.Name, logPrios[e.Prio], e.Msg)
		case <-ctx.Done():
			return nil
		}
	}
}
