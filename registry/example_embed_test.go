package registry_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/registry"
)

// tally is a module for the examples below: it counts the application's
// job events, raises TALLY_JOB_FAILED on a failed job and answers
// "<name> show". The registry calls its methods from one goroutine, never
// concurrently, so it needs no lock.
type tally struct {
	name     string
	instance int32
	host     registry.Host
	seen     int
}

func (m *tally) Info() registry.Info {
	return registry.Info{
		Name: m.name, Kind: "go", CanRun: true,
		NotifyTypes: []string{"job_done", "job_failed"},
		Commands:    []registry.CommandDesc{{Cmd: m.name + " show", Desc: "events seen", Perm: "r"}},
	}
}

func (m *tally) Start(_ context.Context, h registry.Host) error { m.host = h; return nil }

func (m *tally) Notify(_ context.Context, evs []registry.Event) error {
	for _, ev := range evs {
		m.seen++
		if ev.Kind == "job_failed" {
			m.host.SetHealthChecks(map[string]registry.HealthCheck{
				"TALLY_JOB_FAILED": {Severity: "warning", Summary: "job " + ev.ID + " failed", Count: 1},
			})
		}
	}
	return nil
}

func (m *tally) Command(context.Context, registry.Command) (registry.CommandResult, error) {
	return registry.CommandResult{Stdout: fmt.Sprintf("instance %d saw %d events", m.instance, m.seen)}, nil
}

func (m *tally) Stop(context.Context) error { return nil }
func (m *tally) Failed() error              { return nil }

// tallySource opens tally modules under the names it lists, numbering
// the instances it opens.
type tallySource struct {
	names []string
	opens *atomic.Int32
}

func newTallySource(names ...string) tallySource {
	return tallySource{names: names, opens: new(atomic.Int32)}
}

func (s tallySource) Kind() string            { return "go" }
func (s tallySource) Scan() ([]string, error) { return s.names, nil }
func (s tallySource) Open(_ context.Context, name string) (registry.Module, error) {
	return &tally{name: name, instance: s.opens.Add(1)}, nil
}

// A Config with the application's logger and limits; HealthSink receives
// the aggregate health checks on every change. Notify kinds ("job_failed")
// are the application's own.
func ExampleConfig() {
	ctx := context.Background()
	health := make(chan map[string]registry.HealthCheck, 16)
	logger := logrus.New()
	logger.SetLevel(logrus.WarnLevel)
	reg, err := registry.New(registry.Config{
		Sources:         []registry.Source{newTallySource("tally")},
		State:           registry.NewMemState(),
		Store:           registry.NewMemStore(),
		MgrID:           "scheduler-1",
		Logger:          logrus.NewEntry(logger).WithField("app", "scheduler"),
		QueueLen:        256,
		NotifyDeadline:  2 * time.Second,
		CommandDeadline: 5 * time.Second,
		HealthSink: func(h map[string]registry.HealthCheck) {
			select { // never block the registry's health goroutine
			case health <- h:
			default:
			}
		},
	})
	if err != nil {
		panic(err)
	}
	defer reg.Close(ctx)
	_ = reg.Load(ctx)
	_ = reg.Enable(ctx, "tally")
	reg.NotifyAll("job_failed", "job-7")
	for h := range health {
		if c, ok := h["TALLY_JOB_FAILED"]; ok {
			fmt.Println(c.Severity, c.Summary)
			break
		}
	}
	// Output: warning job job-7 failed
}

// Disable stops a module and waits for it; its commands are refused until
// it is enabled again, as a fresh instance.
func ExampleRegistry_Disable() {
	ctx := context.Background()
	reg, _ := registry.New(registry.Config{Sources: []registry.Source{newTallySource("tally")}})
	defer reg.Close(ctx)
	_ = reg.Load(ctx) // opens instance 1
	_ = reg.Enable(ctx, "tally")
	show := registry.Command{Args: map[string]any{"prefix": "tally show"}}
	res, _ := reg.HandleCommand(ctx, show) // waits for the module to start
	fmt.Println(res.Stdout)

	_ = reg.Disable(ctx, "tally")
	_, err := reg.HandleCommand(ctx, show)
	fmt.Println(errors.Is(err, registry.ErrNotEnabled))

	_ = reg.Enable(ctx, "tally") // instance 2, opened in the background after Disable
	res, _ = reg.HandleCommand(ctx, show)
	fmt.Println(res.Stdout)
	// Output:
	// instance 1 saw 0 events
	// true
	// instance 2 saw 0 events
}

// SetEnabled makes the enabled set what the application's configuration
// says, starting and stopping modules as needed.
func ExampleRegistry_SetEnabled() {
	ctx := context.Background()
	reg, _ := registry.New(registry.Config{Sources: []registry.Source{newTallySource("audit", "tally")}})
	defer reg.Close(ctx)
	_ = reg.Load(ctx)
	_ = reg.SetEnabled(ctx, []string{"audit", "tally"})
	_ = reg.SetEnabled(ctx, []string{"tally"}) // stops audit, and waits for it
	for _, m := range reg.Modules() {
		fmt.Println(m.Name, m.Enabled)
	}
	// Output:
	// audit false
	// tally true
}

// Close stops every module (and releases instances opened but never
// started); the registry refuses calls afterwards.
func ExampleRegistry_Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, _ := registry.New(registry.Config{Sources: []registry.Source{newTallySource("tally")}})
	_ = reg.Load(ctx)
	_ = reg.Enable(ctx, "tally")
	fmt.Println(reg.Close(ctx))
	fmt.Println(errors.Is(reg.Enable(ctx, "tally"), registry.ErrClosed))
	// Output:
	// <nil>
	// true
}
