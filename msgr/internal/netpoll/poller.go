package netpoll

import (
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Interest bits for Add and Mod.
const (
	In  uint32 = unix.EPOLLIN | unix.EPOLLRDHUP
	Out uint32 = unix.EPOLLOUT
)

// Event is one readiness report: the descriptor and what it is ready for.
type Event struct {
	Fd     int
	Events uint32
}

// Readable reports read readiness, hang-up or error (all mean "try a read").
func (e Event) Readable() bool {
	return e.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
}

// Hangup reports a hang-up or error, which epoll reports even when neither
// read nor write interest is registered.
func (e Event) Hangup() bool { return e.Events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 }

// Writable reports write readiness or error.
func (e Event) Writable() bool {
	return e.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0
}

// Poller is an epoll instance plus an eventfd that other goroutines use to
// wake it.
type Poller struct {
	epfd   int
	wakefd int
	closed atomic.Bool
	// wmu keeps Wake from writing a descriptor number that Close released
	// (and the kernel may have reused).
	wmu    sync.RWMutex
	events []unix.EpollEvent
}

// NewPoller creates an epoll instance with a registered eventfd.
func NewPoller() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &Poller{epfd: epfd, wakefd: wfd, events: make([]unix.EpollEvent, 256)}
	if err := p.Add(wfd, unix.EPOLLIN); err != nil {
		unix.Close(wfd)
		unix.Close(epfd)
		return nil, err
	}
	return p, nil
}

// Add registers fd for the given interest. Loop goroutine only.
func (p *Poller) Add(fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl add", err)
	}
	return nil
}

// Mod changes fd's interest. Loop goroutine only.
func (p *Poller) Mod(fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl mod", err)
	}
	return nil
}

// Del unregisters fd. Loop goroutine only.
func (p *Poller) Del(fd int) error {
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil); err != nil {
		return os.NewSyscallError("epoll_ctl del", err)
	}
	return nil
}

// Wait blocks up to msec milliseconds (-1: forever) and returns the ready
// descriptors, excluding the wake-up eventfd; woken reports whether the
// eventfd fired (its counter is drained). msec 0 polls with a raw syscall,
// which costs the goroutine no scheduler hand-off. Loop goroutine only.
func (p *Poller) Wait(msec int, out []Event) (evs []Event, woken bool, err error) {
	if p.closed.Load() {
		return out[:0], false, ErrClosed
	}
	var n int
	if msec == 0 {
		// A poll that cannot block skips the runtime's syscall bookkeeping
		// (entersyscall/exitsyscall and the P hand-off around it).
		r, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, uintptr(p.epfd),
			uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)), 0, 0, 0)
		n = int(r)
		if errno != 0 {
			n, err = 0, errno
		}
	} else {
		n, err = unix.EpollWait(p.epfd, p.events, msec)
	}
	if err != nil {
		if err == unix.EINTR {
			return out[:0], false, nil
		}
		return out[:0], false, os.NewSyscallError("epoll_wait", err)
	}
	out = out[:0]
	for i := 0; i < n; i++ {
		e := p.events[i]
		if int(e.Fd) == p.wakefd {
			woken = true
			var b [8]byte
			_, _ = unix.Read(p.wakefd, b[:]) // drain; EAGAIN is fine
			continue
		}
		out = append(out, Event{Fd: int(e.Fd), Events: e.Events})
	}
	return out, woken, nil
}

// Wake makes a blocked (or the next) Wait return. Safe from any goroutine.
func (p *Poller) Wake() error {
	p.wmu.RLock()
	defer p.wmu.RUnlock()
	if p.closed.Load() {
		return ErrClosed
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], 1)
	for {
		_, err := unix.Write(p.wakefd, b[:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN { // counter saturated: a wake-up is pending anyway
			return nil
		}
		if err != nil {
			return os.NewSyscallError("eventfd write", err)
		}
		return nil
	}
}

// Close releases the epoll and eventfd descriptors. Call once, after the
// loop has stopped calling Wait.
func (p *Poller) Close() error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.closed.Swap(true) {
		return ErrClosed
	}
	err1 := unix.Close(p.wakefd)
	err2 := unix.Close(p.epfd)
	if err1 != nil {
		return os.NewSyscallError("close", err1)
	}
	if err2 != nil {
		return os.NewSyscallError("close", err2)
	}
	return nil
}
