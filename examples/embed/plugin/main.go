// Command throughput is the embed example's Go plugin: it counts the
// scheduler's job_done and job_failed events, raises the health warning
// JOBS_FAILED while any job it saw has failed, and answers
// `throughput status`, which also reads the scheduler's "workers" datum.
//
// The example's test builds it into a temporary plugin directory; by hand:
//
//	go build -o /tmp/embed-plugins/throughput ./examples/embed/plugin
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"gomgr/plugins"
	"gomgr/registry"
)

// throughput is the plugin. The SDK calls Notify on one goroutine and
// HandleCommand on gRPC's, so mu guards the counts.
type throughput struct {
	h *plugins.Host

	mu     sync.Mutex
	done   int
	failed int
	last   string // id of the last job seen
}

func (p *throughput) Declare() plugins.Declaration {
	return plugins.Declaration{
		Name:        "throughput", // must equal the executable's name
		Version:     "0.1.0",
		NotifyTypes: []string{"job_done", "job_failed"},
		Commands: []registry.CommandDesc{{
			Cmd:  "throughput status",
			Desc: "jobs finished and failed since this module started, and the workers",
			Perm: "r",
		}},
	}
}

func (p *throughput) Init(h *plugins.Host) error { p.h = h; return nil }

func (p *throughput) Notify(ctx context.Context, kind, id string) {
	p.mu.Lock()
	switch kind {
	case "job_done":
		p.done++
	case "job_failed":
		p.failed++
	}
	p.last = id
	failed := p.failed
	p.mu.Unlock()
	if kind != "job_failed" {
		return
	}
	// Health is pushed on change only: the registry keeps the last set.
	err := p.h.SetHealthChecks(ctx, map[string]registry.HealthCheck{"JOBS_FAILED": {
		Severity: "warning",
		Summary:  fmt.Sprintf("%d jobs failed", failed),
		Count:    failed,
		Detail:   []string{"last failed job " + id},
	}})
	if err != nil {
		p.h.Log("error", fmt.Sprintf("throughput: set health: %v", err))
	}
}

func (p *throughput) HandleCommand(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	if cmd.Args["prefix"] != "throughput status" {
		return registry.CommandResult{Retval: -22, Stderr: fmt.Sprintf("throughput: unknown command %v", cmd.Args["prefix"])}, nil
	}
	workers, err := p.h.Get(ctx, "workers")
	if err != nil {
		workers = nil // registry.ErrNoData before the scheduler published any
	}
	p.mu.Lock()
	out, err := json.Marshal(map[string]any{"done": p.done, "failed": p.failed, "last": p.last, "workers": workers})
	p.mu.Unlock()
	if err != nil {
		return registry.CommandResult{}, fmt.Errorf("throughput: %w", err)
	}
	return registry.CommandResult{Stdout: string(out)}, nil
}

var (
	_ plugins.Plugin         = (*throughput)(nil)
	_ plugins.Notifier       = (*throughput)(nil)
	_ plugins.CommandHandler = (*throughput)(nil)
)

func main() { plugins.Serve(&throughput{}) }
