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
	f, err := statFields(b)
	if err != nil {
		return 0, 0, err
	}
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

// statFields splits /proc/<pid>/stat after the command name, which is in
// parentheses and may hold spaces or ')': fields are counted from the last
// ')'.
func statFields(b []byte) ([][]byte, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("%w: stat has no ')'", ErrProc)
	}
	return bytes.Fields(b[i+1:]), nil
}

// ParseState reads the state letter of /proc/<pid>/stat: R running, S
// sleeping, D in uninterruptible wait, T stopped, t traced, Z a zombie
// (ended, not yet reaped), X dead, and a few more.
func ParseState(b []byte) (byte, error) {
	f, err := statFields(b)
	if err != nil {
		return 0, err
	}
	if len(f) == 0 || len(f[0]) != 1 {
		return 0, fmt.Errorf("%w: stat has no state letter", ErrProc)
	}
	return f[0][0], nil
}

// ParseRSS reads VmRSS from /proc/<pid>/status, in bytes.
func ParseRSS(b []byte) (int64, error) { return parseKB(b, "VmRSS:") }

// ParsePeakRSS reads VmHWM (the high-water mark of VmRSS) from
// /proc/<pid>/status, in bytes.
func ParsePeakRSS(b []byte) (int64, error) { return parseKB(b, "VmHWM:") }

// ParseStatusField reads the value of one "Key:\tvalue" line of
// /proc/<pid>/status ("NoNewPrivs", "CapEff"), without the key's colon.
func ParseStatusField(b []byte, key string) (string, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte(key+":")); ok {
			return string(bytes.TrimSpace(rest)), nil
		}
	}
	return "", fmt.Errorf("%w: no %s", ErrProc, key)
}

// ParsePSS reads Pss from /proc/<pid>/smaps_rollup, in bytes: the
// process's resident pages, each shared page divided among its sharers,
// so that PSS adds up over processes where RSS counts shared pages in
// each.
func ParsePSS(b []byte) (int64, error) { return parseKB(b, "Pss:") }

// ParseStatmRSS reads the resident size from /proc/<pid>/statm (its
// second field, in pages), in bytes: the same figure as status's VmRSS,
// from a file the kernel writes with far less work. Like parseKB it
// refuses more than a PiB.
func ParseStatmRSS(b []byte) (int64, error) {
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("%w: statm has %d fields", ErrProc, len(f))
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || pages < 0 || pages > 1<<50/int64(pageSize) {
		return 0, fmt.Errorf("%w: statm resident %q", ErrProc, f[1])
	}
	return pages * int64(pageSize), nil
}

// pageSize is the unit of /proc/<pid>/statm.
var pageSize = os.Getpagesize()

// parseKB reads the "key N kB" line of a /proc file, in bytes.
func parseKB(b []byte, key string) (int64, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte(key))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("%w: %s line %q", ErrProc, key, line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > 1<<40 {
			return 0, fmt.Errorf("%w: %s %q", ErrProc, key, f[0])
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: no %s", ErrProc, key)
}

// ParseLimit reads one limit of /proc/<pid>/limits by its name ("Max open
// files"): its soft and hard values as the kernel writes them, a number or
// "unlimited".
func ParseLimit(b []byte, name string) (soft, hard string, err error) {
	for _, line := range strings.Split(string(b), "\n") {
		// "Max open files            4096                 4096                 files"
		// Names hold spaces and some limits have no unit: the two values
		// are the last two fields that are values.
		f := strings.Fields(line)
		if len(f) > 0 && !isLimitValue(f[len(f)-1]) {
			f = f[:len(f)-1] // the unit
		}
		if len(f) < 3 || !isLimitValue(f[len(f)-2]) || !isLimitValue(f[len(f)-1]) {
			continue
		}
		if strings.Join(f[:len(f)-2], " ") == name {
			return f[len(f)-2], f[len(f)-1], nil
		}
	}
	return "", "", fmt.Errorf("%w: no limit %q", ErrProc, name)
}

func isLimitValue(s string) bool {
	if s == "unlimited" {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// readProc reads /proc/<pid>/<file>.
func readProc(pid int, file string) ([]byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProc, err)
	}
	return b, nil
}

// readStatus reads /proc/<pid>/status.
func readStatus(pid int) ([]byte, error) { return readProc(pid, "status") }

// ReadRSS reads one process's resident memory, in bytes, from
// /proc/<pid>/statm: about half the cost of status (BenchmarkRSSStatm),
// and isolate reads a child's every 50 ms.
func ReadRSS(pid int) (int64, error) {
	b, err := readProc(pid, "statm")
	if err != nil {
		return 0, err
	}
	return ParseStatmRSS(b)
}

// ReadPeakRSS reads the most resident memory one process has had (VmHWM),
// in bytes.
func ReadPeakRSS(pid int) (int64, error) {
	b, err := readStatus(pid)
	if err != nil {
		return 0, err
	}
	return ParsePeakRSS(b)
}

// ReadStatusField reads one field of a process's /proc/<pid>/status (see
// ParseStatusField).
func ReadStatusField(pid int, key string) (string, error) {
	b, err := readStatus(pid)
	if err != nil {
		return "", err
	}
	return ParseStatusField(b, key)
}

// Tasks lists the threads (task ids) of process pid.
func Tasks(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrProc, err)
	}
	out := make([]int, 0, len(ents))
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			return nil, fmt.Errorf("%w: task %q: %w", ErrProc, e.Name(), err)
		}
		out = append(out, tid)
	}
	return out, nil
}

