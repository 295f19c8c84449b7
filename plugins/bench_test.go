package plugins

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestBench runs Bench small (and at full size with GOMGR_PLUGINS_BENCH_FULL=1,
// best without -race) and prints its JSON lines. GOMGR_PLUGINS_BENCH_PLUGIN
// names another plugin binary to use, e.g. a built osdwatch.
func TestBench(t *testing.T) {
	o := BenchOptions{Starts: 1, Events: 5_000, BatchSize: 500, Callbacks: 200}
	if os.Getenv("GOMGR_PLUGINS_BENCH_FULL") != "" {
		o = BenchOptions{}
	}
	// A binary that calls ServeBenchPlugin can serve the bench plugin (this
	// test binary does, in TestMain).
	o.PluginPath = os.Getenv("GOMGR_PLUGINS_BENCH_PLUGIN")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Bench(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range res {
		b, _ := json.Marshal(r)
		t.Log(string(b))
		if r.Bench != "plugins" || r.Value <= 0 {
			t.Errorf("bad result %s", b)
		}
		seen[r.Metric] = true
	}
	for _, m := range []string{"startup_ms", "notify_per_s", "callback_per_s", "plugin_rss_kb"} {
		if !seen[m] {
			t.Errorf("no %s result", m)
		}
	}
}
