// Command minimal is the smallest complete program hosting gomgr modules,
// quoted in docs/embedding.md: Python modules from -modules (each in its
// own process), Go plugins from -plugins, the application's state in a
// MemState, one event, one health check, one command, a clean shutdown.
//
//	go run ./examples/embed/minimal -modules examples/embed/modules
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/plugins"
	"gomgr/registry"
)

func pythonSource() registry.Source {
	return modules.NewSource(modules.Config{Dirs: filepath.SplitList(os.Getenv("MINIMAL_MODULES"))})
}

func main() {
	if isolate.MaybeRunChild(pythonSource) { // a module process: serves one module, exits
		return
	}
	dir := flag.String("modules", "modules", "Python module directory")
	pluginDir := flag.String("plugins", "", "Go plugin directory")
	flag.Parse()
	if err := run(*dir, *pluginDir); err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}

func run(dir, pluginDir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	py := isolate.NewSource(modules.NewSource(modules.Config{Dirs: []string{dir}}),
		isolate.Config{Env: []string{"MINIMAL_MODULES=" + dir}})
	sources := []registry.Source{py}
	if pluginDir != "" {
		ps := plugins.NewSource(plugins.Config{Dir: pluginDir})
		defer ps.Close() // after reg.Close (defers run last-in first-out)
		sources = append(sources, ps)
	}
	state := registry.NewMemState()
	reg, err := registry.New(registry.Config{Sources: sources, State: state})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	defer reg.Close(ctx)
	if err := reg.Load(ctx); err != nil {
		return err
	}
	if err := reg.Enable(ctx, "backlog"); err != nil {
		return err
	}

	// The application's data and event: names and kinds are its own.
	state.Set("queue", map[string]any{"pending": int64(9), "running": int64(0), "workers": int64(1)})
	reg.NotifyAll("queue_changed", "")

	// Modules run asynchronously: poll for the health check they raise.
	for reg.HealthChecks()["BACKLOG_LONG"].Summary == "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no BACKLOG_LONG: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	fmt.Println("health:", reg.HealthChecks()["BACKLOG_LONG"].Summary)

	res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "backlog status"}})
	if err != nil {
		return err
	}
	fmt.Println("backlog status:", res.Stdout)
	return reg.Close(ctx)
}
