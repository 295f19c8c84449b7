package modules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-python/gpython/py"
)

// Builtins and type methods the VM needs from Go: what the front end's
// rewrites call (_gomgr_defaults, _gomgr_pct), descriptors that work when
// called through the class (property, staticmethod, classmethod), user
// exception classes (__build_class__), and min/max/reversed.

func init() {
	addPropertyMethods()
	addBytesMethods()
	addDictViews()
	define(py.BaseException, "__init__", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		e, ok := self.(*py.Exception)
		if !ok && len(args) > 0 {
			// Exception.__init__(self, msg): bound to the class.
			e, ok = args[0].(*py.Exception)
			args = args[1:]
		}
		if ok {
			// args may be a view of the caller's VM stack: copy it.
			e.Args = args.Copy()
		}
		return py.None, nil
	}, false, "BaseException.__init__(self, *args)")
	// str(e) is gpython's Exception.M__str__, which returns args[0] as is
	// (a panic for no args, a TypeError for a non-str one) and ignores a
	// user __str__: str() goes through exceptionStr instead.
	strNew := py.StringType.New
	py.StringType.New = func(metatype *py.Type, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if e, ok := singleException(args, kwargs); ok {
			return exceptionStr(e)
		}
		return strNew(metatype, args, kwargs)
	}

	// collections is imported on demand; compiled once here so module
	// loads that do not use it pay nothing.
	code, err := py.Compile(collectionsSrc, "collections.py", py.ExecMode, 0, true)
	if err != nil {
		panic(fmt.Sprintf("modules: collections.py: %v", err))
	}
	py.RegisterModule(&py.ModuleImpl{Info: py.ModuleInfo{Name: "collections", FileDesc: "collections.py"}, Code: code})
}

// installBuiltins adds the Go builtins to a context's builtins module.
func installBuiltins(b *py.Module) {
	orig := b.Globals["__build_class__"]
	add := func(name string, fn method, doc string) {
		b.Globals[name] = py.MustNewMethod(name, fn, 0, doc)
	}
	add("__build_class__", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		return buildClass(orig, args, kwargs)
	}, "__build_class__(func, name, *bases) -> class")
	installCompare(b)
	add("_gomgr_defaults", builtinDefaults, "front end: apply decorator dec to a def whose defaults moved here")
	add("_gomgr_pct", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		s, ok := args[0].(py.String)
		if len(args) != 1 || !ok {
			return nil, py.ExceptionNewf(py.TypeError, "_gomgr_pct(str)")
		}
		return pctString(s), nil
	}, "front end: a string literal whose % is Python's")
	add("property", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		p := &propertyObj{}
		for i, dst := range []*py.Object{&p.fget, &p.fset, &p.fdel} {
			if i < len(args) && args[i] != py.None {
				*dst = args[i]
			}
		}
		for k, dst := range map[string]*py.Object{"fget": &p.fget, "fset": &p.fset, "fdel": &p.fdel} {
			if v, ok := kwargs[k]; ok && v != py.None {
				*dst = v
			}
		}
		return p, nil
	}, "property(fget=None, fset=None, fdel=None, doc=None)")
	add("staticmethod", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "staticmethod expected 1 argument, got %d", len(args))
		}
		return &staticMethod{fn: args[0]}, nil
	}, "staticmethod(function) -> method")
	add("classmethod", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "classmethod expected 1 argument, got %d", len(args))
		}
		return &classMethod{fn: args[0]}, nil
	}, "classmethod(function) -> method")
	add("reversed", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "reversed expected 1 argument, got %d", len(args))
		}
		l, err := py.SequenceList(args[0])
		if err != nil {
			return nil, err
		}
		items := make([]py.Object, len(l.Items))
		for i, it := range l.Items {
			items[len(items)-1-i] = it
		}
		return py.NewIterator(py.NewListFromItems(items)), nil
	}, "reversed(sequence) -> iterator")
	add("max", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		return minMax("max", args, kwargs, true)
	}, "max(iterable, *[, default=obj, key=func]) -> value")
	add("min", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		return minMax("min", args, kwargs, false)
	}, "min(iterable, *[, default=obj, key=func]) -> value")
}

