package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"gomgr/msgr/msgrbench"
	"gomgr/plugins"
)

// Child roles: what this binary does when gomgr runs it as one of its own
// helper processes rather than as a command. A child role is named by the
// process's argv[0]: gomgr starts one with childCommand (this executable,
// argv[0] set to the role's name), and main looks the name up before
// anything else. The name, because it is the one thing every launcher can
// set: go-plugin runs a plugin file with no arguments and an environment
// of its own (so plugins.Bench links this executable under the role's
// name), and a variable would reach a role's own children (a mgr's module
// processes) unless each launcher stripped it.
const (
	roleModule     = "gomgr-module"          // a Python module's process: isolate.Config.Command (sources.go)
	roleMsgrClient = "gomgr-msgr-client"     // bench msgr's load generator: msgrbench.Options.Argv0 (bench.go)
	roleSimbench   = "gomgr-simbench"        // bench mgr's mgr and simulated cluster: simbench.Options.RoleArgv0
	roleBenchPlug  = plugins.BenchPluginName // bench plugins' plugin: the link plugins.Bench makes
)

// childRoles maps a role's name to its entry point, which gets the
// arguments after argv[0].
var childRoles = map[string]func(args []string) error{
	roleModule:     runModuleChild,
	roleMsgrClient: func(args []string) error { return msgrbench.ClientMain(args, os.Stdout) },
	roleSimbench:   benchMgrRole,
	roleBenchPlug: func([]string) error {
		if !plugins.ServeBenchPlugin() {
			return errNotLaunched
		}
		return nil
	},
}

// errNotLaunched is a role's name run by hand: the role needs what its
// launcher sets up (a stream on fd 3, go-plugin's handshake).
var errNotLaunched = errors.New("a child role, not started by its launcher")

// childRole returns the entry point of the role this process was started
// as, or nil: then it is gomgr's command line.
func childRole(argv0 string) func(args []string) error {
	return childRoles[filepath.Base(argv0)]
}

// runChildRole runs a role and returns the process's exit code.
func runChildRole(argv0 string, run func(args []string) error, args []string) int {
	if err := run(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(argv0), err)
		return 1
	}
	return 0
}

// childCommand makes the command that runs this executable as role, with
// args.
func childCommand(role string, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		// Start returns it.
		return &exec.Cmd{Path: role, Args: append([]string{role}, args...), Err: fmt.Errorf("gomgr: child %s: %w", role, err)}
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = role
	return cmd
}
