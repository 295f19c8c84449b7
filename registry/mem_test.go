package registry_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"gomgr/registry"
)

func TestMemStateConcurrent(t *testing.T) {
	var st registry.MemState // the zero value is ready
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				st.Set(fmt.Sprint("d", w), map[string]any{"i": int64(i)})
				st.SetServer(registry.Server{Hostname: fmt.Sprint("h", w)})
				st.SetMetadata("osd", fmt.Sprint(w), map[string]string{"i": fmt.Sprint(i)})
				st.AddSample("osd", fmt.Sprint(w), "op", registry.Sample{T: float64(i), V: float64(i)})
				st.SetPerfSchema("osd", fmt.Sprint(w), map[string]registry.PerfCounter{"op": {Nick: "op"}})
			}
		}()
		go func() {
			defer wg.Done()
			for range 200 {
				_, _ = st.Get(fmt.Sprint("d", w))
				_ = st.ListServers()
				_, _ = st.Metadata("osd", fmt.Sprint(w))
				_ = st.Counter("osd", fmt.Sprint(w), "op")
				_ = st.PerfSchema("osd", fmt.Sprint(w))
			}
		}()
	}
	wg.Wait()
	v, err := st.Get("d0")
	if err != nil || v.Data.(map[string]any)["i"] != int64(199) || v.Version == 0 || v.Version > 800 {
		t.Errorf("Get = %+v, %v", v, err)
	}
	if c := st.Counter("osd", "0", "op"); len(c) != registry.DefaultRetain || c[len(c)-1].V != 199 {
		t.Errorf("retained %d samples, last %v", len(c), c[len(c)-1])
	}
	if l := st.ListServers(); len(l) != 4 || l[0].Hostname != "h0" {
		t.Errorf("servers %+v", l)
	}
	// Versions only go up, across names.
	a, b := st.Set("x", 1.0), st.Set("y", 2.0)
	if b <= a {
		t.Errorf("versions %d then %d", a, b)
	}
	st.Delete("x")
	if _, err := st.Get("x"); !errors.Is(err, registry.ErrNoData) {
		t.Errorf("after Delete: %v", err)
	}
	// Returned maps are copies.
	md, _ := st.Metadata("osd", "0")
	md["i"] = "changed"
	if md2, _ := st.Metadata("osd", "0"); md2["i"] == "changed" {
		t.Error("Metadata returned the stored map")
	}
	st.RemoveServer("h0")
	if _, ok := st.GetServer("h0"); ok {
		t.Error("server not removed")
	}
}

func TestMemStore(t *testing.T) {
	var s registry.MemStore
	v1, v2 := "1", "2"
	for k, v := range map[string]*string{"mgr/a/x": &v1, "mgr/a/y": &v2, "mgr/b/x": &v1} {
		if err := s.Set(bg, k, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.List(bg, "mgr/a/")
	if err != nil || !reflect.DeepEqual(got, map[string]string{"mgr/a/x": "1", "mgr/a/y": "2"}) {
		t.Errorf("List = %v, %v", got, err)
	}
	if err := s.Set(bg, "mgr/a/x", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Get(bg, "mgr/a/x"); ok {
		t.Error("not deleted")
	}
}

func ExampleMemState() {
	st := registry.NewMemState()
	st.Set("queue", map[string]any{"pending": int64(2)})
	st.AddSample("worker", "w1", "jobs_done", registry.Sample{T: 1700000000, V: 41})
	st.AddSample("worker", "w1", "jobs_done", registry.Sample{T: 1700000005, V: 42})
	v, _ := st.Get("queue")
	fmt.Println(v.Version, v.Data)
	fmt.Println(st.Counter("worker", "w1", "jobs_done"))
	// Output:
	// 1 map[pending:2]
	// [{1.7e+09 41 0} {1.700000005e+09 42 0}]
}
