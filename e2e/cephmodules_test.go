package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomgr/internal/cephcluster"
	"gomgr/internal/testutil"
)

// cephModuleTree is where Debian's ceph-mgr-modules-core installs Ceph's modules.
const cephModuleTree = "/usr/share/ceph/mgr"

// crashMeta is a crash report as ceph-crash posts it.
const crashMeta = `{"crash_id": "2026-12-05T10:00:00.000000Z_0b7d3a4e-1111-2222-3333-444455556666",
 "timestamp": "2026-12-05T10:00:00.000000Z", "process_name": "ceph-osd", "entity_name": "osd.0",
 "ceph_version": "16.2.15", "utsname_hostname": "h", "utsname_sysname": "Linux",
 "utsname_release": "6.1", "utsname_version": "#1", "utsname_machine": "x86_64",
 "os_name": "Debian", "os_id": "debian", "os_version_id": "12", "os_version": "12",
 "assert_condition": "false", "assert_func": "f", "assert_file": "x.cc", "assert_line": 1,
 "backtrace": ["a", "b"]}`

// cephModulesEnabled are enabled under ceph-mgr, and so under gomgr after
// it (the mgr map keeps them), beside Ceph's always-on modules.
var cephModulesEnabled = []string{"prometheus", "selftest", "iostat", "alerts", "insights", "telegraf", "zabbix", "restful"}

// cephModuleCommands are the module commands compared between the real
// ceph-mgr and gomgr running Ceph's modules: status, iostat, crash.
var cephModuleCommands = [][]string{
	{"osd", "status"}, {"iostat", "-p", "0"}, {"osd", "pool", "autoscale-status"}, {"balancer", "status"},
	{"mgr", "module", "ls", "-f", "json"}, {"telemetry", "show"},
	{"crash", "ls"}, {"crash", "stat"}, {"crash", "ls-new"},
	{"crash", "info", "2026-12-05T10:00:00.000000Z_0b7d3a4e-1111-2222-3333-444455556666"},
}

