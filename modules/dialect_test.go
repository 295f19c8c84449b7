package modules

import (
	"reflect"
	"strings"
	"testing"
)

// dialectCases back the claims of docs/python-modules.md: each name is
// cited there. want is the Go value of `result`; wantErr a substring of
// the error (the Python exception) when the feature does not work.
var dialectCases = []struct {
	name    string
	code    string
	want    any
	wantErr string
}{
	// Added by gomgr.
	{name: "str_format_positional", code: `result = "{} and {}".format(1, "b")`, want: "1 and b"},
	{name: "str_format_indexed", code: `result = "{1}{0}".format("a", "b")`, want: "ba"},
	{name: "str_format_keyword", code: `result = "{name}={v:.2f}".format(name="x", v=2.0/3)`, want: "x=0.67"},
	{name: "str_format_spec", code: `result = "[{:>5}|{:<4}|{:^5}|{:05d}|{:,}|{:.1%}|{:x}]".format("ab", "c", "m", 42, 1234567, 0.25, 255)`, want: "[   ab|c   |  m  |00042|1,234,567|25.0%|ff]"},
	{name: "str_format_item_attr", code: `d = {"k": [10, 20]}
result = "{0[k]} {d[k][1]}".format(d, d=d)`, want: "[10, 20] 20"},
	{name: "str_format_nested_width", code: `result = "{:>{w}}".format("x", w=3)`, want: "  x"},
	{name: "str_format_repr", code: `result = "{!r}".format("q")`, want: "'q'"},
	{name: "str_format_braces", code: `result = "{{}}{}".format(1)`, want: "{}1"},
	{name: "builtin_format", code: `result = format(3.14159, ".3f") + format(7, ">3")`, want: "3.142  7"},
	{name: "dict_update", code: `d = {"a": 1}
d.update({"b": 2}, c=3)
d.update([("e", 5)])
result = sorted(d.keys())`, want: []any{"a", "b", "c", "e"}},
	{name: "dict_pop", code: `d = {"a": 1}
result = [d.pop("a"), d.pop("zz", 9), len(d)]`, want: []any{int64(1), int64(9), int64(0)}},
	{name: "dict_pop_missing", code: `result = {}.pop("a")`, wantErr: "KeyError"},
	{name: "dict_setdefault", code: `d = {}
d.setdefault("l", []).append(1)
d.setdefault("l", []).append(2)
result = d`, want: map[string]any{"l": []any{int64(1), int64(2)}}},
	{name: "dict_copy_clear", code: `d = {"a": 1}
c = d.copy()
d.clear()
result = [c, d]`, want: []any{map[string]any{"a": int64(1)}, map[string]any{}}},
	{name: "list_pop_insert", code: `l = [1, 2, 3]
a = l.pop()
b = l.pop(0)
l.insert(0, 9)
l.insert(-1, 8)
result = [a, b, l]`, want: []any{int64(3), int64(1), []any{int64(9), int64(8), int64(2)}}},
	{name: "list_remove_index_count", code: `l = ["a", "b", "a"]
l.remove("a")
result = [l, l.index("a"), l.count("a")]`, want: []any{[]any{"b", "a"}, int64(1), int64(1)}},
	{name: "list_remove_missing", code: `result = [].remove(1)`, wantErr: "ValueError"},
	{name: "list_extend_iterable", code: `l = [1]
l.extend((2, 3))
l.extend(range(4, 5))
result = l`, want: []any{int64(1), int64(2), int64(3), int64(4)}},
	{name: "list_reverse_copy", code: `l = [1, 2]
c = l.copy()
l.reverse()
result = [l, c]`, want: []any{[]any{int64(2), int64(1)}, []any{int64(1), int64(2)}}},
	{name: "str_methods", code: `result = ["ab".ljust(4, "."), "ab".rjust(4), "ab".center(6, "*"), "7".zfill(3), "hello world".title(), "abc".capitalize(), "12".isdigit(), "a=b=c".partition("="), "a=b=c".rpartition("="), "a b c".rsplit(" ", 1), "l1\nl2\n".splitlines(), "abcb".rfind("b"), "abc".index("c")]`,
		want: []any{"ab..", "  ab", "**ab**", "007", "Hello World", "Abc", true, []any{"a", "=", "b=c"}, []any{"a=b", "=", "c"}, []any{"a b", "c"}, []any{"l1", "l2"}, int64(3), int64(2)}},
	{name: "json_roundtrip", code: `import json
s = json.dumps({"b": [1, 2.5, True, None], "a": "x"})
result = [s, json.loads(s)]`, want: []any{`{"a": "x", "b": [1, 2.5, true, null]}`, map[string]any{"a": "x", "b": []any{int64(1), 2.5, true, nil}}}},
	{name: "json_indent", code: `import json
result = json.dumps({"a": [1]}, indent=2, sort_keys=True)`, want: "{\n  \"a\": [\n    1\n  ]\n}"},
	{name: "json_loads_error", code: `import json
result = json.loads("{bad")`, wantErr: "ValueError: JSON decode error"},
	{name: "json_not_serializable", code: `import json
result = json.dumps(object())`, wantErr: "not JSON serializable"},
	{name: "time_monotonic", code: `import time
a = time.monotonic()
b = time.monotonic()
result = b >= a and time.time() > 1e9`, want: true},
	{name: "threading_event", code: `import threading
e = threading.Event()
a = e.is_set()
e.set()
result = [a, e.is_set(), e.wait(1)]`, want: []any{false, true, true}},

	// Works in gpython as is.
	{name: "percent_format_scalars", code: `result = "%d items, %s, %.2f" % (3, "x", 1.5)`, want: "3 items, x, 1.50"},
	{name: "comprehensions", code: `result = [x * 2 for x in range(3) if x] + [len({k: 1 for k in "ab"})]`, want: []any{int64(2), int64(4), int64(2)}},
	{name: "inheritance_methods", code: `class A:
    def f(self):
        return "A.f"
class B(A):
    pass
result = B().f()`, want: "A.f"},
	{name: "base_init_explicit", code: `class A:
    def __init__(self):
        self.x = 1
class B(A):
    def __init__(self):
        A.__init__(self)
        self.y = 2
b = B()
result = [b.x, b.y]`, want: []any{int64(1), int64(2)}},
	{name: "builtin_exceptions", code: `try:
    {}["x"]
except KeyError as e:
    result = "caught KeyError"`, want: "caught KeyError"},
	{name: "generators_lambdas", code: `def g():
    yield 1
    yield 2
result = sorted(list(g()), key=lambda v: -v)`, want: []any{int64(2), int64(1)}},
	{name: "isinstance_builtin_types", code: `result = [isinstance(1, int), isinstance("s", str), isinstance({}, dict), isinstance([], list), isinstance(1.5, float)]`, want: []any{true, true, true, true, true}},
	{name: "sorted_keys", code: `result = sorted({"b": 1, "a": 2}.keys())`, want: []any{"a", "b"}},

	{name: "except_base_class", code: `try:
    raise ValueError("bad")
except Exception as e:
    result = str(e)`, want: "bad"},
	{name: "with_lock", code: `import threading
l = threading.Lock()
with l:
    result = "locked"`, want: "locked"},
	{name: "closures_kwargs", code: `def outer(n, *args, **kw):
    def inner(x=1):
        return n + x + len(args) + len(kw)
    return inner
result = outer(10, 1, 2, a=1)(5)`, want: int64(18)},
	{name: "sets_slices_zip", code: `s = set([1, 2]) | set([3])
result = [len(s), "abcdef"[1:4], [a + b for a, b in zip([1, 2], [10, 20])], [i for i, _ in enumerate("ab")]]`,
		want: []any{int64(3), "bcd", []any{int64(11), int64(22)}, []any{int64(0), int64(1)}}},
	{name: "getattr_hasattr", code: `class A:
    x = 1
result = [getattr(A(), "x"), hasattr(A(), "y"), getattr(A(), "y", 2)]`, want: []any{int64(1), false, int64(2)}},

	// Does not work: documented, with the workaround.
	{name: "dict_order_not_insertion", code: `keys = [chr(ord("a") + i) for i in range(26)]
d = {}
for k in keys:
    d[k] = 1
result = [list(d.keys()) != keys, sorted(d.keys()) == keys]`, want: []any{true, true}},
	{name: "no_super", code: `class A:
    def __init__(self):
        pass
class B(A):
    def __init__(self):
        super().__init__()
B()
result = "ok"`, want: "ok"},
	{name: "super_two_args", code: `class A:
    def __init__(self, *args, **kwargs):
        self.args = list(args)
    def who(self):
        return "A"
class B(A):
    def __init__(self, *args, **kwargs):
        super(B, self).__init__(*args, **kwargs)
    def who(self):
        return "B" + super(B, self).who()
class C(B):
    def who(self):
        return "C" + super(C, self).who()
c = C(1, 2)
result = [c.args, c.who()]`, want: []any{[]any{int64(1), int64(2)}, "CBA"}},
	{name: "mgr_module_unbound_calls", code: `from mgr_module import MgrModule
class M(MgrModule):
    pass
m = M()
MgrModule.log.info("x %d", 1)
m.log.debug("plain")
result = "ok"`, want: "ok"},
	{name: "mgr_module_get_via_class", code: `from mgr_module import MgrModule
class M(MgrModule):
    pass
MgrModule.get(M(), "osd_map")`, wantErr: "get is not available before the module is started"},
	{name: "super_mgr_module", code: `from mgr_module import MgrModule
class M(MgrModule):
    def __init__(self, *args, **kwargs):
        super(M, self).__init__(*args, **kwargs)
        self.ok = True
result = M().ok`, want: true},
	{name: "no_fstrings", code: `x = 1
result = f"{x}"`, want: "1"},
	{name: "no_custom_exceptions", code: `class MyError(Exception):
    pass
try:
    raise MyError("x")
except MyError:
    result = 1`, want: int64(1)},
	{name: "isinstance_subclass", code: `from mgr_module import MgrModule
class A:
    pass
class B(A):
    pass
class M(MgrModule):
    pass
result = [isinstance(B(), A), isinstance(B(), B), isinstance(A(), B), isinstance(B(), (int, A)), issubclass(B, A), issubclass(A, B), isinstance(M(), MgrModule), isinstance(True, bool), isinstance(1, str)]`,
		want: []any{true, true, false, true, true, false, true, true, false}},
	{name: "isinstance_bad_arg", code: `result = isinstance(1, 2)`, wantErr: "TypeError"},
	{name: "no_int_dict_keys", code: `d = {1: "a"}`, wantErr: "string keys"},
	{name: "sorting_tuples", code: `l = [("b", 2), ("a", 3), ("a", 1)]
l.sort(reverse=True)
result = [sorted({"b": 1, "a": 2}.items()), l, sorted([[2], [1, 5], [1]]), sorted(["bb", "a", "ccc"], key=len, reverse=True)]`,
		want: []any{[]any{[]any{"a", int64(2)}, []any{"b", int64(1)}}, []any{[]any{"b", int64(2)}, []any{"a", int64(3)}, []any{"a", int64(1)}}, []any{[]any{int64(1)}, []any{int64(1), int64(5)}, []any{int64(2)}}, []any{"ccc", "bb", "a"}}},
	{name: "sorted_stable_copy", code: `l = [3, 1, 2]
s = sorted(l)
result = [l, s, sorted([(1, "b"), (0, "z"), (1, "a")], key=lambda p: p[0])]`,
		want: []any{[]any{int64(3), int64(1), int64(2)}, []any{int64(1), int64(2), int64(3)}, []any{[]any{int64(0), "z"}, []any{int64(1), "b"}, []any{int64(1), "a"}}}},
	{name: "no_tuple_compare", code: `result = (1, 2) < (3, 4)`, wantErr: "docs/python-modules.md"},
	{name: "max_min_tuples_key", code: `result = [max([(1, 2), (3, 4)]), min(["bb", "a"], key=len), max(1, 5)]`, want: []any{[]any{int64(3), int64(4)}, "a", int64(5)}},
	{name: "sorted_incomparable", code: `result = sorted([1, "a"])`, wantErr: "TypeError"},
	{name: "percent_s_container", code: `result = "%s|%-3d|%05.1f|%r" % ([1], 7, 2.25, "a")`, want: "[1]|7  |002.2|'a'"},
	{name: "str_of_container_ok", code: `result = str([1, "a"])`, want: "[1, 'a']"},
	{name: "no_staticmethod_call_via_class", code: `class A:
    @staticmethod
    def s():
        return 1
result = A.s()`, want: int64(1)},
	{name: "dict_is_fails", code: `a = {}
result = a is a`, wantErr: "gpython Go panic"},
	{name: "type_name", code: `class A:
    pass
try:
    {}["k"]
except KeyError as e:
    k = type(e).__name__
result = [A.__name__, type(A()).__name__, type(ValueError("x")).__name__, k, int.__name__]`, want: []any{"A", "A", "ValueError", "KeyError", "int"}},
	{name: "instance_has_no_name", code: `class A:
    pass
result = A().__name__`, wantErr: "AttributeError"},
	{name: "round", code: `result = [round(2.567, 2), round(2.5), round(3.5), round(-0.4), round(1234.5, -2), round(7, 1), round(0.125, 2)]`,
		want: []any{2.57, int64(2), int64(4), int64(0), 1200.0, int64(7), 0.12}},
	{name: "no_re_module", code: `import re`, wantErr: "ImportError"},
	{name: "collections_module", code: `from collections import OrderedDict
result = list(OrderedDict([("b", 1), ("a", 2)]).keys())`, want: []any{"b", "a"}},
	{name: "exception_hierarchy", code: `class OrchestratorError(Exception):
    def __init__(self, msg, errno=-22):
        super(Exception, self).__init__(msg)
        self.errno = errno
class NoOrchestrator(OrchestratorError):
    kind = "noorch"
    def __init__(self, msg="No orchestrator configured"):
        super().__init__(msg, errno=-2)
    def describe(self):
        return self.kind + " " + str(self.errno)
class Legacy(Exception):
    def __init__(self, msg):
        Exception.__init__(self, msg)
try:
    raise NoOrchestrator()
except OrchestratorError as e:
    got = [str(e), e.errno, e.describe(), list(e.args), NoOrchestrator.kind, type(e).__name__, issubclass(NoOrchestrator, Exception)]
result = got + [str(Legacy("old")), isinstance(Legacy("x"), OrchestratorError)]`,
		want: []any{"No orchestrator configured", int64(-2), "noorch -2", []any{"No orchestrator configured"}, "noorch", "NoOrchestrator", true, "old", false}},
	{name: "exception_str", code: `class E(Exception):
    pass
class S(Exception):
    def __str__(self):
        return "S:" + self.args[0]
result = [str(E()), str(E(5)), str(E("a", 1)), str(S("x")), "{}".format(S("y")), "%s" % S("z"), str(ValueError())]`,
		want: []any{"", "5", "('a', 1)", "S:x", "S:y", "S:z", ""}},
	{name: "exception_attr_set_outside", code: `class E(Exception):
    pass
e = E()
e.extra = 1`, wantErr: "has no attribute 'extra'"},
	{name: "user_eq_list_methods", code: `class K:
    def __init__(self, k):
        self.k = k
    def __eq__(self, other):
        return isinstance(other, K) and self.k == other.k
l = [K(1), K(2), K(1)]
l.remove(K(2))
result = [l.index(K(1)), l.count(K(1)), len(l)]`, want: []any{int64(0), int64(2), int64(2)}},
	{name: "user_eq_literal_operand", code: `class Any:
    def __eq__(self, other):
        return True
result = [Any() == "x", "x" == Any(), Any() == Any(), None != Any()]`, want: []any{false, false, true, true}},
	{name: "no_logging_module", code: `import logging`, wantErr: "ImportError"},
	{name: "no_datetime_module", code: `import datetime`, wantErr: "ImportError"},
}

func TestDialect(t *testing.T) {
	for _, tc := range dialectCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evalPy(t, tc.code)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("want error containing %q, got result %#v", tc.wantErr, got)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got:\n%v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error:\n%v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}
