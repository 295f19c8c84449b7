package mon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gomgr/clustermap"
)

// keyPaths lists every object key path of a JSON document ("pools[].size"),
// descending into the first element of arrays. Maps keyed by data (checks,
// services, module_options...) are skipped below the names in skip.
func keyPaths(v any, prefix string, skip map[string]bool, out map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			p := prefix + "." + k
			if prefix == "" {
				p = k
			}
			out[p] = true
			if !skip[p] {
				keyPaths(x, p, skip, out)
			}
		}
	case []any:
		if len(t) > 0 {
			keyPaths(t[0], prefix+"[]", skip, out)
		}
	}
}

func cephJSON(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ceph", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func ourJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// busyMon is a mon with an active and a standby mgr, two OSDs (one down)
// and two pools, like the cluster the references were captured from.
func busyMon(t *testing.T) *Mon {
	t.Helper()
	cfg := DefaultConfig()
	cfg.FSID = testFSID
	cfg.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
	cfg.Mgr.AlwaysOnModules = []string{"balancer", "status"}
	m, err := Open(scenarioStart, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := scenarioStart
	mods := []clustermap.ModuleInfo{{Name: "alerts", CanRun: true, ModuleOptions: map[string]clustermap.ModuleOption{"interval": {Name: "interval", Type: "secs", Level: "advanced", Flags: 1, DefaultValue: "60"}}},
		{Name: "influx", ErrorString: "influxdb python module not found"}}
	must := func(_ Effects, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.Beacon(now, Beacon{GID: 24098, Name: "x", FSID: testFSID, AvailableModules: mods}))
	must(m.Beacon(now, Beacon{GID: 24099, Name: "y", FSID: testFSID, AvailableModules: mods}))
	must(m.Beacon(now, Beacon{GID: 24098, Name: "x", FSID: testFSID, Available: true, Addrs: clustermap.V1Addr("127.0.0.1:6804", 30045), AvailableModules: mods}))
	for i := 0; i < 2; i++ {
		must(m.OSDBoot(now, OSDBoot{ID: i, UUID: "b44b5d11-4e3f-49f8-84b3-a8ae35c9926" + string(rune('0'+i)), PublicAddrs: clustermap.V1Addr("127.0.0.1:6800", 28863),
			Metadata: map[string]string{"hostname": "h" + string(rune('0'+i))}}))
	}
	for _, p := range []string{"device_health_metrics", "p1"} {
		r, _, err := m.HandleCommand(now, map[string]any{"prefix": "osd pool create", "pool": p, "pg_num": 1, "size": 1}, nil)
		if err != nil || r.Retval != 0 {
			t.Fatal(r, err)
		}
	}
	if r, _, _ := m.HandleCommand(now, map[string]any{"prefix": "osd down", "ids": []any{"1"}}, nil); r.Retval != 0 {
		t.Fatal(r)
	}
	return m
}

// TestJSONShapes compares every key path of gomgr's output with what Ceph
// 16.2 printed for the same command.
func TestJSONShapes(t *testing.T) {
	m := busyMon(t)
	skip := map[string]bool{
		"services": true, "always_on_modules": true, "available_modules[].module_options": true,
		"standbys[].available_modules": true, "checks": true, "health.checks": true, "blocklist": true,
		"erasure_code_profiles": true, "pools[].application_metadata": true, "pools[].options": true,
		"disabled_modules[].module_options": true, "servicemap.services": true, "mgrmap.services": true,
		"compat": true, "osd_xinfo": true, "active_clients": true,
	}
	// Fields gomgr does not model, by reference file.
	ignore := map[string][]string{
		"osd_dump.json": {"osd_xinfo", "osd_xinfo[]", "range_blocklist", "removed_snaps_queue", "new_removed_snaps",
			"new_purged_snaps", "crush_node_flags", "device_class_flags", "stretch_mode", "pools[].peering_crush_",
			"pools[].last_force_op_resend", "pools[].auid", "pools[].cache_", "pools[].target_max", "pools[].hit_set",
			"pools[].use_gmt_hitset", "pools[].min_read_recency", "pools[].min_write_recency", "pools[].grade_table"},
		"mgr_dump.json": {"active_clients"},
	}
	snap := m.Snapshot()
	cases := []struct {
		ref string
		v   any
	}{
		{"mgr_dump.json", snap.MgrMap},
		{"osd_dump.json", snap.OSDMap},
		{"mon_dump.json", snap.MonMap},
		{"fs_dump.json", snap.FSMap},
		{"service_dump.json", snap.ServiceMap},
		{"status.json", m.Status(scenarioStart)},
		{"health_detail.json", m.Health(scenarioStart, true)},
		{"log_last_20.json", m.Log().Last(20, "")},
		{"osd_tree.json", cmdJSON(t, m, map[string]any{"prefix": "osd tree", "format": "json"})},
		{"mgr_module_ls.json", cmdJSON(t, m, map[string]any{"prefix": "mgr module ls", "format": "json"})},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			want, got := map[string]bool{}, map[string]bool{}
			keyPaths(cephJSON(t, c.ref), "", skip, want)
			keyPaths(ourJSON(t, c.v), "", skip, got)
			var missing, extra []string
			for k := range want {
				if !got[k] && !ignored(ignore[c.ref], k) {
					missing = append(missing, k)
				}
			}
			for k := range got {
				// The reference had no standby to show the shape of.
				if !want[k] && !strings.HasPrefix(k, "standbys[]") {
					extra = append(extra, k)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing) > 0 || len(extra) > 0 {
				t.Errorf("missing %v\nextra %v", missing, extra)
			}
		})
	}
}

func ignored(prefixes []string, k string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func cmdJSON(t *testing.T, m *Mon, args map[string]any) any {
	t.Helper()
	r, _, err := m.HandleCommand(scenarioStart, args, nil)
	if err != nil || r.Retval != 0 {
		t.Fatalf("%v: %+v %v", args, r, err)
	}
	var v any
	if err := json.Unmarshal(r.Out, &v); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// TestOSDTreeText: the plain table, as `ceph osd tree` prints it.
func TestOSDTreeText(t *testing.T) {
	m := busyMon(t)
	r, _, err := m.HandleCommand(scenarioStart, map[string]any{"prefix": "osd tree"}, nil)
	if err != nil || r.Retval != 0 {
		t.Fatal(r, err)
	}
	out := string(r.Out)
	t.Log("\n" + out)
	for _, want := range []string{
		"ID  CLASS  WEIGHT   TYPE NAME      STATUS  REWEIGHT  PRI-AFF\n",
		" -1         2.00000  root default\n",
		" -3         1.00000      host h0\n",
		"  0    hdd  1.00000          osd.0         up   1.00000  1.00000\n",
		" -5         1.00000      host h1\n",
		"  1    hdd  1.00000          osd.1       down   1.00000  1.00000\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
}
