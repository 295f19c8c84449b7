package cephmon

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Mon is a running ceph-mon.
type Mon struct {
	Addr string // 127.0.0.1:port, msgr v1
	FSID string
	Dir  string
	Conf string // path of its ceph.conf, for the ceph CLI
	cmd  *exec.Cmd
}

// Start makes a fresh cluster and runs its mon until the test ends. It fails
// the test if ceph-mon or monmaptool are not installed.
func Start(t testing.TB) *Mon {
	t.Helper()
	for _, bin := range []string{"ceph-mon", "monmaptool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("cephmon: %s not installed (apt-get install -y ceph-mon): %v", bin, err)
		}
	}
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatalf("cephmon: %v", err)
	}
	m := &Mon{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), FSID: newUUID(), Dir: dir,
		Conf: filepath.Join(dir, "ceph.conf")}
	conf := fmt.Sprintf(`[global]
fsid = %[1]s
mon_host = v1:%[2]s
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
auth_allow_insecure_global_id_reclaim = true
ms_bind_msgr1 = true
ms_bind_msgr2 = false
run_dir = %[3]s/run
log_file = %[3]s/log/$name.log
admin_socket = %[3]s/run/$name.asok
mon_data = %[3]s/mon/$cluster-$id
[mon.a]
public_addr = %[2]s
`, m.FSID, m.Addr, dir)
	for _, d := range []string{"run", "log", "mon"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(m.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	monmap := filepath.Join(dir, "monmap")
	run(t, "monmaptool", "--create", "--fsid", m.FSID, "--addv", "a", "[v1:"+m.Addr+"]", monmap)
	run(t, "ceph-mon", "-c", m.Conf, "--mkfs", "-i", "a", "--monmap", monmap)

	m.cmd = exec.Command("ceph-mon", "-c", m.Conf, "-i", "a", "-f")
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("cephmon: start: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- m.cmd.Wait() }()
	t.Cleanup(func() {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = m.cmd.Process.Kill()
			<-exited
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", m.Addr, time.Second)
		if err == nil {
			c.Close()
			return m
		}
		select {
		case err := <-exited:
			t.Fatalf("cephmon: ceph-mon exited: %v (log in %s/log)", err, dir)
		case <-ctx.Done():
			t.Fatalf("cephmon: ceph-mon not listening on %s after 30s", m.Addr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cephmon: %s %v: %v\n%s", name, args, err, out)
	}
}

// freePort asks the kernel for a loopback port: the monmap must name the
// port before ceph-mon binds it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cephmon: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
