package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"gomgr/cephx"
	"gomgr/clustermap"
	"gomgr/host"
	"gomgr/internal/cephconf"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/msgr"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

func init() {
	paths := map[string]bool{}
	for _, d := range mon.Commands() {
		paths[registry.CommandPrefix(d.Cmd)] = true
		registerCluster(registry.CommandPrefix(d.Cmd), signatureUsage(d.Cmd), d.Desc)
	}
	// A group of mon commands ("mgr module") is a cluster command too, for
	// its -h and its errors: without its own path, "mgr module" would run
	// the mgr daemon.
	for _, g := range monGroups() {
		if !paths[g] {
			register(command{path: g, args: "... [-f json] [--mon HOST:PORT]", hidden: true,
				run: func(rest []string) error { return runCluster(append(strings.Fields(g), rest...)) }})
		}
	}
	// The active mgr serves these (from its PG map); listed here too, so
	// that help names them when no cluster runs.
	registerCluster("df", "", "space used and available, by class and pool (served by the active mgr)")
	registerCluster("pg stat", "", "placement groups by state (served by the active mgr)")
}

// registerCluster registers a cluster command: its words go to the mon,
// or to the active mgr, as runCluster decides.
func registerCluster(path, args, help string) {
	register(command{path: path, args: strings.TrimSpace(args + " [-f json] [--mon HOST:PORT]"), help: help,
		run: func(rest []string) error { return runCluster(append(strings.Fields(path), rest...)) }})
}

// cliFlags are taken from anywhere on a cluster command line, as ceph does.
type cliFlags struct {
	mon     string
	conf    string // a Ceph cluster's ceph.conf: its mons and client.admin's keyring
	keyring string
	format  string
	timeout time.Duration
	inbuf   []byte
	help    bool
}

func splitCLIFlags(args []string) ([]string, cliFlags, error) {
	f := cliFlags{timeout: 10 * time.Second}
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "--mon", "-m", "-f", "--format", "--connect-timeout", "-i", "--keyring", "-k", "-c", "--conf":
			if !hasVal {
				if i+1 >= len(args) {
					return nil, f, fmt.Errorf("%w: %s needs a value", errUsage, name)
				}
				i++
				val = args[i]
			}
			switch name {
			case "--mon", "-m":
				f.mon = val
			case "--keyring", "-k":
				f.keyring = val
			case "-c", "--conf":
				f.conf = val
			case "-f", "--format":
				f.format = val
			case "-i":
				b, err := os.ReadFile(val)
				if err != nil {
					return nil, f, fmt.Errorf("%w: -i: %v", errUsage, err)
				}
				f.inbuf = b
			case "--connect-timeout":
				d, err := time.ParseDuration(val)
				if err != nil {
					return nil, f, fmt.Errorf("%w: --connect-timeout: %v", errUsage, err)
				}
				f.timeout = d
			}
		case "-h", "--help":
			f.help = true
		default:
			words = append(words, a)
		}
	}
	switch f.format {
	case "", "plain", "json", "json-pretty":
	default:
		return nil, f, fmt.Errorf("%w: unknown format %q (plain, json, json-pretty)", errUsage, f.format)
	}
	if f.help {
		return words, f, errHelp
	}
	return words, f, nil
}

// errHelp: the command line asked for help (-h) on its commands.
var errHelp = errors.New("help")

