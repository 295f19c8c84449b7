package modules

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-python/gpython/py"
	_ "github.com/go-python/gpython/stdlib" // the interpreter and its stdlib

	"gomgr/registry"
)

//go:embed mgr_module.py
var mgrModuleSrc string

//go:embed threading.py
var threadingSrc string

//go:embed collections.py
var collectionsSrc string

// deniedImports are the stdlib modules that reach the filesystem or
// processes; only modules named in Config.AllowOS may import them.
var deniedImports = []string{"os", "tempfile", "glob"}

// load builds the interpreter and imports module.py. Owner goroutine.
func (m *pyModule) load(src string) error {
	m.pctx = py.NewContext(py.ContextOpts{
		SysArgs:  []string{m.path},
		SysPaths: []string{filepath.Dir(m.path)},
	})
	if err := m.installHost(); err != nil {
		return fmt.Errorf("modules: %s: host modules: %w: %s", m.name, ErrLoad, m.src.traceback(err))
	}
	m.src.add(m.path, src)
	rewritten, err := rewriteSource(src)
	if err != nil {
		return fmt.Errorf("modules: %s: %w: %s: %w", m.name, ErrLoad, m.path, err)
	}
	code, err := py.Compile(rewritten, m.path, py.ExecMode, 0, true)
	if err != nil {
		return fmt.Errorf("modules: %s: %w\n%s", m.name, ErrLoad, m.src.traceback(err))
	}
	mod, err := py.RunCode(m.pctx, code, m.path, m.name)
	if err != nil {
		return fmt.Errorf("modules: %s: %w\n%s", m.name, ErrLoad, m.src.traceback(err))
	}
	base, err := m.mgrModuleClass()
	if err != nil {
		return err
	}
	m.cls = findClass(mod.Globals, base)
	if m.cls == nil {
		return fmt.Errorf("modules: %s: %w", m.name, ErrNoClass)
	}
	// Ceph's convention for what runs on a standby mgr.
	if mm, err := m.pctx.GetModule("mgr_module"); err == nil {
		sb, _ := mm.Globals["MgrStandbyModule"].(*py.Type)
		if t, ok := mod.Globals["StandbyModule"].(*py.Type); ok && sb != nil && t != sb && t.IsSubtype(sb) {
			m.standbyCls = t
		}
	}
	return m.readInfo()
}

// installHost adds the host's modules to the context: _gomgr (bound to
// this module), mgr_module, json, threading, a cooperative time.sleep,
// format(), and the sandbox.
func (m *pyModule) installHost() error {
	ctx := m.pctx
	b := ctx.Store().Builtins
	if !m.allowOS {
		delete(b.Globals, "open")
		delete(b.Globals, "input")
	}
	b.Globals["__import__"] = py.MustNewMethod("__import__", m.importHook, 0, "__import__(name, ...) -> module (gomgr sandbox)")
	b.Globals["format"] = py.MustNewMethod("format", builtinFormat, 0, "format(value[, format_spec]) -> str")
	b.Globals["round"] = py.MustNewMethod("round", builtinRound, 0, "round(number[, ndigits]) -> number")
	b.Globals["sorted"] = py.MustNewMethod("sorted", builtinSorted, 0, "sorted(iterable, key=None, reverse=False) -> new sorted list")
	b.Globals["isinstance"] = py.MustNewMethod("isinstance", builtinIsinstance, 0, "isinstance(obj, class_or_tuple) -> bool")
	b.Globals["issubclass"] = py.MustNewMethod("issubclass", builtinIssubclass, 0, "issubclass(cls, class_or_tuple) -> bool")
	b.Globals["super"] = py.MustNewMethod("super", builtinSuper, 0, "super(Class, self) -> bound super object (super() is rewritten to it)")
	installBuiltins(b)
	m.src.add("collections.py", collectionsSrc)

	for _, impl := range []*py.ModuleImpl{
		m.gomgrModule(),
		jsonModule(),
		{Info: py.ModuleInfo{Name: "threading", FileDesc: "threading.py"}, CodeSrc: threadingSrc},
		{Info: py.ModuleInfo{Name: "mgr_module", FileDesc: "mgr_module.py"}, CodeSrc: mgrModuleSrc},
	} {
		if impl.CodeSrc != "" {
			m.src.add(impl.Info.FileDesc, impl.CodeSrc)
		}
		if _, err := ctx.ModuleInit(impl); err != nil {
			return err
		}
	}
	if err := py.Import(ctx, "time"); err != nil {
		return err
	}
	tm, err := ctx.GetModule("time")
	if err != nil {
		return err
	}
	// gpython's monotonic raises NotImplementedError.
	epoch := time.Now()
	mono := py.MustNewMethod("monotonic", func(self py.Object) (py.Object, error) {
		return py.Float(time.Since(epoch).Seconds()), nil
	}, 0, "monotonic() -> float: seconds on a clock that never goes back")
	tm.Globals["monotonic"] = mono
	tm.Globals["perf_counter"] = mono
	tm.Globals["sleep"] = py.MustNewMethod("sleep", func(self py.Object, args py.Tuple) (py.Object, error) {
		if len(args) != 1 {
			return nil, py.ExceptionNewf(py.TypeError, "sleep() takes exactly one argument (%d given)", len(args))
		}
		_, err := m.wait(args[0], nil)
		return py.None, err
	}, 0, "sleep(seconds): in serve(), notify and command calls run meanwhile")
	return nil
}

