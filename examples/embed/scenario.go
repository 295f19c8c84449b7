package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"gomgr/registry"
)

// scenario is the fixed run behind -once, each step printed as one line:
// enable both modules, build a backlog (backlog raises BACKLOG_LONG), run
// the jobs (throughput counts them, raises JOBS_FAILED; BACKLOG_LONG
// clears), disable throughput (its check and command go), run more jobs,
// enable it again (a fresh instance), run its command.
func scenario(ctx context.Context, out io.Writer, reg *registry.Registry, sched *scheduler, o options) error {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	step := func(what string, args ...any) { fmt.Fprintf(out, what+"\n", args...) }

	for _, name := range []string{"backlog", "throughput"} {
		// Events sent after Enable returns are queued for the module.
		if err := reg.Enable(ctx, name); err != nil {
			return err
		}
	}
	printModules(out, reg)
	// What backlog must have seen by the end (it listens to these two).
	baseQueue, baseFailed := sched.Sent("queue_changed"), sched.Sent("job_failed")

	sched.Submit(o.jobs)
	if err := waitFor(ctx, reg, "BACKLOG_LONG", func() bool { return has(reg, "BACKLOG_LONG") }); err != nil {
		return err
	}
	step("health: %s", healthLine(reg.HealthChecks()))

	sched.Start(o.workers)
	sched.Wait()
	done, failed := sched.Counts()
	step("jobs: %d done, %d failed", done, failed)
	if err := waitThroughput(ctx, reg, o.jobs, out); err != nil {
		return err
	}
	// The plugin answers commands while it handles events: its count may
	// be ahead of the health check it pushes for the same event.
	if err := waitFor(ctx, reg, "BACKLOG_LONG to clear and JOBS_FAILED to count every failure", func() bool {
		h := reg.HealthChecks()
		_, backlog := h["BACKLOG_LONG"]
		return !backlog && h["JOBS_FAILED"].Count == failed
	}); err != nil {
		return err
	}
	step("health: %s", healthLine(reg.HealthChecks()))
	// A command may overtake queued events: ask until backlog has seen all.
	var last string
	err := waitFor(ctx, reg, "backlog to see every event", func() bool {
		res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "backlog status"}})
		last = res.Stdout
		var st struct{ Seen map[string]int }
		return err == nil && decode(res.Stdout, &st) == nil &&
			st.Seen["queue_changed"] == sched.Sent("queue_changed")-baseQueue && st.Seen["job_failed"] == sched.Sent("job_failed")-baseFailed
	})
	step("command backlog status: %s", last)
	if err != nil {
		return err
	}

	// Disable waits until the module has stopped; its checks go with it.
	if err := reg.Disable(ctx, "throughput"); err != nil {
		return err
	}
	step("disabled throughput: %s", moduleState(reg, "throughput"))
	step("health: %s", healthLine(reg.HealthChecks()))
	if _, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "throughput status"}}); err != nil {
		step("command throughput status: error: %v", err)
	} else {
		return fmt.Errorf("throughput status answered while disabled")
	}
	sched.Submit(2)
	sched.Wait()

	if err := reg.Enable(ctx, "throughput"); err != nil {
		return err
	}
	if err := waitFor(ctx, reg, "throughput running", func() bool { return moduleState(reg, "throughput") == registry.StateRunning }); err != nil {
		return err
	}
	step("enabled throughput: %s", moduleState(reg, "throughput"))
	sched.Submit(3)
	sched.Wait()
	// A fresh instance: it counts only the jobs run since it started.
	return waitThroughput(ctx, reg, 3, out)
}

// waitThroughput runs `throughput status` until it has seen n jobs, and
// prints the last answer.
func waitThroughput(ctx context.Context, reg *registry.Registry, n int, out io.Writer) error {
	var last string
	err := waitFor(ctx, reg, fmt.Sprintf("throughput to count %d jobs", n), func() bool {
		res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "throughput status"}})
		last = res.Stdout
		if err != nil {
			last = "error: " + err.Error()
		}
		var seen struct{ Done, Failed int }
		return err == nil && res.Retval == 0 && decode(res.Stdout, &seen) == nil && seen.Done+seen.Failed == n
	})
	fmt.Fprintf(out, "command throughput status: %s\n", last)
	return err
}

// waitFor polls cond until it holds or ctx ends: module work is
// asynchronous (NotifyAll returns before modules run). It gives up at
// once when an enabled module cannot run: nothing will change then.
func waitFor(ctx context.Context, reg *registry.Registry, what string, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		for _, m := range reg.Modules() {
			switch m.State {
			case registry.StateFailed, registry.StateUnloadable, registry.StateCannotRun:
				if m.Enabled {
					return fmt.Errorf("waiting for %s: module %s is %s: %s", what, m.Name, m.State, m.Error)
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func has(reg *registry.Registry, code string) bool {
	_, ok := reg.HealthChecks()[code]
	return ok
}

func moduleState(reg *registry.Registry, name string) registry.ModuleState {
	for _, m := range reg.Modules() {
		if m.Name == name {
			return m.State
		}
	}
	return ""
}

func printModules(out io.Writer, reg *registry.Registry) {
	for _, m := range reg.Modules() {
		fmt.Fprintf(out, "module: %s %s enabled=%v %s\n", m.Name, m.Kind, m.Enabled, m.State)
	}
}

// healthLine is the checks sorted by code, "ok" when there are none.
func healthLine(checks map[string]registry.HealthCheck) string {
	if len(checks) == 0 {
		return "ok"
	}
	codes := make([]string, 0, len(checks))
	for c := range checks {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s %s %q", c, checks[c].Severity, checks[c].Summary)
	}
	return strings.Join(parts, "; ")
}

func decode(s string, v any) error { return json.Unmarshal([]byte(s), v) }
