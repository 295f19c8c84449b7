package modules

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-python/gpython/py"
)

// The methods below fill gaps in gpython's built-in types that module
// authors hit first. They are added to the process-wide type dicts once, at
// package init, before any interpreter runs: gpython reads those maps from
// every context, so writing them later would race.
func init() {
	addDictMethods()
	addListMethods()
	addStrMethods()
	addTypeName()
}

// addTypeName gives classes their __name__ (Cls.__name__,
// type(e).__name__, self.__class__-less code uses type(self).__name__).
// It sits on both `type` (user classes) and `object` (gpython's built-in
// types have `object` as their type); for anything that is not a class it
// raises AttributeError as before.
func addTypeName() {
	name := &py.Property{Fget: func(self py.Object) (py.Object, error) {
		if t, ok := self.(*py.Type); ok && isClass(t) {
			return py.String(t.Name), nil
		}
		return nil, py.ExceptionNewf(py.AttributeError, "'%s' has no attribute '__name__'", self.Type().Name)
	}}
	for _, t := range []*py.Type{py.TypeType, py.ObjectType} {
		if _, ok := t.Dict["__name__"]; !ok {
			t.Dict["__name__"] = name
		}
	}
}

// method is the common signature of the added methods.
type method = func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error)

// define adds fn to t unless gpython already has the method (override says
// to replace a built-in one that is wrong).
func define(t *py.Type, name string, fn method, override bool, doc string) {
	if _, ok := t.Dict[name]; ok && !override {
		return
	}
	t.Dict[name] = py.MustNewMethod(name, fn, 0, doc)
}

func noKwargs(name string, kwargs py.StringDict) error {
	if len(kwargs) != 0 {
		return py.ExceptionNewf(py.TypeError, "%s() takes no keyword arguments", name)
	}
	return nil
}

func dictKey(o py.Object) (string, error) {
	s, ok := o.(py.String)
	if !ok {
		return "", py.ExceptionNewf(py.TypeError, "gpython dicts only take str keys, got '%s'", o.Type().Name)
	}
	return string(s), nil
}

func addDictMethods() {
	t := py.StringDictType
	define(t, "update", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		d := self.(py.StringDict)
		if len(args) > 1 {
			return nil, py.ExceptionNewf(py.TypeError, "update expected at most 1 argument, got %d", len(args))
		}
		if len(args) == 1 {
			switch src := args[0].(type) {
			case py.StringDict:
				for k, v := range src {
					d[k] = v
				}
			default:
				var ierr error
				err := py.Iterate(src, func(item py.Object) bool {
					pair, err := py.SequenceTuple(item)
					if err != nil || len(pair) != 2 {
						ierr = py.ExceptionNewf(py.TypeError, "dictionary update sequence element is not a pair")
						return true
					}
					k, err := dictKey(pair[0])
					if err != nil {
						ierr = err
						return true
					}
					d[k] = pair[1]
					return false
				})
				if err != nil {
					return nil, err
				}
				if ierr != nil {
					return nil, ierr
				}
			}
		}
		for k, v := range kwargs {
			d[k] = v
		}
		return py.None, nil
	}, false, "D.update([E, ]**F) -> None. Update D from dict/iterable E and F.")

	define(t, "pop", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if err := noKwargs("pop", kwargs); err != nil {
			return nil, err
		}
		d := self.(py.StringDict)
		if len(args) < 1 || len(args) > 2 {
			return nil, py.ExceptionNewf(py.TypeError, "pop expected 1 or 2 arguments, got %d", len(args))
		}
		k, err := dictKey(args[0])
		if err != nil {
			return nil, err
		}
		if v, ok := d[k]; ok {
			delete(d, k)
			return v, nil
		}
		if len(args) == 2 {
			return args[1], nil
		}
		return nil, py.ExceptionNewf(py.KeyError, "%q", k)
	}, false, "D.pop(k[,d]) -> v, remove specified key and return the corresponding value.")

	define(t, "setdefault", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if err := noKwargs("setdefault", kwargs); err != nil {
			return nil, err
		}
		d := self.(py.StringDict)
		if len(args) < 1 || len(args) > 2 {
			return nil, py.ExceptionNewf(py.TypeError, "setdefault expected 1 or 2 arguments, got %d", len(args))
		}
		k, err := dictKey(args[0])
		if err != nil {
			return nil, err
		}
		if v, ok := d[k]; ok {
			return v, nil
		}
		var v py.Object = py.None
		if len(args) == 2 {
			v = args[1]
		}
		d[k] = v
		return v, nil
	}, false, "D.setdefault(k[,d]) -> D.get(k,d), also set D[k]=d if k not in D")

	define(t, "copy", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if len(args) != 0 || len(kwargs) != 0 {
			return nil, py.ExceptionNewf(py.TypeError, "copy() takes no arguments")
		}
		return self.(py.StringDict).Copy(), nil
	}, false, "D.copy() -> a shallow copy of D")

	define(t, "clear", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		d := self.(py.StringDict)
		for k := range d {
			delete(d, k)
		}
		return py.None, nil
	}, false, "D.clear() -> None. Remove all items from D.")
}

