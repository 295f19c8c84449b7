package cephconf_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gomgr/internal/cephconf"
)

// cephConfResult is what Ceph's ceph-conf says about a lookup.
type cephConfResult struct {
	parseErr bool // the file does not parse (or ceph-conf aborts on it)
	aborted  bool
	errLine  int // from "in line N" / "at line N", 0 if none
	found    bool
	value    string
}

var cephLineRE = regexp.MustCompile(`(?:in|at) line (\d+)`)

// cephConf runs `ceph-conf -c path --name entity --lookup key`.
func cephConf(t *testing.T, path, entity, key string) cephConfResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("ceph-conf", "-c", path, "--name", entity, "--lookup", key)
	cmd.Env = append(os.Environ(), "CEPH_ARGS=")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("ceph-conf: %v", err)
	}
	code := 0
	if exit != nil {
		code = exit.ExitCode()
		if ws := exit.ProcessState.String(); code == -1 && strings.Contains(ws, "abort") {
			code = 134
		}
	}
	switch {
	case code == 0:
		return cephConfResult{found: true, value: strings.TrimSuffix(stdout.String(), "\n")}
	case code == 134 || strings.Contains(stderr.String(), "Assertion"):
		return cephConfResult{parseErr: true, aborted: true}
	case strings.Contains(stderr.String(), "parse error"):
		r := cephConfResult{parseErr: true}
		if m := cephLineRE.FindStringSubmatch(stderr.String()); m != nil {
			r.errLine, _ = strconv.Atoi(m[1])
		}
		return r
	case code == 1 && strings.TrimSpace(stderr.String()) == "":
		return cephConfResult{}
	default:
		t.Fatalf("ceph-conf -c %s --name %s --lookup %q: exit %d, stderr %q", path, entity, key, code, stderr.String())
		return cephConfResult{}
	}
}

// ours is what this package says about the same lookup.
func ours(path, entity, key string) (cephConfResult, error) {
	c, err := cephconf.Load(path)
	if err != nil {
		var se *cephconf.SyntaxError
		if !errors.As(err, &se) {
			return cephConfResult{}, err
		}
		return cephConfResult{parseErr: true, errLine: se.Line, aborted: strings.Contains(se.Msg, "aborts")}, nil
	}
	v, ok := c.Get(entity, key)
	return cephConfResult{found: ok, value: v}, nil
}