// minMax is min()/max() with key= and default=, comparing tuples and lists
// as sorted() does.
func minMax(name string, args py.Tuple, kwargs py.StringDict, max bool) (py.Object, error) {
	var items []py.Object
	switch len(args) {
	case 0:
		return nil, py.ExceptionNewf(py.TypeError, "%s expected 1 argument, got 0", name)
	case 1:
		if err := py.Iterate(args[0], func(o py.Object) bool { items = append(items, o); return false }); err != nil {
			return nil, err
		}
	default:
		items = args
	}
	key, def := kwargs["key"], kwargs["default"]
	if len(items) == 0 {
		if def != nil {
			return def, nil
		}
		return nil, py.ExceptionNewf(py.ValueError, "%s() arg is an empty sequence", name)
	}
	var best, bestKey py.Object
	for _, it := range items {
		k := it
		if key != nil && key != py.None {
			var err error
			if k, err = py.Call(key, py.Tuple{it}, nil); err != nil {
				return nil, err
			}
		}
		if best == nil {
			best, bestKey = it, k
			continue
		}
		a, b := k, bestKey
		if !max {
			a, b = bestKey, k
		}
		less, err := pyLess(b, a)
		if err != nil {
			return nil, err
		}
		if less {
			best, bestKey = it, k
		}
	}
	return best, nil
}

// builtinDefaults is _gomgr_defaults(dec, defaults, kwdefaults): the front
// end moved a decorated def's defaults here (gpython would have called a
// default as the decorator); it returns a decorator that sets them on the
// function and then applies dec.
func builtinDefaults(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	if len(args) != 3 {
		return nil, py.ExceptionNewf(py.TypeError, "_gomgr_defaults expects 3 arguments")
	}
	dec, defs := args[0], args[1].(py.Tuple)
	kw, _ := args[2].(py.StringDict)
	return py.MustNewMethod("_gomgr_defaults", func(self py.Object, a py.Tuple) (py.Object, error) {
		if f, ok := a[0].(*py.Function); ok {
			if len(defs) > 0 {
				f.Defaults = defs
			}
			if len(kw) > 0 {
				f.KwDefaults = kw
			}
		}
		return py.Call(dec, a, nil)
	}, 0, ""), nil
}

var propertyType = py.NewType("property", "property(fget=None, fset=None, fdel=None, doc=None) -> property attribute")

// propertyObj is Python's property: gpython has none a module can build.
type propertyObj struct{ fget, fset, fdel py.Object }

func (p *propertyObj) Type() *py.Type { return propertyType }

func (p *propertyObj) M__get__(instance, owner py.Object) (py.Object, error) {
	if t, ok := instance.(*py.Type); instance == nil || instance == py.None || ok && isClass(t) {
		return p, nil
	}
	if p.fget == nil {
		return nil, py.ExceptionNewf(py.AttributeError, "unreadable attribute")
	}
	return py.Call(p.fget, py.Tuple{instance}, nil)
}

func (p *propertyObj) M__set__(instance, value py.Object) (py.Object, error) {
	if p.fset == nil {
		return nil, py.ExceptionNewf(py.AttributeError, "can't set attribute")
	}
	return py.Call(p.fset, py.Tuple{instance, value}, nil)
}

func (p *propertyObj) M__delete__(instance py.Object) (py.Object, error) {
	if p.fdel == nil {
		return nil, py.ExceptionNewf(py.AttributeError, "can't delete attribute")
	}
	return py.Call(p.fdel, py.Tuple{instance}, nil)
}

func addPropertyMethods() {
	with := func(name string, set func(p *propertyObj, fn py.Object)) {
		define(propertyType, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			if len(args) != 1 {
				return nil, py.ExceptionNewf(py.TypeError, "%s() takes exactly one argument", name)
			}
			p := *self.(*propertyObj)
			set(&p, args[0])
			return &p, nil
		}, true, "property."+name+"(fn) -> a copy of the property with fn")
	}
	with("getter", func(p *propertyObj, fn py.Object) { p.fget = fn })
	with("setter", func(p *propertyObj, fn py.Object) { p.fset = fn })
	with("deleter", func(p *propertyObj, fn py.Object) { p.fdel = fn })
}

