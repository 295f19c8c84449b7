package cephcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"gomgr/internal/spawn"
)

// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
const stopTimeout = 10 * time.Second

// Proc is a process started by a Cluster. Its methods are safe from any
// goroutine.
type Proc struct {
	Name string // Ceph's name for it: "mon.a", "osd.0", "mgr.x"
	Pid  int
	Log  string // the daemon's own log file (log_file); stdout and stderr go to Out
	Out  string

	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // cmd.Wait's result, set before done is closed
}

// start runs name with args from a thread that never exits, so that
// Pdeathsig keeps its promise, in a process group of its own (a terminal's
// Ctrl-C reaches only the caller, which stops its daemons in order);
// stdout and stderr are appended to out.
func start(name, dir, out string, args ...string) (*Proc, error) {
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cephcluster: %w", err)
	}
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env()
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	spawn.OnThread(func() { err = cmd.Start() })
	if err != nil {
		return nil, fmt.Errorf("cephcluster: start %s: %w", name, err)
	}
	p := &Proc{Pid: cmd.Process.Pid, Out: out, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// env is the environment of every child: ours without CEPH_* variables
// (CEPH_ARGS, CEPH_CONF, CEPH_KEYRING would change what the daemons and
// the CLI read).
func env() []string {
	var e []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CEPH_") {
			e = append(e, kv)
		}
	}
	return e
}

// Alive reports whether the process is still running.
func (p *Proc) Alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Err is how the process ended (nil while it runs, or if it exited with
// status 0).
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM, then SIGKILL if the process has not exited within
// 10 s, and waits for it to exit. Stopping a process that has exited does
// nothing.
func (p *Proc) Stop() {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.Kill()
		return
	}
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		p.Kill()
	}
}

// String is "osd.0 (pid 1234)" and how it ended, if it has.
func (p *Proc) String() string {
	s := fmt.Sprintf("%s (pid %d)", p.Name, p.Pid)
	if !p.Alive() {
		if p.err != nil {
			s += " exited: " + p.err.Error()
		} else {
			s += " exited with status 0"
		}
	}
	return s
}
