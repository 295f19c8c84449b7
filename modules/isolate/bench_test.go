package isolate

import (
	"context"
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
			s := testSourceCfg(Config{})
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
