package simbench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a daemon process started by Run. Its stdout lines arrive on
// lines (read by one goroutine); its stderr goes to a log file.
type child struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	logPath string
	exited  chan struct{}
	waitErr error
}

// startChild runs exe with args, named argv0 (default exe).
func startChild(name, exe, argv0 string, args, env []string, dir string) (*child, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %s log: %w", ErrChild, name, err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(exe, args...)
	if argv0 != "" {
		cmd.Args[0] = argv0
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	// The child dies with the bench, even on SIGKILL of the bench.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrChild, name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrChild, name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: start %s: %w", ErrChild, name, err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 16), logPath: logPath, exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// line waits for the next stdout line.
func (c *child) line(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", fmt.Errorf("%w: %s exited: %s", ErrChild, c.name, c.logTail())
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("%w: %s: no output in %v: %s", ErrTimeout, c.name, timeout, c.logTail())
	}
}

// query asks a RunRole child for its Status.
func (c *child) query() (Status, error) {
	if _, err := io.WriteString(c.stdin, "status\n"); err != nil {
		return Status{}, fmt.Errorf("%w: %s: %w: %s", ErrChild, c.name, err, c.logTail())
	}
	l, err := c.line(30 * time.Second)
	if err != nil {
		return Status{}, err
	}
	var s Status
	if err := json.Unmarshal([]byte(l), &s); err != nil {
		return Status{}, fmt.Errorf("%w: %s status %q: %w", ErrChild, c.name, l, err)
	}
	return s, nil
}

// stop asks the child to exit (stdin EOF, SIGTERM) and kills it if it has
// not within grace.
func (c *child) stop(grace time.Duration) error {
	_ = c.stdin.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.exited:
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%w: %s did not stop within %v", ErrChild, c.name, grace)
	}
	var ee *exec.ExitError
	if c.waitErr != nil && !errors.As(c.waitErr, &ee) {
		return fmt.Errorf("%w: %s: %w", ErrChild, c.name, c.waitErr)
	}
	return nil
}

// logTail is the end of the child's stderr, for error messages.
func (c *child) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	s := strings.TrimSpace(string(b))
	if len(s) > 800 {
		s = "..." + s[len(s)-800:]
	}
	if s == "" {
		return "(no log output)"
	}
	return s
}
