package modules

import "testing"

// TestRewriteCompare: in a module defining __eq__, unchained comparisons
// of non-literal operands become _gomgr_eq/_ne/_in/_notin calls; the rest
// stays gpython's.
func TestRewriteCompare(t *testing.T) {
	const eq = "def __eq__(s, o): pass\n"
	cases := []struct{ in, want string }{
		{"x = a == b\n", "x = _gomgr_eq(a , b)\n"},
		{"if not a.k != f(b, c == d):\n    pass\n", "if not _gomgr_ne(a.k , f(b, _gomgr_eq(c , d))):\n    pass\n"},
		{"y = [k for k in l if k not in s]\n", "y = [k for k in l if _gomgr_notin(k , s)]\n"},
		{"r = x in y and (p, q) in z\n", "r = _gomgr_in(x , y) and _gomgr_in((p, q) , z)\n"},
		{"for a, (b, c) in d: pass\n", "for a, (b, c) in d: pass\n"},
		{"f(*a == b, k=-x != y[0])\n", "f(*_gomgr_eq(a , b), k=_gomgr_ne(-x , y[0]))\n"},
		{"n = (a ==\n   b)\n", "n = (_gomgr_eq(a ,\n   b))\n"},
		{"assert a == b, 'msg'\n", "assert _gomgr_eq(a , b), 'msg'\n"},
		{"v = lambda o: o.k == k if o else None\n", "v = lambda o: _gomgr_eq(o.k , k) if o else None\n"},
		// Left alone: chains, literal operands, is not, decorators.
		{"z = a == b == c\n", "z = a == b == c\n"},
		{"z = a < b == c\n", "z = a < b == c\n"},
		{"m = a is not b\n", "m = a is not b\n"},
		{"q = x == None or x != -1 or 'a' 'b' == y or x in 'abc'\n", "q = x == None or x != -1 or 'a' 'b' == y or x in 'abc'\n"},
		{"@dec(a == b)\ndef h(a, b=c == d): pass\n", "@_gomgr_defaults(dec(a == b), ((c == d), ), {})\ndef h(a, b): pass\n"},
	}
	for _, c := range cases {
		got, err := rewriteSource(eq + c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got != eq+c.want {
			t.Errorf("rewrite %q:\n got %q\nwant %q", c.in, got[len(eq):], c.want)
		}
	}
	// Without a user __eq__ nothing changes.
	if src := "x = a == b\n"; mustRewrite(t, src) != src {
		t.Errorf("%q rewritten without a user __eq__", src)
	}
}

func mustRewrite(t *testing.T, src string) string {
	t.Helper()
	out, err := rewriteSource(src)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
