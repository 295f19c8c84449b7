package cpython

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"gomgr/modules/isolate"
	"gomgr/registry"
)

//go:embed python/gomgr_child.py
var childSrc string

//go:embed python/ceph_module.py
var cephModuleSrc string

// boot is the child's whole command line program: it reads the files the
// parent writes on stdin and runs gomgr_child.py.
const boot = `import sys,json;F=json.load(sys.stdin);sys.stdin.close();` +
	`exec(compile(F["gomgr_child.py"],"<gomgr>/gomgr_child.py","exec"),{"__name__":"__main__","FILES":F})`

// envPath is the child's module search path: the module directories, then
// the directory of Ceph's mgr_module.py.
const envPath = "GOMGR_CPYTHON_PATH"

// Defaults.
const (
	// DefaultPython is Debian's interpreter, whose dist-packages hold the
	// rados and ceph_argparse bindings that Ceph's mgr_module.py imports.
	DefaultPython = "/usr/bin/python3"
	// DefaultMgrModulePath is where Debian's ceph-mgr-modules-core puts
	// Ceph's mgr_module.py and modules.
	DefaultMgrModulePath = "/usr/share/ceph/mgr"
)

// ErrNoPython is why modules cannot run when no interpreter is found.
var ErrNoPython = errors.New("cpython: python3 not found")

// Marker is the line near the top of a gomgr module's module.py that asks
// for CPython rather than gpython.
const Marker = "# gomgr: runtime=cpython"

// Kind is the registry kind of the modules this package runs.
const Kind = "cpython"

// IsCephTree reports whether dir is a tree of Ceph's modules: it holds
// Ceph's mgr_module.py, which its modules import.
func IsCephTree(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "mgr_module.py"))
	return err == nil && st.Mode().IsRegular()
}

// AsksForCPython reports whether <dir>/<name>/module.py has Marker among
// its first ten lines.
func AsksForCPython(dir, name string) bool {
	f, err := os.Open(filepath.Join(dir, name, "module.py"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 0; i < 10 && sc.Scan(); i++ {
		if strings.TrimSpace(sc.Text()) == Marker {
			return true
		}
	}
	return false
}

// Config sets where modules are and how their processes start.
type Config struct {
	// Dirs hold one package per module (<dir>/<name>/module.py); the first
	// directory holding a name wins.
	Dirs []string
	// MgrModulePath is the directory of Ceph's mgr_module.py: the first of
	// Dirs that holds it, else DefaultMgrModulePath.
	MgrModulePath string
	// Select, if set, keeps only the modules it accepts (gomgr's modules
	// that ask for CPython: AsksForCPython).
	Select func(dir, name string) bool
	// Python is the interpreter. Default DefaultPython, else python3 on PATH.
	Python string
	// Isolate bounds the processes (memory, deadlines, logger); its Command
	// is set by this package.
	Isolate isolate.Config
}

// NewSource returns the registry.Source of the modules in cfg.Dirs, each
// opened in a python3 process of its own. Without an interpreter every
// module still lists, as one that cannot run, with the reason.
func NewSource(cfg Config) registry.Source {
	files, err := json.Marshal(map[string]string{
		"gomgr_child.py": childSrc,
		"ceph_module.py": cephModuleSrc,
	})
	if err != nil {
		panic(err) // two strings always marshal
	}
	if cfg.MgrModulePath == "" {
		cfg.MgrModulePath = DefaultMgrModulePath
		if i := slices.IndexFunc(cfg.Dirs, IsCephTree); i >= 0 {
			cfg.MgrModulePath = cfg.Dirs[i]
		}
	}
	t := tree{dirs: slices.Clone(cfg.Dirs), sel: cfg.Select}
	py, pyErr := findPython(cfg.Python)
	ic := cfg.Isolate
	path := strings.Join(append(slices.Clone(cfg.Dirs), cfg.MgrModulePath), string(os.PathListSeparator))
	ic.Env = append(slices.Clip(ic.Env), envPath+"="+path)
	// One python3 loads gomgr_child.py, ceph_module and Ceph's mgr_module
	// once, and forks every module's process: they share those pages.
	ic.ForkServer = func() *exec.Cmd {
		// -I: no user site, no PYTHON* variables; -B: no .pyc written into Ceph's tree.
		cmd := exec.Command(py, "-I", "-B", "-c", boot)
		cmd.Stdin = bytes.NewReader(files)
		// One malloc arena: a module's few threads gain nothing from more,
		// and each arena keeps its own freed memory.
		cmd.Env = append(os.Environ(), "MALLOC_ARENA_MAX=1")
		return cmd
	}
	return &source{tree: t, procs: isolate.NewSource(t, ic), pyErr: pyErr}
}

func findPython(py string) (string, error) {
	if py != "" {
		p, err := exec.LookPath(py)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoPython, err)
		}
		return p, nil
	}
	if _, err := os.Stat(DefaultPython); err == nil {
		return DefaultPython, nil
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("%w (install Debian's python3 and ceph-mgr-modules-core)", ErrNoPython)
	}
	return p, nil
}

// source opens each module in its own process, or, without python3, as a
// module that cannot run.
type source struct {
	tree
	procs *isolate.Source
	pyErr error
}

// Close ends the fork server.
func (s *source) Close() error { return s.procs.Close() }

func (s *source) Open(ctx context.Context, name string) (registry.Module, error) {
	if s.pyErr != nil {
		return cannotRun{name: name, why: s.pyErr.Error()}, nil
	}
	return s.procs.Open(ctx, name)
}

// tree lists the modules of the directories; opening them is the child's work.
type tree struct {
	dirs []string
	sel  func(dir, name string) bool
}

// Kind tells CPython modules from gpython ones ("python") in listings.
func (t tree) Kind() string { return Kind }

func (t tree) Scan() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, dir := range t.dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("cpython: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			// Not e.IsDir(): a module may be a symlink to its directory.
			if seen[name] || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			if st, err := os.Stat(filepath.Join(dir, name, "module.py")); err != nil || !st.Mode().IsRegular() {
				continue
			}
			seen[name] = true // the first directory holding a name wins, selected or not
			if t.sel == nil || t.sel(dir, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func (t tree) Open(context.Context, string) (registry.Module, error) {
	return nil, errors.New("cpython: a module opens only in its own process")
}

// cannotRun is a module listed without an interpreter to run it.
type cannotRun struct{ name, why string }

func (m cannotRun) Info() registry.Info {
	return registry.Info{Name: m.name, Kind: Kind, CanRun: false, CanRunError: m.why}
}
func (m cannotRun) Start(context.Context, registry.Host) error { return errors.New(m.why) }
func (m cannotRun) Notify(context.Context, []registry.Event) error {
	return errors.New(m.why)
}
func (m cannotRun) Command(context.Context, registry.Command) (registry.CommandResult, error) {
	return registry.CommandResult{}, errors.New(m.why)
}
func (m cannotRun) Stop(context.Context) error { return nil }
func (m cannotRun) Failed() error              { return nil }