// dialCluster opens a mon session for one CLI command, as client.admin
// with cephx when a keyring is found (see clientCephx); handler, if set,
// gets what the mon pushes (a subscription's messages).
func dialCluster(ctx context.Context, f cliFlags, handler func(messages.Payload)) (*cluster, error) {
	mons := []string{monAddress(f.mon)}
	var err error
	if f.conf != "" {
		if mons, f.keyring, err = adminConf(f); err != nil {
			return nil, &cmdError{code: 1, msg: err.Error()}
		}
	}
	var cx *cephx.Client
	if f.conf == "" || f.keyring != "" { // a conf of an auth none cluster: no key
		if cx, err = clientCephx(f.keyring); err != nil {
			return nil, &cmdError{code: 1, msg: err.Error()}
		}
	}
	quiet := logrus.New()
	quiet.SetLevel(logrus.PanicLevel)
	monc, err := monclient.Dial(ctx, monclient.Config{MonAddrs: mons, Timeout: f.timeout, FailFast: true,
		Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, AuthID: "admin", Logger: logrus.NewEntry(quiet), Handler: handler,
		Cephx: cx})
	if err != nil {
		hint := "is `make run` running? set --mon or GOMGR_MON"
		if errors.Is(err, monclient.ErrAuth) {
			hint = "the mon wants client.admin's key: --keyring FILE or GOMGR_KEYRING (a demo's is found on its own)"
		}
		return nil, &cmdError{code: 1, msg: fmt.Sprintf("cannot reach the cluster at %s: %v (%s)", strings.Join(mons, ","), err, hint)}
	}
	// What a mgr gets: the cephx ticket, or Ceph's AuthNone authorizer,
	// which a real ceph-mgr requires even with auth none.
	var mgrAuth msgr.Auth = cephx.NoneAuth{Name: messages.AuthName{Type: uint32(wire.EntityClient), ID: "admin"}, GlobalID: monc.GlobalID}
	if cx != nil {
		mgrAuth = &cephx.MsgrAuth{Client: cx}
	}
	return &cluster{Client: monc, mgrAuth: mgrAuth}, nil
}

// adminConf is what -c names for client.admin, as ceph reads it: the mons
// (unless --mon says) and, when the cluster requires cephx, the keyring
// (unless --keyring says).
func adminConf(f cliFlags) (mons []string, keyring string, err error) {
	c, err := cephconf.Load(f.conf)
	if err != nil {
		return nil, "", err
	}
	const who = "client.admin"
	if mons = []string{f.mon}; f.mon == "" {
		if mons, err = c.MonAddrs(who); err != nil {
			return nil, "", err
		}
	}
	keyring = f.keyring
	if auth := c.Auth(who); keyring == "" && len(auth.Client) > 0 && auth.Client[0] == "cephx" {
		if keyring, err = c.Keyring(who); err != nil {
			return nil, "", fmt.Errorf("%s: %w", f.conf, err)
		}
	}
	return mons, keyring, nil
}

// cluster is the CLI's mon session, and what it presents to a mgr (its
// cephx ticket, if any).
type cluster struct {
	*monclient.Client
	mgrAuth msgr.Auth
}

// clientCephx is client.admin's cephx principal from the keyring: the
// --keyring flag, else $GOMGR_KEYRING, else a running demo's; none found
// is auth none.
func clientCephx(path string) (*cephx.Client, error) {
	if path == "" {
		path = os.Getenv("GOMGR_KEYRING")
	}
	if path == "" {
		if _, err := os.Stat(demoKeyringFile()); err != nil {
			return nil, nil
		}
		path = demoKeyringFile()
	}
	kr, err := cephx.LoadKeyring(path)
	if err != nil {
		return nil, err
	}
	e, ok := kr["client.admin"]
	if !ok {
		return nil, fmt.Errorf("%s has no key for client.admin", path)
	}
	return cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityClient), ID: "admin"}, e.Key,
		cephx.ServiceMon|cephx.ServiceMgr|cephx.ServiceOSD), nil
}

// runCluster runs one cluster command: a mon command when a mon signature
// matches, else a module command on the active mgr. With -h it prints the
// signatures and help of the commands that begin with the words given.
func runCluster(args []string) error {
	words, f, err := splitCLIFlags(args)
	if errors.Is(err, errHelp) {
		return clusterHelp(words, f)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout+30*time.Second)
	defer cancel()
	watch := newMgrWatch()
	monc, err := dialCluster(ctx, f, watch.handle)
	if err != nil {
		return err
	}
	defer monc.Close()

	cmd, ok, err := registry.ParseArgs(monSignatures(), words)
	if err != nil {
		return &cmdError{code: 22, msg: invalidCommand(err)}
	}
	if ok {
		if f.format != "" {
			cmd["format"] = f.format
		}
		res, err := monc.Command(ctx, cmd, f.inbuf)
		if err != nil {
			return &cmdError{code: 1, msg: err.Error()}
		}
		return printResult(res)
	}
	if err := monc.Subscribe(map[string]messages.SubscribeItem{"mgrmap": {}}); err != nil {
		return &cmdError{code: 1, msg: err.Error()}
	}
	return runModuleCommand(ctx, monc, watch, words, f)
}