// ReadTaskStatusField reads one field of one thread's status,
// /proc/<pid>/task/<tid>/status: some fields (NoNewPrivs, CapEff) are
// per thread, and the process's status shows its main thread's.
func ReadTaskStatusField(pid, tid int, key string) (string, error) {
	b, err := readProc(pid, "task/"+strconv.Itoa(tid)+"/status")
	if err != nil {
		return "", err
	}
	return ParseStatusField(b, key)
}

// CountFDs counts a process's open file descriptors: what a leak test
// compares before and after.
func CountFDs(pid int) (int, error) {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrProc, err)
	}
	return len(ents), nil
}

// ReadLimit reads one of a process's resource limits by its name in
// /proc/<pid>/limits (see ParseLimit).
func ReadLimit(pid int, name string) (soft, hard string, err error) {
	b, err := readProc(pid, "limits")
	if err != nil {
		return "", "", err
	}
	return ParseLimit(b, name)
}

// ReadState reads one process's state letter (see ParseState).
func ReadState(pid int) (byte, error) {
	b, err := readProc(pid, "stat")
	if err != nil {
		return 0, err
	}
	return ParseState(b)
}

// ReadPPID reads one process's parent pid.
func ReadPPID(pid int) (int, error) {
	b, err := readProc(pid, "stat")
	if err != nil {
		return 0, err
	}
	_, ppid, err := ParseStat(b)
	return ppid, err
}

// Alive reports whether pid is a process that has not ended: one that
// exists and is neither a zombie (ended, waiting for its parent, or for
// init once the parent is gone, to reap it) nor dead. A pid that cannot
// be read is not alive.
func Alive(pid int) bool {
	st, err := ReadState(pid)
	return err == nil && st != 'Z' && st != 'X'
}

// ReadPSS reads one process's PSS (the kernel walks its page tables: far
// dearer than Read).
func ReadPSS(pid int) (int64, error) {
	b, err := readProc(pid, "smaps_rollup")
	if err != nil {
		return 0, err
	}
	return ParsePSS(b)
}

// Tree is pid and every process below it: CPU, RSS and PSS summed.
type Tree struct {
	Sample
	PSS   int64 // bytes
	Procs int
}

// ReadTree reads pid and its descendants (a mgr and its module
// processes). Descendants that exit while being read are skipped; pid
// itself must be readable.
func ReadTree(pid int) (Tree, error) {
	var t Tree
	for i, p := range append([]int{pid}, DescendantPIDs(pid)...) {
		s, err := Read(p)
		if err == nil {
			var pss int64
			pss, err = ReadPSS(p)
			t.PSS += pss
		}
		if err != nil {
			if i == 0 {
				return Tree{}, err
			}
			continue
		}
		t.CPU += s.CPU
		t.RSS += s.RSS
		t.Procs++
	}
	return t, nil
}

// Read reads one process's CPU time and RSS.
func Read(pid int) (Sample, error) {
	st, err := readProc(pid, "stat")
	if err != nil {
		return Sample{}, err
	}
	cpu, _, err := ParseStat(st)
	if err != nil {
		return Sample{}, err
	}
	rss, err := ReadRSS(pid)
	if err != nil {
		return Sample{}, err
	}
	return Sample{CPU: cpu, RSS: rss}, nil
}

// Descendants sums CPU and RSS over every process below pid (a mgr's
// module processes). Processes that exit while being read are skipped.
func Descendants(pid int) Sample {
	var sum Sample
	for _, p := range DescendantPIDs(pid) {
		if s, err := Read(p); err == nil {
			sum.CPU += s.CPU
			sum.RSS += s.RSS
		}
	}
	return sum
}

// DescendantPIDs lists the processes below pid, parents before children.
// Processes that exit while it reads /proc are skipped.
func DescendantPIDs(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc") // unreadable /proc: no descendants
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
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
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
