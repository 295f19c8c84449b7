package mon

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomgr/clustermap"
)

func epochs(m *Mon) [5]uint64 {
	s := m.Snapshot()
	return [5]uint64{s.MgrMap.Epoch, s.OSDMap.Epoch, s.MonMap.Epoch, s.FSMap.Epoch, s.ServiceMap.Epoch}
}

// TestCommandErrors: malformed or failing commands return a clear error,
// the right errno, and change nothing.
func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   map[string]any
		retval int
		status string
	}{
		{"no prefix", map[string]any{}, EINVAL, "no prefix"},
		{"prefix not a string", map[string]any{"prefix": 7}, EINVAL, "no prefix"},
		{"empty prefix", map[string]any{"prefix": ""}, EINVAL, "no prefix"},
		{"unknown command", map[string]any{"prefix": "osd frobnicate"}, EINVAL, "unrecognized command 'osd frobnicate'"},
		{"bad format", map[string]any{"prefix": "status", "format": "xml"}, EINVAL, "unsupported format"},
		{"format not a string", map[string]any{"prefix": "status", "format": 1}, EINVAL, "format"},
		{"dump of an old epoch", map[string]any{"prefix": "mgr dump", "epoch": 1}, ENOENT, "there is no map for epoch 1"},
		{"dump epoch not int", map[string]any{"prefix": "osd dump", "epoch": "x"}, EINVAL, "must be an integer"},
		{"dump negative epoch", map[string]any{"prefix": "osd dump", "epoch": -1}, ENOENT, "no map for epoch -1"},
		{"pool create no name", map[string]any{"prefix": "osd pool create"}, EINVAL, "missing required argument \"pool\""},
		{"pool create bad pg_num", map[string]any{"prefix": "osd pool create", "pool": "p", "pg_num": "many"}, EINVAL, "must be an integer"},
		{"pool create huge pg_num", map[string]any{"prefix": "osd pool create", "pool": "p", "pg_num": 1e15}, ERANGE, "must be within"},
		{"pool create NaN-ish pg_num", map[string]any{"prefix": "osd pool create", "pool": "p", "pg_num": 1e300}, EINVAL, "must be an integer"},
		{"pool name with slash", map[string]any{"prefix": "osd pool create", "pool": "a/b"}, EINVAL, "invalid pool name"},
		{"osd down unknown", map[string]any{"prefix": "osd down", "ids": []any{"3"}}, ENOENT, "osd.3 does not exist"},
		{"osd down bad id", map[string]any{"prefix": "osd down", "ids": []any{map[string]any{}}}, EINVAL, "invalid osd id"},
		{"osd down negative", map[string]any{"prefix": "osd down", "ids": []any{"-1"}}, EINVAL, "invalid osd id"},
		{"osd in no ids", map[string]any{"prefix": "osd in", "ids": []any{}}, EINVAL, "no osd ids"},
		{"osd set unknown flag", map[string]any{"prefix": "osd set", "key": "nosuch"}, EINVAL, "unrecognized flag"},
		{"osd set no key", map[string]any{"prefix": "osd set"}, EINVAL, "missing required argument"},
		{"mgr fail who not string", map[string]any{"prefix": "mgr fail", "who": true}, EINVAL, "must be a string"},
		{"module enable no module", map[string]any{"prefix": "mgr module enable"}, EINVAL, "module name is required"},
		{"module enable unsupported", map[string]any{"prefix": "mgr module enable", "module": "nosuch"}, ENOENT, "pass --force"},
		{"module disable always-on", map[string]any{"prefix": "mgr module disable", "module": "status"}, EINVAL, "cannot be disabled (always-on)"},
		{"module force not bool", map[string]any{"prefix": "mgr module enable", "module": "x", "force": 3}, EINVAL, "must be a boolean"},
		{"mgr metadata unknown", map[string]any{"prefix": "mgr metadata", "who": "nosuch"}, ENOENT, "mgr.nosuch does not exist"},
		{"config-key get missing", map[string]any{"prefix": "config-key get", "key": "nope"}, ENOENT, "error obtaining 'nope': (2) No such file or directory"},
		{"config-key get no key", map[string]any{"prefix": "config-key get"}, EINVAL, "missing required argument \"key\""},
		{"config-key set no key", map[string]any{"prefix": "config-key set", "val": "v"}, EINVAL, "missing required argument"},
		{"config-key set val not string", map[string]any{"prefix": "config-key set", "key": "k", "val": 5}, EINVAL, "must be a string"},
		{"config-key exists missing", map[string]any{"prefix": "config-key exists", "key": "nope"}, ENOENT, "key 'nope' doesn't exist"},
		{"config-key unknown verb", map[string]any{"prefix": "config-key frob"}, EINVAL, "unrecognized command"},
		{"log last negative", map[string]any{"prefix": "log last", "num": -3}, EINVAL, "num must be >= 0"},
		{"log no text", map[string]any{"prefix": "log"}, EINVAL, "missing required argument \"logtext\""},
		{"log text not strings", map[string]any{"prefix": "log", "logtext": []any{1}}, EINVAL, "logtext must be strings"},
		{"osd metadata unknown", map[string]any{"prefix": "osd metadata", "id": 9}, ENOENT, "osd.9 does not exist"},
		{"osd metadata bad id", map[string]any{"prefix": "osd metadata", "id": "x"}, EINVAL, "must be an integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := busyMon(t)
			before := epochs(m)
			keys := len(m.keys)
			r, e, err := m.HandleCommand(scenarioStart, tc.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Retval != tc.retval || !strings.Contains(r.Status, tc.status) {
				t.Fatalf("got (%d, %q), want (%d, ...%q...)", r.Retval, r.Status, tc.retval, tc.status)
			}
			if e.MgrMap != nil || e.OSDMap != nil || epochs(m) != before || len(m.keys) != keys {
				t.Fatalf("state changed: %v -> %v", before, epochs(m))
			}
		})
	}
}

