package modules

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gomgr/internal/testutil"
	"gomgr/registry"
)

const declSrc = `
from mgr_module import MgrModule, Option
__version__ = "1.2"

class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map", "mon_map"]
    MODULE_OPTIONS = [
        Option(name="threshold", type="int", default=3, min=0, max=100, desc="how many"),
        {"name": "mode", "type": "str", "default": "fast", "enum_allowed": ["fast", "slow"]},
        Option("ratio", type="float", default=0.5),
    ]
    COMMANDS = [
        {"cmd": "decl show name=what,type=CephString,req=false", "desc": "show", "perm": "r"},
        {"cmd": "decl set", "desc": "set"},
    ]
`

func TestOpenInfo(t *testing.T) {
	m, err := openSrc(t, "decl", declSrc)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Info()
	want := registry.Info{
		Name: "decl", Kind: "python", Version: "1.2",
		NotifyTypes: []string{"osd_map", "mon_map"},
		Options: []registry.Option{
			{Name: "threshold", Type: "int", Default: int64(3), Min: int64(0), Max: int64(100), Desc: "how many"},
			{Name: "mode", Type: "str", Default: "fast", Enum: []string{"fast", "slow"}},
			{Name: "ratio", Type: "float", Default: 0.5},
		},
		Commands: []registry.CommandDesc{
			{Cmd: "decl show name=what,type=CephString,req=false", Desc: "show", Perm: "r"},
			{Cmd: "decl set", Desc: "set", Perm: "r"},
		},
		CanRun: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Info:\n got %+v\nwant %+v", got, want)
	}
}

