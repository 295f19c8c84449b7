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
	"testing"
	"time"

	"gomgr/internal/spawn"
)

const (
	startTimeout = 90 * time.Second // the whole of Start
	cmdTimeout   = 30 * time.Second // one ceph CLI run, unless ctx says less
	pollEvery    = 50 * time.Millisecond
	portRange    = 100 // ports for the OSDs and mgrs, as in up.sh
	pgNum        = 8   // per pool
	tailLines    = 30  // of a daemon log, on failure
	// osdWeight is what a 256 MiB memstore OSD gives itself in CRUSH (its
	// size in TiB, as `osd crush create-or-move` shows it in up.sh).
	osdWeight = "0.0002"
)

// Options say what Start builds.
type Options struct {
	OSDs  int      // memstore OSDs, with ids 0..OSDs-1
	Pools []string // replicated pools of size 1, with 8 PGs each
	// Global holds settings added at the end of [global], so that they
	// override the defaults: {"debug_mon": "10"}.
	Global map[string]string
}

// Cluster is a running one-node cluster. Its fields do not change after
// Start.
type Cluster struct {
	Dir     string // its directory (t.TempDir()), removed when the test ends
	Conf    string // path of its ceph.conf
	MonAddr string // the mon's msgr v1 address, 127.0.0.1:port
	FSID    string
	Host    string // short host name, the CRUSH host of the OSDs

	runDir string // admin sockets; Dir/run unless that path is too long

	mu    sync.Mutex
	procs []*Proc       // every process started, in order
	mon   *Proc         // checked by CheckAlive
	osds  map[int]*Proc // OSDs CheckAlive expects to be running
	uuids map[int]string
}

