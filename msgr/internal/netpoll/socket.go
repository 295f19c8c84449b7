package netpoll

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Errors callers test for. They are the raw errno values so errors.Is works
// through the os.SyscallError wrapping.
var (
	ErrAgain      = unix.EAGAIN
	ErrInProgress = unix.EINPROGRESS
)

func sockaddr(ap netip.AddrPort) (unix.Sockaddr, int) {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}, unix.AF_INET
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}, unix.AF_INET6
}

// AddrPortOf converts a unix.Sockaddr to netip.AddrPort (zero for other families).
func AddrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(s.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(s.Addr), uint16(s.Port))
	}
	return netip.AddrPort{}
}

// Listen opens a non-blocking, close-on-exec TCP listener on ap.
func Listen(ap netip.AddrPort, backlog int) (int, error) {
	sa, fam := sockaddr(ap)
	fd, err := unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

// Accept accepts one connection as a non-blocking, close-on-exec socket.
// It returns an error wrapping ErrAgain when no connection is pending.
func Accept(lfd int) (int, netip.AddrPort, error) {
	for {
		fd, sa, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		if err != nil {
			return -1, netip.AddrPort{}, os.NewSyscallError("accept4", err)
		}
		return fd, AddrPortOf(sa), nil
	}
}

// Dial starts a non-blocking connect to ap. The returned error wraps
// ErrInProgress while the connection is being established: wait for
// writability, then call SockError.
func Dial(ap netip.AddrPort) (int, error) {
	sa, fam := sockaddr(ap)
	fd, err := unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	for {
		err = unix.Connect(fd, sa)
		if err == unix.EINTR {
			continue
		}
		break
	}
	if err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return -1, os.NewSyscallError("connect", err)
	}
	if err != nil {
		return fd, os.NewSyscallError("connect", err)
	}
	return fd, nil
}

// SockError returns the pending SO_ERROR of fd (nil when the connect succeeded).
func SockError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt SO_ERROR", err)
	}
	if v != 0 {
		return os.NewSyscallError("connect", unix.Errno(v))
	}
	return nil
}

// SetNoDelay sets TCP_NODELAY.
func SetNoDelay(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return os.NewSyscallError("setsockopt TCP_NODELAY", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
}

// SetBuffers sets SO_SNDBUF and SO_RCVBUF; a size <= 0 leaves that one alone.
func SetBuffers(fd, snd, rcv int) error {
	if snd > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, snd); err != nil {
			return os.NewSyscallError("setsockopt SO_SNDBUF", err)
		}
	}
	if rcv > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcv); err != nil {
			return os.NewSyscallError("setsockopt SO_RCVBUF", err)
		}
	}
	return nil
}

// LocalAddr returns the socket's bound address.
func LocalAddr(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	return AddrPortOf(sa), nil
}

// PeerAddr returns the socket's peer address.
func PeerAddr(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getpeername", err)
	}
	return AddrPortOf(sa), nil
}

// Read reads into p. (0, nil) means the peer closed; an error wrapping
// ErrAgain means no data now.
func Read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, os.NewSyscallError("read", err)
		}
		return n, nil
	}
}

// IOV is writev scratch space, reused across calls so that a write does not
// allocate (unix.Writev would). The zero value is ready; one per goroutine.
type IOV struct{ v []unix.Iovec }

// Writev writes the buffers with one writev call; an error wrapping ErrAgain
// means the socket buffer is full. Empty buffers are skipped.
func Writev(fd int, bufs [][]byte, iov *IOV) (int, error) {
	v := iov.v[:0]
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		e := unix.Iovec{Base: &b[0]}
		e.SetLen(len(b))
		v = append(v, e)
	}
	iov.v = v
	if len(v) == 0 {
		return 0, nil
	}
	for {
		n, _, errno := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&v[0])), uintptr(len(v)))
		runtime.KeepAlive(bufs)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return 0, os.NewSyscallError("writev", errno)
		}
		return int(n), nil
	}
}

// Shutdown shuts both directions of fd down, waking any reader (used by
// fault injection and mark-down before the loop closes the descriptor).
func Shutdown(fd int) error {
	return os.NewSyscallError("shutdown", unix.Shutdown(fd, unix.SHUT_RDWR))
}

// Close closes fd.
func Close(fd int) error {
	return os.NewSyscallError("close", unix.Close(fd))
}

// IsAgain reports whether err is EAGAIN/EWOULDBLOCK.
func IsAgain(err error) bool { return errors.Is(err, unix.EAGAIN) }

// RaiseNoFile raises RLIMIT_NOFILE's soft limit to want (capped at the hard
// limit) and returns the new soft limit.
func RaiseNoFile(want uint64) (uint64, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, os.NewSyscallError("getrlimit", err)
	}
	if rl.Cur >= want {
		return rl.Cur, nil
	}
	rl.Cur = min(want, rl.Max)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, os.NewSyscallError("setrlimit", err)
	}
	return rl.Cur, nil
}

// IsInProgress reports whether err is EINPROGRESS (a non-blocking connect
// that has not finished yet).
func IsInProgress(err error) bool { return errors.Is(err, unix.EINPROGRESS) }