func TestCanRun(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		ok     bool
		reason string
	}{
		{"default", "    pass", true, ""},
		{"staticmethod", "    @staticmethod\n    def can_run():\n        return False, \"no lib\"", false, "no lib"},
		{"classmethod", "    @classmethod\n    def can_run(cls):\n        return True, \"\"", true, ""},
		{"attribute", "    CAN_RUN = (False, \"disabled by attribute\")", false, "disabled by attribute"},
		{"bool_attribute", "    CAN_RUN = False", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := openSrc(t, "cr", "from mgr_module import MgrModule\nclass Module(MgrModule):\n"+tc.body+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if i := m.Info(); i.CanRun != tc.ok || i.CanRunError != tc.reason {
				t.Fatalf("CanRun=%v %q, want %v %q", i.CanRun, i.CanRunError, tc.ok, tc.reason)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string
	}{
		{"syntax", "x = (\n", []string{"SyntaxError", "line "}},
		{"no_class", "x = 1\n", []string{ErrNoClass.Error()}},
		{"raise_at_import", "from mgr_module import MgrModule\n\ndef f():\n    raise RuntimeError('at import')\nf()\n", []string{"line 5, in <module>", "line 4, in f", "raise RuntimeError('at import')", "RuntimeError: at import"}},
		{"bad_option", "from mgr_module import MgrModule, Option\nclass Module(MgrModule):\n    MODULE_OPTIONS = [Option('x', type='complex')]\n", []string{"unknown type \"complex\""}},
		{"bad_command", "from mgr_module import MgrModule\nclass Module(MgrModule):\n    COMMANDS = ['nope']\n", []string{"COMMANDS[0] must be a dict"}},
		{"can_run_raises", "from mgr_module import MgrModule\nclass Module(MgrModule):\n    @staticmethod\n    def can_run():\n        return {}['x']\n", []string{"can_run()", "KeyError"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openSrc(t, "bad", tc.src)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestScan(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	writeModule(t, d1, "b", moduleFooter)
	writeModule(t, d2, "a", moduleFooter)
	writeModule(t, d2, "b", "syntax error here")
	writeModule(t, d2, "_hidden", moduleFooter)
	s := NewSource(Config{Dirs: []string{d1, d2, "/nonexistent"}})
	names, err := s.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("Scan = %v", names)
	}
	// d1's b shadows d2's broken b.
	m, err := s.Open(ctxT(t, 5*time.Second), "b")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop(ctxT(t, 5*time.Second))
	for _, bad := range []string{"../a", "zz", ""} {
		if _, err := s.Open(ctxT(t, 5*time.Second), bad); !errors.Is(err, ErrNoModule) {
			t.Errorf("Open(%q) = %v, want ErrNoModule", bad, err)
		}
	}
	if s.Kind() != "python" {
		t.Errorf("Kind = %q", s.Kind())
	}
}

const apiSrc = `
from mgr_module import MgrModule, Option, HEALTH_WARN, HandleCommandResult
import json

class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    MODULE_OPTIONS = [Option("limit", type="int", default=5, min=1, max=10)]
    COMMANDS = [{"cmd": "api", "desc": "", "perm": "rw"}]

    def __init__(self):
        self.seen = []
        self.configs = 0
        self.prev = None

    def config_notify(self):
        self.configs += 1

    def notify(self, notify_type, notify_id):
        m = self.get("osd_map")
        # get() shares one converted object per version: a mark set on it
        # is still there on the next call until the version changes.
        self.seen.append([notify_type, notify_id, m["epoch"], "mark" in m])
        m["mark"] = True
        self.log.info("osd_map epoch %d", m["epoch"])

    def handle_command(self, inbuf, cmd):
        what = cmd["what"]
        if what == "seen":
            return 0, json.dumps(self.seen), ""
        if what == "get_missing":
            return 0, json.dumps(self.get("nothing")), ""
        if what == "opt":
            return 0, json.dumps([self.get_module_option("limit"), self.get_module_option("undeclared", "dflt")]), ""
        if what == "setopt":
            self.set_module_option("limit", cmd["val"])
            return 0, json.dumps([self.get_module_option("limit"), self.configs]), ""
        if what == "store":
            self.set_store("k1", "v1")
            self.set_store("k2", "v2")
            self.set_store("k2", None)
            return 0, json.dumps([self.get_store("k1"), self.get_store("k2", "gone"), self.get_store_prefix("k")]), ""
        if what == "health":
            self.set_health_checks({"API_CHECK": {"severity": "warning", "summary": "s", "count": 2, "detail": ["a", "b"]}})
            return 0, "", ""
        if what == "daemons":
            return 0, json.dumps([self.get_mgr_id(), self.list_servers(), self.get_server("h1"), self.get_server("nope"),
                self.get_metadata("osd", "0"), self.get_metadata("osd", "9"),
                self.get_counter("osd", "0", "osd.op_r"), self.get_latest("osd", "0", "osd.op_r"), self.get_latest("osd", "0", "none"),
                self.get_perf_schema("osd", "0")]), ""
        if what == "hcr":
            return HandleCommandResult(stdout="via HandleCommandResult")
        return -22, "", "unknown " + what
`

func TestHostAPI(t *testing.T) {
	m, h := startSrc(t, "api", apiSrc)
	h.set("osd_map", 1, map[string]any{"epoch": int64(10)})
	ctx := ctxT(t, 10*time.Second)
	ev := func(id string) registry.Event { return registry.Event{Kind: "osd_map", ID: id} }
	if err := m.Notify(ctx, []registry.Event{ev("a"), ev("b")}); err != nil {
		t.Fatal(err)
	}
	h.set("osd_map", 2, map[string]any{"epoch": int64(11)})
	if err := m.Notify(ctx, []registry.Event{ev("c")}); err != nil {
		t.Fatal(err)
	}
	cmd := func(what string, extra ...any) string {
		args := map[string]any{"prefix": "api", "what": what}
		for i := 0; i+1 < len(extra); i += 2 {
			args[extra[i].(string)] = extra[i+1]
		}
		r := command(t, m, args)
		if r.Retval != 0 {
			t.Fatalf("%s: retval %d stderr %q", what, r.Retval, r.Stderr)
		}
		return r.Stdout
	}
	// Same version: the same converted object (is); new version: a new one.
	if got, want := cmd("seen"), `[["osd_map", "a", 10, false], ["osd_map", "b", 10, true], ["osd_map", "c", 11, false]]`; got != want {
		t.Errorf("seen = %s, want %s", got, want)
	}
	if got := cmd("get_missing"); got != "null" {
		t.Errorf("get(unknown) = %s", got)
	}
	if got := cmd("opt"); got != `[5, "dflt"]` {
		t.Errorf("options = %s", got)
	}
	if got := cmd("setopt", "val", int64(7)); got != `[7, 1]` {
		t.Errorf("set option = %s", got)
	}
	if h.store["mgr/api/limit"] != "7" {
		t.Errorf("store = %v", h.store)
	}
	// Out of range: ValueError in Python, the command fails with a traceback.
	r, err := m.Command(ctx, registry.Command{Args: map[string]any{"what": "setopt", "val": int64(99)}})
	if !errors.Is(err, ErrPython) || !strings.Contains(err.Error(), "ValueError") || r.Retval != eio || !strings.Contains(r.Stderr, "module.py\", line") {
		t.Errorf("bad option: %+v %v", r, err)
	}
	if got := cmd("store"); got != `["v1", "gone", {"k1": "v1"}]` {
		t.Errorf("store = %s", got)
	}
	cmd("health")
	want := map[string]registry.HealthCheck{"API_CHECK": {Severity: "warning", Summary: "s", Count: 2, Detail: []string{"a", "b"}}}
	if got := h.healthChecks(); !reflect.DeepEqual(got, want) {
		t.Errorf("health = %+v", got)
	}
	h.servers = []registry.Server{{Hostname: "h1", Services: []registry.ServiceRef{{Type: "osd", ID: "0"}}, CephVer: "16.2"}}
	h.meta["osd.0"] = map[string]string{"hostname": "h1"}
	h.samples["osd.0/osd.op_r"] = []registry.Sample{{T: 1, V: 5}, {T: 2, V: 7.5}}
	h.schema = map[string]registry.PerfCounter{"osd.op_r": {Type: 10, Description: "reads", Nick: "rd", Priority: 5, Units: 1}}
	got := cmd("daemons")
	wantD := `["x", [{"ceph_version": "16.2", "hostname": "h1", "services": [{"id": "0", "type": "osd"}]}], ` +
		`{"ceph_version": "16.2", "hostname": "h1", "services": [{"id": "0", "type": "osd"}]}, null, ` +
		`{"hostname": "h1"}, null, {"osd.op_r": [[1.0, 5], [2.0, 7.5]]}, 7.5, 0, ` +
		`{"osd.0": {"osd.op_r": {"description": "reads", "nick": "rd", "priority": 5, "type": 10, "units": 1}}}]`
	if got != wantD {
		t.Errorf("daemons:\n got %s\nwant %s", got, wantD)
	}
	if r := command(t, m, map[string]any{"what": "hcr"}); r.Retval != 0 || r.Stdout != "via HandleCommandResult" {
		t.Errorf("HandleCommandResult: %+v", r)
	}
	if r := command(t, m, map[string]any{"what": "nope"}); r.Retval != -22 || r.Stderr != "unknown nope" {
		t.Errorf("unknown: %+v", r)
	}
	if logs := h.logLines(); !slices.Contains(logs, "info: osd_map epoch 11") {
		t.Errorf("logs = %v", logs)
	}
}

const serveSrc = `
from mgr_module import MgrModule
import threading
import time

class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    COMMANDS = [{"cmd": "serve state", "desc": "", "perm": "r"}]

    def __init__(self):
        self.run = True
        self.event = threading.Event()
        self.loops = 0
        self.notified = 0
        self.slept = 0
        self.shutdowns = 0

    def serve(self):
        while self.run:
            self.loops += 1
            time.sleep(0.001)
            self.slept += 1
            self.event.wait(60)
            self.event.clear()
        self.log.info("serve done")

    def notify(self, notify_type, notify_id):
        self.notified += 1
        self.event.set()

    def shutdown(self):
        self.shutdowns += 1
        self.run = False
        self.event.set()

    def handle_command(self, inbuf, cmd):
        return 0, "%d %d %d" % (self.loops, self.notified, self.slept), ""
`

// TestServeCooperative: notify and commands run while serve() waits, on
// the module's one goroutine; notify wakes serve through the Event; Stop
// calls shutdown() and serve() returns.
func TestServeCooperative(t *testing.T) {
	m, h := startSrc(t, "serve", serveSrc)
	ctx := ctxT(t, 10*time.Second)
	for i := 1; i <= 3; i++ {
		if err := m.Notify(ctx, []registry.Event{{Kind: "osd_map", ID: ""}}); err != nil {
			t.Fatal(err)
		}
		// Each notify sets the event; serve wakes and goes round again.
		want := i + 1
		testutil.Eventually(t, 5*time.Second, "serve loop", func() bool {
			var loops, n, s int
			r := command(t, m, nil)
			_, _ = fmtSscan(r.Stdout, &loops, &n, &s)
			return loops >= want && n == i
		})
	}
	start := time.Now()
	if err := m.Stop(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Stop took %v", d)
	}
	if !slices.Contains(h.logLines(), "info: serve done") {
		t.Errorf("serve did not finish: %v", h.logLines())
	}
	if err := m.Failed(); err != nil {
		t.Errorf("Failed = %v", err)
	}
	if err := m.Notify(ctx, nil); !errors.Is(err, ErrStopped) {
		t.Errorf("Notify after Stop = %v", err)
	}
}

// TestServeIgnoresShutdown: a serve() loop that ignores shutdown() is
// ended by SystemExit raised from its next wait.
func TestServeIgnoresShutdown(t *testing.T) {
	m, _ := startSrc(t, "stubborn", `
from mgr_module import MgrModule
import time
class Module(MgrModule):
    def serve(self):
        while True:
            time.sleep(0.01)
`)
	if err := m.Stop(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := m.Failed(); err != nil {
		t.Errorf("Failed = %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	m, err := openSrc(t, "initfail", `
from mgr_module import MgrModule
class Module(MgrModule):
    def __init__(self):
        raise RuntimeError("no init")
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Notify(context.Background(), nil); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Notify before Start = %v", err)
	}
	err = m.Start(ctxT(t, 5*time.Second), newFakeHost("initfail", nil))
	if !errors.Is(err, ErrPython) || !strings.Contains(err.Error(), "RuntimeError: no init") {
		t.Fatalf("Start = %v", err)
	}
	if m.Failed() == nil {
		t.Error("Failed() nil after Start failed")
	}
}

// TestHostCallsBeforeStart: the API needs the host; at import time it
// raises a clear error instead of crashing.
func TestHostCallsBeforeStart(t *testing.T) {
	_, err := openSrc(t, "early", `
from mgr_module import MgrModule
class Module(MgrModule):
    pass
Module().get("osd_map")
`)
	if err == nil || !strings.Contains(err.Error(), "not available before the module is started") {
		t.Fatalf("err = %v", err)
	}
}

// TestBadValues: wrong shapes from a module come back as clear errors.
func TestBadValues(t *testing.T) {
	m, h := startSrc(t, "badvals", `
from mgr_module import MgrModule
class Module(MgrModule):
    def handle_command(self, inbuf, cmd):
        w = cmd["w"]
        if w == "sev":
            self.set_health_checks({"X": {"severity": "HEALTH_WARN", "summary": "ok"}})
        if w == "badsev":
            self.set_health_checks({"X": {"severity": "fatal", "summary": "s"}})
        if w == "notdict":
            self.set_health_checks(["X"])
        if w == "store":
            self.set_store("k", 1)
        if w == "ret":
            return "0", "", ""
        if w == "short":
            return 0, ""
        if w == "inbuf":
            return 0, inbuf, ""
        return 0, None, None
`)
	cases := []struct {
		w, inbuf, want string
	}{
		{"badsev", "", "ValueError: health check \"X\": severity must be 'warning' or 'error'"},
		{"notdict", "", "TypeError: set_health_checks() takes a dict"},
		{"store", "", "TypeError: set_store() value must be str or None"},
		{"ret", "", "retval must be int"},
		{"short", "", "must return (retval, stdout, stderr)"},
	}
	for _, tc := range cases {
		_, err := m.Command(ctxT(t, 5*time.Second), registry.Command{Args: map[string]any{"w": tc.w}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.w, err, tc.want)
		}
	}
	command(t, m, map[string]any{"w": "sev"})
	if hc := h.healthChecks(); hc["X"].Severity != "warning" || hc["X"].Detail == nil {
		t.Errorf("HEALTH_WARN severity: %+v", hc)
	}
	if r := command(t, m, map[string]any{"w": "none"}); r != (registry.CommandResult{}) {
		t.Errorf("None outputs: %+v", r)
	}
	r, err := m.Command(ctxT(t, 5*time.Second), registry.Command{Args: map[string]any{"w": "inbuf"}, Inbuf: "input\n"})
	if err != nil || r.Stdout != "input\n" {
		t.Errorf("inbuf: %+v %v", r, err)
	}
}