// importHook is __import__ with the sandbox: denied modules raise
// ImportError naming the rule.
func (m *pyModule) importHook(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	if len(args) == 0 {
		return nil, py.ExceptionNewf(py.TypeError, "__import__() missing required argument 'name'")
	}
	name, ok := args[0].(py.String)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "__import__() argument 1 must be str")
	}
	top, _, _ := strings.Cut(string(name), ".")
	if !m.allowOS && slices.Contains(deniedImports, top) {
		return nil, py.ExceptionNewf(py.ImportError,
			"import of '%s' is not allowed: module '%s' has no filesystem or process access (gomgr sandbox; the operator can allow it)", top, m.name)
	}
	if !m.allowOS {
		// Imports resolve in the module's own directory only, whatever the
		// module did to sys.path.
		if sys, err := m.pctx.GetModule("sys"); err == nil {
			sys.Globals["path"] = py.NewListFromStrings([]string{filepath.Dir(m.path)})
		}
	}
	mod, err := py.BuiltinImport(m.pctx, nil, args, kwargs, nil)
	if err != nil && py.IsException(py.FileNotFoundError, err) {
		return nil, py.ExceptionNewf(py.ImportError,
			"No module named '%s' (gomgr's gpython has no such module and none is next to module.py)", string(name))
	}
	return mod, err
}

func builtinFormat(self py.Object, args py.Tuple) (py.Object, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, py.ExceptionNewf(py.TypeError, "format expected 1 or 2 arguments, got %d", len(args))
	}
	spec := ""
	if len(args) == 2 {
		s, ok := args[1].(py.String)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "format() argument 2 must be str")
		}
		spec = string(s)
	}
	s, err := formatValue(args[0], spec)
	if err != nil {
		return nil, err
	}
	return py.String(s), nil
}

func (m *pyModule) mgrModuleClass() (*py.Type, error) {
	mm, err := m.pctx.GetModule("mgr_module")
	if err != nil {
		return nil, fmt.Errorf("modules: %s: %w: %v", m.name, ErrLoad, err)
	}
	base, ok := mm.Globals["MgrModule"].(*py.Type)
	if !ok {
		return nil, fmt.Errorf("modules: %s: %w: mgr_module.MgrModule is not a class", m.name, ErrLoad)
	}
	return base, nil
}