func listSelf(self py.Object, name string) (*py.List, error) {
	l, ok := self.(*py.List)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "descriptor '%s' requires a 'list' object", name)
	}
	return l, nil
}

// normIndex maps a Python index (negative from the end) into [0, n], clamped
// as list.insert does.
func normIndex(i, n int) int {
	if i < 0 {
		i += n
		if i < 0 {
			i = 0
		}
	}
	if i > n {
		i = n
	}
	return i
}

// pyEqual is list.index/count/remove's item comparison: a user __eq__
// counts, as in Python.
func pyEqual(a, b py.Object) (bool, error) { return truthEq(a, b) }

func addListMethods() {
	t := py.ListType
	define(t, "pop", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "pop")
		if err != nil {
			return nil, err
		}
		n := len(l.Items)
		i := n - 1
		if len(args) > 1 {
			return nil, py.ExceptionNewf(py.TypeError, "pop expected at most 1 argument, got %d", len(args))
		}
		if len(args) == 1 {
			j, err := py.Index(args[0])
			if err != nil {
				return nil, err
			}
			i = int(j)
			if i < 0 {
				i += n
			}
		}
		if n == 0 {
			return nil, py.ExceptionNewf(py.IndexError, "pop from empty list")
		}
		if i < 0 || i >= n {
			return nil, py.ExceptionNewf(py.IndexError, "pop index out of range")
		}
		v := l.Items[i]
		l.Items = append(l.Items[:i], l.Items[i+1:]...)
		return v, nil
	}, false, "L.pop([index]) -> item -- remove and return item at index (default last).")

	define(t, "insert", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "insert")
		if err != nil {
			return nil, err
		}
		if len(args) != 2 {
			return nil, py.ExceptionNewf(py.TypeError, "insert expected 2 arguments, got %d", len(args))
		}
		j, err := py.Index(args[0])
		if err != nil {
			return nil, err
		}
		i := normIndex(int(j), len(l.Items))
		l.Items = append(l.Items, nil)
		copy(l.Items[i+1:], l.Items[i:])
		l.Items[i] = args[1]
		return py.None, nil
	}, false, "L.insert(index, object) -- insert object before index")

	find := func(l *py.List, x py.Object) (int, error) {
		for i, e := range l.Items {
			eq, err := pyEqual(e, x)
			if err != nil {
				return -1, err
			}
			if eq {
				return i, nil
			}
		}
		return -1, nil
	}

	define(t, "remove", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "remove")
		if err != nil {
			return nil, err
		}
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "remove() takes exactly one argument (%d given)", len(args))
		}
		i, err := find(l, args[0])
		if err != nil {
			return nil, err
		}
		if i < 0 {
			return nil, py.ExceptionNewf(py.ValueError, "list.remove(x): x not in list")
		}
		l.Items = append(l.Items[:i], l.Items[i+1:]...)
		return py.None, nil
	}, false, "L.remove(value) -- remove first occurrence of value.")

	define(t, "index", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "index")
		if err != nil {
			return nil, err
		}
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "index() takes exactly one argument (%d given)", len(args))
		}
		i, err := find(l, args[0])
		if err != nil {
			return nil, err
		}
		if i < 0 {
			return nil, py.ExceptionNewf(py.ValueError, "value is not in list")
		}
		return py.Int(i), nil
	}, false, "L.index(value) -> integer -- return first index of value.")

	define(t, "count", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "count")
		if err != nil {
			return nil, err
		}
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "count() takes exactly one argument (%d given)", len(args))
		}
		n := 0
		for _, e := range l.Items {
			eq, err := pyEqual(e, args[0])
			if err != nil {
				return nil, err
			}
			if eq {
				n++
			}
		}
		return py.Int(n), nil
	}, false, "L.count(value) -> integer -- return number of occurrences of value")

	// gpython's sort cannot compare tuples or lists (see sort.go).
	define(t, "sort", listSort, true, "L.sort(key=None, reverse=False) -- stable sort *IN PLACE*")

	// gpython's extend silently ignores anything but a list.
	define(t, "extend", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "extend")
		if err != nil {
			return nil, err
		}
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "extend() takes exactly one argument (%d given)", len(args))
		}
		if o, ok := args[0].(*py.List); ok {
			l.Items = append(l.Items, o.Items...)
			return py.None, nil
		}
		var items []py.Object
		if err := py.Iterate(args[0], func(o py.Object) bool { items = append(items, o); return false }); err != nil {
			return nil, err
		}
		l.Items = append(l.Items, items...)
		return py.None, nil
	}, true, "L.extend(iterable) -- extend list by appending elements from the iterable")

	define(t, "reverse", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "reverse")
		if err != nil {
			return nil, err
		}
		for i, j := 0, len(l.Items)-1; i < j; i, j = i+1, j-1 {
			l.Items[i], l.Items[j] = l.Items[j], l.Items[i]
		}
		return py.None, nil
	}, false, "L.reverse() -- reverse *IN PLACE*")

	define(t, "copy", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "copy")
		if err != nil {
			return nil, err
		}
		return py.NewListFromItems(append([]py.Object(nil), l.Items...)), nil
	}, false, "L.copy() -> list -- a shallow copy of L")

	define(t, "clear", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		l, err := listSelf(self, "clear")
		if err != nil {
			return nil, err
		}
		l.Items = l.Items[:0]
		return py.None, nil
	}, false, "L.clear() -> None -- remove all items from L")
}

