package msgrbench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// rssKB reads a field of /proc/self/status ("VmRSS", "VmHWM") in KiB; 0 if
// unavailable.
func rssKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, field+":") {
			fs := strings.Fields(line[len(field)+1:])
			if len(fs) > 0 {
				n, _ := strconv.ParseInt(fs[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