var (
	staticMethodType = py.NewType("staticmethod", "staticmethod(function) -> method")
	classMethodType  = py.NewType("classmethod", "classmethod(function) -> method")
)

// staticMethod can also be called through the class (A.s()): gpython's
// class attribute lookup returns the descriptor itself.
type staticMethod struct{ fn py.Object }

func (s *staticMethod) Type() *py.Type                                        { return staticMethodType }
func (s *staticMethod) M__get__(instance, owner py.Object) (py.Object, error) { return s.fn, nil }
func (s *staticMethod) M__call__(args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	return py.Call(s.fn, args, kwargs)
}

// classMethod remembers the class it was found on (buildClass sets owner
// per class) so A.make() has its cls.
type classMethod struct {
	fn    py.Object
	owner *py.Type
}

func (c *classMethod) Type() *py.Type { return classMethodType }
func (c *classMethod) M__get__(instance, owner py.Object) (py.Object, error) {
	if owner == nil || owner == py.None {
		owner = instance.Type()
	}
	return py.NewBoundMethod(owner, c.fn), nil
}
func (c *classMethod) M__call__(args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	if c.owner == nil {
		return nil, py.ExceptionNewf(py.TypeError, "classmethod called outside its class")
	}
	return py.Call(c.fn, append(py.Tuple{c.owner}, args...), kwargs)
}

// buildClass wraps gpython's __build_class__: classes deriving from an
// exception become real exception types (gpython's cannot be raised or
// caught), and every classmethod reachable from the class is bound to it.
func buildClass(orig py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var excBase *py.Type
	if len(args) >= 3 {
		for _, b := range args[2:] {
			if t, ok := b.(*py.Type); ok && t.IsSubtype(py.BaseException) {
				excBase = t
				break
			}
		}
	}
	var cls py.Object
	var err error
	if excBase != nil {
		cls, err = buildExceptionClass(excBase, args)
	} else {
		cls, err = py.Call(orig, args, kwargs)
	}
	if err != nil {
		return nil, err
	}
	t, ok := cls.(*py.Type)
	if !ok {
		return cls, nil
	}
	// gpython looks special methods (__getitem__, __len__...) up on the
	// instance's own class only: copy inherited ones down.
	for _, o := range t.Mro {
		if base, ok := o.(*py.Type); ok && base != t {
			for name, v := range base.Dict {
				if _, own := t.Dict[name]; !own && strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__") {
					if _, isFn := v.(*py.Function); isFn {
						t.Dict[name] = v
					}
				}
			}
		}
	}
	for i := len(t.Mro) - 1; i >= 0; i-- {
		base, ok := t.Mro[i].(*py.Type)
		if !ok {
			continue
		}
		for name, v := range base.Dict {
			if cm, ok := v.(*classMethod); ok && (cm.owner != t) {
				if own, ok := t.Dict[name]; !ok || own == v || base == t {
					t.Dict[name] = &classMethod{fn: cm.fn, owner: t}
				}
			}
		}
	}
	return t, nil
}

