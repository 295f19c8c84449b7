package pycheck

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules/isolate"
	"gomgr/registry"
)

// TestChecklistIsolated runs modules/testdata/checklist/constructs.txt
// (see TestChecklist in package modules) with each module in a child
// process: at import and inside notify().
func TestChecklistIsolated(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "checklist", "constructs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type tc struct{ name, want, wantErr string }
	var cases []tc
	for _, sec := range strings.Split("\n"+string(b), "\n-- ")[1:] {
		head, body, _ := strings.Cut(sec, "\n")
		first, rest, _ := strings.Cut(body, "\n")
		c := tc{name: strings.TrimSuffix(head, " --")}
		if w, ok := strings.CutPrefix(first, "# want: "); ok {
			c.want = w
		} else {
			c.wantErr = strings.TrimPrefix(first, "# error: ")
		}
		indented := "        " + strings.ReplaceAll(strings.TrimRight(rest, "\n"), "\n", "\n        ")
		src := "import json\nfrom mgr_module import MgrModule\n" + rest + "\n_AT_IMPORT = json.dumps(result)\n\n" +
			"class Module(MgrModule):\n    NOTIFY_TYPES = [\"osd_map\"]\n    COMMANDS = [{\"cmd\": \"result\", \"desc\": \"results\", \"perm\": \"r\"}]\n\n" +
			"    def notify(self, notify_type, notify_id):\n" + indented + "\n        self._in_notify = json.dumps(result)\n\n" +
			"    def handle_command(self, inbuf, cmd):\n        return 0, _AT_IMPORT + \"\\n\" + self._in_notify, \"\"\n"
		if err := os.MkdirAll(filepath.Join(dir, c.name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.name, "module.py"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	if len(cases) != 40 {
		t.Fatalf("checklist has %d constructs, want 40", len(cases))
	}
	l := logrus.New()
	l.SetOutput(io.Discard)
	s := isolate.NewSource(pySource([]string{dir}), isolate.Config{Logger: l, Env: []string{envDirs + "=" + dir, "GORACE=atexit_sleep_ms=0"}})
	run := func(c tc) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		m, err := s.Open(ctx, c.name)
		if err != nil {
			return "", err
		}
		defer m.Stop(ctx)
		if err := m.Start(ctx, newHost(1)); err != nil {
			return "", err
		}
		if err := m.Notify(ctx, []registry.Event{{Kind: "osd_map"}}); err != nil {
			return "", err
		}
		res, err := m.Command(ctx, registry.Command{Args: map[string]any{"prefix": "result"}})
		return res.Stdout, err
	}
	works, refused := 0, 0
	for _, c := range cases {
		out, err := run(c)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), "docs/python-modules.md") {
				t.Errorf("%s: not refused as documented: %v", c.name, err)
			} else {
				refused++
			}
			continue
		}
		if err != nil {
			t.Logf("%s: FAILS: %v", c.name, err)
			continue
		}
		var want any
		if err := json.Unmarshal([]byte(c.want), &want); err != nil {
			t.Fatalf("%s: bad want: %v", c.name, err)
		}
		ok := true
		for _, line := range strings.SplitN(out, "\n", 2) {
			var v any
			if err := json.Unmarshal([]byte(line), &v); err != nil || !reflect.DeepEqual(v, want) {
				ok = false
			}
		}
		if ok {
			works++
		} else {
			t.Logf("%s: FAILS: got %q, want %s", c.name, out, c.want)
		}
	}
	t.Logf("checklist: %d/40 constructs work isolated (%d more refused with a clear error)", works, refused)
	if works < 36 {
		t.Errorf("checklist: %d/40 work isolated, want at least 36", works)
	}
}
