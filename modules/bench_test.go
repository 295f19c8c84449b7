package modules

import (
	"fmt"
	"testing"
	"time"

	"gomgr/registry"
)

// osdMap1000 is osd_dump.json grown to 1,000 OSDs (and their osd_xinfo),
// the shape of Ceph's `osd dump -f json`.
func osdMap1000(b testing.TB) map[string]any {
	m := cephJSON(b, "osd_dump.json").(map[string]any)
	tmpl := m["osds"].([]any)[0].(map[string]any)
	xtmpl := m["osd_xinfo"].([]any)[0].(map[string]any)
	osds := make([]any, 1000)
	xinfo := make([]any, 1000)
	for i := range osds {
		o := make(map[string]any, len(tmpl))
		for k, v := range tmpl {
			o[k] = v
		}
		o["osd"] = int64(i)
		o["uuid"] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
		osds[i] = o
		x := make(map[string]any, len(xtmpl))
		for k, v := range xtmpl {
			x[k] = v
		}
		x["osd"] = int64(i)
		xinfo[i] = x
	}
	m["osds"] = osds
	m["osd_xinfo"] = xinfo
	m["max_osd"] = int64(1000)
	return m
}

const benchSrc = `
from mgr_module import MgrModule
class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    def notify(self, notify_type, notify_id):
        m = self.get("osd_map")
        self.log.debug("epoch %d, %d osds", m["epoch"], len(m["osds"]))
    def handle_command(self, inbuf, cmd):
        n = cmd["n"]
        i = 0
        while i < n:
            m = self.get("osd_map")
            i += 1
        return 0, str(len(m["osds"])), ""
`

// BenchmarkGetOSDMap1000: get('osd_map') from Python on a 1,000-OSD map.
// "first" converts a new version every call; "cached" repeats one version.
func BenchmarkGetOSDMap1000(b *testing.B) {
	m, h := startSrc(b, "bench", benchSrc)
	data := osdMap1000(b)
	ctx := ctxT(b, time.Hour)
	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			h.set("osd_map", uint64(1000+i), data)
			res, err := m.Command(ctx, registry.Command{Args: map[string]any{"n": int64(1)}})
			if err != nil || res.Stdout != "1000" {
				b.Fatalf("%+v %v", res, err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		h.set("osd_map", 1, data)
		command(b, m, map[string]any{"n": int64(1)}) // convert once
		b.ResetTimer()
		res, err := m.Command(ctx, registry.Command{Args: map[string]any{"n": int64(b.N)}})
		if err != nil || res.Stdout != "1000" {
			b.Fatalf("%+v %v", res, err)
		}
	})
}

// BenchmarkNotify: one notify per op, calling get() (cached) and
// self.log.debug, through the owner goroutine.
func BenchmarkNotify(b *testing.B) {
	m, h := startSrc(b, "bench", benchSrc)
	h.set("osd_map", 1, osdMap1000(b))
	ctx := ctxT(b, time.Hour)
	ev := []registry.Event{{Kind: "osd_map", ID: ""}}
	if err := m.Notify(ctx, ev); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Notify(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// compareSrc's notify makes 2,000 == / != comparisons over a 1,000-OSD map;
// with eqClass appended the module defines __eq__, so the front end routes
// them through _gomgr_eq/_gomgr_ne.
const compareSrc = `
from mgr_module import MgrModule
class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    def notify(self, notify_type, notify_id):
        n = 0
        for o in self.get("osd_map")["osds"]:
            if o["up"] == o["in"] and o["state"] != o["osd"]:
                n += 1
        self.n = n
`

const eqClass = `
class Key:
    def __init__(self, k):
        self.k = k
    def __eq__(self, other):
        return isinstance(other, Key) and self.k == other.k
`

// BenchmarkNotifyCompare: one notify per op making 2,000 comparisons, in a
// module without a user __eq__ ("plain") and with one ("user_eq").
func BenchmarkNotifyCompare(b *testing.B) {
	for _, c := range []struct{ name, src string }{{"plain", compareSrc}, {"user_eq", compareSrc + eqClass}} {
		b.Run(c.name, func(b *testing.B) {
			m, h := startSrc(b, "bench", c.src)
			h.set("osd_map", 1, osdMap1000(b))
			ctx := ctxT(b, time.Hour)
			ev := []registry.Event{{Kind: "osd_map"}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.Notify(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad: opening a real module (examples/modules/status): the
// source front end's rewrite and the compile, the import, the class and
// its declarations read.
func BenchmarkLoad(b *testing.B) {
	src := NewSource(Config{Dirs: []string{"../examples/modules"}})
	for b.Loop() {
		m, err := src.Open(b.Context(), "status")
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Stop(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
