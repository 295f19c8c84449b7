package modules

import "github.com/go-python/gpython/py"

// superType backs the two-argument super(Class, self) that Ceph modules use
// in __init__ (super(Module, self).__init__(*args, **kwargs)). gpython has
// no super at all; the zero-argument form needs compiler support (the
// __class__ cell) and stays unsupported.
var superType = py.NewType("super", "super(type, obj) -> bound super object")

type superObj struct {
	cls  *py.Type
	self py.Object
	mro  py.Tuple // of self's type (or self, for a class)
}

func (s *superObj) Type() *py.Type { return superType }

// M__getattribute__ finds name in the MRO after cls and binds it to self.
func (s *superObj) M__getattribute__(name string) (py.Object, error) {
	after := false
	for _, o := range s.mro {
		t, ok := o.(*py.Type)
		if !ok {
			continue
		}
		if !after {
			after = t == s.cls
			continue
		}
		v, ok := t.Dict[name]
		if !ok {
			continue
		}
		if get, ok := v.(py.I__get__); ok {
			return get.M__get__(s.self, s.self.Type())
		}
		return v, nil
	}
	return nil, py.ExceptionNewf(py.AttributeError, "'super' object has no attribute '%s'", name)
}

func builtinSuper(self py.Object, args py.Tuple) (py.Object, error) {
	if len(args) != 2 {
		return nil, py.ExceptionNewf(py.NotImplementedError,
			"super() without arguments is not supported by gpython: write super(ClassName, self), or call the base directly: MgrModule.__init__(self)")
	}
	cls, ok := args[0].(*py.Type)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "super() argument 1 must be a type, not %s", args[0].Type().Name)
	}
	obj := args[1]
	t := obj.Type()
	// gpython's instances are *py.Type too; a class is one whose own type
	// is a metatype.
	if ot, ok := obj.(*py.Type); ok && isClass(ot) {
		t = ot
	}
	if !t.IsSubtype(cls) {
		return nil, py.ExceptionNewf(py.TypeError, "super(type, obj): obj must be an instance or subtype of type")
	}
	return &superObj{cls: cls, self: obj, mro: t.Mro}, nil
}

// isClass tells a class from an instance: gpython represents both as
// *py.Type, and the type of a class is not always `type` (a built-in
// type's is its parent). Instances are made by Type.Alloc, which leaves
// Name empty; every class has one.
func isClass(t *py.Type) bool { return t.Name != "" }

// builtinIsinstance replaces gpython's isinstance, which compares the exact
// type and so is False for instances of subclasses.
func builtinIsinstance(self py.Object, args py.Tuple) (py.Object, error) {
	if len(args) != 2 {
		return nil, py.ExceptionNewf(py.TypeError, "isinstance expected 2 arguments, got %d", len(args))
	}
	return classCheck("isinstance", args[0].Type(), args[1])
}

// builtinIssubclass is issubclass, missing from gpython.
func builtinIssubclass(self py.Object, args py.Tuple) (py.Object, error) {
	if len(args) != 2 {
		return nil, py.ExceptionNewf(py.TypeError, "issubclass expected 2 arguments, got %d", len(args))
	}
	t, ok := args[0].(*py.Type)
	if !ok || !isClass(t) {
		return nil, py.ExceptionNewf(py.TypeError, "issubclass() arg 1 must be a class")
	}
	return classCheck("issubclass", t, args[1])
}

func classCheck(name string, t *py.Type, classOrTuple py.Object) (py.Object, error) {
	switch c := classOrTuple.(type) {
	case py.Tuple:
		for _, e := range c {
			r, err := classCheck(name, t, e)
			if err != nil || r == py.True {
				return r, err
			}
		}
		return py.False, nil
	case *py.Type:
		if !isClass(c) {
			break
		}
		return py.NewBool(t == c || t.IsSubtype(c)), nil
	}
	return nil, py.ExceptionNewf(py.TypeError, "%s() arg 2 must be a type or tuple of types", name)
}
