package logging_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gomgr/internal/logging"
)

func TestPerKeyLevels(t *testing.T) {
	lg, err := logging.New("warning", "text", "hello=debug, mon=error")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	lg.SetOutput(&buf)
	mgr := lg.WithField("component", "mgr")
	mgr.Info("mgr info")                                // base warning: dropped
	mgr.Warn("mgr warn")                                // kept
	mgr.WithField("module", "hello").Debug("hello dbg") // module level wins over component
	mgr.WithField("module", "other").Info("other info") // base: dropped
	lg.WithField("component", "mon").Warn("mon warn")   // mon=error: dropped
	lg.WithField("component", "mon").Error("mon err")   // kept
	out := buf.String()
	for _, want := range []string{"mgr warn", "hello dbg", "mon err"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from:\n%s", want, out)
		}
	}
	for _, not := range []string{"mgr info", "other info", "mon warn"} {
		if strings.Contains(out, not) {
			t.Errorf("%q should have been dropped:\n%s", not, out)
		}
	}
}

func TestBadSpecs(t *testing.T) {
	for _, tc := range [][3]string{{"loud", "text", ""}, {"info", "xml", ""}, {"info", "text", "hello"}, {"info", "text", "hello=shout"}, {"info", "text", "=debug"}} {
		if _, err := logging.New(tc[0], tc[1], tc[2]); !errors.Is(err, logging.ErrBadSpec) {
			t.Errorf("%v: %v, want ErrBadSpec", tc, err)
		}
	}
	if lg, err := logging.New("info", "json", ""); err != nil || lg.Formatter == nil {
		t.Fatalf("json: %v", err)
	}
}

func TestFileReopenAfterRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mgr.log")
	lf, err := logging.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	fmt.Fprintln(lf, "before")
	if err := os.Rename(path, path+".1"); err != nil { // what logrotate does
		t.Fatal(err)
	}
	fmt.Fprintln(lf, "still the old file")
	if err := lf.Reopen(); err != nil { // what SIGHUP does
		t.Fatal(err)
	}
	fmt.Fprintln(lf, "after")
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if string(old) != "before\nstill the old file\n" || string(cur) != "after\n" {
		t.Fatalf("rotated %q, current %q", old, cur)
	}
	if _, err := logging.OpenFile(filepath.Join(dir, "missing", "x.log")); err == nil {
		t.Fatal("no error for a path that cannot be created")
	}
}