func TestCommandJSONParse(t *testing.T) {
	m := busyMon(t)
	for _, in := range []string{"", "{", "[]", "null", `{"prefix":"status"} {}`, `"status"`} {
		r, _, err := m.HandleCommandJSON(scenarioStart, []byte(in), nil)
		if err != nil || r.Retval != EINVAL {
			t.Errorf("%q: got %+v, %v", in, r, err)
		}
	}
	r, _, err := m.HandleCommandJSON(scenarioStart, []byte(`{"prefix":"mgr stat","format":"json"}`), nil)
	if err != nil || r.Retval != 0 || !strings.Contains(string(r.Out), `"active_name":"x"`) {
		t.Fatalf("%+v %v", r, err)
	}
}

// TestCommandOutputs checks what the read commands print.
func TestCommandOutputs(t *testing.T) {
	m := busyMon(t)
	run := func(args map[string]any, inbuf string) CommandResult {
		t.Helper()
		r, _, err := m.HandleCommand(scenarioStart, args, []byte(inbuf))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		args   map[string]any
		inbuf  string
		retval int
		out    string // substring of Out
		status string // substring of Status
	}{
		{map[string]any{"prefix": "health", "format": "json"}, "", 0, `"OSD_DOWN":{"severity":"HEALTH_WARN","summary":{"message":"1 osds down","count":1},"muted":false}`, ""},
		{map[string]any{"prefix": "health", "detail": "detail", "format": "json"}, "", 0, `"detail":[{"message":"osd.1 is down"}]`, ""},
		{map[string]any{"prefix": "health detail"}, "", 0, "HEALTH_WARN 1 osds down; 2 pool(s) have no replicas configured\n[WRN] OSD_DOWN: 1 osds down\n    osd.1 is down\n", ""},
		{map[string]any{"prefix": "status"}, "", 0, "mgr: x(active), standbys: y", ""},
		{map[string]any{"prefix": "status", "format": "json"}, "", 0, `"num_up_osds":1`, ""},
		{map[string]any{"prefix": "mgr dump", "format": "json"}, "", 0, `"active_addr":"127.0.0.1:6804/30045"`, ""},
		{map[string]any{"prefix": "mgr dump", "format": "json", "epoch": 4}, "", 0, `"epoch":4`, ""},
		{map[string]any{"prefix": "mon dump", "format": "json"}, "", 0, `"addr":"127.0.0.1:6789/0"`, ""},
		{map[string]any{"prefix": "osd dump", "format": "json"}, "", 0, `"pool_name":"p1"`, ""},
		{map[string]any{"prefix": "fs dump", "format": "json"}, "", 0, `"default_fscid":-1`, ""},
		{map[string]any{"prefix": "service dump", "format": "json"}, "", 0, `"services":{}`, ""},
		{map[string]any{"prefix": "mgr module ls", "format": "json"}, "", 0, `"always_on_modules":["balancer","status"],"enabled_modules":[],"disabled_modules":[{"name":"alerts"`, ""},
		{map[string]any{"prefix": "mgr module ls"}, "", 0, "balancer  on (always on)", ""},
		{map[string]any{"prefix": "mgr metadata", "who": "x", "format": "json"}, "", 0, `"name":"x"`, ""},
		{map[string]any{"prefix": "osd pool ls", "format": "json"}, "", 0, `["device_health_metrics","p1"]`, ""},
		{map[string]any{"prefix": "osd metadata", "id": 0, "format": "json"}, "", 0, `{"hostname":"h0","id":0}`, ""},
		{map[string]any{"prefix": "osd metadata", "format": "json"}, "", 0, `[{"hostname":"h0","id":0},{"hostname":"h1","id":1}]`, ""},
		{map[string]any{"prefix": "config-key set", "key": "mgr/alerts/k", "val": "v1"}, "", 0, "", "set mgr/alerts/k"},
		{map[string]any{"prefix": "config-key get", "key": "mgr/alerts/k"}, "", 0, "v1", ""},
		{map[string]any{"prefix": "config-key set", "key": "mgr/alerts/bin"}, "\x00\xffraw", 0, "", "set mgr/alerts/bin"},
		{map[string]any{"prefix": "config-key get", "key": "mgr/alerts/bin"}, "", 0, "\x00\xffraw", ""},
		{map[string]any{"prefix": "config-key exists", "key": "mgr/alerts/k"}, "", 0, "", "key 'mgr/alerts/k' exists"},
		{map[string]any{"prefix": "config-key ls", "format": "json"}, "", 0, `["mgr/alerts/bin","mgr/alerts/k"]`, ""},
		{map[string]any{"prefix": "config-key dump", "key": "mgr/alerts/k", "format": "json"}, "", 0, `{"mgr/alerts/k":"v1"}`, ""},
		{map[string]any{"prefix": "config-key rm", "key": "mgr/alerts/k"}, "", 0, "", "key deleted"},
		{map[string]any{"prefix": "config-key exists", "key": "mgr/alerts/k"}, "", ENOENT, "", "doesn't exist"},
		{map[string]any{"prefix": "log", "logtext": []any{"hello", "world"}}, "", 0, "", ""},
		{map[string]any{"prefix": "log last", "num": 1, "format": "json"}, "", 0, `"name":"client.admin","rank":"client.admin","addrs":{"addrvec":[]}`, ""},
		{map[string]any{"prefix": "log last", "num": 1, "format": "json"}, "", 0, `"priority":"[INF]","message":"hello world"`, ""},
		{map[string]any{"prefix": "log last", "num": 1}, "", 0, " client.admin (client.admin) ", ""},
		{map[string]any{"prefix": "log last", "num": 1}, "", 0, " : cluster [INF] hello world\n", ""},
		{map[string]any{"prefix": "mon_status", "format": "json"}, "", 0, `"state":"leader"`, ""},
	}
	for _, tc := range tests {
		r := run(tc.args, tc.inbuf)
		if r.Retval != tc.retval || !strings.Contains(string(r.Out), tc.out) || !strings.Contains(r.Status, tc.status) {
			t.Errorf("%v: got (%d, %q, %q), want (%d, ...%q..., ...%q...)", tc.args, r.Retval, r.Out, r.Status, tc.retval, tc.out, tc.status)
		}
	}
	big := strings.Repeat("x", MaxConfigKeySize+1)
	if r := run(map[string]any{"prefix": "config-key set", "key": "big"}, big); r.Retval != EFBIG {
		t.Errorf("oversized value: %+v", r.Retval)
	}
}

