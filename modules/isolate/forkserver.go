package isolate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// process is a started module process, whoever started it.
type process interface {
	Pid() int
	Kill() error
	// Wait blocks until the process has ended and says how, as
	// os.ProcessState.String does ("exit status 3", "signal: killed").
	Wait() string
}

// execProc is a module process the manager started itself.
type execProc struct{ cmd *exec.Cmd }

func (p execProc) Pid() int    { return p.cmd.Process.Pid }
func (p execProc) Kill() error { return p.cmd.Process.Kill() } // harmless once reaped: os.Process knows
func (p execProc) Wait() string {
	_ = p.cmd.Wait() // the status says it all
	return p.cmd.ProcessState.String()
}

// forkServer is a process that forks module processes on request
// (Config.ForkServer; the protocol is in docs/module-protocol.md). Its
// children are not ours: we hold a pidfd of each to kill it without a pid
// race, and the server reports how each ended.
type forkServer struct {
	cmd  *exec.Cmd
	conn *net.UnixConn
	done chan struct{} // closed when the control stream ended

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan spawnReply
	procs   map[int]*forkedProc
	err     error // why the stream ended
}

// forkMsg is one control message, JSON in one SOCK_SEQPACKET datagram;
// file descriptors travel beside it as SCM_RIGHTS.
type forkMsg struct {
	Op     string   `json:"op"` // ready; spawn; spawned; exited
	ID     uint64   `json:"id,omitempty"`
	Env    []string `json:"env,omitempty"`
	Pid    int      `json:"pid,omitempty"`
	Status int      `json:"status,omitempty"` // the wait status (waitpid's)
	Error  string   `json:"error,omitempty"`
}

type spawnReply struct {
	p   *forkedProc
	err error
}

// envForkServer marks the fork server's process.
const envForkServer = "GOMGR_ISOLATE_FORK_SERVER"

// forkServer returns the running fork server, starting one if there is
// none or the last one ended.
func (s *Source) forkServer() (*forkServer, error) {
	s.fsMu.Lock()
	defer s.fsMu.Unlock()
	if s.fs != nil {
		select {
		case <-s.fs.done:
			s.fs = nil
		default:
			return s.fs, nil
		}
	}
	fs, err := s.startForkServer()
	if err != nil {
		return nil, fmt.Errorf("%w: fork server: %w", ErrStart, err)
	}
	s.fs = fs
	return fs, nil
}

func (s *Source) startForkServer() (*forkServer, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socketpair", err)
	}
	parentF := os.NewFile(uintptr(fds[0]), "forkserver-parent")
	childF := os.NewFile(uintptr(fds[1]), "forkserver-child")
	defer childF.Close()
	fc, err := net.FileConn(parentF)
	parentF.Close()
	if err != nil {
		return nil, err
	}
	conn := fc.(*net.UnixConn)
	cmd := s.cfg.ForkServer()
	if cmd == nil {
		conn.Close()
		return nil, errors.New("Config.ForkServer returned nil")
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(s.childEnv(env, ""), envForkServer+"=1")
	cmd.ExtraFiles = []*os.File{childF}
	errR, errW, err := os.Pipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = errW, errW
	err = s.launch(cmd)
	errW.Close()
	if err != nil {
		conn.Close()
		errR.Close()
		return nil, err
	}
	go func() { // what the server itself prints: its own failures
		defer errR.Close()
		sc := bufio.NewScanner(errR)
		for sc.Scan() {
			s.cfg.Logger.WithField("module", "fork-server").Warn(sc.Text())
		}
	}()
	fs := &forkServer{cmd: cmd, conn: conn, done: make(chan struct{}),
		pending: make(map[uint64]chan spawnReply), procs: make(map[int]*forkedProc)}
	ready := make(chan error, 1)
	go fs.read(ready)
	t := time.NewTimer(s.cfg.OpenTimeout)
	defer t.Stop()
	select {
	case err = <-ready:
	case <-t.C:
		err = fmt.Errorf("not ready after %v", s.cfg.OpenTimeout)
	}
	if err != nil {
		fs.close()
		return nil, err
	}
	return fs, nil
}

// close ends the server; the module processes it forked die with it
// (their parent-death signal).
func (fs *forkServer) close() {
	_ = fs.cmd.Process.Kill()
	_ = fs.conn.Close()
	<-fs.done
}

// read is the control stream's one reader: replies to spawns, exits.
func (fs *forkServer) read(ready chan<- error) {
	var err error
	defer func() { fs.end(err) }()
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*4))
	first := true
	for {
		var n, oobn int
		n, oobn, _, _, err = fs.conn.ReadMsgUnix(buf, oob)
		if err == nil && n == 0 {
			err = errors.New("control stream closed")
		}
		if err != nil {
			if first {
				ready <- err
			}
			return
		}
		files, ferr := rights(oob[:oobn])
		var msg forkMsg
		if jerr := json.Unmarshal(buf[:n], &msg); jerr != nil || ferr != nil {
			closeAll(files)
			err = fmt.Errorf("%w: fork server: bad message %q: %w", ErrProtocol, buf[:min(n, 200)], errors.Join(jerr, ferr))
			if first {
				ready <- err
			}
			return
		}
		if first {
			first = false
			if msg.Op != "ready" {
				closeAll(files)
				err = fmt.Errorf("%w: fork server: %q before ready", ErrProtocol, msg.Op)
				ready <- err
				return
			}
			ready <- nil
			continue
		}
		fs.handle(msg, files)
	}
}

