package registry_test

import (
	"testing"

	"gomgr/registry"
)

func TestValueJSON(t *testing.T) {
	v := registry.NewValue(3, map[string]any{"epoch": int64(3)})
	raw, err := v.JSON()
	if err != nil || string(raw) != `{"epoch":3}` {
		t.Fatalf("encoded %q, %v", raw, err)
	}
	again, _ := v.JSON()
	if &again[0] != &raw[0] {
		t.Fatal("JSON encoded twice")
	}
	// A value that arrived as JSON keeps its bytes: no second encoding.
	wire := []byte(`{ "epoch": 4 }`)
	w := registry.NewValueJSON(4, map[string]any{"epoch": int64(4)}, wire)
	if got, err := w.JSON(); err != nil || &got[0] != &wire[0] {
		t.Fatalf("NewValueJSON re-encoded: %q %v", got, err)
	}
}

func TestValueEncoder(t *testing.T) {
	calls := 0
	v := registry.NewValueEncoder(5, []any{int64(1)}, func(d any) ([]byte, error) {
		calls++
		return []byte(`[1]`), nil
	})
	for i := 0; i < 3; i++ {
		if raw, err := v.JSON(); err != nil || string(raw) != `[1]` {
			t.Fatalf("encoded %q, %v", raw, err)
		}
	}
	if calls != 1 || v.Version != 5 {
		t.Fatalf("encoder called %d times, version %d", calls, v.Version)
	}
}

func TestMemStateEncoder(t *testing.T) {
	st := registry.NewMemState()
	st.Set("a", []any{int64(1)})
	st.SetEncoder(func(any) ([]byte, error) { return []byte(`"custom"`), nil })
	st.Set("b", []any{int64(2)})
	a, _ := st.Get("a")
	b, _ := st.Get("b")
	if raw, _ := a.JSON(); string(raw) != `[1]` {
		t.Errorf("a encoded %s", raw)
	}
	if raw, _ := b.JSON(); string(raw) != `"custom"` {
		t.Errorf("b encoded %s", raw)
	}
}
