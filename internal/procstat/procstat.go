package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrProc is /proc content that cannot be parsed.
var ErrProc = errors.New("procstat: bad /proc data")

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// Sample is one process's counters at one instant.
type Sample struct {
	CPU time.Duration // utime + stime
	RSS int64         // bytes
}

// ParseStat reads utime+stime and the parent pid from /proc/<pid>/stat.
// The command name is in parentheses and may hold spaces or ')', so fields
// are counted from the last ')'.
func ParseStat(b []byte) (cpu time.Duration, ppid int, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("%w: stat has no ')'", ErrProc)
	}
	f := bytes.Fields(b[i+1:])
	// After ')': state(0) ppid(1) ... utime(11) stime(12).
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%w: stat has %d fields after the name", ErrProc, len(f))
	}
	ppid, err = strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, 0, fmt.Errorf("%w: ppid: %w", ErrProc, err)
	}
	var ticks uint64
	for _, x := range f[11:13] {
		n, err := strconv.ParseUint(string(x), 10, 63)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: cpu time: %w", ErrProc, err)
		}
		ticks += n
	}
	if ticks > uint64(1<<62)/uint64(clockTick) {
		return 0, 0, fmt.Errorf("%w: cpu time %d ticks out of range", ErrProc, ticks)
	}
	return time.Duration(ticks) * clockTick, ppid, nil
}

// ParseRSS reads VmRSS from /proc/<pid>/status, in bytes.
func ParseRSS(b []byte) (int64, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: VmRSS line %q", ErrProc, line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > 1<<40 {
			return 0, fmt.Errorf("%w: VmRSS %q", ErrProc, f[0])
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: no VmRSS", ErrProc)
}

// Read reads one process's CPU time and RSS.
func Read(pid int) (Sample, error) {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrProc, err)
	}
	cpu, _, err := ParseStat(st)
	if err != nil {
		return Sample{}, err
	}
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Sample{}, fmt.Errorf("%w: %w", ErrProc, err)
	}
	rss, err := ParseRSS(status)
	if err != nil {
		return Sample{}, err
	}
	return Sample{CPU: cpu, RSS: rss}, nil
}

// Descendants sums CPU and RSS over every process below pid (a mgr's
// module processes). Processes that exit while being read are skipped.
func Descendants(pid int) Sample {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, pp, err := ParseStat(b); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	var sum Sample
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			if s, err := Read(c); err == nil {
				sum.CPU += s.CPU
				sum.RSS += s.RSS
			}
			walk(c)
		}
	}
	walk(pid)
	return sum
}

// LoadAvg is the machine's 1-minute load average (0 when unreadable): what
// else ran beside a benchmark.
func LoadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
