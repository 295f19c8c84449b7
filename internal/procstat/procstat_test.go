package procstat

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
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