// TestInteropCephConf runs Ceph's ceph-conf (16.2) on every case of
// lookupCases and on generated files, and checks that it finds the same
// values and refuses the same files, on the same line.
func TestInteropCephConf(t *testing.T) {
	if _, err := exec.LookPath("ceph-conf"); err != nil {
		t.Fatalf("ceph-conf is not installed (apt-get install -y ceph-common): %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ceph.conf")
	var stats struct{ found, notFound, parseErr, aborted int }
	compare := func(t *testing.T, conf, entity, key string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		want := cephConf(t, path, entity, key)
		got, err := ours(path, entity, key)
		if err != nil {
			t.Fatal(err)
		}
		if got.errLine > 0 && want.errLine == 0 {
			got.errLine = 0 // Ceph did not say (an abort)
		}
		if strings.Contains(conf, "\n\r") {
			// spirit's line_pos_iterator counts "\n\r" as one line end
			// (and "\r\n\r\n" as one); cephconf counts them as an editor does.
			got.errLine = want.errLine
		}
		if got != want {
			t.Errorf("conf %q, %s, key %q:\nceph-conf: %+v\ncephconf:  %+v", conf, entity, key, want, got)
		}
		switch {
		case want.aborted:
			stats.aborted++
		case want.parseErr:
			stats.parseErr++
		case want.found:
			stats.found++
		default:
			stats.notFound++
		}
	}

	for _, tc := range lookupCases {
		if tc.notCeph {
			continue
		}
		t.Run(tc.name, func(t *testing.T) { compare(t, tc.conf, entity(tc), tc.key) })
	}

	// Generated files: lines of random fragments, most of them valid.
	// CEPHCONF_SEED=N and CEPHCONF_CASES=N explore other files.
	seed, _ := strconv.ParseUint(os.Getenv("CEPHCONF_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(16, 2+seed))
	n := 300
	if testing.Short() {
		n = 20
	}
	if v, err := strconv.Atoi(os.Getenv("CEPHCONF_CASES")); err == nil {
		n = v
	}
	for i := range n {
		conf := randomConf(rng)
		entity := []string{"mgr.x", "client.admin", "osd.1"}[rng.IntN(3)]
		key := []string{"k", "mon_host", "a_b", "x"}[rng.IntN(4)]
		t.Run(fmt.Sprintf("generated%d", i), func(t *testing.T) { compare(t, conf, entity, key) })
	}
	t.Logf("ceph-conf and cephconf agree: %d found, %d not found, %d syntax errors, %d aborts",
		stats.found, stats.notFound, stats.parseErr, stats.aborted)
}

// randomConf makes a ceph.conf from fragments that exercise the grammar;
// a few fragments are ones that Ceph refuses or aborts on.
func randomConf(rng *rand.Rand) string {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	// either picks from good, or (one time in bad) from odd.
	either := func(bad int, good, odd []string) string {
		if rng.IntN(bad) == 0 {
			return pick(odd...)
		}
		return pick(good...)
	}
	eol := func() string {
		return either(20, []string{"\n", "\n", "\r\n", " # c\n", "\n\n"}, []string{"\r", "\\\n", "", "\\\n\n"})
	}
	key := func() string {
		return either(15, []string{"k", "mon host", "mon_host", "mon\thost", "a b", "a  b", "x", "  k", "K", "a-b", "k\\\n"},
			[]string{"", "k#c", "k\\=", "k\xc3\xa9", "mon \\\nhost"})
	}
	value := func() string {
		return either(15, []string{"v", " v ", "1.2.3.4, \\\n  5.6.7.8", "\"q v\"", "'q'", "a\\#b", "$cluster-$id",
			"${name}", "$nope", "a = b", "[v1:1.2.3.4:6789]", "", "v # c", "v;c", "\"\xc3\xa9\"", "\"a\\\"b\"",
			"$run_dir/x", "$mgr_data", "x$", "${AB}", "$host", "$type.$id", "a\\\\b", "'\"'"},
			[]string{"\"a;b\"", "\"x\" y", "\xc3\xa9", "\"open", "a\xc3\xa9"})
	}
	var b strings.Builder
	if rng.IntN(8) == 0 {
		b.WriteString(either(3, []string{"# head\n", "\n", "; c\n\n", "k = v\n"}, []string{"  \n", "k = v\nj = w\n", "x\n"}))
	}
	for range 1 + rng.IntN(3) {
		b.WriteString(either(10, []string{"[global]", "[mgr]", "[mgr.x]", "[client]", "[osd.1]", "[osd]", "[global] # c", "[glo\\\nbal]", "[client.admin]"},
			[]string{"[ global ]", "  [global]", "[global] x", "[]", "[mgr.x", "[gl\xc3\xa9]"}))
		b.WriteString(eol())
		for range rng.IntN(5) {
			switch rng.IntN(6) {
			case 0:
				b.WriteString(either(15, []string{"# c", "   ; c", "", "  ", "\t", "# \xc3\xa9"}, []string{"junk", "  [mgr]"}))
			case 1:
				b.WriteString(key() + pick(" = ", "=", "  =  ", "\t=\t", " =\\\n ") + value())
			default:
				b.WriteString(key() + " = " + value())
			}
			b.WriteString(eol())
		}
	}
	if rng.IntN(8) == 0 {
		b.WriteString(pick("# end", "  ", "k = v", ""))
	}
	return b.String()
}