// mgrWatch follows the MgrMap the mon pushes, so that a command waiting on
// an active mgr that the mon has replaced (dead or hung) goes again to the
// new one, as Ceph's MgrClient resends its commands.
type mgrWatch struct {
	mu      sync.Mutex
	seen    bool // a first map: what the command was resolved against
	gid     uint64
	changed chan struct{} // closed when the active gid changes
}

func newMgrWatch() *mgrWatch { return &mgrWatch{changed: make(chan struct{})} }

// handle is the monclient Handler: it runs on the dispatch goroutine.
func (w *mgrWatch) handle(p messages.Payload) {
	m, ok := p.(*messages.MgrMapMsg)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seen {
		w.seen, w.gid = true, m.Map.ActiveGID
		return
	}
	if m.Map.ActiveGID != w.gid {
		w.gid = m.Map.ActiveGID
		close(w.changed)
		w.changed = make(chan struct{})
	}
}

// next is closed at the next change of the active.
func (w *mgrWatch) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// activeMgr is the active mgr's address and its command descriptions.
func activeMgr(ctx context.Context, monc *cluster, what string) (string, []registry.ModuleCommand, error) {
	res, err := monc.Command(ctx, map[string]any{"prefix": "mgr dump", "format": "json"}, nil)
	if err != nil {
		return "", nil, &cmdError{code: 1, msg: err.Error()}
	}
	var mm clustermap.MgrMap
	if err := json.Unmarshal(res.Out, &mm); err != nil {
		return "", nil, &cmdError{code: 1, msg: "bad mgr dump: " + err.Error()}
	}
	if !mm.Available || len(mm.ActiveAddrs.Addrvec) == 0 {
		return "", nil, &cmdError{code: 11, msg: fmt.Sprintf("no active mgr to %s (EAGAIN)", what), retry: true}
	}
	addr := mm.ActiveAddrs.Addrvec[0].Addr
	descs, err := host.CommandDescriptions(ctx, monc.mgrAuth, addr)
	if err != nil {
		return "", nil, mgrError(err)
	}
	return addr, descs, nil
}

// mgrError is a failed mgr command as the CLI reports it; a mgr that went
// away may be failing over, so that is worth another try.
func mgrError(err error) *cmdError {
	return &cmdError{code: 1, msg: err.Error(), retry: errors.Is(err, host.ErrMgrUnreachable)}
}