func (fs *forkServer) handle(msg forkMsg, files []*os.File) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	switch msg.Op {
	case "spawned":
		ch := fs.pending[msg.ID]
		delete(fs.pending, msg.ID)
		var r spawnReply
		switch {
		case msg.Error != "":
			r.err = errors.New(msg.Error)
		case len(files) != 1 || msg.Pid <= 0:
			r.err = fmt.Errorf("%w: fork server: spawned pid %d with %d pidfds", ErrProtocol, msg.Pid, len(files))
		default:
			p := &forkedProc{pid: msg.Pid, pidfd: files[0], exited: make(chan struct{})}
			files = nil
			fs.procs[p.pid] = p
			r.p = p
		}
		closeAll(files)
		if ch != nil {
			ch <- r
		} else if r.p != nil {
			_ = r.p.Kill() // nobody waits for it
		}
	case "exited":
		closeAll(files)
		if p := fs.procs[msg.Pid]; p != nil {
			delete(fs.procs, msg.Pid)
			p.end(waitString(syscall.WaitStatus(msg.Status)))
		}
	default:
		closeAll(files)
	}
}

// end fails what waits on a server that is gone. Its children die with it;
// each is marked ended once its pidfd says so.
func (fs *forkServer) end(err error) {
	fs.mu.Lock()
	fs.err = err
	pending, procs := fs.pending, fs.procs
	fs.pending, fs.procs = map[uint64]chan spawnReply{}, map[int]*forkedProc{}
	fs.mu.Unlock()
	_ = fs.cmd.Process.Kill()
	_ = fs.cmd.Wait() // reaped before done closes; its status says nothing more
	close(fs.done)
	for _, ch := range pending {
		ch <- spawnReply{err: fmt.Errorf("fork server ended: %w", err)}
	}
	for _, p := range procs {
		go func() {
			_ = p.Kill()
			p.waitGone()
			p.end("killed with its fork server")
		}()
	}
}

// spawn asks the server for a module process with env, the stream as its
// fd 3 and out and errs as its stdout and stderr.
func (fs *forkServer) spawn(env []string, stream, out, errs *os.File, timeout time.Duration) (*forkedProc, error) {
	ch := make(chan spawnReply, 1)
	fs.mu.Lock()
	if fs.err != nil {
		fs.mu.Unlock()
		return nil, fmt.Errorf("fork server ended: %w", fs.err)
	}
	fs.nextID++
	id := fs.nextID
	fs.pending[id] = ch
	fs.mu.Unlock()
	b, err := json.Marshal(forkMsg{Op: "spawn", ID: id, Env: env})
	if err == nil {
		_, _, err = fs.conn.WriteMsgUnix(b, unix.UnixRights(int(stream.Fd()), int(out.Fd()), int(errs.Fd())), nil)
	}
	if err != nil {
		fs.mu.Lock()
		delete(fs.pending, id)
		fs.mu.Unlock()
		return nil, fmt.Errorf("fork server: %w", err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.p, r.err
	case <-t.C:
		fs.mu.Lock()
		delete(fs.pending, id)
		fs.mu.Unlock()
		return nil, fmt.Errorf("fork server: no process after %v", timeout)
	}
}

// forkedProc is a module process the fork server started.
type forkedProc struct {
	pid    int
	pidfd  *os.File
	exited chan struct{}

	mu     sync.Mutex
	status string // set before exited closes
	ended  bool
}

func (p *forkedProc) Pid() int { return p.pid }

func (p *forkedProc) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return nil
	}
	err := unix.PidfdSendSignal(int(p.pidfd.Fd()), unix.SIGKILL, nil, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil // already dead, not yet reported
	}
	return os.NewSyscallError("pidfd_send_signal", err)
}

func (p *forkedProc) Wait() string {
	<-p.exited
	return p.status
}

func (p *forkedProc) end(status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended, p.status = true, status
	p.pidfd.Close()
	close(p.exited)
}

// waitGone blocks until the process has ended (its pidfd is readable).
func (p *forkedProc) waitGone() {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	fd := int(p.pidfd.Fd())
	p.mu.Unlock()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != unix.EINTR {
			return
		}
	}
}

// waitString says how a process ended, as os.ProcessState.String does.
func waitString(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		s := "signal: " + ws.Signal().String()
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("wait status %#x", int(ws))
}

// rights returns the files an SCM_RIGHTS control message carried.
func rights(oob []byte) ([]*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, os.NewSyscallError("control message", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			closeAll(files)
			return nil, os.NewSyscallError("control message", err)
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			files = append(files, os.NewFile(uintptr(fd), "pidfd"))
		}
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// Close ends the fork server, if one runs; a Source without one has
// nothing to close. The registry calls it when it closes.
func (s *Source) Close() error {
	s.fsMu.Lock()
	fs := s.fs
	s.fs = nil
	s.fsMu.Unlock()
	if fs != nil {
		fs.close()
	}
	return nil
}
