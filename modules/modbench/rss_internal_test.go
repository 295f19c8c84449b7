package modbench

import "testing"

func TestParseProc(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stat   string
		ppid   int
		ppOK   bool
		status string
		kb     int64
		kbOK   bool
	}{
		{"plain", "12 (gomgr) S 7 12 12 0", 7, true, "Name:\tgomgr\nVmRSS:\t   20584 kB\n", 20584, true},
		{"paren in name", "12 (a) b) S 9 1", 9, true, "VmRSS: 1 kB", 1, true},
		{"kernel thread", "2 (kthreadd) S 0 0", 0, true, "Name:\tkthreadd\n", 0, false},
		{"truncated", "12 (x", 0, false, "VmRSS:", 0, false},
		{"garbage", ")", 0, false, "VmRSS: -5 kB", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pp, ok := parsePPid([]byte(tc.stat))
			if pp != tc.ppid || ok != tc.ppOK {
				t.Errorf("parsePPid = %d %v", pp, ok)
			}
			kb, ok := parseVmRSS([]byte(tc.status))
			if kb != tc.kb || ok != tc.kbOK {
				t.Errorf("parseVmRSS = %d %v", kb, ok)
			}
		})
	}
}

// FuzzParseProc: the /proc readers never panic and never return negatives.
func FuzzParseProc(f *testing.F) {
	f.Add([]byte("12 (gomgr) S 7 12"))
	f.Add([]byte("VmRSS:\t 100 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if pp, ok := parsePPid(b); ok && pp < 0 {
			t.Fatal(pp)
		}
		if kb, ok := parseVmRSS(b); ok && kb < 0 {
			t.Fatal(kb)
		}
	})
}
