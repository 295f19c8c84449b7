package e2e_test

import (
	"gomgr/internal/testutil"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadmeTour follows the README's five-minute tour as a newcomer does,
// on a copy of the repository: the demo, every `$ bin/gomgr` line of the
// tour, then the Python module the README writes, added under
// examples/modules as it says, enabled live, asked, disabled; and at the
// end the unit tests of modules/, which must not mind a module of one's own
// beside the examples. The commands and the module come from README.md
// itself, so the README cannot drift from what works.
func TestReadmeTour(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	tour, module, later := readmeTour(t, string(readme))

	repo := filepath.Join(t.TempDir(), "gomgr")
	copyTree(t, repoRoot(t), repo)
	if err := os.MkdirAll(filepath.Join(repo, "examples/modules/mine"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "examples/modules/mine/module.py"), []byte(module), 0o644); err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp}
	demo, _ := start(t, env, true, "demo", "--addr", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--plugins", pluginDir,
		"--modules", filepath.Join(repo, "examples/modules"), "--osds", "6", "--fail-every", "2s")
	testutil.Eventually(t, 30*time.Second, "the demo's modules running", func() bool {
		return strings.Contains(lastStatusLine(demo), "hello:running")
	})
	// The demo enables every module it finds at start: mine is the one the
	// newcomer enables by hand.
	if _, errs, code := cli(t, env, "mgr", "module", "disable", "mine"); code != 0 {
		t.Fatalf("disable mine before the tour: exit %d: %s", code, errs)
	}
	for _, args := range tour {
		out, errs, code := cli(t, env, args...)
		if code != 0 {
			t.Fatalf("README tour: gomgr %s: exit %d: %s%s", strings.Join(args, " "), code, errs, out)
		}
	}

	// "Enable it live", then ask it, then disable it.
	if len(later) != 3 {
		t.Fatalf("README: want enable, count and disable commands after the module, got %q", later)
	}
	if _, errs, code := cli(t, env, later[0]...); code != 0 {
		t.Fatalf("gomgr %s: exit %d: %s", strings.Join(later[0], " "), code, errs)
	}
	testutil.Eventually(t, 30*time.Second, "mine count above 0 (the demo fails an OSD every 2 s)", func() bool {
		out, _, code := cli(t, env, later[1]...)
		n, err := strconv.Atoi(strings.TrimSpace(out))
		return code == 0 && err == nil && n > 0
	})
	testutil.Eventually(t, 10*time.Second, "mine's info line in the demo's log", func() bool {
		return regexp.MustCompile(`msg="osd_map epoch \d+".*module=mine`).MatchString(demo.out.String())
	})
	if _, errs, code := cli(t, env, later[2]...); code != 0 {
		t.Fatalf("gomgr %s: exit %d: %s", strings.Join(later[2], " "), code, errs)
	}
	if !alive(demo.cmd.Process.Pid) {
		t.Fatal("the demo died during the tour")
	}

	// The unit tests of modules/ with mine beside the examples.
	goTest := exec.Command("go", "test", "-count=1", "./modules/")
	goTest.Dir = repo
	if out, err := goTest.CombinedOutput(); err != nil {
		t.Fatalf("go test ./modules/ with examples/modules/mine: %v\n%s", err, out)
	}
}

// readmeTour reads the tour's commands (each `$ bin/gomgr` line of its
// first code block, but -w, which runs until Ctrl-C: TestWatch has it),
// the module.py of the python block, and the `bin/gomgr` commands of the
// paragraph after it.
func readmeTour(t *testing.T, readme string) (tour [][]string, module string, later [][]string) {
	t.Helper()
	i := strings.Index(readme, "## A five-minute tour")
	if i < 0 {
		t.Fatal("README: no tour")
	}
	rest := readme[i:]
	block := regexp.MustCompile("(?s)```\n(.*?)```").FindStringSubmatch(rest)
	if block == nil {
		t.Fatal("README: no command block in the tour")
	}
	for _, line := range strings.Split(block[1], "\n") {
		line, ok := strings.CutPrefix(line, "$ bin/gomgr ")
		if !ok {
			continue
		}
		line, _, _ = strings.Cut(line, "#")
		if args := shellWords(line); len(args) > 0 && args[0] != "-w" {
			tour = append(tour, args)
		}
	}
	py := regexp.MustCompile("(?s)```python\n(# examples/modules/mine/module.py\n.*?)```\n(.*?)\n\n").FindStringSubmatch(rest)
	if py == nil {
		t.Fatal("README: no examples/modules/mine/module.py block")
	}
	for _, m := range regexp.MustCompile("`bin/gomgr ([^`]+)`").FindAllStringSubmatch(py[2], -1) {
		later = append(later, strings.Fields(m[1]))
	}
	if len(tour) < 5 {
		t.Fatalf("README: only %d tour commands: %q", len(tour), tour)
	}
	return tour, py[1], later
}

// copyTree copies the repository's files, without .git and bin, so that a
// test can add to it.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == ".git" || rel == "bin" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.Create(filepath.Join(to, rel))
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
	if err != nil {
		t.Fatalf("copy the repository: %v", err)
	}
}

// shellWords splits a command line as a shell does its words, with
// single and double quotes (no escapes, no expansions: the README needs
// none).
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
