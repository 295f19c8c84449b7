package crush

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
)

// needTools fails a test when a Ceph tool is missing, as every test with a
// real Ceph program does: an oracle that silently does not run proves
// nothing.
func needTools(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s is not installed (apt-get install -y ceph-base): %v", n, err)
		}
	}
}

// run runs a Ceph tool in dir and returns its stdout; failure fails the test.
func run(t testing.TB, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out.Bytes(), errb.Bytes())
	}
	return out.Bytes()
}

// crushMap compiles or builds a map in dir with the crushtool argument
// lists given in turn (each applied to the file "c") and returns the
// parsed dump.
func crushMap(t testing.TB, dir string, steps ...[]string) *Map {
	t.Helper()
	for _, s := range steps {
		run(t, dir, "crushtool", s...)
	}
	m, err := ParseCrush(run(t, dir, "crushtool", "-i", filepath.Join(dir, "c"), "--dump"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
