package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// command is one subcommand: a path of words ("mgr", "dump") and its run
// function, which gets the arguments after the path.
type command struct {
	path   string
	args   string // usage of its arguments
	help   string
	hidden bool // not listed in the usage
	run    func(args []string) error
}

var commands []command

func register(c command) { commands = append(commands, c) }

// errUsage makes main print the command's usage and exit 2;
// errUsageShown exits 2 after the flag package has printed it.
var (
	errUsage      = errors.New("usage")
	errUsageShown = errors.New("usage shown")
)

func main() {
	// A child role first: it decides what this process is (roles.go).
	if role := childRole(os.Args[0]); role != nil {
		os.Exit(runChildRole(os.Args[0], role, os.Args[1:]))
	}
	os.Exit(run(os.Args[1:]))
}

// run runs one command line and returns the exit code. Commands write to
// the process's stdout and stderr: tests drive the binary as a user does.
func run(args []string) int {
	stderr := os.Stderr
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "-w" || args[0] == "--watch" { // as ceph -w
		args = append([]string{"watch"}, args[1:]...)
	}
	c, rest := lookup(args)
	var err error
	if c == nil {
		// Not a gomgr command: a module's command on the cluster, as with ceph.
		c = &command{path: args[0], args: "[ARGS...]"}
		err = runCluster(args)
	} else {
		err = c.run(rest)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsageShown):
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "gomgr:", err)
		fmt.Fprintf(stderr, "usage: gomgr %s %s\n", c.path, c.args)
		return 2
	default:
		var ce *cmdError
		if errors.As(err, &ce) {
			fmt.Fprintln(stderr, "Error:", ce.msg)
			return ce.code
		}
		fmt.Fprintln(stderr, "gomgr:", err)
		return 1
	}
}

// cmdError carries a Ceph-like return code out of a cluster command.
type cmdError struct {
	code  int
	msg   string
	retry bool // the cluster may answer a moment later (see onActiveMgr)
}

func (e *cmdError) Error() string { return e.msg }

// lookup finds the longest registered path that prefixes args.
func lookup(args []string) (*command, []string) {
	var best *command
	bestLen := 0
	for i := range commands {
		words := strings.Fields(commands[i].path)
		if len(words) <= len(args) && len(words) > bestLen && equalWords(words, args[:len(words)]) {
			best, bestLen = &commands[i], len(words)
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, args[bestLen:]
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gomgr <command> [flags]")
	fmt.Fprintln(w)
	visible := make([]command, 0, len(commands))
	for _, c := range commands {
		if !c.hidden {
			visible = append(visible, c)
		}
	}
	sort.Slice(visible, func(i, j int) bool { return visible[i].path < visible[j].path })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range visible {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.path, c.args, c.help)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nCluster commands also take --keyring FILE (client.admin's; default $GOMGR_KEYRING or a running demo's)\n"+
		"and -c CEPH.CONF: a Ceph cluster's mons and client.admin's keyring, as ceph reads them.")
	moduleUsage(w)
	fmt.Fprintln(w, "\nRun 'gomgr <command> -h' for a command's flags, or a cluster command's signatures.")
}

// newFlags makes a FlagSet that reports errors instead of exiting, with the
// command's usage line.
func newFlags(path, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("gomgr "+path, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gomgr %s %s\n", path, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning a parse error into errUsage (already printed).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsageShown, err)
	}
	return nil
}
