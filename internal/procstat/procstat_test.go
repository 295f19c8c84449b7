package procstat

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		cpu  time.Duration
		ppid int
		ok   bool
	}{
		{"plain", "42 (gomgr) S 7 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 9 0 100 1000 200", 1750 * time.Millisecond, 7, true},
		{"name with ') '", "42 (a) b) R 1 42 42 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, 1, true},
		{"no name", "42 gomgr S 7", 0, 0, false},
		{"short", "42 (gomgr) S 7 42", 0, 0, false},
		{"bad utime", "42 (gomgr) S 7 42 42 0 -1 0 0 0 0 0 x 4", 0, 0, false},
		{"negative stime", "42 (gomgr) S 7 42 42 0 -1 0 0 0 0 0 1 -4", 0, 0, false},
		{"huge", "42 (gomgr) S 7 42 42 0 -1 0 0 0 0 0 4611686018427387903 1", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpu, ppid, err := ParseStat([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrProc) {
					t.Fatalf("err = %v, want ErrProc", err)
				}
				return
			}
			if cpu != tc.cpu || ppid != tc.ppid {
				t.Fatalf("got %v ppid %d, want %v ppid %d", cpu, ppid, tc.cpu, tc.ppid)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"plain", "Name:\tgomgr\nVmPeak:\t 100 kB\nVmRSS:\t   2048 kB\nThreads: 9\n", 2048 << 10, true},
		{"missing", "Name:\tgomgr\n", 0, false},
		{"no unit", "VmRSS:\t2048\n", 0, false},
		{"not a number", "VmRSS:\tlots kB\n", 0, false},
		{"negative", "VmRSS:\t-1 kB\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRSS([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %d, %v; want %d ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	status := []byte("Name:\tgomgr\nNoNewPrivs:\t1\nVmHWM:\t   4096 kB\nVmRSS:\t   2048 kB\n")
	if got, err := ParsePeakRSS(status); err != nil || got != 4096<<10 {
		t.Errorf("ParsePeakRSS: %d, %v", got, err)
	}
	if got, err := ParseStatusField(status, "NoNewPrivs"); err != nil || got != "1" {
		t.Errorf("NoNewPrivs: %q, %v", got, err)
	}
	if got, err := ParseStatusField(status, "Name"); err != nil || got != "gomgr" {
		t.Errorf("Name: %q, %v", got, err)
	}
	if _, err := ParseStatusField(status, "CapEff"); !errors.Is(err, ErrProc) {
		t.Errorf("missing field: %v", err)
	}
}

func TestReadSelfStatus(t *testing.T) {
	rss, err := ReadRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	peak, err := ReadPeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Read at different instants: the peak can only have grown since.
	if rss <= 0 || peak < rss {
		t.Fatalf("rss %d, peak %d", rss, peak)
	}
	if v, err := ReadStatusField(os.Getpid(), "Pid"); err != nil || v != strconv.Itoa(os.Getpid()) {
		t.Fatalf("Pid: %q, %v", v, err)
	}
	if _, err := ReadRSS(-1); !errors.Is(err, ErrProc) {
		t.Fatalf("ReadRSS(-1): %v", err)
	}
}

func TestParseState(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want byte
		ok   bool
	}{
		{"sleeping", "42 (gomgr) S 7 42 42 0", 'S', true},
		{"zombie, name with ') '", "42 (a) Z) Z 1 42", 'Z', true},
		{"stopped", "42 (python3) T 7", 'T', true},
		{"no name", "42 gomgr S 7", 0, false},
		{"no state", "42 (gomgr)", 0, false},
		{"long state", "42 (gomgr) SS 7", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseState([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %q, %v; want %q ok=%v", got, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrProc) {
				t.Fatalf("err = %v, want ErrProc", err)
			}
		})
	}
}

func TestParseStatmRSS(t *testing.T) {
	page := int64(os.Getpagesize())
	for _, tc := range []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"plain", "1000 250 100 10 0 300 0\n", 250 * page, true},
		{"zero", "0 0 0 0 0 0 0\n", 0, true},
		{"short", "1000\n", 0, false},
		{"not a number", "1000 lots 100\n", 0, false},
		{"negative", "1000 -1 100\n", 0, false},
		{"huge", "1 9223372036854775807 1\n", 0, false},
		{"over a PiB", "1 1125899906842624 1\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatmRSS([]byte(tc.in))
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("got %d, %v; want %d ok=%v", got, err, tc.want, tc.ok)
			}
		})
	}
}

