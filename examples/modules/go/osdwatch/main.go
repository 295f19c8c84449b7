// Command osdwatch is an example gomgr Go plugin: it watches the OSD map,
// keeps each OSD's up/down and in/out transitions, raises the health
// warning OSDWATCH_OSD_FLAPPING while its history shows an OSD going down
// flap_count times or more, and answers `osdwatch status [format=json]`.
// A single down OSD is left to the mon's own OSD_DOWN check.
//
// Build it into the manager's plugin directory:
//
//	go build -o <plugindir>/osdwatch ./examples/modules/go/osdwatch
package main

import (
	"context"
	"errors"
	"fmt"

	"gomgr/plugins"
	"gomgr/registry"
)

// osdwatch is the plugin. The SDK calls NotifyBatch on one goroutine and
// HandleCommand on others; the watcher locks its own state.
type osdwatch struct {
	h *plugins.Host
	w *watcher
}

func (p *osdwatch) Declare() plugins.Declaration {
	return plugins.Declaration{
		Name:        "osdwatch",
		Version:     "0.1.0",
		NotifyTypes: []string{"osd_map"},
		Options: []registry.Option{{
			Name: "history", Type: "int", Default: int64(defaultHistory), Min: int64(1), Max: int64(10000),
			Desc: "how many transitions `osdwatch status` keeps, and flapping is judged over",
		}, {
			// Min 2: one down is the mon's OSD_DOWN, not a flap.
			Name: "flap_count", Type: "int", Default: int64(defaultFlapCount), Min: int64(2), Max: int64(10000),
			Desc: "raise OSDWATCH_OSD_FLAPPING for an OSD down this many times within the history",
		}},
		Commands: []registry.CommandDesc{{
			Cmd:  "osdwatch status name=format,type=CephChoices,strings=plain|json,req=false",
			Desc: "OSD up/down summary and recent transitions",
			Perm: "r",
		}},
	}
}

const (
	defaultHistory   = 100
	defaultFlapCount = 3
)

// Init reads the options once: the SDK only delivers the declared
// NotifyTypes, so a change takes effect when the module restarts.
func (p *osdwatch) Init(h *plugins.Host) error {
	p.h = h
	p.w = newWatcher(intOption(h, "history", defaultHistory, 1), intOption(h, "flap_count", defaultFlapCount, 2))
	return nil
}

// intOption reads an int option, or def when it is unset, unreadable or
// below least. Options arrive as JSON, hence float64.
func intOption(h *plugins.Host, key string, def, least int) int {
	v, err := h.ModuleOption(context.Background(), key)
	if err != nil {
		return def
	}
	if f, ok := v.(float64); ok && int(f) >= least {
		return int(f)
	}
	return def
}

// Serve reads the current map once: notifications only come on changes.
func (p *osdwatch) Serve(ctx context.Context) {
	if err := p.refresh(ctx); err != nil && !errors.Is(err, registry.ErrNoData) {
		p.h.Log("warning", fmt.Sprintf("osdwatch: initial osd_map: %v", err))
	}
	<-ctx.Done()
}

func (p *osdwatch) Shutdown() {}

func (p *osdwatch) Notify(ctx context.Context, kind, id string) {
	if kind != "osd_map" {
		return
	}
	if err := p.refresh(ctx); err != nil {
		p.h.Log("error", fmt.Sprintf("osdwatch: %v", err))
	}
}

// refresh reads osd_map, records transitions and updates health.
func (p *osdwatch) refresh(ctx context.Context) error {
	var m osdMap
	if err := p.h.GetInto(ctx, "osd_map", &m); err != nil {
		return err
	}
	changes := p.w.update(m)
	for _, t := range changes {
		p.h.Log("info", fmt.Sprintf("osd.%d %s (epoch %d)", t.OSD, t.What, t.Epoch))
	}
	return p.h.SetHealthChecks(ctx, p.w.health())
}

func (p *osdwatch) HandleCommand(_ context.Context, cmd registry.Command) (registry.CommandResult, error) {
	if cmd.Args["prefix"] != "osdwatch status" {
		return registry.CommandResult{Retval: -22, Stderr: fmt.Sprintf("osdwatch: unknown command %v", cmd.Args["prefix"])}, nil
	}
	format, _ := cmd.Args["format"].(string)
	out, err := p.w.status(format)
	if err != nil {
		return registry.CommandResult{}, err
	}
	return registry.CommandResult{Stdout: out}, nil
}

var (
	_ plugins.Plugin         = (*osdwatch)(nil)
	_ plugins.Server         = (*osdwatch)(nil)
	_ plugins.Notifier       = (*osdwatch)(nil)
	_ plugins.CommandHandler = (*osdwatch)(nil)
)

func main() {
	plugins.Serve(&osdwatch{})
}
