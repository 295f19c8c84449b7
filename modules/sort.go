package modules

import (
	"sort"

	"github.com/go-python/gpython/py"
)

// gpython's sorted() and list.sort() use `<`, which tuples and lists lack,
// so sorted(d.items()) fails. These versions compare sequences
// lexicographically, as Python does, and everything else with `<`.

// pyLess is Python's a < b, extended to tuples and lists.
func pyLess(a, b py.Object) (bool, error) {
	as, aok := seqOf(a)
	bs, bok := seqOf(b)
	if aok && bok {
		for i := 0; i < len(as) && i < len(bs); i++ {
			eq, err := pyEqual(as[i], bs[i])
			if err != nil {
				return false, err
			}
			if !eq {
				return pyLess(as[i], bs[i])
			}
		}
		return len(as) < len(bs), nil
	}
	r, err := py.Lt(a, b)
	if err != nil {
		return false, err
	}
	return r == py.True, nil
}

func seqOf(o py.Object) ([]py.Object, bool) {
	switch x := o.(type) {
	case py.Tuple:
		return x, true
	case *py.List:
		return x.Items, true
	}
	return nil, false
}

// sortItems sorts items in place: key=None, reverse=False keywords; stable.
func sortItems(name string, items []py.Object, kwargs py.StringDict) error {
	var key py.Object = py.None
	reverse := false
	for k, v := range kwargs {
		switch k {
		case "key":
			key = v
		case "reverse":
			b, err := py.MakeBool(v)
			if err != nil {
				return err
			}
			reverse = b == py.True
		default:
			return py.ExceptionNewf(py.TypeError, "'%s' is an invalid keyword argument for %s()", k, name)
		}
	}
	keys := items
	if key != py.None {
		keys = make([]py.Object, len(items))
		for i, it := range items {
			k, err := py.Call(key, py.Tuple{it}, nil)
			if err != nil {
				return err
			}
			keys[i] = k
		}
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var firstErr error
	sort.SliceStable(idx, func(i, j int) bool {
		if firstErr != nil {
			return false
		}
		a, b := keys[idx[i]], keys[idx[j]]
		if reverse {
			a, b = b, a
		}
		less, err := pyLess(a, b)
		if err != nil {
			firstErr = err
		}
		return less
	})
	if firstErr != nil {
		return firstErr
	}
	out := make([]py.Object, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	copy(items, out)
	return nil
}

func builtinSorted(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	if len(args) != 1 {
		return nil, py.ExceptionNewf(py.TypeError, "sorted expected 1 argument, got %d", len(args))
	}
	l, err := py.SequenceList(args[0])
	if err != nil {
		return nil, err
	}
	// SequenceList may return the argument itself for a list.
	if l == args[0] {
		l = py.NewListFromItems(append([]py.Object(nil), l.Items...))
	}
	if err := sortItems("sorted", l.Items, kwargs); err != nil {
		return nil, err
	}
	return l, nil
}

func listSort(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	l, ok := self.(*py.List)
	if !ok || len(args) != 0 {
		return nil, py.ExceptionNewf(py.TypeError, "sort() takes no positional arguments")
	}
	return py.None, sortItems("sort", l.Items, kwargs)
}