// buildExceptionClass runs the class body and makes the class a subtype of
// base built the way gpython builds its own exceptions; instances are
// *py.Exception, with attributes kept in their Dict.
func buildExceptionClass(base *py.Type, args py.Tuple) (py.Object, error) {
	fn, ok := args[0].(*py.Function)
	name, ok2 := args[1].(py.String)
	if !ok || !ok2 {
		return nil, py.ExceptionNewf(py.TypeError, "__build_class__: bad arguments")
	}
	ns := py.NewStringDict()
	cell, err := fn.Context.RunCode(fn.Code, fn.Globals, ns, fn.Closure)
	if err != nil {
		return nil, err
	}
	// Built by hand, not with Type.NewType: that queues the type on
	// gpython's global ready list, which module goroutines would race on.
	// args (and so bases) is a view of the VM stack, reused after this
	// call: copy it. base's flags include READY, which would make Ready a
	// no-op and leave the class without an MRO (so not a subclass of its
	// bases for except, isinstance and super).
	bases := args[2:].Copy()
	t := &py.Type{
		ObjectType: base, // as gpython makes its own exception subclasses
		Name:       string(name),
		Flags:      base.Flags &^ (py.TPFLAGS_READY | py.TPFLAGS_READYING),
		Base:       base,
		Dict:       py.StringDict{},
		Bases:      bases,
		New: func(metatype *py.Type, a py.Tuple, kw py.StringDict) (py.Object, error) {
			return &py.Exception{Base: metatype, Args: a.Copy(), Dict: py.NewStringDict()}, nil
		},
		Init: func(self py.Object, a py.Tuple, kw py.StringDict) error {
			init, ok := lookupUserMethod(self.Type(), "__init__")
			if !ok {
				return nil
			}
			_, err := py.Call(init, append(py.Tuple{self}, a...), kw)
			return err
		},
	}
	if err := t.Ready(); err != nil {
		return nil, fmt.Errorf("modules: exception class %s: %w", name, err)
	}
	for k, v := range ns {
		t.Dict[k] = v
	}
	addExcAttrs(t, ns)
	if c, ok := cell.(*py.Cell); ok {
		c.Set(t)
	}
	return t, nil
}

// lookupUserMethod finds a Python function along t's MRO.
func lookupUserMethod(t *py.Type, name string) (py.Object, bool) {
	for _, o := range t.Mro {
		if b, ok := o.(*py.Type); ok {
			if f, ok := b.Dict[name].(*py.Function); ok {
				return f, true
			}
		}
	}
	return nil, false
}

// singleException reports whether str()'s arguments are one exception.
func singleException(args py.Tuple, kwargs py.StringDict) (*py.Exception, bool) {
	if len(args) != 1 || len(kwargs) != 0 {
		return nil, false
	}
	e, ok := args[0].(*py.Exception)
	return e, ok
}

// exceptionStr is Python's str(e): the class's own __str__ if a user
// class defines one, else "" for no args, str(arg) for one, str(args) for
// more.
func exceptionStr(e *py.Exception) (py.Object, error) {
	if f, ok := lookupUserMethod(e.Base, "__str__"); ok {
		return py.Call(f, py.Tuple{e}, nil)
	}
	args, ok := e.Args.(py.Tuple)
	switch {
	case !ok:
		return py.Str(e.Args)
	case len(args) == 0:
		return py.String(""), nil
	case len(args) == 1:
		if e, ok := args[0].(*py.Exception); ok {
			return exceptionStr(e)
		}
		return py.Str(args[0])
	}
	return py.Str(args)
}

// strOf is str(o) for gomgr's own formatting ("%s", "{}"), with
// exceptionStr for exceptions.
func strOf(o py.Object) (string, error) {
	if e, ok := o.(*py.Exception); ok {
		s, err := exceptionStr(e)
		if err != nil {
			return "", err
		}
		return py.StrAsString(s)
	}
	return py.StrAsString(o)
}

// An exception instance is a *py.Exception, which has no instance dict
// gpython's attribute code can see: getattr falls back to its
// M__getattr__ (which returns args for any name) and setattr fails. An
// excAttr on the class, for each attribute name its methods use that
// names nothing on the class, keeps self.name in the exception's Dict
// instead. Names used only outside the class's methods, and instance
// values shadowing a class attribute, get none (docs/python-modules.md).
type excAttr struct{ name string }

var excAttrType = py.NewType("exception_attribute", "an attribute of a user exception instance")

func (a *excAttr) Type() *py.Type { return excAttrType }

func (a *excAttr) M__get__(instance, owner py.Object) (py.Object, error) {
	e, ok := instance.(*py.Exception)
	if !ok {
		return nil, py.ExceptionNewf(py.AttributeError, "type object has no attribute '%s'", a.name)
	}
	if v, ok := e.Dict[a.name]; ok {
		return v, nil
	}
	// A class attribute of that name further along the MRO (multiple
	// inheritance).
	for _, o := range e.Base.Mro {
		if b, ok := o.(*py.Type); ok {
			if v, ok := b.Dict[a.name]; ok {
				if _, skip := v.(*excAttr); skip {
					continue
				}
				if g, ok := v.(py.I__get__); ok {
					return g.M__get__(e, e.Base)
				}
				return v, nil
			}
		}
	}
	return nil, py.ExceptionNewf(py.AttributeError, "'%s' object has no attribute '%s'", e.Base.Name, a.name)
}