// Start makes a fresh cluster in t.TempDir() and returns once its mon
// answers, its OSDs are up and its pools exist. Everything is stopped and
// removed when the test ends. A missing Ceph binary fails the test.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	began := time.Now()
	bins := []string{"ceph-mon", "monmaptool", "ceph"}
	if opts.OSDs > 0 {
		bins = append(bins, "ceph-osd")
	}
	needBinaries(t, bins...)

	dir := t.TempDir()
	c := &Cluster{
		Dir: dir, Conf: filepath.Join(dir, "ceph.conf"), FSID: newUUID(), Host: shortHostname(),
		runDir: filepath.Join(dir, "run"), osds: map[int]*Proc{}, uuids: map[int]string{},
	}
	// An admin socket path must fit in sockaddr_un (108 bytes); t.TempDir()
	// can be long.
	if len(c.runDir)+len("/client.admin.asok")+32 > 107 {
		short, err := os.MkdirTemp("", "ceph-run-")
		if err != nil {
			t.Fatalf("cephcluster: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(short) })
		c.runDir = short
	}
	// Registered after t.TempDir (so it runs before the directory is
	// removed) and before any process starts: CheckAlive, then every process
	// stopped, whatever happens below.
	t.Cleanup(func() { c.shutdown(t) })

	monPort, err := freePort()
	if err != nil {
		t.Fatalf("cephcluster: %v", err)
	}
	c.MonAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(monPort))
	portMin := randomPortRange()
	for _, d := range []string{"log", "mon", "mgr", "osd", c.runDir} {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("cephcluster: %v", err)
		}
	}
	if err := os.WriteFile(c.Conf, []byte(c.confText(portMin, opts.Global)), 0o644); err != nil {
		t.Fatalf("cephcluster: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	// 1. The mon.
	monmap := filepath.Join(dir, "monmap")
	c.runTool(t, ctx, "monmaptool", "--create", "--fsid", c.FSID, "--addv", "a", "[v1:"+c.MonAddr+"]", monmap)
	c.runTool(t, ctx, "ceph-mon", "-c", c.Conf, "--mkfs", "-i", "a", "--monmap", monmap)
	c.mon = c.daemon(t, "mon.a", "ceph-mon", "-c", c.Conf, "-i", "a", "-f")
	c.waitListening(t, ctx, c.mon, c.MonAddr)

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
	wg.Go(func() { errs[0] = c.batch(ctx, script) })
	for id := range opts.OSDs {
		wg.Go(func() { errs[id+1] = c.mkfsOSD(ctx, id) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.fatal(t, err, c.mon)
	}

	// 3. Every OSD at once, then wait until the mon has them all up.
	for id := range opts.OSDs {
		c.startOSD(t, id)
	}
	if opts.OSDs > 0 {
		c.waitFor(t, ctx, fmt.Sprintf("%d OSDs up", opts.OSDs), func() (bool, error) {
			up, err := c.numUpOSDs(ctx)
			return up == opts.OSDs, err
		})
	}
	t.Logf("cephcluster: mon %s, %d OSDs, pools %v: started in %v (%s)",
		c.MonAddr, opts.OSDs, opts.Pools, time.Since(began).Round(time.Millisecond), dir)
	return c
}

// confText is up.sh's ceph.conf, plus what makes start-up quick and
// reliable (see the package doc) and opts.Global.
func (c *Cluster) confText(portMin int, global map[string]string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("[global]")
	p("fsid = %s", c.FSID)
	p("mon_host = v1:%s", c.MonAddr)
	p("auth_cluster_required = none")
	p("auth_service_required = none")
	p("auth_client_required = none")
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
	stdout, _, err := c.ceph(ctx, nil, args...)
	return stdout, err
}

// MustCeph is Ceph with a background context that fails the test on error.
func (c *Cluster) MustCeph(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := c.Ceph(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c *Cluster) ceph(ctx context.Context, stdin io.Reader, args ...string) (stdout, stderr []byte, err error) {
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
	if len(args) == 0 {
		what = "ceph (commands on stdin)"
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

// batch runs commands in one ceph CLI process (its interactive mode, fed
// on stdin), which saves a Python start-up per command. That mode exits 0
// whatever the commands do and prints "Error EXXX: ..." for a failed one.
func (c *Cluster) batch(ctx context.Context, commands []string) error {
	_, stderr, err := c.ceph(ctx, strings.NewReader(strings.Join(commands, "\n")+"\n"))
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(stderr)) {
		if strings.HasPrefix(line, "Error ") {
			return fmt.Errorf("cephcluster: ceph failed on one of %q: %s", commands, strings.TrimSpace(string(stderr)))
		}
	}
	return nil
}

// StartCephMgr starts a real ceph-mgr named name (mgr.name), with its data
// directory, and stops it when t ends (t may be a subtest's). It does not
// wait for it: see WaitMgrAvailable. Its modules come from Ceph's default
// path (/usr/share/ceph/mgr) unless extra args say otherwise
// ("--mgr_module_path", dir).
func (c *Cluster) StartCephMgr(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	needBinaries(t, "ceph-mgr")
	if err := os.MkdirAll(filepath.Join(c.Dir, "mgr", "ceph-"+name), 0o755); err != nil {
		t.Fatalf("cephcluster: %v", err)
	}
	p := c.daemon(t, "mgr."+name, "ceph-mgr", append([]string{"-c", c.Conf, "-i", name, "-f"}, args...)...)
	t.Cleanup(p.Stop)
	return p
}

// WaitMgrAvailable waits until `ceph mgr dump` shows mgr.name as the
// active mgr, available; it fails the test after 60 s, with the tail of
// that mgr's log if it is one of ours.
func (c *Cluster) WaitMgrAvailable(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.waitFor(t, ctx, "mgr."+name+" active and available", func() (bool, error) {
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

// CheckAlive fails the test if the mon or an OSD (other than those stopped
// with KillOSD) has exited, with the tail of its log. Start also calls it
// when the test ends, before stopping the processes.
func (c *Cluster) CheckAlive(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	check := []*Proc{c.mon}
	for _, id := range slices.Sorted(maps.Keys(c.osds)) {
		check = append(check, c.osds[id])
	}
	c.mu.Unlock()
	for _, p := range check {
		if p != nil && !p.Alive() {
			t.Errorf("cephcluster: %v\n%s", p, c.tails(p))
		}
	}
}

// OSD returns the running process of osd.id, or nil.
func (c *Cluster) OSD(id int) *Proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.osds[id]
}

// Mon returns the mon's process.
func (c *Cluster) Mon() *Proc { return c.mon }

// KillOSD kills osd.id with SIGKILL and waits for it to exit; CheckAlive no
// longer expects it. The mon is not told: with no other OSD to report it,
// it keeps the OSD up until mon_osd_report_timeout (900 s) or until the
// OSD boots again (StartOSD).
func (c *Cluster) KillOSD(t testing.TB, id int) {
	t.Helper()
	c.mu.Lock()
	p := c.osds[id]
	delete(c.osds, id)
	c.mu.Unlock()
	if p == nil {
		t.Fatalf("cephcluster: osd.%d is not running", id)
	}
	p.Kill()
}

// StartOSD starts osd.id again after KillOSD and waits until the mon has
// the new process up. A memstore OSD killed with SIGKILL has lost its data:
// it boots with what it had at mkfs.
func (c *Cluster) StartOSD(t testing.TB, id int) *Proc {
	t.Helper()
	c.mu.Lock()
	_, known := c.uuids[id]
	running := c.osds[id] != nil
	c.mu.Unlock()
	if !known || running {
		t.Fatalf("cephcluster: osd.%d: not an OSD of this cluster, or still running", id)
	}
	p := c.startOSD(t, id)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c.waitFor(t, ctx, p.Name+" up again", func() (bool, error) {
		return c.osdUpWithNonce(ctx, id, p.Pid)
	}, p)
	return p
}

func (c *Cluster) startOSD(t testing.TB, id int) *Proc {
	t.Helper()
	p := c.daemon(t, fmt.Sprintf("osd.%d", id), "ceph-osd", "-c", c.Conf, "-i", strconv.Itoa(id), "-f")
	c.mu.Lock()
	c.osds[id] = p
	c.mu.Unlock()
	return p
}

func (c *Cluster) mkfsOSD(ctx context.Context, id int) error {
	if err := os.MkdirAll(filepath.Join(c.Dir, "osd", fmt.Sprintf("ceph-%d", id)), 0o755); err != nil {
		return fmt.Errorf("cephcluster: %w", err)
	}
	return c.tool(ctx, "ceph-osd", "-c", c.Conf, "-i", strconv.Itoa(id), "--mkfs", "--osd-uuid", c.uuids[id])
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

// daemon starts a Ceph daemon named name (its log is Dir/log/NAME.log) and
// has shutdown stop it.
func (c *Cluster) daemon(t testing.TB, name, bin string, args ...string) *Proc {
	t.Helper()
	p, err := start(bin, c.Dir, filepath.Join(c.Dir, "log", name+".out"), args...)
	if err != nil {
		t.Fatal(err)
	}
	p.Name = name
	p.Log = filepath.Join(c.Dir, "log", name+".log")
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p
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

// runTool runs a short-lived Ceph tool, failing the test with its output.
func (c *Cluster) runTool(t testing.TB, ctx context.Context, name string, args ...string) {
	t.Helper()
	if err := c.tool(ctx, name, args...); err != nil {
		c.fatal(t, err, c.mon)
	}
}

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
		return fmt.Errorf("cephcluster: %s %s: %w\n%s", name, strings.Join(args, " "), err, lastLines(out.String(), 20))
	}
	return nil
}

// waitListening waits until addr accepts TCP connections.
func (c *Cluster) waitListening(t testing.TB, ctx context.Context, p *Proc, addr string) {
	t.Helper()
	c.waitFor(t, ctx, p.Name+" listening on "+addr, func() (bool, error) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	}, p)
}

// waitFor polls cond until it holds, failing the test when ctx ends or
// when one of the cluster's daemons (or p) exits. The last error cond
// returned is in the failure message.
func (c *Cluster) waitFor(t testing.TB, ctx context.Context, what string, cond func() (bool, error), p ...*Proc) {
	t.Helper()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		if dead := c.firstDead(p...); dead != nil {
			c.fatal(t, fmt.Errorf("cephcluster: waiting for %s: %v", what, dead), dead)
		}
		select {
		case <-ctx.Done():
			c.fatal(t, fmt.Errorf("cephcluster: waiting for %s: %w (last error: %v)", what, ctx.Err(), last), p...)
		case <-tick.C:
		}
	}
}

// firstDead returns the first of the mon, the expected OSDs and extra that
// has exited.
func (c *Cluster) firstDead(extra ...*Proc) *Proc {
	c.mu.Lock()
	check := append([]*Proc{c.mon}, extra...)
	for _, id := range slices.Sorted(maps.Keys(c.osds)) {
		check = append(check, c.osds[id])
	}
	c.mu.Unlock()
	for _, p := range check {
		if p != nil && !p.Alive() {
			return p
		}
	}
	return nil
}

// fatal fails the test with err and the tails of the logs of ps (the mon's
// if none).
func (c *Cluster) fatal(t testing.TB, err error, ps ...*Proc) {
	t.Helper()
	var b strings.Builder
	for _, p := range ps {
		if p != nil {
			b.WriteString(c.tails(p))
		}
	}
	if b.Len() == 0 && c.mon != nil {
		b.WriteString(c.tails(c.mon))
	}
	t.Fatalf("%v\n%s", err, b.String())
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

// shutdown is Start's cleanup: CheckAlive, the daemon logs if the test
// failed, then every process stopped, mgrs and OSDs in parallel, the mon
// last.
func (c *Cluster) shutdown(t testing.TB) {
	c.CheckAlive(t)
	c.mu.Lock()
	procs := slices.Clone(c.procs)
	c.mu.Unlock()
	if t.Failed() {
		for _, p := range procs {
			if p != c.mon {
				t.Logf("cephcluster: %v\n%s", p, c.tails(p))
			}
		}
		if c.mon != nil {
			t.Logf("cephcluster: %v\n%s", c.mon, c.tails(c.mon))
		}
	}
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
}

func needBinaries(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("cephcluster: %s is not installed (apt-get install -y ceph-mon ceph-osd ceph-mgr): %v", name, err)
		}
	}
}

// freePort asks the kernel for a free loopback port: the monmap must name
// the port before ceph-mon binds it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cephcluster: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// randomPortRange returns the first of portRange ports, at random between
// 10000 and the start of the kernel's ephemeral range (where freePort's
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