// TestPublishedMapsAreImmutable: a map handed out stays as it was while
// the mon moves on (copy on write).
func TestPublishedMapsAreImmutable(t *testing.T) {
	m := busyMon(t)
	s := m.Snapshot()
	before := map[string]string{}
	for name, v := range map[string]any{"mgr": s.MgrMap, "osd": s.OSDMap, "mon": s.MonMap, "svc": s.ServiceMap} {
		b, _ := json.Marshal(v)
		before[name] = string(b)
	}
	now := scenarioStart
	steps := []func() error{
		func() error {
			_, err := m.Beacon(now, Beacon{GID: 24098, Name: "x", FSID: testFSID, Available: true, Services: map[string]string{"d": "u"}})
			return err
		},
		func() error { _, err := m.Beacon(now, Beacon{GID: 30000, Name: "z", FSID: testFSID}); return err },
		func() error {
			_, err := m.OSDBoot(now, OSDBoot{ID: 1, UUID: "b44b5d11-4e3f-49f8-84b3-a8ae35c99261", PublicAddrs: clustermap.V1Addr("h:1", 9)})
			return err
		},
		func() error { _, err := m.SetServices(now, map[string]any{"rgw": map[string]any{}}); return err },
		func() error {
			_, _, err := m.HandleCommand(now, map[string]any{"prefix": "mgr module enable", "module": "alerts"}, nil)
			return err
		},
		func() error {
			_, _, err := m.HandleCommand(now, map[string]any{"prefix": "osd out", "ids": []any{"0"}}, nil)
			return err
		},
		func() error {
			_, _, err := m.HandleCommand(now, map[string]any{"prefix": "osd pool create", "pool": "p9"}, nil)
			return err
		},
		func() error { _, err := m.Tick(now.Add(time.Minute)); return err },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]any{"mgr": s.MgrMap, "osd": s.OSDMap, "mon": s.MonMap, "svc": s.ServiceMap} {
		b, _ := json.Marshal(v)
		if string(b) != before[name] {
			t.Errorf("%s map changed after publication", name)
		}
	}
	after := m.Snapshot()
	if after.MgrMap.Epoch <= s.MgrMap.Epoch || after.OSDMap.Epoch <= s.OSDMap.Epoch || after.ServiceMap.Epoch <= s.ServiceMap.Epoch {
		t.Errorf("epochs did not advance: %d %d %d", after.MgrMap.Epoch, after.OSDMap.Epoch, after.ServiceMap.Epoch)
	}
}

