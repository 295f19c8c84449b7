package registry

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Commands lists the COMMANDS of every enabled module that can run,
// sorted by signature.
func (r *Registry) Commands() []ModuleCommand { return r.commands(false) }

// AllCommands is Commands for every module that can run, enabled or not:
// what a Ceph mgr advertises to the mon, which learns a mgr's commands
// only when it becomes available. A command of a module not enabled is
// refused with ErrNotEnabled.
func (r *Registry) AllCommands() []ModuleCommand { return r.commands(true) }

func (r *Registry) commands(all bool) []ModuleCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ModuleCommand
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		if (!e.enabled && !all) || e.openErr != nil || !e.info.CanRun {
			continue
		}
		for _, c := range e.info.Commands {
			out = append(out, ModuleCommand{Module: n, CommandDesc: c})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cmd < out[j].Cmd })
	return out
}

// CommandPrefix is the routing prefix of a command signature: its leading
// words up to the first argument descriptor (a word with '=').
func CommandPrefix(sig string) string {
	var words []string
	for _, w := range strings.Fields(sig) {
		if strings.Contains(w, "=") {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// HandleCommand routes cmd by cmd.Args["prefix"] to the enabled module that
// declares it and runs it there with CommandDeadline (and ctx). The call
// waits while the module finishes a Notify in flight. Errors: ErrUnknownCommand,
// ErrNotEnabled, ErrNotRunning, the module's own error (wrapped), or a
// deadline.
func (r *Registry) HandleCommand(ctx context.Context, cmd Command) (CommandResult, error) {
	p, _ := cmd.Args["prefix"].(string)
	prefix := strings.Join(strings.Fields(p), " ")
	if prefix == "" {
		return CommandResult{}, fmt.Errorf("%w: no prefix in command", ErrUnknownCommand)
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return CommandResult{}, ErrClosed
	}
	var owner, idle *entry
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		if e.openErr != nil || !declares(e.info, prefix) {
			continue
		}
		if e.enabled {
			owner = e
			break
		}
		if idle == nil {
			idle = e
		}
	}
	if owner == nil {
		r.mu.Unlock()
		if idle != nil {
			return CommandResult{}, fmt.Errorf("%w: command %q belongs to module %q", ErrNotEnabled, prefix, idle.name)
		}
		return CommandResult{}, fmt.Errorf("%w: %q", ErrUnknownCommand, prefix)
	}
	if r.standby {
		r.mu.Unlock()
		return CommandResult{}, fmt.Errorf("%w: %q", ErrStandby, prefix)
	}
	run, state, why := owner.run, owner.state, owner.err
	if !owner.info.CanRun {
		why = owner.info.CanRunError
	}
	r.mu.Unlock()
	if run == nil || state == StateFailed || state == StateRestarting {
		return CommandResult{}, fmt.Errorf("%w: module %q is %s: %s", ErrNotRunning, owner.name, state, firstLine(why))
	}

	// The module takes commands between batches, so wait at most for a
	// Start or Notify in flight, then for the command's own deadline.
	cfg := &r.cfg
	handoff := time.NewTimer(max(cfg.StartDeadline, cfg.NotifyDeadline) + cfg.StopDeadline)
	defer handoff.Stop()
	if p != prefix { // the module sees the prefix it declared
		args := make(map[string]any, len(cmd.Args))
		for k, v := range cmd.Args {
			args[k] = v
		}
		args["prefix"] = prefix
		cmd.Args = args
	}
	req := &cmdReq{ctx: ctx, cmd: cmd, reply: make(chan cmdReply, 1)}
	select {
	case run.cmds <- req:
	case <-run.done:
		return CommandResult{}, fmt.Errorf("%w: module %q stopped", ErrNotRunning, owner.name)
	case <-ctx.Done():
		return CommandResult{}, fmt.Errorf("registry: module %q: %w", owner.name, ctx.Err())
	case <-handoff.C:
		return CommandResult{}, fmt.Errorf("registry: module %q busy: command not taken within %v", owner.name, max(cfg.StartDeadline, cfg.NotifyDeadline)+cfg.StopDeadline)
	}
	wait := time.NewTimer(cfg.CommandDeadline + cfg.StopDeadline)
	defer wait.Stop()
	select {
	case rep := <-req.reply:
		return rep.res, rep.err
	case <-ctx.Done():
		return CommandResult{}, fmt.Errorf("registry: module %q: %w", owner.name, ctx.Err())
	case <-wait.C:
		return CommandResult{}, fmt.Errorf("registry: module %q: command still running %v after its %v deadline", owner.name, cfg.StopDeadline, cfg.CommandDeadline)
	}
}

func declares(info Info, prefix string) bool {
	for _, c := range info.Commands {
		if CommandPrefix(c.Cmd) == prefix {
			return true
		}
	}
	return false
}
