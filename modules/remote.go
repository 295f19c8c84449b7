package modules

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-python/gpython/py"

	"gomgr/internal/pickle"
	"gomgr/registry"
)

// Remote calls cross between modules as CPython's do (modules/cpython):
// the arguments as the pickle of (args, kwargs), the answer as a status
// byte, then the pickled result or the error's text. Under gpython only
// plain data crosses (pickle's subset: None, bools, ints, floats, str,
// bytes, lists, tuples, str-keyed dicts).
const (
	remoteOK       = 0
	remoteNoMethod = 1 // Ceph's NameError
	remoteRaised   = 2 // Ceph's RuntimeError
)

var _ registry.RemoteModule = (*pyModule)(nil)

// Remote implements registry.RemoteModule: another module's
// self.remote(name, method, ...), run on the owner goroutine.
func (m *pyModule) Remote(ctx context.Context, method string, args []byte) ([]byte, error) {
	var out []byte
	err := m.call(ctx, "remote call of "+method, func() error {
		out = m.runRemote(method, args)
		return nil
	})
	return out, err
}

// runRemote answers one call. Owner goroutine only.
func (m *pyModule) runRemote(method string, payload []byte) []byte {
	fail := func(status byte, msg string) []byte { return append([]byte{status}, msg...) }
	var fn py.Object
	if m.inst != nil {
		fn, _ = py.GetAttrString(m.inst, method) // absent: Ceph's "Method not found"
	}
	if fn == nil {
		return fail(remoteNoMethod, "Method not found: "+method)
	}
	args, kwargs, err := remoteArgs(payload)
	if err != nil {
		return fail(remoteRaised, "Remote method threw exception: "+err.Error())
	}
	res, err := py.Call(fn, args, kwargs)
	if err != nil {
		return fail(remoteRaised, "Remote method threw exception: "+m.src.traceback(err))
	}
	v, err := pyToPickle(res, 0)
	if err == nil {
		var b []byte
		if b, err = pickle.Dumps(v); err == nil {
			return append([]byte{remoteOK}, b...)
		}
	}
	return fail(remoteRaised, fmt.Sprintf("Remote method threw exception: its result does not cross to another module: %v", err))
}

// remoteArgs decodes the pickle of (args, kwargs).
func remoteArgs(payload []byte) (py.Tuple, py.StringDict, error) {
	v, err := pickle.Loads(payload)
	if err != nil {
		return nil, nil, err
	}
	pair, ok := v.(pickle.Tuple)
	if !ok || len(pair) != 2 {
		return nil, nil, fmt.Errorf("%w: remote call arguments are a %T, not (args, kwargs)", pickle.ErrMalformed, v)
	}
	a, err := toPy(pair[0])
	if err != nil {
		return nil, nil, err
	}
	k, err := toPy(pair[1])
	if err != nil {
		return nil, nil, err
	}
	args, ok1 := a.(py.Tuple)
	kwargs, ok2 := k.(py.StringDict)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("%w: remote call arguments are (%s, %s), not (tuple, dict)", pickle.ErrMalformed, a.Type().Name, k.Type().Name)
	}
	return args, kwargs, nil
}

// pyToPickle is fromPy that keeps tuples tuples and bytes bytes, as a
// pickle does.
func pyToPickle(o py.Object, depth int) (any, error) {
	if depth > maxDepth {
		return nil, py.ExceptionNewf(py.ValueError, "value nested deeper than %d levels (circular reference?)", maxDepth)
	}
	var items []py.Object
	switch x := o.(type) {
	case py.Bytes:
		return []byte(x), nil
	case py.Tuple:
		items = x
	case *py.List:
		items = x.Items
	case py.StringDict:
		m := make(map[string]any, len(x))
		for k, e := range x {
			v, err := pyToPickle(e, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	default:
		return fromPyDepth(o, depth)
	}
	out := make([]any, len(items))
	for i, e := range items {
		v, err := pyToPickle(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	if _, ok := o.(py.Tuple); ok {
		return pickle.Tuple(out), nil
	}
	return out, nil
}

// pyRemote is self.remote(module, method, *args, **kwargs): Ceph's
// ImportError for a module that is not running, NameError for a method it
// lacks, RuntimeError for one that raised.
func (m *pyModule) pyRemote(args py.Tuple) (py.Object, error) {
	if len(args) != 4 {
		return nil, py.ExceptionNewf(py.TypeError, "remote(module, method, args, kwargs)")
	}
	module, ok1 := args[0].(py.String)
	method, ok2 := args[1].(py.String)
	if !ok1 || !ok2 {
		return nil, py.ExceptionNewf(py.TypeError, "remote(): module and method must be str")
	}
	rh, err := hostAs[registry.RemoteHost](m, "remote")
	if err != nil {
		return nil, err
	}
	a, err := pyToPickle(args[2], 0)
	if err != nil {
		return nil, err
	}
	k, err := pyToPickle(args[3], 0)
	if err != nil {
		return nil, err
	}
	payload, err := pickle.Dumps(pickle.Tuple{a, k})
	if err != nil {
		return nil, py.ExceptionNewf(py.TypeError, "remote(%s, %s): %v", module, method, err)
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	res, err := rh.Remote(ctx, string(module), string(method), payload)
	switch {
	case errors.Is(err, registry.ErrNotRunning) || errors.Is(err, registry.ErrUnknownModule):
		return nil, py.ExceptionNewf(py.ImportError, "Module not found")
	case err != nil:
		return nil, py.ExceptionNewf(py.RuntimeError, "remote call to %s failed: %v", module, err)
	case len(res) == 0:
		return nil, py.ExceptionNewf(py.RuntimeError, "remote call to %s: empty answer", module)
	}
	switch res[0] {
	case remoteOK:
		v, err := pickle.Loads(res[1:])
		if err != nil {
			return nil, py.ExceptionNewf(py.RuntimeError, "remote call to %s: its result does not cross to gpython: %v", module, err)
		}
		return toPy(v)
	case remoteNoMethod:
		return nil, py.ExceptionNewf(py.NameError, "%s", string(res[1:]))
	}
	return nil, py.ExceptionNewf(py.RuntimeError, "%s", string(res[1:]))
}
