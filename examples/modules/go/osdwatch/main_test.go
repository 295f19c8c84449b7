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
	w := newWatcher(3, 2)
	w.now = func() time.Time { return time.Unix(1700000000, 0) }
	steps := []struct {
		name string
		m    map[string]any
		want []string // "osd.N what"
	}{
		{"first map records", dump, nil},
		{"repeat ignored", dump, nil},
		{"osd.1 down", withOSD(dump, 27, 1, 0, 1), []string{"osd.1 down"}},
		{"osd.1 out", withOSD(dump, 28, 1, 0, 0), []string{"osd.1 out"}},
		{"osd.1 up", withOSD(dump, 29, 1, 1, 0), []string{"osd.1 up"}},
		{"old epoch ignored", withOSD(dump, 5, 0, 0, 0), nil},
	}
	for _, s := range steps {
		var got []string
		for _, tr := range w.update(decode(t, s.m)) {
			got = append(got, "osd."+itoa(tr.OSD)+" "+tr.What)
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("%s: transitions %v, want %v", s.name, got, s.want)
		}
		// A single down is the mon's OSD_DOWN: osdwatch raises nothing.
		if h := w.health(); len(h) != 0 {
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

// TestWatcherFlapping steps one OSD down and up until it flaps, then lets
// its downs roll out of the history.
func TestWatcherFlapping(t *testing.T) {
	dump := loadDump(t)
	w := newWatcher(6, 3) // flapping: 3 downs within the last 6 transitions
	w.update(decode(t, dump))
	const summary = "1 osd(s) flapping (down at least 3 times in the last 6 transitions)"
	steps := []struct {
		name    string
		epoch   int
		osd, up int
		summary string // "" for no check
		detail  string
	}{
		{"osd.1 down once", 27, 1, 0, "", ""},
		{"osd.1 up", 28, 1, 1, "", ""},
		{"osd.1 down twice", 29, 1, 0, "", ""},
		{"osd.1 up again", 30, 1, 1, "", ""},
		{"osd.1 down three times", 31, 1, 0, summary, "osd.1 went down 3 times between epochs 27 and 31"},
		{"osd.1 up, still flapping", 32, 1, 1, summary, "osd.1 went down 3 times between epochs 27 and 31"},
		{"osd.1 down a fourth time", 33, 1, 0, summary, "osd.1 went down 3 times between epochs 29 and 33"},
		{"osd.1 up", 34, 1, 1, summary, "osd.1 went down 3 times between epochs 29 and 33"},
		// osd.0's down pushes osd.1's down at e29 out of the history:
		// two downs left, and osd.0's single down is no flap.
		{"osd.0 down: cleared", 35, 0, 0, "", ""},
		{"osd.0 up", 36, 0, 1, "", ""},
	}
	for _, s := range steps {
		w.update(decode(t, withOSD(dump, s.epoch, s.osd, s.up, 1)))
		h := w.health()
		c, ok := h["OSDWATCH_OSD_FLAPPING"]
		if s.summary == "" {
			if len(h) != 0 {
				t.Fatalf("%s: health %+v, want none", s.name, h)
			}
			continue
		}
		if !ok || len(h) != 1 || c.Severity != "warning" || c.Summary != s.summary || c.Count != 1 || !reflect.DeepEqual(c.Detail, []string{s.detail}) {
			t.Fatalf("%s: health %+v, want %q / %q", s.name, h, s.summary, s.detail)
		}
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
	waitFor(t, h, func() bool { return strings.HasPrefix(status(""), "osdmap e26: 2 osds: 2 up, 2 in") })

	// The host sets history 4 and flap_count 2 (not the defaults), so
	// osd.0 flaps on its second down and is cleared two transitions later.
	step := func(epoch, id, up int) map[string]registry.HealthCheck {
		t.Helper()
		h.set("osd_map", registry.NewValue(uint64(epoch), withOSD(dump, epoch, id, up, 1)))
		if err := mod.Notify(ctx, []registry.Event{{Kind: "osd_map"}}); err != nil {
			t.Fatal(err)
		}
		return h.checks()
	}
	if hc := step(27, 0, 0); hc == nil || len(hc) != 0 {
		t.Fatalf("health for a single down OSD = %+v, want none", hc)
	}
	var st statusJSON
	if err := json.Unmarshal([]byte(status("json")), &st); err != nil || !reflect.DeepEqual(st.Down, []int{0}) {
		t.Fatalf("status json: %+v %v", st, err)
	}
	if hc := step(28, 0, 1); len(hc) != 0 {
		t.Fatalf("health after recovery = %+v", hc)
	}
	want := map[string]registry.HealthCheck{"OSDWATCH_OSD_FLAPPING": {
		Severity: "warning",
		Summary:  "1 osd(s) flapping (down at least 2 times in the last 4 transitions)",
		Count:    1,
		Detail:   []string{"osd.0 went down 2 times between epochs 27 and 29"},
	}}
	if hc := step(29, 0, 0); !reflect.DeepEqual(hc, want) {
		t.Fatalf("health after the second down = %+v", hc)
	}
	if hc := step(30, 0, 1); !reflect.DeepEqual(hc, want) {
		t.Fatalf("health once up again = %+v, want still flapping", hc)
	}
	// osd.1 going down pushes osd.0's down at e27 out of the history.
	if hc := step(31, 1, 0); len(hc) != 0 {
		t.Fatalf("health once the history no longer shows the flap = %+v", hc)
	}
	if !strings.Contains(status("plain"), "down: osd.1\n") {
		t.Fatalf("status = %q", status("plain"))
	}
}

// waitFor polls cond for 30 s; on a timeout it shows what the plugin
// logged (its initial read of the map, say).
func waitFor(t *testing.T, h *host, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.mu.Lock()
			defer h.mu.Unlock()
			t.Fatalf("timed out; the plugin logged %q", h.logs)
		}
		time.Sleep(10 * time.Millisecond) // polling, with a deadline
	}
}

// host is a registry.Host with values and recorded health checks.
type host struct {
	mu     sync.Mutex
	values map[string]*registry.Value
	health map[string]registry.HealthCheck
	logs   []string
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
	switch key {
	case "history":
		return int64(4), nil
	case "flap_count":
		return int64(2), nil
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
func (h *host) Log(level, msg string) {
	h.mu.Lock()
	h.logs = append(h.logs, level+": "+msg)
	h.mu.Unlock()
}
