package mon

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"gomgr/clustermap"
)

// optionsMon is a mon whose active mgr x (standby y) declares module
// "alerts" with an int, a bounded secs and an enum option.
func optionsMon(t *testing.T) *Mon {
	t.Helper()
	cfg := DefaultConfig()
	cfg.FSID = testFSID
	cfg.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
	m, err := Open(scenarioStart, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	mods := []clustermap.ModuleInfo{{Name: "alerts", CanRun: true, ModuleOptions: map[string]clustermap.ModuleOption{
		"threshold": {Name: "threshold", Type: "int"},
		"interval":  {Name: "interval", Type: "secs", Min: "10", Max: "3600"},
		"mode":      {Name: "mode", Type: "str", EnumAllowed: []string{"fast", "slow"}},
	}}}
	for _, b := range []Beacon{
		{GID: 24098, Name: "x", FSID: testFSID, AvailableModules: mods},
		{GID: 24099, Name: "y", FSID: testFSID, AvailableModules: mods},
		{GID: 24098, Name: "x", FSID: testFSID, Available: true, Addrs: clustermap.V1Addr("127.0.0.1:6804", 1), AvailableModules: mods},
	} {
		if _, err := m.Beacon(scenarioStart, b); err != nil {
			t.Fatal(err)
		}
	}
	if mm := m.mgr.Map(); mm.ActiveName != "x" || len(mm.Standbys) != 1 {
		t.Fatalf("mgrmap: active %q, %d standbys", mm.ActiveName, len(mm.Standbys))
	}
	return m
}

// TestConfigKeySetChecksDeclaredOptions: `config-key set` of a key that
// names a declared module option is checked as `config set` is (type,
// min, max, enum) and refused with Ceph's "error parsing value"; other
// mgr/ keys (module store data) stay free-form.
func TestConfigKeySetChecksDeclaredOptions(t *testing.T) {
	m := optionsMon(t)
	for _, tc := range []struct {
		key, val string
		inbuf    bool   // the value as -i FILE sends it
		want     string // "" accepted, else in the refusal
	}{
		{key: "mgr/alerts/threshold", val: "3"},
		{key: "mgr/alerts/threshold", val: "three", want: `"three" is not a valid int`},
		{key: "mgr/alerts/threshold", val: "three", inbuf: true, want: `"three" is not a valid int`},
		{key: "mgr/alerts/interval", val: "5m"},
		{key: "mgr/alerts/interval", val: "5", want: "below the minimum 10"},
		{key: "mgr/alerts/interval", val: "2h", want: "above the maximum 3600"},
		{key: "mgr/alerts/mode", val: "slow"},
		{key: "mgr/alerts/mode", val: "medium", want: "is not one of fast, slow"},
		// Localized to a mgr in the map: the option for that mgr.
		{key: "mgr/alerts/y/threshold", val: "7"},
		{key: "mgr/alerts/y/threshold", val: "x7", want: "not a valid int"},
		// Not an option: set_store data, an undeclared module, a deeper
		// store key whose last part happens to be an option's name.
		{key: "mgr/alerts/last_run", val: "anything"},
		{key: "mgr/other/threshold", val: "three"},
		{key: "mgr/alerts/history/threshold", val: "three"},
		{key: "plain", val: "three"},
	} {
		args := map[string]any{"prefix": "config-key set", "key": tc.key, "val": tc.val}
		var inbuf []byte
		if tc.inbuf {
			delete(args, "val")
			inbuf = []byte(tc.val)
		}
		before, had := m.keys[tc.key]
		r, _, err := m.HandleCommand(scenarioStart, args, inbuf)
		if err != nil {
			t.Fatal(err)
		}
		if tc.want == "" {
			if r.Retval != 0 || string(m.keys[tc.key]) != tc.val {
				t.Errorf("set %s %q = %+v, stored %q; want it accepted", tc.key, tc.val, r, m.keys[tc.key])
			}
			continue
		}
		if r.Retval != EINVAL || !strings.HasPrefix(r.Status, "error parsing value: ") || !strings.Contains(r.Status, tc.want) {
			t.Errorf("set %s %q = %d %q; want EINVAL with %q", tc.key, tc.val, r.Retval, r.Status, tc.want)
		}
		if after, has := m.keys[tc.key]; has != had || string(after) != string(before) {
			t.Errorf("set %s %q refused but stored %q", tc.key, tc.val, after)
		}
	}
}

// TestConfigSetCephWording: `config set` refuses a bad value as Ceph's
// ConfigMonitor does, "error parsing value: ...".
func TestConfigSetCephWording(t *testing.T) {
	m := optionsMon(t)
	r, _, err := m.HandleCommand(scenarioStart, map[string]any{"prefix": "config set", "who": "mgr", "name": "mgr/alerts/interval", "value": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Retval != EINVAL || r.Status != `error parsing value: option "interval": 1 is below the minimum 10` {
		t.Fatalf("config set = %d %q", r.Retval, r.Status)
	}
}

// TestPluginPinKeys: a Go plugin's pin (mgr/plugins/NAME/sha256) must be
// a SHA-256, and every change to it is in the cluster log.
func TestPluginPinKeys(t *testing.T) {
	m := optionsMon(t)
	sum := func(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }
	a, b := sum("v1"), sum("v2")
	run := func(args map[string]any) (CommandResult, []string) {
		t.Helper()
		r, e, err := m.HandleCommand(scenarioStart, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		for _, l := range e.Log {
			log = append(log, l.Priority+" "+l.Message)
		}
		return r, log
	}
	set := func(v string) (CommandResult, []string) {
		return run(map[string]any{"prefix": "config-key set", "key": "mgr/plugins/osdwatch/sha256", "val": v})
	}
	if r, _ := set("not-a-hash"); r.Retval != EINVAL || !strings.Contains(r.Status, "64 hex digits") {
		t.Fatalf("bad pin = %+v", r)
	}
	if r, _ := set(a[:62]); r.Retval != EINVAL {
		t.Fatalf("short pin = %+v", r)
	}
	for _, step := range []struct {
		r    func() (CommandResult, []string)
		want string // the log line, "" none
	}{
		{func() (CommandResult, []string) { return set(a) }, "[INF] Go plugin osdwatch pinned to sha256 " + a},
		{func() (CommandResult, []string) { return set(a) }, ""},
		{func() (CommandResult, []string) { return set(b) }, "[WRN] Go plugin osdwatch re-pinned: sha256 " + b + " replaces " + a},
		{func() (CommandResult, []string) {
			return run(map[string]any{"prefix": "config-key rm", "key": "mgr/plugins/osdwatch/sha256"})
		}, "[WRN] Go plugin osdwatch unpinned (was sha256 " + b + ")"},
		{func() (CommandResult, []string) {
			return run(map[string]any{"prefix": "config-key rm", "key": "mgr/plugins/osdwatch/sha256"})
		}, ""},
	} {
		r, log := step.r()
		if r.Retval != 0 {
			t.Fatalf("%+v", r)
		}
		got := ""
		for _, l := range log {
			if strings.Contains(l, "Go plugin") {
				got = l
			}
		}
		if (step.want == "") != (got == "") || !strings.HasPrefix(got, step.want) {
			t.Errorf("log %q, want %q", got, step.want)
		}
	}
	if _, ok := m.keys["mgr/plugins/osdwatch/sha256"]; ok {
		t.Fatal("pin not removed")
	}
}
