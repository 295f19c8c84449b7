package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"

	"gomgr/modules"
	"gomgr/modules/cpython"
	"gomgr/modules/isolate"
	"gomgr/plugins"
	"gomgr/registry"
)

// Environment that carries the Python source's configuration to module
// processes (they rebuild the same Source).
const (
	envModuleDirs = "GOMGR_MODULE_DIRS"
	envAllowOS    = "GOMGR_MODULE_ALLOW_OS"
)

// moduleFlags are the flags of every command that hosts modules.
type moduleFlags struct {
	dirs      string
	plugins   string
	allowOS   string
	inProcess bool
	noMTLS    bool
	user      string
}

func (f *moduleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dirs, "modules", "", "Python module directories (<dir>/<name>/module.py), "+string(os.PathListSeparator)+"-separated")
	fs.StringVar(&f.plugins, "plugins", "", "directory of Go plugin executables")
	fs.StringVar(&f.allowOS, "allow-os", "", "comma-separated Python modules allowed os, open and subprocess access")
	fs.BoolVar(&f.inProcess, "python-in-process", false, "run Python modules inside the manager (faster, but runaway code is not contained)")
	fs.BoolVar(&f.noMTLS, "plugins-no-mtls", false, "turn off mutual TLS between the manager and Go plugins")
	fs.StringVar(&f.user, "module-user", "", "run Python module processes as this unprivileged user (when the manager runs as root)")
}

// sources builds the module sources. A Go plugin's pin is kept in the mon
// (the mgr hands the plugin source its store); an operator re-trusts a
// changed binary with `gomgr config-key rm mgr/plugins/NAME/sha256`.
func (f *moduleFlags) sources(log *logrus.Entry) []registry.Source {
	var out []registry.Source
	// Module processes: confined (no_new_privs, resource limits), and run
	// as --module-user when the manager is root.
	ic := isolate.Config{Logger: log, User: f.user}
	// Directories in order, so that the first holding a name wins. One
	// holding Ceph's mgr_module.py is Ceph's tree: its modules run on
	// CPython. Another holds gomgr's modules, for gpython, but for those
	// that ask for CPython (listed before, so the registry takes them from
	// the CPython source).
	for _, dir := range filepath.SplitList(f.dirs) {
		if cpython.IsCephTree(dir) {
			out = append(out, cpython.NewSource(cpython.Config{Dirs: []string{dir}, Isolate: ic}))
			continue
		}
		out = append(out, cpython.NewSource(cpython.Config{Dirs: []string{dir}, Select: cpython.AsksForCPython, Isolate: ic}))
		var py registry.Source = modules.NewSource(modules.Config{Dirs: []string{dir}, AllowOS: splitList(f.allowOS), Logger: log})
		if !f.inProcess {
			gc := ic
			gc.Command = moduleCommand
			gc.Env = []string{envModuleDirs + "=" + dir, envAllowOS + "=" + f.allowOS}
			py = isolate.NewSource(py, gc)
		}
		out = append(out, py)
	}
	if f.plugins != "" {
		// The mgr hands it its store (UseStore): the pins live in the mon.
		out = append(out, plugins.NewSource(plugins.Config{Dir: f.plugins, DisableAutoMTLS: f.noMTLS, Logger: log}))
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// moduleCommand is isolate.Config.Command for gomgr's Python modules: this
// executable as the module role (roles.go).
func moduleCommand(string) *exec.Cmd { return childCommand(roleModule) }

// runModuleChild is the module role: the manager re-executed this binary,
// which rebuilds the Python source from the environment and serves one
// module. isolate.MaybeRunChild exits the process when it serves.
func runModuleChild(args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("takes no arguments, got %q", args)
	}
	if !isolate.MaybeRunChild(func() registry.Source {
		return modules.NewSource(modules.Config{
			Dirs:    filepath.SplitList(os.Getenv(envModuleDirs)),
			AllowOS: splitList(os.Getenv(envAllowOS)),
		})
	}) {
		return errNotLaunched
	}
	return nil
}