// onActiveMgr runs f on the active mgr. While there is none, or the one it
// reached went away or was replaced in the MgrMap (a failover under way),
// it asks the mon again, until wait has passed.
func onActiveMgr(ctx context.Context, monc *cluster, watch *mgrWatch, what string, wait time.Duration,
	f func(ctx context.Context, addr string, descs []registry.ModuleCommand) error) error {
	deadline := time.Now().Add(wait)
	for {
		err := func() error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			replaced := watch.next()
			go func() {
				select {
				case <-replaced:
					cancel()
				case <-cctx.Done():
				}
			}()
			addr, descs, err := activeMgr(cctx, monc, what)
			if err == nil {
				err = f(cctx, addr, descs)
			}
			if err == nil {
				return nil
			}
			select {
			case <-replaced:
				return &cmdError{code: 1, msg: fmt.Sprintf("the active mgr changed while waiting to %s", what), retry: true}
			default:
				return err
			}
		}()
		var ce *cmdError
		if !errors.As(err, &ce) || !ce.retry || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runModuleCommand routes a command to the active mgr's modules.
func runModuleCommand(ctx context.Context, monc *cluster, watch *mgrWatch, words []string, f cliFlags) error {
	return onActiveMgr(ctx, monc, watch, fmt.Sprintf("run %q", strings.Join(words, " ")), f.timeout,
		func(ctx context.Context, addr string, descs []registry.ModuleCommand) error {
			sigs := make([]string, 0, len(descs))
			for _, d := range descs {
				sigs = append(sigs, d.Cmd)
			}
			cmd, ok, err := registry.ParseArgs(sigs, words)
			if err != nil {
				return &cmdError{code: 22, msg: invalidCommand(err)}
			}
			if !ok {
				return &cmdError{code: 22, msg: fmt.Sprintf("no valid command found for %q: `gomgr help` lists every command, the modules' too", strings.Join(words, " "))}
			}
			if f.format != "" {
				cmd["format"] = f.format
			}
			// A module may take up to its command deadline (30 s): say
			// what the wait is for rather than hang without a word.
			note := time.AfterFunc(5*time.Second, func() {
				fmt.Fprintf(os.Stderr, "still waiting for the active mgr at %s to answer %q (a module command may take up to 30 s)...\n",
					addr, strings.Join(words, " "))
			})
			r, err := host.Command(ctx, monc.mgrAuth, addr, cmd, f.inbuf)
			note.Stop()
			if err != nil {
				return mgrError(err)
			}
			return printResult(r)
		})
}

func printResult(res monclient.CommandResult) error {
	if len(res.Out) > 0 {
		os.Stdout.Write(res.Out)
		if res.Out[len(res.Out)-1] != '\n' {
			fmt.Println()
		}
	}
	if res.Retval != 0 {
		code := -res.Retval
		if code <= 0 {
			code = 1
		}
		return &cmdError{code: code, msg: fmt.Sprintf("%s: %s", errnoName(res.Retval), res.Status)}
	}
	if res.Status != "" && len(res.Out) == 0 {
		fmt.Fprintln(os.Stderr, res.Status)
	}
	return nil
}

// errnoName names a negative errno as Ceph's CLI does ("ENOENT").
func errnoName(r int) string {
	if name := unix.ErrnoName(syscall.Errno(-r)); name != "" {
		return name
	}
	return fmt.Sprintf("error %d", r)
}

// clusterHelp prints the commands that begin with words: gomgr's mon's and
// the active mgr's modules', with their signatures and help.
func clusterHelp(words []string, f cliFlags) error {
	prefix := strings.Join(words, " ")
	matches := func(cmd string) bool {
		p := registry.CommandPrefix(cmd)
		return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+" ")
	}
	found := 0
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, d := range mon.Commands() {
		if matches(d.Cmd) {
			fmt.Fprintf(tw, "%s\t%s (mon)\n", d.Cmd, d.Desc)
			found++
		}
	}
	// The mon's are printed even when the cluster is not there to list
	// the modules'.
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("help: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	monc, err := dialCluster(ctx, f, nil)
	if err != nil {
		return err
	}
	defer monc.Close()
	_, descs, err := activeMgr(ctx, monc, "list its commands")
	if err != nil {
		return err
	}
	for _, d := range descs {
		if matches(d.Cmd) {
			fmt.Fprintf(tw, "%s\t%s (%s)\n", d.Cmd, d.Desc, d.Module)
			found++
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("help: %w", err)
	}
	if found == 0 {
		return &cmdError{code: 22, msg: fmt.Sprintf("no command begins with %q", prefix)}
	}
	return nil
}

// moduleUsage lists the active mgr's module commands, grouped by module, as
// ceph -h does; a line saying why when there is no cluster to ask.
func moduleUsage(w io.Writer) {
	f := cliFlags{timeout: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	var descs []registry.ModuleCommand
	monc, err := dialCluster(ctx, f, nil)
	if err == nil {
		defer monc.Close()
		_, descs, err = activeMgr(ctx, monc, "list its commands")
	}
	if err != nil {
		fmt.Fprintf(w, "\nModule commands: none listed (%v)\n", err)
		return
	}
	byModule := map[string][]registry.ModuleCommand{}
	for _, d := range descs {
		byModule[d.Module] = append(byModule[d.Module], d)
	}
	fmt.Fprintln(w, "\nModule commands (from the active manager):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range slices.Sorted(maps.Keys(byModule)) {
		fmt.Fprintf(tw, "  %s\n", m)
		for _, d := range byModule[m] {
			fmt.Fprintf(tw, "    %s\t%s\n", registry.CommandPrefix(d.Cmd), d.Desc)
		}
	}
	_ = tw.Flush() // best effort: help text
}

// invalidCommand speaks of the user's input: the arguments, not the
// package that parsed them.
func invalidCommand(err error) string {
	return "Invalid command: " + strings.TrimPrefix(err.Error(), registry.ErrBadArgs.Error()+": ")
}
