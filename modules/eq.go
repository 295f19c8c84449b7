package modules

import "github.com/go-python/gpython/py"

// The builtins behind the front end's comparison rewrite (frontend_eq.go):
// == and != that call a user class's __eq__ and __ne__, and `in` that
// compares list and tuple items with them. gpython's own == compares
// instances of Python classes by identity.

// userMethod returns the Python method name of o's class, if o is an
// instance of a user class (or user exception) that defines it.
func userMethod(o py.Object, name string) (py.Object, bool) {
	var t *py.Type
	switch x := o.(type) {
	case *py.Type:
		if isClass(x) {
			return nil, false
		}
		t = x.Type()
	case *py.Exception:
		t = x.Base
	default:
		return nil, false
	}
	return lookupUserMethod(t, name)
}

// callCmp calls a user comparison method; ok is false when it returned
// NotImplemented.
func callCmp(f, self, other py.Object) (py.Object, bool, error) {
	r, err := py.Call(f, py.Tuple{self, other}, nil)
	if err != nil {
		return nil, false, err
	}
	return r, r != py.NotImplemented, nil
}

// eqObj is Python's a == b: a's __eq__, then b's reflected one, then
// lists, tuples and dicts item by item (so their items' __eq__ count),
// then gpython's ==.
func eqObj(a, b py.Object) (py.Object, error) {
	if f, ok := userMethod(a, "__eq__"); ok {
		if r, ok, err := callCmp(f, a, b); err != nil || ok {
			return r, err
		}
	}
	if f, ok := userMethod(b, "__eq__"); ok {
		if r, ok, err := callCmp(f, b, a); err != nil || ok {
			return r, err
		}
	}
	switch x := a.(type) {
	case *py.List:
		if y, ok := b.(*py.List); ok {
			return itemsEqual(x.Items, y.Items)
		}
	case py.Tuple:
		if y, ok := b.(py.Tuple); ok {
			return itemsEqual(x, y)
		}
	case py.StringDict:
		if y, ok := b.(py.StringDict); ok {
			if len(x) != len(y) {
				return py.False, nil
			}
			for k, v := range x {
				w, ok := y[k]
				if !ok {
					return py.False, nil
				}
				if eq, err := truthEq(v, w); err != nil || !eq {
					return py.False, err
				}
			}
			return py.True, nil
		}
	}
	return py.Eq(a, b) // identity for instances, as Python's fallback
}

func itemsEqual(x, y []py.Object) (py.Object, error) {
	if len(x) != len(y) {
		return py.False, nil
	}
	for i := range x {
		if eq, err := truthEq(x[i], y[i]); err != nil || !eq {
			return py.False, err
		}
	}
	return py.True, nil
}

// truthEq is a is b or bool(a == b), as containers compare items.
func truthEq(a, b py.Object) (bool, error) {
	if a == b {
		return true, nil
	}
	r, err := eqObj(a, b)
	if err != nil {
		return false, err
	}
	t, err := py.MakeBool(r)
	return t == py.True, err
}

// neObj is Python's a != b: a user __ne__ (either side), else the
// negation of eqObj when == is user-defined, else gpython's !=.
func neObj(a, b py.Object) (py.Object, error) {
	if f, ok := userMethod(a, "__ne__"); ok {
		if r, ok, err := callCmp(f, a, b); err != nil || ok {
			return r, err
		}
	}
	if f, ok := userMethod(b, "__ne__"); ok {
		if r, ok, err := callCmp(f, b, a); err != nil || ok {
			return r, err
		}
	}
	_, ua := userMethod(a, "__eq__")
	_, ub := userMethod(b, "__eq__")
	_, la := a.(*py.List)
	_, ta := a.(py.Tuple)
	_, da := a.(py.StringDict)
	if !ua && !ub && !la && !ta && !da {
		return py.Ne(a, b)
	}
	r, err := eqObj(a, b)
	if err != nil {
		return nil, err
	}
	return py.Not(r)
}

// inObj is Python's x in c: list and tuple items compare with truthEq,
// anything else as gpython does (dict keys, str, set, __contains__).
func inObj(x, c py.Object) (bool, error) {
	var items []py.Object
	switch l := c.(type) {
	case *py.List:
		items = l.Items
	case py.Tuple:
		items = l
	default:
		return py.SequenceContains(c, x)
	}
	for _, it := range items {
		if eq, err := truthEq(it, x); err != nil || eq {
			return eq, err
		}
	}
	return false, nil
}

// installCompare adds the builtins to a context's builtins module. They
// take positional arguments only: gpython allocates a kwargs map per call
// for builtins that accept keywords, and these run once per comparison.
func installCompare(b *py.Module) {
	cmp := func(name string, f func(a, b py.Object) (py.Object, error)) {
		b.Globals[name] = py.MustNewMethod(name, func(self py.Object, args py.Tuple) (py.Object, error) {
			if len(args) != 2 {
				return nil, py.ExceptionNewf(py.TypeError, "%s expected 2 arguments, got %d", name, len(args))
			}
			return f(args[0], args[1])
		}, 0, "front end: a comparison that honours a user __eq__ (frontend_eq.go)")
	}
	cmp("_gomgr_eq", eqObj)
	cmp("_gomgr_ne", neObj)
	cmp("_gomgr_in", func(x, c py.Object) (py.Object, error) {
		in, err := inObj(x, c)
		return py.NewBool(in), err
	})
	cmp("_gomgr_notin", func(x, c py.Object) (py.Object, error) {
		in, err := inObj(x, c)
		return py.NewBool(!in), err
	})
}