func (a *excAttr) M__set__(instance, value py.Object) (py.Object, error) {
	e, ok := instance.(*py.Exception)
	if !ok {
		return nil, py.ExceptionNewf(py.AttributeError, "can't set attribute '%s'", a.name)
	}
	e.Dict[a.name] = value
	return py.None, nil
}

func (a *excAttr) M__delete__(instance py.Object) (py.Object, error) {
	e, ok := instance.(*py.Exception)
	if !ok {
		return nil, py.ExceptionNewf(py.AttributeError, "can't delete attribute '%s'", a.name)
	}
	if _, set := e.Dict[a.name]; !set {
		return nil, py.ExceptionNewf(py.AttributeError, "%s", a.name)
	}
	delete(e.Dict, a.name)
	return py.None, nil
}

// addExcAttrs puts an excAttr on exception class t for each attribute
// name its methods (in ns) use that is found nowhere on the class. Class
// attributes stay plain: a class's Dict is what gpython returns for
// Cls.name, so a descriptor there would be seen as itself.
func addExcAttrs(t *py.Type, ns py.StringDict) {
	names := map[string]bool{}
	var walk func(c *py.Code)
	walk = func(c *py.Code) {
		for _, n := range c.Names {
			names[n] = true
		}
		for _, k := range c.Consts {
			if kc, ok := k.(*py.Code); ok {
				walk(kc)
			}
		}
	}
	for _, v := range ns {
		if f, ok := v.(*py.Function); ok {
			walk(f.Code)
		}
	}
	for n := range names {
		if !strings.HasPrefix(n, "__") && n != "args" && t.NativeGetAttrOrNil(n) == nil {
			t.Dict[n] = &excAttr{name: n}
		}
	}
}

// pctString is a string literal the front end saw followed by %: its
// M__mod__ is Python's printf-style formatting (gpython's is Go's fmt).
type pctString py.String

func (s pctString) Type() *py.Type { return py.StringType }

func (s pctString) M__mod__(other py.Object) (py.Object, error) {
	out, err := percentFormat(string(s), other)
	if err != nil {
		return nil, err
	}
	return py.String(out), nil
}

