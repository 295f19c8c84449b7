package registry_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"gomgr/registry"
)

// countingStore counts the writes that reach the Store.
type countingStore struct {
	*registry.MemStore
	sets atomic.Int64
}

func (s *countingStore) Set(ctx context.Context, key string, value *string) error {
	s.sets.Add(1)
	return s.MemStore.Set(ctx, key, value)
}

// TestSetModuleOptionPaths: a module's set_module_option (its own
// options) and set_module_option_ex (another module's, Ceph's
// set_module_option_ex) check the value against the declaration (type,
// min, max, enum) before anything is stored, and store it trimmed.
func TestSetModuleOptionPaths(t *testing.T) {
	store := &countingStore{MemStore: registry.NewMemStore()}
	src := newSource("go")
	opts := []registry.Option{
		{Name: "depth", Type: "int", Min: 1, Max: 10},
		{Name: "ratio", Type: "float", Min: 0.0, Max: 1.0},
		{Name: "mode", Type: "str", Enum: []string{"fast", "slow"}},
		{Name: "on", Type: "bool"},
		{Name: "cap", Type: "size"},
	}
	for _, n := range []string{"a", "b"} {
		src.add(n, registry.Info{CanRun: true, Options: opts}, nil)
	}
	reg := newReg(t, registry.Config{State: registry.NewMemState(), Store: store, MgrID: "x"}, src)
	if err := reg.SetEnabled(bg, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "started", func() bool { return src.last("a").getHost() != nil })
	ha := src.last("a").getHost()
	fa, ok := ha.(registry.ForeignOptionHost)
	if !ok {
		t.Fatal("the registry's Host is no ForeignOptionHost")
	}
	paths := []struct {
		name   string
		module string // whose option is set
		set    func(key string, v *string) error
	}{
		{"set_module_option", "a", func(k string, v *string) error { return ha.SetModuleOption(bg, k, v) }},
		{"set_module_option_ex", "b", func(k string, v *string) error { return fa.SetForeignModuleOption(bg, "b", k, v) }},
	}
	for _, p := range paths {
		for _, tc := range []struct {
			key, val string
			want     error  // nil: stored
			why      string // in the error
		}{
			{key: "depth", val: " 7 "},
			{key: "depth", val: "seven", want: registry.ErrInvalidOption, why: `"seven" is not a valid int`},
			{key: "depth", val: "0", want: registry.ErrInvalidOption, why: "below the minimum 1"},
			{key: "depth", val: "11", want: registry.ErrInvalidOption, why: "above the maximum 10"},
			{key: "depth", val: "2.5", want: registry.ErrInvalidOption, why: "not a valid int"},
			{key: "ratio", val: "0.25"},
			{key: "ratio", val: "1.5", want: registry.ErrInvalidOption, why: "above the maximum 1"},
			{key: "ratio", val: "NaN", want: registry.ErrInvalidOption, why: "not a valid float"},
			{key: "mode", val: "slow"},
			{key: "mode", val: "medium", want: registry.ErrInvalidOption, why: "is not one of fast, slow"},
			{key: "on", val: "yes"},
			{key: "on", val: "maybe", want: registry.ErrInvalidOption, why: "not a valid bool"},
			{key: "cap", val: "4K"},
			{key: "cap", val: "-1", want: registry.ErrInvalidOption, why: "not a valid size"},
			{key: "x/depth", val: "3"},
			{key: "x/depth", val: "99", want: registry.ErrInvalidOption, why: "above the maximum 10"},
			{key: "nope", val: "1", want: registry.ErrUnknownOption},
		} {
			before := store.sets.Load()
			v := tc.val
			err := p.set(tc.key, &v)
			if tc.want == nil {
				stored, _, _ := store.Get(bg, "mgr/"+p.module+"/"+tc.key)
				if err != nil || stored != strings.TrimSpace(tc.val) {
					t.Errorf("%s(%s=%q) = %v, stored %q", p.name, tc.key, tc.val, err, stored)
				}
				continue
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("%s(%s=%q) = %v; want %v with %q", p.name, tc.key, tc.val, err, tc.want, tc.why)
			}
			if n := store.sets.Load(); n != before {
				t.Errorf("%s(%s=%q) refused but written to the store", p.name, tc.key, tc.val)
			}
		}
	}
	// set_module_option_ex of a module nobody loaded.
	v := "1"
	if err := fa.SetForeignModuleOption(bg, "ghost", "depth", &v); !errors.Is(err, registry.ErrUnknownModule) {
		t.Errorf("unknown module: %v", err)
	}
}
