package cpython

import (
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

// envPath tells the child which directory holds mgr_module.py and the modules.
const envPath = "GOMGR_CPYTHON_PATH"

// DefaultPython is Debian's interpreter, whose dist-packages hold the rados
// and ceph_argparse bindings that Ceph's mgr_module.py imports.
const DefaultPython = "/usr/bin/python3"

// ErrNoPython is why modules cannot run when no interpreter is found.
var ErrNoPython = errors.New("cpython: python3 not found")

// IsCephTree reports whether dir is a tree of Ceph's modules: it holds
// Ceph's mgr_module.py, which its modules import.
func IsCephTree(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "mgr_module.py"))
	return err == nil && st.Mode().IsRegular()
}

// Config sets how the modules' processes start.
type Config struct {
	// Dir holds mgr_module.py and one package per module (<dir>/<name>/module.py).
	Dir string
	// Python is the interpreter. Default DefaultPython, else python3 on PATH.
	Python string
	// Isolate bounds the processes (memory, deadlines, logger); its Command
	// is set by this package.
	Isolate isolate.Config
}

// NewSource returns the registry.Source of the modules in cfg.Dir, each
// opened in a python3 process of its own. Without an interpreter every
// module still lists, and fails to open with ErrNoPython as its reason.
func NewSource(cfg Config) registry.Source {
	files, err := json.Marshal(map[string]string{
		"gomgr_child.py": childSrc,
		"ceph_module.py": cephModuleSrc,
	})
	if err != nil {
		panic(err) // two strings always marshal
	}
	py, pyErr := findPython(cfg.Python)
	ic := cfg.Isolate
	ic.Env = append(slices.Clip(ic.Env), envPath+"="+cfg.Dir)
	ic.Command = func(string) *exec.Cmd {
		if pyErr != nil {
			// A command that fails at once, with the reason on stderr.
			return exec.Command("/bin/sh", "-c", `echo "$0" >&2; exit 1`, pyErr.Error())
		}
		// -I: no user site, no PYTHON* variables; -B: no .pyc written into Ceph's tree.
		cmd := exec.Command(py, "-I", "-B", "-c", boot)
		cmd.Stdin = bytes.NewReader(files)
		return cmd
	}
	return isolate.NewSource(tree{dir: cfg.Dir}, ic)
}

func findPython(py string) (string, error) {
	if py != "" {
		return exec.LookPath(py)
	}
	if _, err := os.Stat(DefaultPython); err == nil {
		return DefaultPython, nil
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("%w (install Debian's python3, python3-rados and ceph-mgr-modules-core)", ErrNoPython)
	}
	return p, nil
}

// tree lists the modules of a Ceph tree; opening them is the child's work.
type tree struct{ dir string }

func (t tree) Kind() string { return "python" }

func (t tree) Scan() ([]string, error) {
	ents, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, fmt.Errorf("cpython: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if st, err := os.Stat(filepath.Join(t.dir, e.Name(), "module.py")); err == nil && st.Mode().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (t tree) Open(ctx context.Context, name string) (registry.Module, error) {
	return nil, fmt.Errorf("cpython: %s opens only in its own process", name)
}