// findClass picks the MgrModule subclass: the one named Module (Ceph's
// convention) or else the only other one, by name order for determinism.
func findClass(globals py.StringDict, base *py.Type) *py.Type {
	if t, ok := globals["Module"].(*py.Type); ok && t != base && t.IsSubtype(base) {
		return t
	}
	var names []string
	for k, v := range globals {
		if t, ok := v.(*py.Type); ok && t != base && t.IsSubtype(base) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return globals[names[0]].(*py.Type)
}

// classAttr looks name up along the class's MRO without binding it, so
// staticmethod and classmethod objects can be called by hand (gpython
// does not bind them).
func classAttr(cls *py.Type, name string) (py.Object, bool) {
	if v, ok := cls.Dict[name]; ok {
		return v, true
	}
	for _, o := range cls.Mro {
		if t, ok := o.(*py.Type); ok {
			if v, ok := t.Dict[name]; ok {
				return v, true
			}
		}
	}
	return nil, false
}

// readInfo fills m.info from the class. Owner goroutine.
func (m *pyModule) readInfo() error {
	info := registry.Info{Name: m.name, Kind: "python"}
	fail := func(what string, err error) error {
		return fmt.Errorf("modules: %s: %s: %w\n%s", m.name, what, ErrLoad, m.src.traceback(err))
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("modules: %s: %w: %s", m.name, ErrLoad, fmt.Sprintf(format, a...))
	}

	if v, ok := classAttr(m.cls, "NOTIFY_TYPES"); ok {
		items, err := pyList(v)
		if err != nil {
			return bad("NOTIFY_TYPES: %v", err)
		}
		for _, it := range items {
			s, ok := it.(py.String)
			if !ok {
				return bad("NOTIFY_TYPES entries must be str, got %s", it.Type().Name)
			}
			info.NotifyTypes = append(info.NotifyTypes, string(s))
		}
	}

	if v, ok := classAttr(m.cls, "MODULE_OPTIONS"); ok {
		items, err := pyList(v)
		if err != nil {
			return bad("MODULE_OPTIONS: %v", err)
		}
		for i, it := range items {
			opt, err := parseOption(it)
			if err != nil {
				return bad("MODULE_OPTIONS[%d]: %v", i, err)
			}
			info.Options = append(info.Options, opt)
		}
	}

	if v, ok := classAttr(m.cls, "COMMANDS"); ok {
		items, err := pyList(v)
		if err != nil {
			return bad("COMMANDS: %v", err)
		}
		for i, it := range items {
			d, ok := it.(py.StringDict)
			if !ok {
				return bad("COMMANDS[%d] must be a dict, got %s", i, it.Type().Name)
			}
			c := registry.CommandDesc{Cmd: dictStr(d, "cmd"), Desc: dictStr(d, "desc"), Perm: dictStr(d, "perm"), Poll: dictBool(d, "poll")}
			if strings.TrimSpace(c.Cmd) == "" {
				return bad("COMMANDS[%d] has no 'cmd'", i)
			}
			if c.Perm == "" {
				c.Perm = "r"
			}
			info.Commands = append(info.Commands, c)
		}
	}

	if v, ok := classAttr(m.cls, "ALWAYS_ON"); ok {
		info.AlwaysOn = v == py.True
	}
	if v, ok := classAttr(m.cls, "STANDBY_OK"); ok {
		info.StandbyOK = v == py.True
	}
	if m.standbyCls != nil {
		info.StandbyOK = true
	}
	if mod, err := m.pctx.GetModule(m.name); err == nil {
		if s, ok := mod.Globals["__version__"].(py.String); ok {
			info.Version = string(s)
		}
	}

	canRun, reason, err := m.canRun()
	if err != nil {
		return fail("can_run()", err)
	}
	info.CanRun, info.CanRunError = canRun, reason
	m.info = info
	return nil
}

// canRun evaluates can_run (staticmethod, classmethod, plain function, or
// a CAN_RUN attribute), returning (bool, reason).
func (m *pyModule) canRun() (bool, string, error) {
	var res py.Object
	var err error
	if v, ok := classAttr(m.cls, "CAN_RUN"); ok {
		res = v
	} else if v, ok := classAttr(m.cls, "can_run"); ok {
		switch f := v.(type) {
		case *staticMethod:
			res, err = py.Call(f.fn, nil, nil)
		case *classMethod:
			res, err = py.Call(f.fn, py.Tuple{m.cls}, nil)
		case *py.StaticMethod:
			res, err = py.Call(f.Callable, nil, nil)
		case *py.ClassMethod:
			res, err = py.Call(f.Callable, py.Tuple{m.cls}, nil)
		case *py.Function:
			res, err = py.Call(f, nil, nil)
		default:
			res = v
		}
	} else {
		return true, "", nil
	}
	if err != nil {
		return false, "", err
	}
	switch x := res.(type) {
	case py.Bool:
		return bool(x), "", nil
	case py.Tuple:
		if len(x) >= 1 {
			reason := ""
			if len(x) >= 2 && x[1] != py.None {
				reason = pyStr(x[1])
			}
			return x[0] == py.True, reason, nil
		}
	case *py.List:
		if len(x.Items) >= 1 {
			reason := ""
			if len(x.Items) >= 2 {
				reason = pyStr(x.Items[1])
			}
			return x.Items[0] == py.True, reason, nil
		}
	}
	return false, "", py.ExceptionNewf(py.TypeError, "can_run must return (bool, str), got %s", res.Type().Name)
}

func pyList(v py.Object) ([]py.Object, error) {
	switch x := v.(type) {
	case *py.List:
		return x.Items, nil
	case py.Tuple:
		return x, nil
	}
	return nil, fmt.Errorf("must be a list, got %s", v.Type().Name)
}

func dictStr(d py.StringDict, key string) string {
	v, ok := d[key]
	if !ok || v == py.None {
		return ""
	}
	return pyStr(v)
}

// dictBool is a COMMANDS entry's flag: True, or a "true" string (Ceph's
// CLICommand dumps poll as text).
func dictBool(d py.StringDict, key string) bool {
	v, ok := d[key]
	if !ok || v == py.None {
		return false
	}
	if b, isBool := v.(py.Bool); isBool {
		return bool(b)
	}
	return strings.EqualFold(pyStr(v), "true")
}

var optionTypes = []string{"str", "int", "uint", "float", "bool", "secs", "size", "addr", "uuid"}

// parseOption reads one Option(...) (a dict here) into registry.Option.
func parseOption(o py.Object) (registry.Option, error) {
	d, ok := o.(py.StringDict)
	if !ok {
		return registry.Option{}, fmt.Errorf("must be Option(...) or a dict, got %s", o.Type().Name)
	}
	opt := registry.Option{Name: dictStr(d, "name"), Type: dictStr(d, "type"), Desc: dictStr(d, "desc")}
	if opt.Name == "" {
		return opt, fmt.Errorf("option has no name")
	}
	if opt.Type == "" {
		opt.Type = "str"
	}
	if !slices.Contains(optionTypes, opt.Type) {
		return opt, fmt.Errorf("option %q: unknown type %q (want one of %v)", opt.Name, opt.Type, optionTypes)
	}
	var err error
	for _, f := range []struct {
		key string
		dst *any
	}{{"default", &opt.Default}, {"min", &opt.Min}, {"max", &opt.Max}} {
		if v, ok := d[f.key]; ok && v != py.None {
			if *f.dst, err = fromPy(v); err != nil {
				return opt, fmt.Errorf("option %q: %s: %v", opt.Name, f.key, err)
			}
		}
	}
	if v, ok := d["enum_allowed"]; ok && v != py.None {
		items, err := pyList(v)
		if err != nil {
			return opt, fmt.Errorf("option %q: enum_allowed %v", opt.Name, err)
		}
		for _, it := range items {
			opt.Enum = append(opt.Enum, pyStr(it))
		}
	}
	opt.Runtime = d["runtime"] == py.True
	return opt, nil
}