// percentFormat is str % values: %(name)s, flags -+ 0#, width, .prec, *
// and types s r a d i u o x X e E f F g G c %.
func percentFormat(f string, values py.Object) (string, error) {
	var args py.Tuple
	mapping, isMap := values.(py.StringDict)
	if t, ok := values.(py.Tuple); ok {
		args = t
	} else {
		args = py.Tuple{values}
	}
	next := 0
	arg := func() (py.Object, error) {
		if next >= len(args) {
			return nil, py.ExceptionNewf(py.TypeError, "not enough arguments for format string")
		}
		next++
		return args[next-1], nil
	}
	var b strings.Builder
	usedMap := false
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return "", py.ExceptionNewf(py.ValueError, "incomplete format")
		}
		var v py.Object
		if f[i] == '(' {
			end := strings.IndexByte(f[i:], ')')
			if end < 0 || !isMap {
				return "", py.ExceptionNewf(py.TypeError, "format requires a mapping")
			}
			key := f[i+1 : i+end]
			var ok bool
			if v, ok = mapping[key]; !ok {
				return "", py.ExceptionNewf(py.KeyError, "%s", strconv.Quote(key))
			}
			usedMap = true
			i += end + 1
		}
		align, sign, zero, alt := byte('>'), "", false, ""
		for ; i < len(f) && strings.IndexByte("-+ 0#", f[i]) >= 0; i++ {
			switch f[i] {
			case '-':
				align = '<'
			case '+', ' ':
				sign = string(f[i])
			case '0':
				zero = true
			case '#':
				alt = "#"
			}
		}
		num := func() (string, error) {
			if i < len(f) && f[i] == '*' {
				i++
				w, err := arg()
				if err != nil {
					return "", err
				}
				n, err := py.Index(w)
				return strconv.Itoa(int(n)), err
			}
			j := i
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
			}
			return f[j:i], nil
		}
		width, err := num()
		if err != nil {
			return "", err
		}
		prec := ""
		if i < len(f) && f[i] == '.' {
			i++
			if prec, err = num(); err != nil {
				return "", err
			}
			if prec == "" {
				prec = "0"
			}
			prec = "." + prec
		}
		for i < len(f) && strings.IndexByte("hlL", f[i]) >= 0 {
			i++
		}
		if i >= len(f) {
			return "", py.ExceptionNewf(py.ValueError, "incomplete format")
		}
		typ := f[i]
		if typ == '%' {
			b.WriteByte('%')
			continue
		}
		if v == nil {
			if v, err = arg(); err != nil {
				return "", err
			}
		}
		var spec string
		switch typ {
		case 's', 'r', 'a':
			var s string
			if typ == 's' {
				s, err = strOf(v)
			} else {
				s, err = py.ReprAsString(v)
			}
			if err != nil {
				return "", err
			}
			v, spec = py.String(s), string(align)+width+prec+"s"
		case 'd', 'i', 'u', 'o', 'x', 'X', 'e', 'E', 'f', 'F', 'g', 'G', 'c':
			t := typ
			if t == 'i' || t == 'u' {
				t = 'd'
			}
			if fl, ok := v.(py.Float); ok && strings.IndexByte("doxXc", t) >= 0 {
				v = py.Int(int64(fl))
			}
			z := ""
			if zero && align == '>' {
				z = "0"
			}
			if t == 'c' {
				z, prec = "", ""
			}
			spec = string(align) + sign + alt + z + width + prec + string(t)
			if z != "" {
				spec = sign + alt + z + width + prec + string(t)
			}
		default:
			return "", py.ExceptionNewf(py.ValueError, "unsupported format character '%c'", typ)
		}
		s, err := formatValue(v, spec)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if next < len(args) && !usedMap && !(isMap && next == 0) {
		return "", py.ExceptionNewf(py.TypeError, "not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func addBytesMethods() {
	define(py.BytesType, "decode", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		return py.String(string(self.(py.Bytes))), nil
	}, false, "B.decode(encoding='utf-8', errors='strict') -> str")
	define(py.BytesType, "__getitem__", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		b := self.(py.Bytes)
		if sl, ok := args[0].(*py.Slice); ok {
			start, stop, step, n, err := sl.GetIndices(len(b))
			if err != nil {
				return nil, err
			}
			out := make(py.Bytes, 0, n)
			for i := start; len(out) < n && (step > 0 && i < stop || step < 0 && i > stop); i += step {
				out = append(out, b[i])
			}
			return out, nil
		}
		i, err := py.Index(args[0])
		if err != nil {
			return nil, err
		}
		if i < 0 {
			i += py.Int(len(b))
		}
		if i < 0 || int(i) >= len(b) {
			return nil, py.ExceptionNewf(py.IndexError, "index out of range")
		}
		return py.Int(b[i]), nil
	}, false, "B[i] -> int, B[i:j] -> bytes")
	define(py.StringType, "encode", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		return py.Bytes(string(self.(py.String))), nil
	}, false, "S.encode(encoding='utf-8', errors='strict') -> bytes")
}

// addDictViews makes keys(), values() and items() lists (gpython returns
// iterators, so len(d.items()) fails).
func addDictViews() {
	view := func(name string, f func(k string, v py.Object) py.Object) {
		define(py.StringDictType, name, func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			d := self.(py.StringDict)
			items := make([]py.Object, 0, len(d))
			for k, v := range d {
				items = append(items, f(k, v))
			}
			return py.NewListFromItems(items), nil
		}, true, "D."+name+"() -> list")
	}
	view("keys", func(k string, v py.Object) py.Object { return py.String(k) })
	view("values", func(k string, v py.Object) py.Object { return v })
	view("items", func(k string, v py.Object) py.Object { return py.Tuple{py.String(k), v} })
}
