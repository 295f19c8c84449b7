package cephcluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gomgr/internal/spawn"
)

const (
	startTimeout = 90 * time.Second // the whole of New
	cmdTimeout   = 30 * time.Second // one ceph CLI run, unless ctx says less
	pollEvery    = 50 * time.Millisecond
	portRange    = 100 // ports for the OSDs and mgrs, as in up.sh
	pgNum        = 8   // per pool
	tailLines    = 30  // of a daemon log, on failure
	fsidRetries  = 3   // CLI runs of a command refused with "wrong fsid"
	// osdWeight is what a 256 MiB memstore OSD gives itself in CRUSH (its
	// size in TiB, as `osd crush create-or-move` shows it in up.sh).
	osdWeight = "0.0002"
)

// Options say what New (and Start) builds.
type Options struct {
	OSDs  int      // memstore OSDs, with ids 0..OSDs-1
	Pools []string // replicated pools of size 1, with 8 PGs each
	// Global holds settings added at the end of [global], so that they
	// override the defaults: {"debug_mon": "10"}.
	Global map[string]string
	// Cephx requires cephx everywhere (Ceph's default) instead of auth
	// none: a mon key, Dir/ceph.client.admin.keyring (found by the conf's
	// keyring line) and a key per OSD; mgrs get theirs from MgrKeyring.
	Cephx bool
}

// Cluster is a running one-node cluster. Its exported fields do not change
// after New.
type Cluster struct {
	Dir     string // its directory, under os.TempDir(); Close removes it
	Conf    string // path of its ceph.conf
	MonAddr string // the mon's msgr v1 address, 127.0.0.1:port
	FSID    string
	Host    string // short host name, the CRUSH host of the OSDs

	auth      string // "none" or "cephx"
	runDir    string // admin sockets; Dir/run unless that path is too long
	ownRunDir bool   // runDir is outside Dir: Close removes it too

	mu     sync.Mutex
	procs  []*Proc       // every process started, in order
	mon    *Proc         // checked by CheckAlive
	osds   map[int]*Proc // OSDs CheckAlive expects to be running
	uuids  map[int]string
	closed bool // no process starts after Close

	closeOnce sync.Once
	closeErr  error
}

