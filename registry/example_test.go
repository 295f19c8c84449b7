package registry_test

import (
	"context"
	"fmt"
	"strings"

	"gomgr/registry"
)

// jobsModule is a tiny module: it reports the job queue it reads through
// its Host, on each notification and on its "jobs status" command.
type jobsModule struct {
	host registry.Host
	seen chan string
}

func (m *jobsModule) Info() registry.Info {
	return registry.Info{
		Name: "jobs", Kind: "go", CanRun: true,
		NotifyTypes: []string{"queue"},
		Commands:    []registry.CommandDesc{{Cmd: "jobs status name=verbose,type=CephBool,req=false", Desc: "show the job queue", Perm: "r"}},
	}
}

func (m *jobsModule) Start(_ context.Context, h registry.Host) error { m.host = h; return nil }

func (m *jobsModule) Notify(_ context.Context, evs []registry.Event) error {
	for _, ev := range evs {
		v, err := m.host.Get("queue")
		if err != nil {
			return err
		}
		m.seen <- fmt.Sprintf("%s %s: %v", ev.Kind, ev.ID, v.Data)
	}
	return nil
}

func (m *jobsModule) Command(_ context.Context, cmd registry.Command) (registry.CommandResult, error) {
	v, err := m.host.Get("queue")
	if err != nil {
		return registry.CommandResult{Retval: -2, Stderr: err.Error()}, nil
	}
	return registry.CommandResult{Stdout: fmt.Sprintf("queue: %v", v.Data)}, nil
}

func (m *jobsModule) Stop(context.Context) error { return nil }
func (m *jobsModule) Failed() error              { return nil }

// oneSource serves the jobs module: a Source in a few lines.
type oneSource struct{ seen chan string }

func (s oneSource) Kind() string            { return "go" }
func (s oneSource) Scan() ([]string, error) { return []string{"jobs"}, nil }
func (s oneSource) Open(context.Context, string) (registry.Module, error) {
	return &jobsModule{seen: s.seen}, nil
}

func ExampleNew() {
	ctx := context.Background()
	state := registry.NewMemState()
	reg, err := registry.New(registry.Config{
		Sources: []registry.Source{oneSource{}},
		State:   state,
		Store:   registry.NewMemStore(),
		MgrID:   "scheduler-1",
	})
	if err != nil {
		panic(err)
	}
	defer reg.Close(ctx)
	if err := reg.Load(ctx); err != nil {
		panic(err)
	}
	if err := reg.Enable(ctx, "jobs"); err != nil {
		panic(err)
	}
	for _, m := range reg.Modules() {
		fmt.Println(m.Name, m.Kind, m.Enabled, m.CanRun)
	}
	// Output: jobs go true true
}

func ExampleRegistry_NotifyAll() {
	ctx := context.Background()
	seen := make(chan string, 2)
	state := registry.NewMemState()
	reg, _ := registry.New(registry.Config{Sources: []registry.Source{oneSource{seen}}, State: state})
	defer reg.Close(ctx)
	_ = reg.Load(ctx)
	_ = reg.Enable(ctx, "jobs")

	// The application publishes its state, then says what changed.
	state.Set("queue", map[string]any{"pending": int64(3)})
	reg.NotifyAll("queue", "default")
	reg.NotifyAll("disk", "sda") // not in the module's NOTIFY_TYPES: filtered
	fmt.Println(<-seen)
	// Output: queue default: map[pending:3]
}

func ExampleRegistry_HandleCommand() {
	ctx := context.Background()
	state := registry.NewMemState()
	reg, _ := registry.New(registry.Config{Sources: []registry.Source{oneSource{}}, State: state})
	defer reg.Close(ctx)
	_ = reg.Load(ctx)
	_ = reg.Enable(ctx, "jobs")
	state.Set("queue", []any{"build", "test"})

	for _, c := range reg.Commands() {
		fmt.Printf("%s: %s\n", c.Module, registry.CommandPrefix(c.Cmd))
	}
	res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "jobs status", "verbose": true}})
	fmt.Println(res.Retval, res.Stdout, err)
	_, err = reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "jobs purge"}})
	fmt.Println(strings.SplitN(err.Error(), ":", 3)[1])
	// Output:
	// jobs: jobs status
	// 0 queue: [build test] <nil>
	//  unknown command
}

func ExampleRegistry_HealthChecks() {
	ctx := context.Background()
	reg, _ := registry.New(registry.Config{Sources: []registry.Source{oneSource{}}, AlwaysOn: []string{"balancer"}})
	defer reg.Close(ctx)
	_ = reg.Load(ctx)
	for code, c := range reg.HealthChecks() {
		fmt.Println(code, c.Severity, c.Summary)
	}
	// Output: MGR_MODULE_ERROR error Module 'balancer' has failed: Not found or unloadable
}