func strArg(args py.Tuple, i int, name string) (string, error) {
	s, ok := args[i].(py.String)
	if !ok {
		return "", py.ExceptionNewf(py.TypeError, "%s() argument %d must be str, not %s", name, i+1, args[i].Type().Name)
	}
	return string(s), nil
}

// padArgs reads (width[, fillchar]) for ljust, rjust and center.
func padArgs(name string, args py.Tuple) (int, string, error) {
	if len(args) < 1 || len(args) > 2 {
		return 0, "", py.ExceptionNewf(py.TypeError, "%s() takes 1 or 2 arguments (%d given)", name, len(args))
	}
	w, err := py.Index(args[0])
	if err != nil {
		return 0, "", err
	}
	fill := " "
	if len(args) == 2 {
		if fill, err = strArg(args, 1, name); err != nil {
			return 0, "", err
		}
		if utf8.RuneCountInString(fill) != 1 {
			return 0, "", py.ExceptionNewf(py.TypeError, "The fill character must be exactly one character long")
		}
	}
	return int(w), fill, nil
}

func addStrMethods() {
	t := py.StringType
	define(t, "format", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		s, err := formatString(string(self.(py.String)), args, kwargs)
		if err != nil {
			return nil, err
		}
		return py.String(s), nil
	}, false, "S.format(*args, **kwargs) -> str")

	pad := func(name string, f func(s string, w int, fill string) string) {
		define(t, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			w, fill, err := padArgs(name, args)
			if err != nil {
				return nil, err
			}
			return py.String(f(string(self.(py.String)), w, fill)), nil
		}, false, "S."+name+"(width[, fillchar]) -> str")
	}
	pad("ljust", func(s string, w int, fill string) string { return align(s, w, fill, '<') })
	pad("rjust", func(s string, w int, fill string) string { return align(s, w, fill, '>') })
	pad("center", func(s string, w int, fill string) string { return align(s, w, fill, '^') })

	define(t, "zfill", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "zfill() takes exactly one argument (%d given)", len(args))
		}
		w, err := py.Index(args[0])
		if err != nil {
			return nil, err
		}
		s := string(self.(py.String))
		sign := ""
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			sign, s = s[:1], s[1:]
		}
		n := int(w) - len(sign) - utf8.RuneCountInString(s)
		if n > 0 {
			s = strings.Repeat("0", n) + s
		}
		return py.String(sign + s), nil
	}, false, "S.zfill(width) -> str")

	unary := func(name string, f func(string) string) {
		define(t, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			if len(args) != 0 {
				return nil, py.ExceptionNewf(py.TypeError, "%s() takes no arguments (%d given)", name, len(args))
			}
			return py.String(f(string(self.(py.String)))), nil
		}, false, "S."+name+"() -> str")
	}
	unary("capitalize", func(s string) string {
		if s == "" {
			return s
		}
		r, n := utf8.DecodeRuneInString(s)
		return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
	})
	unary("title", func(s string) string {
		var b strings.Builder
		prev := false
		for _, r := range s {
			if unicode.IsLetter(r) {
				if prev {
					b.WriteRune(unicode.ToLower(r))
				} else {
					b.WriteRune(unicode.ToUpper(r))
				}
				prev = true
			} else {
				b.WriteRune(r)
				prev = false
			}
		}
		return b.String()
	})
	unary("swapcase", func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsUpper(r) {
				return unicode.ToLower(r)
			}
			return unicode.ToUpper(r)
		}, s)
	})

	pred := func(name string, f func(rune) bool) {
		define(t, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			s := string(self.(py.String))
			if s == "" {
				return py.False, nil
			}
			for _, r := range s {
				if !f(r) {
					return py.False, nil
				}
			}
			return py.True, nil
		}, false, "S."+name+"() -> bool")
	}
	pred("isdigit", unicode.IsDigit)
	pred("isalpha", unicode.IsLetter)
	pred("isalnum", func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
	pred("isspace", unicode.IsSpace)

	define(t, "splitlines", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		s := string(self.(py.String))
		s = strings.ReplaceAll(s, "\r\n", "\n")
		lines := strings.Split(s, "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		return py.NewListFromStrings(lines), nil
	}, false, "S.splitlines() -> list of lines")

	part := func(name string, last bool) {
		define(t, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			if len(args) != 1 {
				return nil, py.ExceptionNewf(py.TypeError, "%s() takes exactly one argument (%d given)", name, len(args))
			}
			sep, err := strArg(args, 0, name)
			if err != nil {
				return nil, err
			}
			if sep == "" {
				return nil, py.ExceptionNewf(py.ValueError, "empty separator")
			}
			s := string(self.(py.String))
			i := strings.Index(s, sep)
			if last {
				i = strings.LastIndex(s, sep)
			}
			if i < 0 {
				if last {
					return py.Tuple{py.String(""), py.String(""), py.String(s)}, nil
				}
				return py.Tuple{py.String(s), py.String(""), py.String("")}, nil
			}
			return py.Tuple{py.String(s[:i]), py.String(sep), py.String(s[i+len(sep):])}, nil
		}, false, "S."+name+"(sep) -> (head, sep, tail)")
	}
	part("partition", false)
	part("rpartition", true)

	define(t, "rsplit", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		s := string(self.(py.String))
		var sep py.Object = py.None
		max := -1
		if len(args) > 0 {
			sep = args[0]
		}
		if v, ok := kwargs["sep"]; ok {
			sep = v
		}
		var mo py.Object
		if len(args) > 1 {
			mo = args[1]
		}
		if v, ok := kwargs["maxsplit"]; ok {
			mo = v
		}
		if mo != nil {
			m, err := py.Index(mo)
			if err != nil {
				return nil, err
			}
			max = int(m)
		}
		var parts []string
		if sep == py.None {
			parts = strings.Fields(s)
			if max >= 0 && len(parts) > max+1 {
				// Re-split keeping the head intact.
				head := strings.TrimRightFunc(s, unicode.IsSpace)
				tail := parts[len(parts)-max:]
				for i := len(tail) - 1; i >= 0; i-- {
					head = strings.TrimRightFunc(strings.TrimSuffix(head, tail[i]), unicode.IsSpace)
				}
				parts = append([]string{head}, tail...)
			}
		} else {
			sp, ok := sep.(py.String)
			if !ok || sp == "" {
				return nil, py.ExceptionNewf(py.ValueError, "rsplit() separator must be a non-empty str")
			}
			parts = strings.Split(s, string(sp))
			if max >= 0 && len(parts) > max+1 {
				k := len(parts) - max
				parts = append([]string{strings.Join(parts[:k], string(sp))}, parts[k:]...)
			}
		}
		return py.NewListFromStrings(parts), nil
	}, false, "S.rsplit(sep=None, maxsplit=-1) -> list of strings")

	finder := func(name string, last, raise bool) {
		define(t, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			if len(args) != 1 {
				return nil, py.ExceptionNewf(py.TypeError, "%s() takes exactly one argument (%d given)", name, len(args))
			}
			sub, err := strArg(args, 0, name)
			if err != nil {
				return nil, err
			}
			s := string(self.(py.String))
			i := strings.Index(s, sub)
			if last {
				i = strings.LastIndex(s, sub)
			}
			if i < 0 {
				if raise {
					return nil, py.ExceptionNewf(py.ValueError, "substring not found")
				}
				return py.Int(-1), nil
			}
			return py.Int(utf8.RuneCountInString(s[:i])), nil
		}, false, "S."+name+"(sub) -> int")
	}
	finder("rfind", true, false)
	finder("index", false, true)
	finder("rindex", true, true)
}