// New makes a fresh cluster in a new directory under os.TempDir() and
// returns once its mon answers, its OSDs are up and its pools exist. ctx
// bounds the start (so does a limit of 90 s). On error nothing it started
// is left running or on disk, and the error carries the tails of the
// daemons' logs; a missing Ceph binary is ErrNotInstalled. Close stops the
// cluster and removes its directory.
func New(ctx context.Context, opts Options) (_ *Cluster, err error) {
	bins := []string{"ceph-mon", "monmaptool", "ceph"}
	if opts.OSDs > 0 {
		bins = append(bins, "ceph-osd")
	}
	if err := Installed(bins...); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ceph-cluster-*")
	if err != nil {
		return nil, fmt.Errorf("cephcluster: %w", err)
	}
	c := &Cluster{
		Dir: dir, Conf: filepath.Join(dir, "ceph.conf"), FSID: newUUID(), Host: shortHostname(),
		runDir: filepath.Join(dir, "run"), osds: map[int]*Proc{}, uuids: map[int]string{},
	}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	// An admin socket path must fit in sockaddr_un (108 bytes); TMPDIR can
	// be long.
	if len(c.runDir)+len("/client.admin.asok")+32 > 107 {
		short, err := os.MkdirTemp("/tmp", "ceph-run-")
		if err != nil {
			return nil, fmt.Errorf("cephcluster: %w", err)
		}
		c.runDir, c.ownRunDir = short, true
	}
	monPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	c.MonAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(monPort))
	portMin := randomPortRange()
	for _, d := range []string{"log", "mon", "mgr", "osd", c.runDir} {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("cephcluster: %w", err)
		}
	}
	c.auth = "none"
	if opts.Cephx {
		c.auth = "cephx"
	}
	if err := os.WriteFile(c.Conf, []byte(c.confText(portMin, opts.Global)), 0o644); err != nil {
		return nil, fmt.Errorf("cephcluster: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	// 1. The mon (with cephx: its key and client.admin's, as up.sh does).
	monmap := filepath.Join(dir, "monmap")
	if err := c.tool(ctx, "monmaptool", "--create", "--fsid", c.FSID, "--addv", "a", "[v1:"+c.MonAddr+"]", monmap); err != nil {
		return nil, err
	}
	mkfs := []string{"-c", c.Conf, "--mkfs", "-i", "a", "--monmap", monmap}
	if opts.Cephx {
		monKeyring := filepath.Join(dir, "mon.keyring")
		admin := filepath.Join(dir, "ceph.client.admin.keyring")
		for _, args := range [][]string{
			{"--create-keyring", monKeyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"},
			{"--create-keyring", admin, "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *", "--cap", "mds", "allow *"},
			{monKeyring, "--import-keyring", admin},
		} {
			if err := c.tool(ctx, "ceph-authtool", args...); err != nil {
				return nil, err
			}
		}
		mkfs = append(mkfs, "--keyring", monKeyring)
		// The running mon finds its own key through the conf's keyring line.
		b, err := os.ReadFile(monKeyring)
		if err != nil {
			return nil, fmt.Errorf("cephcluster: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ceph.mon.a.keyring"), b, 0o600); err != nil {
			return nil, fmt.Errorf("cephcluster: %w", err)
		}
	}
	if err := c.tool(ctx, "ceph-mon", mkfs...); err != nil {
		return nil, err
	}
	if c.mon, err = c.StartDaemon("mon.a", "ceph-mon", "-c", c.Conf, "-i", "a", "-f"); err != nil {
		return nil, err
	}
	if err := c.waitListening(ctx, c.mon, c.MonAddr); err != nil {
		return nil, err
	}

	// 2. One ceph CLI for every command, in parallel with every OSD mkfs.
	script := []string{"mon stat"}
	for id := range opts.OSDs {
		c.uuids[id] = newUUID()
		script = append(script, fmt.Sprintf("osd new %s %d", c.uuids[id], id))
	}
	for id := range opts.OSDs {
		script = append(script,
			fmt.Sprintf("osd crush create-or-move osd.%d %s root=default host=%s", id, osdWeight, c.Host),
			fmt.Sprintf("osd crush set-device-class hdd osd.%d", id))
	}
	for _, pool := range opts.Pools {
		script = append(script, fmt.Sprintf("osd pool create %s %d %d", pool, pgNum, pgNum))
	}
	var wg sync.WaitGroup
	errs := make([]error, opts.OSDs+1)
	wg.Go(func() { _, errs[0] = c.CephBatch(ctx, script) })
	for id := range opts.OSDs {
		wg.Go(func() { errs[id+1] = c.mkfsOSD(ctx, id, opts.Cephx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, c.withTails(err, c.mon)
	}

	// 3. Every OSD at once (with cephx, each with its key, as up.sh makes
	// them), then wait until the mon has them all up.
	for id := range opts.OSDs {
		if !opts.Cephx {
			continue
		}
		_, err := c.Ceph(ctx, "auth", "get-or-create", fmt.Sprintf("osd.%d", id), "mon", "allow profile osd",
			"mgr", "allow profile osd", "osd", "allow *", "-o", filepath.Join(dir, fmt.Sprintf("ceph.osd.%d.keyring", id)))
		if err != nil {
			return nil, c.withTails(err, c.mon)
		}
	}
	for id := range opts.OSDs {
		if _, err := c.startOSD(id); err != nil {
			return nil, err
		}
	}
	if opts.OSDs > 0 {
		err := c.waitFor(ctx, fmt.Sprintf("%d OSDs up", opts.OSDs), func() (bool, error) {
			up, err := c.numUpOSDs(ctx)
			return up == opts.OSDs, err
		})
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close stops every process the cluster started (SIGTERM, then SIGKILL
// after 10 s; mgrs, OSDs and other daemons in parallel, the mon last) and
// removes its directory. Safe from any goroutine; later calls return the
// first one's result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		procs := slices.Clone(c.procs)
		c.mu.Unlock()
		var wg sync.WaitGroup
		for _, p := range procs {
			if p != c.mon {
				wg.Go(p.Stop)
			}
		}
		wg.Wait()
		if c.mon != nil {
			c.mon.Stop()
		}
		var errs []error
		if c.ownRunDir {
			errs = append(errs, os.RemoveAll(c.runDir))
		}
		errs = append(errs, os.RemoveAll(c.Dir))
		if err := errors.Join(errs...); err != nil {
			c.closeErr = fmt.Errorf("cephcluster: %w", err)
		}
	})
	return c.closeErr
}

// confText is up.sh's ceph.conf, plus what makes start-up quick and
// reliable (see the package doc) and opts.Global.
func (c *Cluster) confText(portMin int, global map[string]string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("[global]")
	p("fsid = %s", c.FSID)
	p("mon_host = v1:%s", c.MonAddr)
	p("auth_cluster_required = %s", c.auth)
	p("auth_service_required = %s", c.auth)
	p("auth_client_required = %s", c.auth)
	p("keyring = %s/$cluster.$name.keyring", c.Dir)
	p("auth_allow_insecure_global_id_reclaim = true")
	p("mon_allow_pool_size_one = true")
	p("osd_pool_default_size = 1")
	p("osd_pool_default_min_size = 1")
	p("ms_bind_msgr1 = true")
	p("ms_bind_msgr2 = false")
	p("ms_bind_port_min = %d", portMin)
	p("ms_bind_port_max = %d", portMin+portRange-1)
	p("run_dir = %s", c.runDir)
	p("log_file = %s/log/$name.log", c.Dir)
	p("admin_socket = %s/$name.asok", c.runDir)
	p("mon_data = %s/mon/$cluster-$id", c.Dir)
	p("mgr_data = %s/mgr/$cluster-$id", c.Dir)
	p("osd_data = %s/osd/$cluster-$id", c.Dir)
	p("osd_objectstore = memstore")
	p("memstore_device_bytes = 268435456")
	p("osd_max_object_name_len = 256")
	p("osd_max_object_namespace_len = 64")
	p("mgr_initial_modules =")
	p("# not in up.sh: the cluster places the OSDs in CRUSH itself (an OSD's own")
	p("# commands race its monmap with auth none), and Paxos commits quickly")
	p("osd_crush_update_on_start = false")
	p("osd_class_update_on_start = false")
	p("paxos_propose_interval = 0.05")
	for _, k := range slices.Sorted(maps.Keys(global)) {
		p("%s = %s", k, global[k])
	}
	p("[mon.a]")
	p("public_addr = %s", c.MonAddr)
	return b.String()
}

// Ceph runs the ceph CLI with this cluster's conf and returns its standard
// output. It gives up after 30 s, or when ctx ends if that is sooner (the
// CLI waits forever for a mgr that does not answer); the error then wraps
// context.DeadlineExceeded. A failure's error carries the CLI's standard
// error. Safe from any goroutine.
func (c *Cluster) Ceph(ctx context.Context, args ...string) ([]byte, error) {
	stdout, _, err := c.ceph(ctx, "", args...)
	return stdout, err
}

// CephOutput is Ceph with the CLI's stderr too, where the command's status
// line goes (`mgr self-test run` says "Self-test succeeded" there).
func (c *Cluster) CephOutput(ctx context.Context, args ...string) (stdout, stderr []byte, err error) {
	return c.ceph(ctx, "", args...)
}

// ceph runs the CLI with stdin as its input, again (up to fsidRetries
// times) while the mon refuses a command for its fsid: with auth none, the
// CLI's MonClient can send a command before the monmap (and with it the
// fsid) has arrived, and the mon refuses it ("wrong fsid") without running
// it; when the refused command is the CLI's own get_command_descriptions,
// the CLI says "problem getting command descriptions" and runs nothing.
// Every caller's commands are idempotent, batches included.
func (c *Cluster) ceph(ctx context.Context, stdin string, args ...string) (stdout, stderr []byte, err error) {
	for range fsidRetries {
		var in io.Reader // nil: /dev/null
		if stdin != "" {
			in = strings.NewReader(stdin)
		}
		stdout, stderr, err = c.cephOnce(ctx, in, args...)
		if !fsidRace(stderr) || ctx.Err() != nil {
			break
		}
	}
	return stdout, stderr, err
}

// fsidRace reports whether the CLI's stderr shows a command refused for
// the fsid race (see ceph).
func fsidRace(stderr []byte) bool {
	return bytes.Contains(stderr, []byte("wrong fsid")) ||
		bytes.Contains(stderr, []byte("problem getting command descriptions from mon"))
}

func (c *Cluster) cephOnce(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	timeout := cmdTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	// --connect-timeout bounds the CLI's own wait for the mon; the context
	// bounds everything else.
	connect := max(1, int(timeout.Seconds()))
	full := append([]string{"-c", c.Conf, "--connect-timeout", strconv.Itoa(connect)}, args...)
	var outb, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "ceph", full...)
	cmd.Dir = c.Dir
	cmd.Env = env()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &outb, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	spawn.OnThread(func() { err = cmd.Start() })
	if err == nil {
		err = cmd.Wait()
	}
	what := "ceph " + strings.Join(args, " ")
	if stdin != nil {
		what += " (commands on stdin)"
	}
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("cephcluster: %s: no answer within %v: %w; stderr: %s",
			what, timeout.Round(time.Millisecond), ctx.Err(), lastLines(errb.String(), 10))
	case err != nil:
		err = fmt.Errorf("cephcluster: %s: %w; stderr: %s", what, err, lastLines(errb.String(), 10))
	}
	return outb.Bytes(), errb.Bytes(), err
}

// CephBatch runs commands in one ceph CLI process (its interactive mode,
// fed on stdin), which saves a Python start-up per command, and returns
// the CLI's standard output: every command's output, in order. args are
// the CLI's options for all of them: a format goes there ("-f", "json"),
// not on a command's line, where the CLI ignores it. That mode exits 0
// whatever the commands do and prints "Error EXXX: ..." for a failed one:
// CephBatch then fails. Safe from any goroutine.
func (c *Cluster) CephBatch(ctx context.Context, commands []string, args ...string) ([]byte, error) {
	stdout, stderr, err := c.ceph(ctx, strings.Join(commands, "\n")+"\n", args...)
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(stderr)) {
		if strings.HasPrefix(line, "Error ") {
			return nil, fmt.Errorf("cephcluster: ceph failed on one of %q: %s", commands, strings.TrimSpace(string(stderr)))
		}
	}
	return stdout, nil
}

// MgrKeyring makes mgr.name's key with the caps a mgr needs (as the
// README of up.sh says) and returns the path of its keyring,
// Dir/ceph.mgr.name.keyring, where the conf's keyring line finds it.
func (c *Cluster) MgrKeyring(ctx context.Context, name string) (string, error) {
	path := filepath.Join(c.Dir, "ceph.mgr."+name+".keyring")
	_, err := c.Ceph(ctx, "auth", "get-or-create", "mgr."+name, "mon", "allow profile mgr", "osd", "allow *", "mds", "allow *", "-o", path)
	if err != nil {
		return "", err
	}
	return path, nil
}

// StartMgr starts a real ceph-mgr named name (mgr.name), with its data
// directory; Close stops it. It does not wait for it: see WaitMgr. Its
// modules come from Ceph's default path (/usr/share/ceph/mgr) unless
// extra args say otherwise ("--mgr_module_path", dir). Safe from any
// goroutine.
func (c *Cluster) StartMgr(name string, args ...string) (*Proc, error) {
	if err := Installed("ceph-mgr"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(c.Dir, "mgr", "ceph-"+name), 0o755); err != nil {
		return nil, fmt.Errorf("cephcluster: %w", err)
	}
	return c.StartDaemon("mgr."+name, "ceph-mgr", append([]string{"-c", c.Conf, "-i", name, "-f"}, args...)...)
}

// WaitMgr waits until `ceph mgr dump` shows mgr.name as the active mgr,
// available. It fails when ctx ends or when the mon, an OSD or mgr.name
// (if it is one of ours) exits, with the tail of that daemon's log. Safe
// from any goroutine.
func (c *Cluster) WaitMgr(ctx context.Context, name string) error {
	return c.waitFor(ctx, "mgr."+name+" active and available", func() (bool, error) {
		out, err := c.Ceph(ctx, "mgr", "dump", "-f", "json")
		if err != nil {
			return false, err
		}
		var d struct {
			ActiveName string `json:"active_name"`
			Available  bool   `json:"available"`
		}
		if err := json.Unmarshal(out, &d); err != nil {
			return false, fmt.Errorf("cephcluster: mgr dump: %w", err)
		}
		return d.Available && d.ActiveName == name, nil
	}, c.proc("mgr."+name))
}

// Check returns an error (ErrExited) for each of the mon and the OSDs
// (other than those stopped with KillOSD) that has exited, with the tail
// of its log. Safe from any goroutine.
func (c *Cluster) Check() error {
	var errs []error
	for _, p := range c.dead() {
		errs = append(errs, fmt.Errorf("%w: %v\n%s", ErrExited, p, c.tails(p)))
	}
	return errors.Join(errs...)
}

// dead lists the mon and the expected OSDs that have exited.
func (c *Cluster) dead() []*Proc {
	c.mu.Lock()
	check := []*Proc{c.mon}
	for _, id := range slices.Sorted(maps.Keys(c.osds)) {
		check = append(check, c.osds[id])
	}
	c.mu.Unlock()
	var out []*Proc
	for _, p := range check {
		if p != nil && !p.Alive() {
			out = append(out, p)
		}
	}
	return out
}

// OSD returns the running process of osd.id, or nil.
func (c *Cluster) OSD(id int) *Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.osds[id]
}

// Mon returns the mon's process.
func (c *Cluster) Mon() *Proc { return c.mon }

func (c *Cluster) startOSD(id int) (*Proc, error) {
	p, err := c.StartDaemon(fmt.Sprintf("osd.%d", id), "ceph-osd", "-c", c.Conf, "-i", strconv.Itoa(id), "-f")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.osds[id] = p
	c.mu.Unlock()
	return p, nil
}

// mkfsOSD makes an OSD's store. With cephx it runs without the mon's
// config (the OSD has no key yet: it gets one before it starts).
func (c *Cluster) mkfsOSD(ctx context.Context, id int, cephx bool) error {
	if err := os.MkdirAll(filepath.Join(c.Dir, "osd", fmt.Sprintf("ceph-%d", id)), 0o755); err != nil {
		return fmt.Errorf("cephcluster: %w", err)
	}
	args := []string{"-c", c.Conf, "-i", strconv.Itoa(id), "--mkfs", "--osd-uuid", c.uuids[id]}
	if cephx {
		args = append(args, "--no-mon-config")
	}
	return c.tool(ctx, "ceph-osd", args...)
}

// numUpOSDs is num_up_osds from `ceph osd stat`.
func (c *Cluster) numUpOSDs(ctx context.Context) (int, error) {
	out, err := c.Ceph(ctx, "osd", "stat", "-f", "json")
	if err != nil {
		return 0, err
	}
	var s struct {
		NumUpOSDs int `json:"num_up_osds"`
	}
	if err := json.Unmarshal(out, &s); err != nil {
		return 0, fmt.Errorf("cephcluster: osd stat: %w: %q", err, out)
	}
	return s.NumUpOSDs, nil
}

// osdUpWithNonce reports whether the osdmap has osd.id up at an address
// whose nonce is pid (a daemon's msgr nonce is its pid).
func (c *Cluster) osdUpWithNonce(ctx context.Context, id, pid int) (bool, error) {
	out, err := c.Ceph(ctx, "osd", "dump", "-f", "json")
	if err != nil {
		return false, err
	}
	var d struct {
		OSDs []struct {
			OSD         int `json:"osd"`
			Up          int `json:"up"`
			PublicAddrs struct {
				Addrvec []struct {
					Nonce int `json:"nonce"`
				} `json:"addrvec"`
			} `json:"public_addrs"`
		} `json:"osds"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		return false, fmt.Errorf("cephcluster: osd dump: %w", err)
	}
	for _, o := range d.OSDs {
		if o.OSD == id && o.Up == 1 {
			for _, a := range o.PublicAddrs.Addrvec {
				if a.Nonce == pid {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// StartDaemon starts a long-running program (a Ceph daemon, or a gomgr
// mgr joining the cluster with -c Conf) as one of the cluster's processes,
// named name: its working directory is Dir, its stdout and stderr go to
// Dir/log/NAME.out (a Ceph daemon's own log is Dir/log/NAME.log), it is
// in a process group of its own (a Ctrl-C meant for the caller does not
// reach it) and dies with the caller (Pdeathsig), and Close stops it.
// Safe from any goroutine.
func (c *Cluster) StartDaemon(name, bin string, args ...string) (*Proc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%w: %s not started", ErrClosed, name)
	}
	p, err := start(bin, c.Dir, filepath.Join(c.Dir, "log", name+".out"), args...)
	if err != nil {
		return nil, err
	}
	p.Name = name
	p.Log = filepath.Join(c.Dir, "log", name+".log")
	c.procs = append(c.procs, p)
	return p, nil
}

// proc returns the last process started under name, or nil.
func (c *Cluster) proc(name string) *Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.procs) - 1; i >= 0; i-- {
		if c.procs[i].Name == name {
			return c.procs[i]
		}
	}
	return nil
}

// tool runs a short-lived Ceph tool; its error carries the tool's output.
func (c *Cluster) tool(ctx context.Context, name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.Dir
	cmd.Env = env()
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	var err error
	spawn.OnThread(func() { err = cmd.Start() })
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		return c.withTails(fmt.Errorf("cephcluster: %s %s: %w\n%s", name, strings.Join(args, " "), err, lastLines(out.String(), 20)), c.mon)
	}
	return nil
}

// waitListening waits until addr accepts TCP connections.
func (c *Cluster) waitListening(ctx context.Context, p *Proc, addr string) error {
	return c.waitFor(ctx, p.Name+" listening on "+addr, func() (bool, error) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	}, p)
}

// waitFor polls cond until it holds. It fails when ctx ends or when one of
// the cluster's daemons (or p) exits; the last error cond returned and the
// logs' tails are in the error.
func (c *Cluster) waitFor(ctx context.Context, what string, cond func() (bool, error), p ...*Proc) error {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		if dead := c.firstDead(p...); dead != nil {
			return c.withTails(fmt.Errorf("%w: waiting for %s: %v", ErrExited, what, dead), dead)
		}
		select {
		case <-ctx.Done():
			return c.withTails(fmt.Errorf("cephcluster: waiting for %s: %w (last error: %v)", what, ctx.Err(), last), p...)
		case <-tick.C:
		}
	}
}

// firstDead returns the first of the mon, the expected OSDs and extra that
// has exited.
func (c *Cluster) firstDead(extra ...*Proc) *Proc {
	for _, p := range extra {
		if p != nil && !p.Alive() {
			return p
		}
	}
	if dead := c.dead(); len(dead) > 0 {
		return dead[0]
	}
	return nil
}

// withTails adds the tails of the logs of ps (the mon's if none) to err.
func (c *Cluster) withTails(err error, ps ...*Proc) error {
	var b strings.Builder
	for _, p := range ps {
		if p != nil {
			b.WriteString(c.tails(p))
		}
	}
	if b.Len() == 0 && c.mon != nil {
		b.WriteString(c.tails(c.mon))
	}
	if b.Len() == 0 {
		return err
	}
	return fmt.Errorf("%w\n%s", err, b.String())
}

// tails is the last lines of p's log and of its stdout and stderr.
func (c *Cluster) tails(p *Proc) string {
	var b strings.Builder
	for _, f := range []string{p.Log, p.Out} {
		data, err := readTail(f, 64<<10)
		if text := strings.TrimSpace(string(data)); err == nil && text != "" {
			fmt.Fprintf(&b, "--- tail of %s:\n%s\n", filepath.Base(f), lastLines(text, tailLines))
		}
	}
	return b.String()
}

// Installed returns ErrNotInstalled, naming the Debian packages to
// install, if one of the named programs is not on $PATH.
func Installed(names ...string) error {
	var missing, pkgs []string
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
			if pkg := debianPackage(name); !slices.Contains(pkgs, pkg) {
				pkgs = append(pkgs, pkg)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s not found on $PATH (apt-get install -y %s)",
		ErrNotInstalled, strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

// debianPackage is the Debian package that installs a Ceph program
// (monmaptool is in ceph-base, which ceph-mon brings).
func debianPackage(program string) string {
	switch program {
	case "ceph":
		return "ceph-common"
	case "monmaptool":
		return "ceph-mon"
	case "ceph-mon", "ceph-osd", "ceph-mgr":
		return program
	}
	return "ceph"
}

// FreePort asks the kernel for a free loopback port (the monmap must name
// the port before ceph-mon binds it; tests hand one to a daemon's flag).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cephcluster: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// randomPortRange returns the first of portRange ports, at random between
// 10000 and the start of the kernel's ephemeral range (where FreePort's
// ports and outgoing connections live).
func randomPortRange() int {
	low := 32768
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 10000+2*portRange {
				low = n
			}
		}
	}
	span := int64(low - portRange - 10000)
	n, err := rand.Int(rand.Reader, big.NewInt(span))
	if err != nil {
		return 10000
	}
	return 10000 + int(n.Int64())
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// shortHostname is the host name up to its first dot, as Ceph's
// ceph_get_short_hostname (the default CRUSH host of an OSD).
func shortHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}

// readTail returns up to the last n bytes of a file.
func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(0, st.Size()-n)
	buf := make([]byte, st.Size()-off)
	_, err = f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