// moduleOutputs runs each command under who. With want, it polls each
// until it prints what want holds (daemon metadata and crash reports reach
// a fresh mgr a moment after it is active), and returns the last output.
func moduleOutputs(t *testing.T, c *cephcluster.Cluster, who string, want map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, cmd := range cephModuleCommands {
		k := strings.Join(cmd, " ")
		deadline := time.Now().Add(30 * time.Second)
		for {
			b, err := c.Ceph(context.Background(), cmd...)
			s := string(b)
			switch k {
			case "osd status":
				s = osdStatusShape(s)
			case "iostat -p 0":
				s = rates.ReplaceAllString(s, "N")
			case "telemetry show":
				// The crash channel is read from the crash module with
				// self.remote(), a call between two module processes.
				s = jsonKeys(s, "crashes")
			case "balancer status":
				s = jsonKeys(s, "active", "mode", "plans")
			case "mgr module ls -f json":
				s = moduleList(s)
			}
			if err == nil {
				out[k] = s
				if want == nil || s == want[k] {
					break
				}
			}
			if time.Now().After(deadline) {
				if err != nil {
					t.Fatalf("%s under %s: %v", k, who, err)
				}
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return out
}

// selfTest runs Ceph's selftest module's API exercise.
func selfTest(t *testing.T, c *cephcluster.Cluster, who string) {
	t.Helper()
	testutil.Poll(t, 30*time.Second, "mgr self-test run under "+who, func() error {
		out, errOut, err := c.CephOutput(context.Background(), "mgr", "self-test", "run")
		if err != nil {
			return fmt.Errorf("%w: %s", err, errOut)
		}
		if !strings.Contains(string(out)+string(errOut), "Self-test succeeded") {
			return fmt.Errorf("no success: %s %s", out, errOut)
		}
		return nil
	})
}

// clusterLog has the selftest module write a line to the cluster log
// (MLog to the mon) and finds it in `ceph log last`.
func clusterLog(t *testing.T, c *cephcluster.Cluster, who string) {
	t.Helper()
	msg := "cluster log line from a module under " + who
	c.MustCeph(t, "mgr", "self-test", "cluster-log", "cluster", "warning", msg)
	testutil.Poll(t, 20*time.Second, "the module's line in ceph log last under "+who, func() error {
		var entries []struct {
			Name    string `json:"name"`
			Channel string `json:"channel"`
			Prio    string `json:"priority"`
			Msg     string `json:"message"`
		}
		if err := cephJSON(c, &entries, "log", "last", "100", "debug", "cluster"); err != nil {
			return err
		}
		for _, e := range entries {
			if e.Msg == msg {
				if e.Channel != "cluster" || e.Prio != "[WRN]" || !strings.HasPrefix(e.Name, "mgr.") {
					return fmt.Errorf("entry %+v", e)
				}
				return nil
			}
		}
		return fmt.Errorf("not among %d entries", len(entries))
	})
}

// scrape reads Ceph's prometheus module's endpoint once it is published
// in the mgr map's services, and returns the series worth comparing:
// metric name and labels to value for the OSD, pool and health series,
// and each metric's name with "(name)" for the rest.
func scrape(t *testing.T, c *cephcluster.Cluster, port int, who string) map[string]string {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	testutil.Poll(t, 60*time.Second, "prometheus in mgr services under "+who, func() error {
		var svc map[string]string
		if err := cephJSON(c, &svc, "mgr", "services"); err != nil {
			return err
		}
		if svc["prometheus"] != fmt.Sprintf("http://127.0.0.1:%d/", port) {
			return fmt.Errorf("services %v", svc)
		}
		return nil
	})
	out := map[string]string{}
	testutil.Poll(t, 30*time.Second, "a scrape with ceph_osd_up under "+who, func() error {
		body, err := httpGet(url)
		if err != nil {
			return err
		}
		clear(out)
		values := map[string]float64{}
		for _, line := range strings.Split(string(body), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			series, value, _ := strings.Cut(line, " ")
			values[series], _ = strconv.ParseFloat(value, 64)
			name, _, _ := strings.Cut(series, "{")
			if stableSeries.MatchString(name) {
				out[series] = value
			} else {
				out["("+name+")"] = ""
			}
		}
		// The OSDs' perf counters and their stats (latencies) reach a
		// fresh mgr with their next reports.
		for _, want := range []string{`ceph_osd_up{ceph_daemon="osd.0"}`, "(ceph_osd_numpg)", "(ceph_osd_apply_latency_ms)"} {
			if _, ok := out[want]; !ok {
				return fmt.Errorf("no %s in %d series", want, len(out))
			}
		}
		// A long-running average in Ceph's units: the mon's Paxos commits
		// counted, their summed latency in seconds.
		const paxos = `ceph_paxos_commit_latency_%s{ceph_daemon="mon.a"}`
		n, sum := values[fmt.Sprintf(paxos, "count")], values[fmt.Sprintf(paxos, "sum")]
		if n < 1 || sum <= 0 || sum/n > 1 {
			return fmt.Errorf("paxos commit latency: %v commits, %v s", n, sum)
		}
		return nil
	})
	return out
}

// httpGet is the body of a GET answered 200.
func httpGet(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, err
}

// stableSeries are the prometheus series whose values do not change by
// themselves on an idle cluster.
var stableSeries = regexp.MustCompile(`^ceph_(osd_(up|in|weight|metadata|flag_.*)|pool_(metadata|objects|num_objects_recovered|stored_raw)|health_status|mon_quorum_status|mgr_module_can_run)$`)

// freePort is a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := cephcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// jsonKeys keeps only keys of the JSON object s begins with (the rest
// holds stamps; telemetry prints a line of text after it).
func jsonKeys(s string, keys ...string) string {
	var m map[string]any
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&m); err != nil {
		return s
	}
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// moduleList is what `mgr module ls` says of each module the mgr can
// load: whether it can run, why not, and its option names (the mon prints
// what the active mgr declared in its beacon).
func moduleList(s string) string {
	var ls struct {
		AlwaysOn []string `json:"always_on_modules"`
		Enabled  []string `json:"enabled_modules"`
		Disabled []struct {
			Name    string         `json:"name"`
			CanRun  bool           `json:"can_run"`
			Error   string         `json:"error_string"`
			Options map[string]any `json:"module_options"`
		} `json:"disabled_modules"`
	}
	if err := json.Unmarshal([]byte(s), &ls); err != nil {
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "always on %v\nenabled %v\n", ls.AlwaysOn, ls.Enabled)
	for _, m := range ls.Disabled {
		fmt.Fprintf(&b, "%s can_run=%v %q options %v\n", m.Name, m.CanRun, m.Error, slices.Sorted(maps.Keys(m.Options)))
	}
	return b.String()
}

// rates are iostat's figures: they move with every report.
var rates = regexp.MustCompile(`[0-9]+(\.[0-9]+)?( ?[KMGTPE]i?)?`)

// osdStatusShape keeps what `osd status` prints that does not change by
// itself: the header, and each OSD's id, host and state (its usage and
// rates move with every report).
func osdStatusShape(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			b.WriteString(line + "\n")
			continue
		}
		if f[0] == "ID" {
			b.WriteString(strings.Join(f, " ") + "\n")
			continue
		}
		fmt.Fprintf(&b, "%s %s %s\n", f[0], f[1], f[len(f)-1])
	}
	return b.String()
}

// TestCephModulesAsCephMgr runs Ceph's own status, iostat and crash
// modules, unmodified, under the real ceph-mgr and then under gomgr on the
// same cluster, and compares what their commands print.
func TestCephModulesAsCephMgr(t *testing.T) {
	// The autoscaler only warns: under either mgr it would otherwise grow
	// p1's PGs while the test compares.
	c := cephcluster.Start(t, cephcluster.Options{OSDs: 2, Pools: []string{"p1"},
		Global: map[string]string{"osd_pool_default_pg_autoscale_mode": "warn"}})
	meta := filepath.Join(t.TempDir(), "meta")
	if err := os.WriteFile(meta, []byte(crashMeta), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	c.MustCeph(t, "config", "set", "mgr", "mgr/prometheus/server_addr", "127.0.0.1", "--force")
	c.MustCeph(t, "config", "set", "mgr", "mgr/prometheus/server_port", fmt.Sprint(port), "--force")
	real := c.StartCephMgr(t, "y")
	waitActive(t, c, "y", 60*time.Second)
	for _, m := range cephModulesEnabled {
		c.MustCeph(t, "mgr", "module", "enable", m)
	}
	selfTest(t, c, "ceph-mgr")
	clusterLog(t, c, "ceph-mgr")
	wantScrape := scrape(t, c, port, "ceph-mgr")
	testutil.Poll(t, 30*time.Second, "crash post under ceph-mgr", func() error {
		_, err := c.Ceph(context.Background(), "crash", "post", "-i", meta)
		return err
	})
	want := moduleOutputs(t, c, "ceph-mgr", nil)
	real.Kill()
	c.MustCeph(t, "mgr", "fail", "y")

	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start(t, nil, false, "mgr", "-c", c.Conf, "-i", "x", "--modules", cephModuleTree, "--metrics", metrics)
	waitActive(t, c, "x", 60*time.Second)
	got := moduleOutputs(t, c, "gomgr", want)
	selfTest(t, c, "gomgr")
	clusterLog(t, c, "gomgr")
	// Every module enabled, and Ceph's always-on ones, runs: no module
	// error in the cluster's health.
	testutil.Poll(t, 30*time.Second, "no MGR_MODULE_ERROR under gomgr", func() error {
		var h struct {
			Checks map[string]any `json:"checks"`
		}
		if err := cephJSON(c, &h, "health", "detail"); err != nil {
			return err
		}
		if e, ok := h.Checks["MGR_MODULE_ERROR"]; ok {
			return fmt.Errorf("%v", e)
		}
		return nil
	})
	gotScrape := scrape(t, c, port, "gomgr")
	for name, v := range wantScrape {
		if gotScrape[name] != v {
			t.Errorf("prometheus %s: gomgr %q, ceph-mgr %q", name, gotScrape[name], v)
		}
	}
	for name := range gotScrape {
		if _, ok := wantScrape[name]; !ok {
			t.Errorf("prometheus %s only under gomgr", name)
		}
	}
	for _, cmd := range cephModuleCommands {
		k := strings.Join(cmd, " ")
		if got[k] != want[k] {
			t.Errorf("%s differs\ngomgr:\n%q\nceph-mgr:\n%q", k, got[k], want[k])
		}
	}
	// Each module's process memory, PSS beside RSS, in gomgr's own metrics.
	testutil.Poll(t, 10*time.Second, "module memory in gomgr's metrics", func() error {
		body, err := httpGet("http://" + metrics + "/metrics")
		if err != nil {
			return err
		}
		for _, kind := range []string{"rss", "pss"} {
			m := regexp.MustCompile(`gomgr_module_memory_bytes\{kind="` + kind + `",module="status"\} ([0-9.e+]+)`).FindSubmatch(body)
			if m == nil {
				return fmt.Errorf("no %s of module status", kind)
			}
			if v, err := strconv.ParseFloat(string(m[1]), 64); err != nil || v < 1<<20 {
				return fmt.Errorf("%s of module status: %s", kind, m[1])
			}
		}
		return nil
	})
	c.CheckAlive(t)
}
