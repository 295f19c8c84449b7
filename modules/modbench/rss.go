package modbench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// TreeRSSKB sums VmRSS of pid and all its descendants, in KiB, from /proc.
// Processes that exit while it reads are skipped.
func TreeRSSKB(pid int) (int64, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrRSS, err)
	}
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		if pp, ok := parsePPid(b); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var total int64
	seen := map[int]bool{}
	stack := []int{pid}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/status")
		if err != nil {
			if p == pid {
				return 0, fmt.Errorf("%w: %w", ErrRSS, err)
			}
			continue
		}
		kb, _ := parseVmRSS(b)
		total += kb
		stack = append(stack, children[p]...)
	}
	return total, nil
}

// parsePPid reads the parent pid from /proc/<pid>/stat: the fourth field,
// counted after the last ')' since the command name may hold anything.
func parsePPid(stat []byte) (int, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil && pp >= 0
}

// parseVmRSS reads "VmRSS:  1234 kB" from /proc/<pid>/status (absent for
// kernel threads and zombies: 0, false).
func parseVmRSS(status []byte) (int64, bool) {
	for line := range strings.SplitSeq(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, false
		}
		return kb, true
	}
	return 0, false
}
