package plugins_test

import (
	"context"
	"encoding/json"
	"fmt"

	"gomgr/plugins"
	"gomgr/registry"
)

// counter is a complete plugin: it counts osd_map notifications and
// answers `counter show`.
type counter struct {
	h *plugins.Host
	n int
}

func (c *counter) Declare() plugins.Declaration {
	return plugins.Declaration{
		Name:        "counter", // the executable's file name
		Version:     "1.0",
		NotifyTypes: []string{"osd_map"},
		Commands:    []registry.CommandDesc{{Cmd: "counter show", Desc: "maps seen", Perm: "r"}},
	}
}

func (c *counter) Init(h *plugins.Host) error { c.h = h; return nil }

func (c *counter) Notify(ctx context.Context, kind, id string) {
	c.n++ // notifications come on one goroutine, in order
	if m, err := c.h.Get(ctx, "osd_map"); err == nil {
		c.h.Log("debug", fmt.Sprintf("epoch %v", m.(map[string]any)["epoch"]))
	}
}

func (c *counter) HandleCommand(ctx context.Context, cmd registry.Command) (registry.CommandResult, error) {
	return registry.CommandResult{Stdout: fmt.Sprint(c.n)}, nil // (a real plugin locks n)
}

// A plugin's main is one call; build it into the manager's plugin
// directory under the name it declares.
func ExampleServe() {
	plugins.Serve(&counter{})
}

// The manager side: a Source over the plugin directory, given to the
// registry, which opens, starts, notifies and stops the modules.
func ExampleNewSource() {
	src := plugins.NewSource(plugins.Config{Dir: "/var/lib/gomgr/plugins"})
	names, err := src.Scan()
	fmt.Println(len(names) == 0, err != nil)
	// The manager calls Repin when an operator enables a module, so a
	// replaced binary is trusted again only then.
	_, _ = src.Repin("osdwatch")
}

// Bench is what `gomgr bench plugins --json` prints, one JSON line per
// result.
func ExampleBench() {
	res, err := plugins.Bench(context.Background(), plugins.BenchOptions{Events: 100_000})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
	}
}
