package isolate

import (
	"context"
	"os"
	"testing"
	"time"

	"gomgr/registry"
)

// The per-notify cost of isolation, against the same module in process.
// Each op is one Notify of one event; "get" events also call Host.Get for
// an unchanged version (one more round trip, child to parent).

func benchNotify(b *testing.B, m registry.Module, kind string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	evs := []registry.Event{{Kind: kind, ID: "osd_map"}}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := m.Notify(ctx, evs); err != nil {
			b.Fatal(err)
		}
		if i%4096 == 4095 {
			// Keep the in-test module's event log small.
			if gm, ok := m.(*goModule); ok {
				gm.mu.Lock()
				gm.events = gm.events[:0]
				gm.mu.Unlock()
			}
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifies/s")
}

func benchHost() *fakeHost {
	h := newFakeHost()
	h.setValue("osd_map", registry.NewValue(1, map[string]any{"epoch": int64(1)}))
	return h
}

func BenchmarkNotifyInProcess(b *testing.B) {
	for _, kind := range []string{"osd_map", "get"} {
		b.Run(kind, func(b *testing.B) {
			m := &goModule{name: "ok"}
			_ = m.Start(context.Background(), benchHost())
			benchNotify(b, m, kind)
		})
	}
}

func BenchmarkNotifyIsolated(b *testing.B) {
	for _, kind := range []string{"osd_map", "get"} {
		b.Run(kind, func(b *testing.B) {
			s := testSourceCfg(Config{Env: benchEnv()})
			m := open(b, s, "ok", benchHost())
			benchNotify(b, m, kind)
		})
	}
}

// BenchmarkOpen is a child's start-up: exec, Open, Info reported, and the
// Stop that ends it. It also reports an idle child's resident memory.
func BenchmarkOpen(b *testing.B) {
	s := testSourceCfg(Config{})
	var startup time.Duration
	var rss int64
	for i := 0; i < b.N; i++ {
		mod, err := s.Open(context.Background(), "ok")
		if err != nil {
			b.Fatal(err)
		}
		m := mod.(*Module)
		startup += m.StartupTime()
		if i == 0 {
			if err := m.Start(context.Background(), benchHost()); err != nil {
				b.Fatal(err)
			}
			rss, _ = m.RSS()
		}
		if err := m.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(startup.Microseconds())/float64(b.N)/1000, "startup_ms")
	b.ReportMetric(float64(rss)/(1<<20), "child_rss_MiB")
}

// benchEnv passes ISOLATE_BENCH_ENV (e.g. GOMAXPROCS=1) to the children.
func benchEnv() []string {
	if v := os.Getenv("ISOLATE_BENCH_ENV"); v != "" {
		return []string{v}
	}
	return nil
}

// osdMap is an `osd dump`-shaped map with n OSDs.
func osdMap(epoch int64, n int) map[string]any {
	osds := make([]any, n)
	for i := range osds {
		osds[i] = map[string]any{
			"osd": int64(i), "uuid": "8c7e2f3a-0000-4000-8000-000000000000", "up": int64(1), "in": int64(1),
			"weight": 1.0, "primary_affinity": 1.0, "last_clean_begin": int64(0), "last_clean_end": int64(0),
			"up_from": int64(5), "up_thru": int64(17), "down_at": int64(0), "lost_at": int64(0),
			"public_addr": "10.0.0.1:6800/1234", "cluster_addr": "10.0.0.1:6801/1234",
			"heartbeat_back_addr": "10.0.0.1:6802/1234", "heartbeat_front_addr": "10.0.0.1:6803/1234",
			"state": []any{"exists", "up"},
		}
	}
	return map[string]any{"epoch": epoch, "fsid": "f0c3a4e2-0000-4000-8000-000000000000", "osds": osds,
		"pools": []any{map[string]any{"pool": int64(1), "pool_name": "rbd", "size": int64(3)}}}
}

// BenchmarkGetOSDMap: get("osd_map") of a 1,000-OSD map from an isolated
// module, when the version is unchanged (one small round trip) and when
// every call sees a new version (encode once, ship, decode in the child).
func BenchmarkGetOSDMap(b *testing.B) {
	data := osdMap(1, 1000)
	raw, _ := registry.NewValue(1, data).JSON()
	b.Logf("osd_map JSON: %d bytes", len(raw))
	for _, fresh := range []bool{false, true} {
		name := "unchanged"
		if fresh {
			name = "new_version"
		}
		b.Run(name, func(b *testing.B) {
			h := newFakeHost()
			h.setValue("osd_map", registry.NewValue(1, data))
			s := testSourceCfg(Config{})
			m := open(b, s, "ok", h)
			ctx := context.Background()
			evs := []registry.Event{{Kind: "get", ID: "osd_map"}}
			if err := m.Notify(ctx, evs); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if fresh {
					h.setValue("osd_map", registry.NewValue(uint64(i+2), data))
				}
				if err := m.Notify(ctx, evs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
