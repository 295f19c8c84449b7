// Command outoftree is a gomgr Go plugin built in its own Go module, outside
// the gomgr module: it counts osd_map notifications and answers
// `outoftree status [format=json]` with the count and the last epoch it
// read. README.md says how to do the same in your own repository.
//
//	go build -o <plugindir>/outoftree .
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"gomgr/plugins"
	"gomgr/registry"
)

// status is what `outoftree status` reports.
type status struct {
	Notifies int   `json:"notifies"`
	Epoch    int64 `json:"last_osd_map_epoch"`
}

// outoftree is the plugin. Notify and HandleCommand run on different
// goroutines, hence mu.
type outoftree struct {
	h  *plugins.Host
	mu sync.Mutex
	st status
}

func (p *outoftree) Declare() plugins.Declaration {
	return plugins.Declaration{
		Name:        "outoftree", // must equal the executable's file name
		Version:     "0.1.0",
		NotifyTypes: []string{"osd_map"},
		Commands: []registry.CommandDesc{{
			Cmd:  "outoftree status name=format,type=CephChoices,strings=plain|json,req=false",
			Desc: "osd_map notifications received and the last epoch read",
			Perm: "r",
		}},
	}
}

func (p *outoftree) Init(h *plugins.Host) error {
	p.h = h
	return nil
}

// Notify counts the notification before reading the map, so that the count
// shows notifications arrived even if the read fails.
func (p *outoftree) Notify(ctx context.Context, kind, id string) {
	p.mu.Lock()
	p.st.Notifies++
	p.mu.Unlock()
	var m struct {
		Epoch int64 `json:"epoch"`
	}
	if err := p.h.GetInto(ctx, "osd_map", &m); err != nil {
		p.h.Log("error", fmt.Sprintf("outoftree: osd_map: %v", err))
		return
	}
	p.mu.Lock()
	p.st.Epoch = max(p.st.Epoch, m.Epoch)
	p.mu.Unlock()
}

// HandleCommand gets only `outoftree status`: the manager routes commands
// by the prefixes a module declares.
func (p *outoftree) HandleCommand(_ context.Context, cmd registry.Command) (registry.CommandResult, error) {
	p.mu.Lock()
	st := p.st
	p.mu.Unlock()
	if f, _ := cmd.Args["format"].(string); f == "json" {
		b, err := json.Marshal(st)
		if err != nil {
			return registry.CommandResult{}, fmt.Errorf("outoftree: %w", err)
		}
		return registry.CommandResult{Stdout: string(b)}, nil
	}
	return registry.CommandResult{Stdout: fmt.Sprintf("osd_map notifications: %d, last epoch: %d\n", st.Notifies, st.Epoch)}, nil
}

var (
	_ plugins.Plugin         = (*outoftree)(nil)
	_ plugins.Notifier       = (*outoftree)(nil)
	_ plugins.CommandHandler = (*outoftree)(nil)
)

func main() {
	plugins.Serve(&outoftree{})
}
