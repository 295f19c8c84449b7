package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gomgr/plugins"
	"gomgr/registry"
)

func loadDump(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/osd_dump.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// withOSD returns a copy of dump at epoch with osd id's up/in set.
func withOSD(dump map[string]any, epoch, id int, up, in int) map[string]any {
	b, _ := json.Marshal(dump)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	m["epoch"] = float64(epoch)
	for _, o := range m["osds"].([]any) {
		o := o.(map[string]any)
		if int(o["osd"].(float64)) == id {
			o["up"], o["in"] = float64(up), float64(in)
		}
	}
	return m
}

func decode(t *testing.T, v map[string]any) osdMap {
	t.Helper()
	b, _ := json.Marshal(v)
	var m osdMap
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWatcher(t *testing.T) {
	dump := loadDump(t)
	w := newWatcher(3)
	w.now = func() time.Time { return time.Unix(1700000000, 0) }
	steps := []struct {
		name    string
		m       map[string]any
		want    []string // "osd.N what"
		downs   int
		summary string
	}{
		{"first map records", dump, nil, 0, ""},
		{"repeat ignored", dump, nil, 0, ""},
		{"osd.1 down", withOSD(dump, 27, 1, 0, 1), []string{"osd.1 down"}, 1, "1 osd(s) down"},
		{"osd.1 out", withOSD(dump, 28, 1, 0, 0), []string{"osd.1 out"}, 1, "1 osd(s) down"},
		{"osd.1 up", withOSD(dump, 29, 1, 1, 0), []string{"osd.1 up"}, 0, ""},
		{"old epoch ignored", withOSD(dump, 5, 0, 0, 0), nil, 0, ""},
	}
	for _, s := range steps {
		var got []string
		for _, tr := range w.update(decode(t, s.m)) {
			got = append(got, "osd."+itoa(tr.OSD)+" "+tr.What)
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("%s: transitions %v, want %v", s.name, got, s.want)
		}
		h := w.health()
		if c, ok := h["OSDWATCH_OSD_DOWN"]; ok != (s.downs > 0) || c.Count != s.downs || c.Summary != s.summary {
			t.Fatalf("%s: health %+v", s.name, h)
		}
	}
	out, err := w.status("plain")
	if err != nil {
		t.Fatal(err)
	}
	want := "osdmap e29: 2 osds: 2 up, 1 in\nrecent transitions:\n" +
		"  2023-11-14T22:13:20Z e27 osd.1 down\n  2023-11-14T22:13:20Z e28 osd.1 out\n  2023-11-14T22:13:20Z e29 osd.1 up\n"
	if out != want {
		t.Fatalf("status =\n%s\nwant\n%s", out, want)
	}
	js, err := w.status("json")
	if err != nil {
		t.Fatal(err)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(js), &st); err != nil || st.NumUp != 2 || st.NumIn != 1 || len(st.Transitions) != 3 {
		t.Fatalf("json status %s (%v)", js, err)
	}
	if _, err := w.status("xml"); err == nil {
		t.Fatal("format xml accepted")
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestPlugin builds osdwatch, drops it into a plugin directory and drives
// it through gomgr/plugins as the manager does.
func TestPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin binary")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "osdwatch"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	src := plugins.NewSource(plugins.Config{Dir: dir, SocketDir: t.TempDir()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mod, err := src.Open(ctx, "osdwatch")
	if err != nil {
		t.Fatal(err)
	}
	info := mod.Info()
	if info.Name != "osdwatch" || info.Kind != "go" || !reflect.DeepEqual(info.NotifyTypes, []string{"osd_map"}) || len(info.Commands) != 1 {
		t.Fatalf("Info = %+v", info)
	}
	dump := loadDump(t)
	h := &host{values: map[string]*registry.Value{"osd_map": registry.NewValue(26, dump)}}
	if err := mod.Start(ctx, h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mod.Stop(context.Background()) })

	status := func(format string) string {
		t.Helper()
		r, err := mod.Command(ctx, registry.Command{Args: map[string]any{"prefix": "osdwatch status", "format": format}})
		if err != nil || r.Retval != 0 {
			t.Fatalf("status: %+v %v", r, err)
		}
		return r.Stdout
	}
	waitFor(t, func() bool { return strings.HasPrefix(status(""), "osdmap e26: 2 osds: 2 up, 2 in") })

	h.set("osd_map", registry.NewValue(27, withOSD(dump, 27, 0, 0, 1)))
	if err := mod.Notify(ctx, []registry.Event{{Kind: "osd_map"}}); err != nil {
		t.Fatal(err)
	}
	if c := h.checks()["OSDWATCH_OSD_DOWN"]; c.Count != 1 || c.Detail[0] != "osd.0 is down since epoch 27" {
		t.Fatalf("health = %+v", h.checks())
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(status("json")), &st); err != nil || !reflect.DeepEqual(st.Down, []int{0}) {
		t.Fatalf("status json: %+v %v", st, err)
	}
	h.set("osd_map", registry.NewValue(28, withOSD(dump, 28, 0, 1, 1)))
	if err := mod.Notify(ctx, []registry.Event{{Kind: "osd_map"}}); err != nil {
		t.Fatal(err)
	}
	if len(h.checks()) != 0 {
		t.Fatalf("health not cleared: %+v", h.checks())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// host is a registry.Host with values and recorded health checks.
type host struct {
	mu     sync.Mutex
	values map[string]*registry.Value
	health map[string]registry.HealthCheck
}

func (h *host) set(name string, v *registry.Value) { h.mu.Lock(); h.values[name] = v; h.mu.Unlock() }
func (h *host) checks() map[string]registry.HealthCheck {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.health
}
func (h *host) MgrID() string { return "x" }
func (h *host) Get(name string) (*registry.Value, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.values[name]; ok {
		return v, nil
	}
	return nil, registry.ErrNoData
}
func (h *host) ListServers() []registry.Server                    { return nil }
func (h *host) GetServer(string) (registry.Server, bool)          { return registry.Server{}, false }
func (h *host) Metadata(string, string) (map[string]string, bool) { return nil, false }
func (h *host) Counter(string, string, string) []registry.Sample  { return nil }
func (h *host) Latest(string, string, string) (registry.Sample, bool) {
	return registry.Sample{}, false
}
func (h *host) PerfSchema(string, string) map[string]registry.PerfCounter { return nil }
func (h *host) ModuleOption(_ context.Context, key string) (any, error) {
	if key == "history" {
		return int64(100), nil
	}
	return nil, registry.ErrUnknownOption
}
func (h *host) SetModuleOption(context.Context, string, *string) error         { return nil }
func (h *host) StoreGet(context.Context, string) (string, bool, error)         { return "", false, nil }
func (h *host) StoreSet(context.Context, string, *string) error                { return nil }
func (h *host) StorePrefix(context.Context, string) (map[string]string, error) { return nil, nil }
func (h *host) SetHealthChecks(c map[string]registry.HealthCheck) {
	h.mu.Lock()
	h.health = c
	h.mu.Unlock()
}
func (h *host) Log(string, string) {}
