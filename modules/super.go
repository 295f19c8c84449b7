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
	if ot, ok := obj.(*py.Type); ok && ot.Type() != nil && ot.Type().IsSubtype(py.TypeType) {
		t = ot
	}
	if !t.IsSubtype(cls) {
		return nil, py.ExceptionNewf(py.TypeError, "super(type, obj): obj must be an instance or subtype of type")
	}
	return &superObj{cls: cls, self: obj, mro: t.Mro}, nil
}
