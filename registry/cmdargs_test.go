package registry_test

import (
	"errors"
	"reflect"
	"testing"

	"gomgr/registry"
)

func TestParseArgs(t *testing.T) {
	sigs := []string{
		"mgr module enable name=module,type=CephString name=force,type=CephChoices,strings=--force,req=false",
		"mgr module ls",
		"config-key set name=key,type=CephString name=val,type=CephString,req=false",
		"iostat name=width,type=CephInt,req=false",
		"osd down name=ids,type=CephString,n=N",
		"alerts status name=format,type=CephChoices,strings=plain|json,req=false",
	}
	for _, tc := range []struct {
		words []string
		want  map[string]any
		ok    bool
		bad   bool
	}{
		{[]string{"mgr", "module", "ls"}, map[string]any{"prefix": "mgr module ls"}, true, false},
		{[]string{"mgr", "module", "enable", "hello"}, map[string]any{"prefix": "mgr module enable", "module": "hello"}, true, false},
		{[]string{"mgr", "module", "enable", "hello", "--force"}, map[string]any{"prefix": "mgr module enable", "module": "hello", "force": "--force"}, true, false},
		{[]string{"config-key", "set", "k", "v"}, map[string]any{"prefix": "config-key set", "key": "k", "val": "v"}, true, false},
		{[]string{"config-key", "set", "key=k"}, map[string]any{"prefix": "config-key set", "key": "k"}, true, false},
		{[]string{"iostat", "5"}, map[string]any{"prefix": "iostat", "width": int64(5)}, true, false},
		{[]string{"iostat", "five"}, nil, true, true},
		{[]string{"osd", "down", "1", "2"}, map[string]any{"prefix": "osd down", "ids": []any{"1", "2"}}, true, false},
		{[]string{"alerts", "status", "json"}, map[string]any{"prefix": "alerts status", "format": "json"}, true, false},
		{[]string{"alerts", "status", "xml"}, nil, true, true},
		{[]string{"mgr", "module", "enable"}, nil, true, true},
		{[]string{"mgr", "module", "ls", "extra"}, nil, true, true},
		{[]string{"no", "such"}, nil, false, false},
	} {
		got, ok, err := registry.ParseArgs(sigs, tc.words)
		if ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("%v: ok=%v err=%v, want ok=%v bad=%v", tc.words, ok, err, tc.ok, tc.bad)
			continue
		}
		if tc.bad && !errors.Is(err, registry.ErrBadArgs) {
			t.Errorf("%v: error %v is not ErrBadArgs", tc.words, err)
		}
		if !tc.bad && tc.ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: got %v, want %v", tc.words, got, tc.want)
		}
	}
}