// TestSnapshotsSharedAcrossGoroutines: readers on other goroutines use
// published maps while the owner goroutine keeps changing the mon (run
// with -race: copy on write means no data race).
func TestSnapshotsSharedAcrossGoroutines(t *testing.T) {
	m := busyMon(t)
	snaps := make(chan Snapshot, 16)
	done := make(chan error)
	go func() {
		var err error
		for s := range snaps {
			for _, v := range []any{s.MgrMap, s.OSDMap, s.MonMap, s.FSMap, s.ServiceMap} {
				if _, e := json.Marshal(v); e != nil && err == nil {
					err = e
				}
			}
			_ = s.OSDMap.OSD(0)
			_, _, _ = s.OSDMap.Counts()
		}
		done <- err
	}()
	now := scenarioStart
	mods := []clustermap.ModuleInfo{{Name: "alerts", CanRun: true, ModuleOptions: map[string]clustermap.ModuleOption{"o": {Name: "o"}}}}
	for i := 0; i < 200; i++ {
		now = now.Add(100 * time.Millisecond)
		if _, err := m.Beacon(now, Beacon{GID: 24098, Name: "x", FSID: testFSID, Available: true, AvailableModules: mods,
			Services: map[string]string{"i": strconv.Itoa(i)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.OSDBoot(now, OSDBoot{ID: i % 7, UUID: "u" + strconv.Itoa(i%7), PublicAddrs: clustermap.V1Addr("h:1", uint32(i))}); err != nil && !errors.Is(err, ErrUUIDMismatch) {
			t.Fatal(err)
		}
		if _, err := m.Tick(now); err != nil {
			t.Fatal(err)
		}
		snaps <- m.Snapshot()
	}
	close(snaps)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestMgrReportedHealthAndPGs: checks raised by mgr modules join the mon's
// own, are logged on change and cleared when the mgr drops them; the pg
// summary the mgr sends shows in status.
func TestMgrReportedHealthAndPGs(t *testing.T) {
	m := busyMon(t)
	now := scenarioStart
	e, err := m.SetMgrHealthChecks(now, map[string]clustermap.HealthCheck{
		"MGR_MODULE_ERROR": {Severity: clustermap.HealthErr, Summary: clustermap.HealthSummary{Message: "Module 'x' has failed", Count: 1}},
		"ODD":              {Severity: "bogus", Summary: clustermap.HealthSummary{Message: "odd", Count: 1}},
		"":                 {Severity: clustermap.HealthErr},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Health(now, true)
	if h.Status != clustermap.HealthErr || h.Checks["ODD"].Severity != clustermap.HealthWarn || h.Checks["MGR_MODULE_ERROR"].Detail == nil || len(h.Checks) != 4 {
		t.Fatalf("health %+v", h)
	}
	logged := false
	for _, l := range e.Log {
		if l.Message == "Health check failed: Module 'x' has failed (MGR_MODULE_ERROR)" && l.Priority == clustermap.PrioError {
			logged = true
		}
	}
	if !logged {
		t.Fatalf("log %+v", e.Log)
	}
	e, _ = m.SetMgrHealthChecks(now, nil)
	if _, ok := m.Health(now, false).Checks["MGR_MODULE_ERROR"]; ok || len(e.Log) != 2 {
		t.Fatalf("not cleared: %+v", e.Log)
	}
	m.SetPGSummary(clustermap.PGSummary{PGsByState: []clustermap.PGStateCount{{StateName: "active+clean", Count: 2}}, NumPGs: 2, NumPools: 2, BytesTotal: 1 << 30})
	st := m.Status(now)
	if st.PGMap.NumPGs != 2 || st.PGMap.PGsByState[0].StateName != "active+clean" || st.PGMap.BytesTotal != 1<<30 {
		t.Fatalf("pgmap %+v", st.PGMap)
	}
}

// TestConfigModuleOptions: config set|get|rm|dump keep module options as
// the config-keys gomgr's mgr reads, checked against what the mgr declared.
func TestConfigModuleOptions(t *testing.T) {
	m := busyMon(t)
	run := func(args map[string]any) CommandResult {
		t.Helper()
		r, _, err := m.HandleCommand(scenarioStart, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	set := func(name, value string, force bool) CommandResult {
		return run(map[string]any{"prefix": "config set", "who": "mgr", "name": name, "value": value, "force": force})
	}
	if r := set("mgr/alerts/interval", "30", false); r.Retval != 0 {
		t.Fatalf("valid: %+v", r)
	}
	if string(m.keys["mgr/alerts/interval"]) != "30" {
		t.Fatalf("config-key %q", m.keys["mgr/alerts/interval"])
	}
	if r := set("mgr/alerts/interval", "soon", false); r.Retval != EINVAL || !strings.Contains(r.Status, `option "interval": "soon" is not a valid secs`) {
		t.Fatalf("invalid: %+v", r)
	}
	if r := set("mgr/alerts/nosuch", "1", false); r.Retval != EINVAL || !strings.Contains(r.Status, "unrecognized config option") {
		t.Fatalf("undeclared: %+v", r)
	}
	if r := set("mgr/alerts/nosuch", "1", true); r.Retval != 0 {
		t.Fatalf("undeclared, --force: %+v", r)
	}
	if r := run(map[string]any{"prefix": "config set", "who": "osd", "name": "osd_max_backfills", "value": "2"}); r.Retval != EINVAL {
		t.Fatalf("not a mgr option: %+v", r)
	}
	if r := run(map[string]any{"prefix": "config get", "who": "mgr", "key": "mgr/alerts/interval"}); r.Retval != 0 || string(r.Out) != "30\n" {
		t.Fatalf("get: %+v", r)
	}
	r := run(map[string]any{"prefix": "config dump", "format": "json"})
	var dump []map[string]string
	if err := json.Unmarshal(r.Out, &dump); err != nil || len(dump) != 2 || dump[0]["name"] != "mgr/alerts/interval" || dump[0]["section"] != "mgr" {
		t.Fatalf("dump: %s %v", r.Out, err)
	}
	if r := run(map[string]any{"prefix": "config rm", "who": "mgr", "name": "mgr/alerts/interval"}); r.Retval != 0 {
		t.Fatalf("rm: %+v", r)
	}
	if r := run(map[string]any{"prefix": "config get", "who": "mgr", "key": "mgr/alerts/interval"}); r.Retval != ENOENT {
		t.Fatalf("get after rm: %+v", r)
	}
}

// TestModuleLsText: the table has each module's kind and state from the
// active gomgr mgr, and the exception line of its error; from a real
// ceph-mgr (no runtime) kind and state are "-".
func TestModuleLsText(t *testing.T) {
	mm := &clustermap.MgrMap{Modules: []string{"broken", "hello"}, AvailableModules: []clustermap.ModuleInfo{
		{Name: "broken", CanRun: false, ErrorString: "Traceback (most recent call last):\n  File \"m.py\", line 2\nImportError: no numpy"},
		{Name: "hello", CanRun: true}, {Name: "idle", CanRun: true}, {Name: "status", CanRun: true}}}
	rt := map[string]ModuleRuntime{"broken": {Kind: "python", State: "unloadable"}, "hello": {Kind: "cpython", State: "running"},
		"idle": {Kind: "go", State: "disabled"}, "status": {Kind: "python", State: "running"}}
	want := "MODULE                  KIND     STATE       ERROR\n" +
		"status  on (always on)  python   running\n" +
		"broken  on              python   unloadable  ImportError: no numpy\n" +
		"hello   on              cpython  running\n" +
		"idle    -               go       disabled\n"
	if got := string(moduleLsText(mm, []string{"status"}, rt)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(moduleLsText(mm, nil, nil)); !strings.Contains(got, "\nhello   on  -     -\n") {
		t.Errorf("without runtime:\n%s", got)
	}
}