const limits = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max core file size        0                    unlimited            bytes     
Max processes             1024                 4096                 processes 
Max open files            4096                 4096                 files     
Max nice priority         0                    0                    
Max realtime priority     0                    0                    
Max realtime timeout      unlimited            unlimited            us        
`

func TestParseLimit(t *testing.T) {
	for _, tc := range []struct {
		name, soft, hard string
		ok               bool
	}{
		{"Max open files", "4096", "4096", true},
		{"Max core file size", "0", "unlimited", true},
		{"Max cpu time", "unlimited", "unlimited", true},
		{"Max processes", "1024", "4096", true},
		{"Max nice priority", "0", "0", true}, // no unit
		{"Max realtime timeout", "unlimited", "unlimited", true},
		{"Max realtime", "", "", false}, // a prefix of two names
		{"Limit", "", "", false},        // the header
		{"Max stack size", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			soft, hard, err := ParseLimit([]byte(limits), tc.name)
			if (err == nil) != tc.ok || soft != tc.soft || hard != tc.hard {
				t.Fatalf("got %q %q, %v; want %q %q ok=%v", soft, hard, err, tc.soft, tc.hard, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrProc) {
				t.Fatalf("err = %v, want ErrProc", err)
			}
		})
	}
}

// TestReadSelfProc: this test binary's own stat, statm, limits and
// threads, checked against what the kernel says through other calls.
func TestReadSelfProc(t *testing.T) {
	me := os.Getpid()
	// The main thread's state: running, or asleep while another runs.
	if st, err := ReadState(me); err != nil || (st != 'R' && st != 'S') {
		t.Errorf("ReadState(self) = %q, %v; want R or S", st, err)
	}
	if ppid, err := ReadPPID(me); err != nil || ppid != os.Getppid() {
		t.Errorf("ReadPPID(self) = %d, %v; want %d", ppid, err, os.Getppid())
	}
	if !Alive(me) || Alive(-1) {
		t.Errorf("Alive(self) = %v, Alive(-1) = %v", Alive(me), Alive(-1))
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	soft, hard, err := ReadLimit(me, "Max open files")
	if err != nil || soft != strconv.FormatUint(lim.Cur, 10) || hard != strconv.FormatUint(lim.Max, 10) {
		t.Errorf("Max open files = %q %q, %v; want %+v", soft, hard, err, lim)
	}
	tids, err := Tasks(me)
	if err != nil || !slices.Contains(tids, me) || !slices.Contains(tids, unix.Gettid()) {
		t.Fatalf("Tasks(self) = %v, %v; want the main thread %d and this one %d", tids, err, me, unix.Gettid())
	}
	for _, tid := range tids {
		if v, err := ReadTaskStatusField(me, tid, "Pid"); err != nil || v != strconv.Itoa(tid) {
			t.Errorf("task %d Pid: %q, %v", tid, v, err)
		}
	}
	n, err := CountFDs(me)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := CountFDs(me); err != nil || m != n+1 {
		t.Errorf("fds: %d, then %d, %v after one open; want %d", n, m, err, n+1)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		func() error { _, err := CountFDs(-1); return err }(),
		func() error { _, err := ReadState(-1); return err }(),
		func() error { _, err := ReadPPID(-1); return err }(),
		func() error { _, _, err := ReadLimit(-1, "Max open files"); return err }(),
		func() error { _, err := Tasks(-1); return err }(),
		func() error { _, err := ReadTaskStatusField(me, -1, "Pid"); return err }(),
	} {
		if !errors.Is(err, ErrProc) {
			t.Errorf("reading pid -1: %v, want ErrProc", err)
		}
	}
}

// TestChildState: a child is alive, stopped (T) is still alive, and
// ended but not yet reaped (Z) is not.
func TestChildState(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	if !Alive(pid) {
		t.Fatalf("child %d not alive", pid)
	}
	if ppid, err := ReadPPID(pid); err != nil || ppid != os.Getpid() {
		t.Fatalf("child's parent %d, %v; want %d", ppid, err, os.Getpid())
	}
	// Waitid with WNOWAIT returns once the child has changed state and
	// leaves it to be waited for again: no sleep to wait for the change.
	wait := func(opt int) {
		t.Helper()
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, opt|unix.WNOWAIT, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		sig   unix.Signal
		opt   int
		state byte
		alive bool
	}{
		{unix.SIGSTOP, unix.WSTOPPED, 'T', true},
		{unix.SIGKILL, unix.WEXITED, 'Z', false},
	} {
		if err := unix.Kill(pid, step.sig); err != nil {
			t.Fatal(err)
		}
		wait(step.opt)
		if st, err := ReadState(pid); err != nil || st != step.state {
			t.Fatalf("after %v: state %q, %v; want %q", step.sig, st, err, step.state)
		}
		if Alive(pid) != step.alive {
			t.Fatalf("after %v: Alive = %v", step.sig, !step.alive)
		}
	}
}

func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 {
		t.Fatalf("rss %d", s.RSS)
	}
	if _, err := Read(-1); !errors.Is(err, ErrProc) {
		t.Fatalf("Read(-1): %v", err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (gomgr) S 7 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 9 0 100 1000 200"))
	f.Add([]byte("1 ()) R 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cpu, _, err := ParseStat(b)
		if err == nil && cpu < 0 {
			t.Fatalf("negative cpu %v", cpu)
		}
	})
}

func FuzzParseRSS(f *testing.F) {
	f.Add([]byte("VmRSS:\t   2048 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParseRSS(b); err == nil && n < 0 {
			t.Fatalf("negative rss %d", n)
		}
	})
}

func TestParsePSS(t *testing.T) {
	got, err := ParsePSS([]byte("55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:   1024 kB\nPss:    512 kB\nPss_Anon: 100 kB\n"))
	if err != nil || got != 512<<10 {
		t.Fatalf("%d %v", got, err)
	}
	if _, err := ParsePSS([]byte("Rss: 1 kB\n")); !errors.Is(err, ErrProc) {
		t.Fatalf("no Pss: %v", err)
	}
}

// TestReadTree: this test binary's own tree, with a child process in it.
func TestReadTree(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	tr, err := ReadTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// RSS and PSS are read at different instants: compare loosely.
	if tr.Procs < 2 || tr.PSS <= 0 || tr.PSS > 2*tr.RSS {
		t.Fatalf("tree %+v", tr)
	}
	if _, err := ReadTree(1 << 30); !errors.Is(err, ErrProc) {
		t.Fatalf("missing pid: %v", err)
	}
}

func FuzzParsePSS(f *testing.F) {
	f.Add([]byte("Pss: 12 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParsePSS(b); err == nil && n < 0 {
			t.Fatalf("negative %d", n)
		}
	})
}

// BenchmarkRSSStatus and BenchmarkRSSStatm compare the two files that
// hold a process's RSS (isolate reads a child's every 50 ms): statm took
// about 11 µs and status 22 µs here, so ReadRSS reads statm.
func BenchmarkRSSStatus(b *testing.B) {
	path := "/proc/" + strconv.Itoa(os.Getpid()) + "/status"
	for b.Loop() {
		buf, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseRSS(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSSStatm(b *testing.B) {
	path := "/proc/" + strconv.Itoa(os.Getpid()) + "/statm"
	for b.Loop() {
		buf, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseStatmRSS(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseState(f *testing.F) {
	f.Add([]byte("42 (gomgr) S 7 42 42 0"))
	f.Add([]byte("1 ()) Z"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, err := ParseState(b); err == nil && st == ' ' {
			t.Fatalf("blank state from %q", b)
		}
	})
}

func FuzzParseStatmRSS(f *testing.F) {
	f.Add([]byte("1000 250 100 10 0 300 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParseStatmRSS(b); err == nil && n < 0 {
			t.Fatalf("negative rss %d", n)
		}
	})
}

func FuzzParseLimit(f *testing.F) {
	f.Add([]byte(limits), "Max open files")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		soft, hard, err := ParseLimit(b, name)
		if err == nil && (!isLimitValue(soft) || !isLimitValue(hard)) {
			t.Fatalf("%q: values %q %q", name, soft, hard)
		}
	})
}
