package modules

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gomgr/registry"
)

// checklistTarget is how many of the 40 everyday constructs of
// testdata/checklist/constructs.txt must work (issue #15).
const checklistTarget = 36

// checkCase is one section of constructs.txt: a module body that sets
// `result`, and either the JSON it must produce or the error it must fail
// with.
type checkCase struct {
	name, body, want, wantErr string
}

func loadChecklist(t testing.TB) []checkCase {
	t.Helper()
	b, err := os.ReadFile("testdata/checklist/constructs.txt")
	if err != nil {
		t.Fatal(err)
	}
	var cases []checkCase
	for _, sec := range strings.Split("\n"+string(b), "\n-- ")[1:] {
		head, body, _ := strings.Cut(sec, "\n")
		c := checkCase{name: strings.TrimSuffix(head, " --")}
		first, rest, _ := strings.Cut(body, "\n")
		switch {
		case strings.HasPrefix(first, "# want: "):
			c.want = strings.TrimPrefix(first, "# want: ")
		case strings.HasPrefix(first, "# error: "):
			c.wantErr = strings.TrimPrefix(first, "# error: ")
		default:
			t.Fatalf("checklist %s: first line must be '# want: ' or '# error: ', got %q", c.name, first)
		}
		c.body = rest
		cases = append(cases, c)
	}
	if len(cases) != 40 {
		t.Fatalf("checklist has %d constructs, want 40", len(cases))
	}
	return cases
}

// checklistModule wraps a body into a module that runs it at import and
// again inside notify(); the "result" command returns both JSON results.
func checklistModule(body string) string {
	indented := "        " + strings.ReplaceAll(strings.TrimRight(body, "\n"), "\n", "\n        ")
	return "import json\nfrom mgr_module import MgrModule\n" + body + "\n_AT_IMPORT = json.dumps(result)\n\n" +
		`class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    COMMANDS = [{"cmd": "result", "desc": "results", "perm": "r"}]

    def notify(self, notify_type, notify_id):
` + indented + `
        self._in_notify = json.dumps(result)

    def handle_command(self, inbuf, cmd):
        return 0, _AT_IMPORT + "\n" + self._in_notify, ""
`
}

// runChecklistCase opens, starts and notifies the module, then checks the
// outcome: nil when the construct behaves as the case says.
func runChecklistCase(t testing.TB, c checkCase, open func(name string) (registry.Module, error), h registry.Host) error {
	got, err := func() (string, error) {
		m, err := open(c.name)
		if err != nil {
			return "", fmt.Errorf("import: %w", err)
		}
		defer m.Stop(ctxT(t, 5*time.Second))
		if err := m.Start(ctxT(t, 10*time.Second), h); err != nil {
			return "", fmt.Errorf("start: %w", err)
		}
		if err := m.Notify(ctxT(t, 10*time.Second), []registry.Event{{Kind: "osd_map"}}); err != nil {
			return "", fmt.Errorf("notify: %w", err)
		}
		res, err := m.Command(ctxT(t, 10*time.Second), registry.Command{Args: map[string]any{"prefix": "result"}})
		if err != nil {
			return "", fmt.Errorf("command: %w", err)
		}
		return res.Stdout, nil
	}()
	if c.wantErr != "" {
		if err == nil {
			return fmt.Errorf("want an error containing %q, got %s", c.wantErr, got)
		}
		if !strings.Contains(err.Error(), c.wantErr) {
			return fmt.Errorf("want an error containing %q, got: %w", c.wantErr, err)
		}
		return nil
	}
	if err != nil {
		return err
	}
	var want any
	if err := json.Unmarshal([]byte(c.want), &want); err != nil {
		return fmt.Errorf("bad want %q: %w", c.want, err)
	}
	for i, line := range strings.SplitN(got, "\n", 2) {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			return fmt.Errorf("result %q: %w", line, err)
		}
		if !reflect.DeepEqual(v, want) {
			return fmt.Errorf("%s: got %s, want %s", []string{"at import", "in notify"}[i], line, c.want)
		}
	}
	return nil
}

// TestChecklist runs the 40 constructs in-process (the isolated run is
// TestChecklistIsolated in modules/isolate/internal/pycheck).
func TestChecklist(t *testing.T) {
	cases := loadChecklist(t)
	dir := t.TempDir()
	for _, c := range cases {
		writeModule(t, dir, c.name, checklistModule(c.body))
	}
	src := NewSource(Config{Dirs: []string{dir}})
	open := func(name string) (registry.Module, error) { return src.Open(ctxT(t, 10*time.Second), name) }
	works, refused := 0, 0
	for _, c := range cases {
		err := runChecklistCase(t, c, open, newFakeHost(c.name, nil))
		switch {
		case err != nil && c.wantErr != "":
			t.Errorf("%s: not refused as documented: %v", c.name, err)
		case err != nil:
			t.Logf("%s: FAILS: %v", c.name, err)
		case c.wantErr != "":
			refused++
		default:
			works++
		}
	}
	t.Logf("checklist: %d/40 constructs work in-process (%d more refused with a clear error)", works, refused)
	if works < checklistTarget {
		t.Errorf("checklist: %d/40 work, want at least %d", works, checklistTarget)
	}
}
