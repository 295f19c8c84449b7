package modbench_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/modules"
	"gomgr/modules/isolate"
	"gomgr/modules/modbench"
	"gomgr/registry"
)

const envDirs = "MODBENCH_TEST_DIRS"

// TestMain doubles as the module process of the isolated mode.
func TestMain(m *testing.M) {
	if isolate.MaybeRunChild(func() registry.Source {
		return modules.NewSource(modules.Config{Dirs: filepath.SplitList(os.Getenv(envDirs))})
	}) {
		return
	}
	os.Exit(m.Run())
}

func isolated(inner registry.Source, dir string) registry.Source {
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	return isolate.NewSource(inner, isolate.Config{Logger: quiet, Env: []string{envDirs + "=" + dir}})
}

// TestRunSmall runs every measurement in both modes, small, and checks
// each figure is there and plausible.
func TestRunSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := modbench.Run(ctx, modbench.Options{
		Counts: []int{1, 3}, Duration: 200 * time.Millisecond, Window: 64, LatencyEvents: 20,
		EnableRuns: 2, GetRuns: 2, GetCached: 20, OSDs: 50, Isolate: isolated, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		mode, metric string
		modules      int
		cache, work  string
	}
	got := map[key]modbench.Result{}
	for _, r := range res {
		if r.Bench != "modules" {
			t.Errorf("bench %q", r.Bench)
		}
		got[key{r.Mode, r.Metric, r.Modules, r.Cache, r.Work}] = r
	}
	for _, mode := range []string{modbench.ModeIsolated, modbench.ModeInProcess} {
		for _, n := range []int{1, 3} {
			r, ok := got[key{mode, modbench.MetricNotify, n, "", ""}]
			switch {
			case !ok:
				t.Errorf("%s: no notify figure for %d modules", mode, n)
			case r.NotifyPerS <= 0 || r.N <= 0 || r.P99us <= 0 || r.P50us > r.P99us || r.P99LoadedUs <= 0:
				t.Errorf("%s: implausible notify figure %+v", mode, r)
			case r.Dropped != 0:
				t.Errorf("%s: %d events dropped inside the window: %+v", mode, r.Dropped, r)
			case r.NotifyPerS < r.EventsPerS*float64(n)*0.99:
				t.Errorf("%s: notify_per_s should count every module: %+v", mode, r)
			}
		}
		for _, w := range []string{"get+log", "log"} {
			if r := got[key{mode, modbench.MetricEnable, 1, "", w}]; r.N != 2 || r.EnableToFirstNotifyMs <= 0 || r.EnableMaxMs < r.EnableToFirstNotifyMs {
				t.Errorf("%s: enable figure (%s) %+v", mode, w, r)
			}
		}
		for _, c := range []string{"first", "cached"} {
			if r := got[key{mode, modbench.MetricGet, 1, c, ""}]; r.GetOSDMapUs <= 0 || r.OSDs != 50 {
				t.Errorf("%s: get %s figure %+v", mode, c, r)
			}
		}
		r0, r3 := got[key{mode, modbench.MetricRSS, 0, "", ""}], got[key{mode, modbench.MetricRSS, 3, "", ""}]
		if r0.RSSKB <= 0 || r3.RSSKB <= 0 {
			t.Errorf("%s: rss figures %+v %+v", mode, r0, r3)
		}
		if mode == modbench.ModeIsolated && r3.PerModuleKB < 1024 {
			// Each module is a process of its own: several MiB at least.
			t.Errorf("isolated rss does not count the module processes: %+v", r3)
		}
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    modbench.Options
	}{
		{"unknown mode", modbench.Options{Modes: []string{"threads"}}},
		{"isolated without Isolate", modbench.Options{Modes: []string{modbench.ModeIsolated}}},
		{"zero modules", modbench.Options{Modes: []string{modbench.ModeInProcess}, Counts: []int{0}}},
		{"negative runs", modbench.Options{Modes: []string{modbench.ModeInProcess}, EnableRuns: -1}},
		{"window over the queue", modbench.Options{Modes: []string{modbench.ModeInProcess}, Window: registry.DefaultQueueLen}},
		{"negative duration", modbench.Options{Modes: []string{modbench.ModeInProcess}, Duration: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.TempDir = t.TempDir()
			if _, err := modbench.Run(context.Background(), tc.o); !errors.Is(err, modbench.ErrOptions) {
				t.Fatalf("err = %v, want ErrOptions", err)
			}
		})
	}
}

func TestOSDMapShape(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		m, err := modbench.OSDMap(n)
		if err != nil {
			t.Fatal(err)
		}
		osds := m["osds"].([]any)
		if len(osds) != n || len(m["osd_xinfo"].([]any)) != n || m["max_osd"] != int64(n) {
			t.Fatalf("%d: %d osds, max_osd %v", n, len(osds), m["max_osd"])
		}
		if n > 0 {
			last := osds[n-1].(map[string]any)
			if last["osd"] != int64(n-1) || last["up"] != int64(1) || last["public_addrs"] == nil {
				t.Fatalf("osd entry %v", last)
			}
		}
		if _, ok := m["epoch"].(int64); !ok {
			t.Fatalf("epoch %T", m["epoch"])
		}
		if _, err := registry.NewValue(1, m).JSON(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := modbench.OSDMap(-1); !errors.Is(err, modbench.ErrOptions) {
		t.Fatalf("err = %v", err)
	}
}

// ExampleRun measures the in-process mode only, briefly.
func ExampleRun() {
	res, err := modbench.Run(context.Background(), modbench.Options{
		Modes: []string{modbench.ModeInProcess}, Counts: []int{1}, Duration: 50 * time.Millisecond,
		LatencyEvents: 5, EnableRuns: 1, GetRuns: 1, GetCached: 5, OSDs: 10,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		fmt.Println(strings.TrimSpace(fmt.Sprint(r.Mode, " ", r.Metric, " ", r.Modules, " ", r.Cache, r.Work)))
	}
	// Output:
	// in-process rss 0
	// in-process notify 1
	// in-process rss 1
	// in-process enable_to_first_notify 1 get+log
	// in-process enable_to_first_notify 1 log
	// in-process get_osd_map 1 first
	// in-process get_osd_map 1 cached
}

// BenchmarkOSDMapJSON: what isolated mode pays once per osd_map version in
// the parent (all children share it): encoding the 1,000-OSD map.
func BenchmarkOSDMapJSON(b *testing.B) {
	m, err := modbench.OSDMap(1000)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	for b.Loop() {
		raw, err := registry.NewValue(1, m).JSON()
		if err != nil {
			b.Fatal(err)
		}
		n = len(raw)
	}
	b.ReportMetric(float64(n), "bytes")
}
