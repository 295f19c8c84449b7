package modules

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/sirupsen/logrus"

	"gomgr/registry"
)

// Config configures a Source.
type Config struct {
	// Dirs are searched in order for <dir>/<name>/module.py; the first
	// directory holding a name wins.
	Dirs []string
	// AllowOS names the modules that may import os, tempfile and glob and
	// call open(); every other module runs without filesystem or process
	// access.
	AllowOS []string
	// Logger receives module log lines written before Start (at import, in
	// can_run) and the host's own messages; nil discards them.
	Logger logrus.FieldLogger
}

// source finds Python modules in directories. It holds no state but its
// Config, so several can live in one process (a manager, or an isolate
// child).
type source struct {
	cfg Config
}

// NewSource returns the registry.Source of Python modules (Kind "python").
func NewSource(cfg Config) registry.Source {
	if cfg.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		cfg.Logger = l
	}
	cfg.Dirs = slices.Clone(cfg.Dirs)
	cfg.AllowOS = slices.Clone(cfg.AllowOS)
	return &source{cfg: cfg}
}

var _ registry.Source = (*source)(nil)

// Kind implements registry.Source.
func (s *source) Kind() string { return "python" }

// Scan implements registry.Source: every <dir>/<name>/module.py, sorted.
// Missing directories are skipped.
func (s *source) Scan() ([]string, error) {
	seen := map[string]bool{}
	var names []string
	for _, dir := range s.cfg.Dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("modules: scan %s: %w", dir, err)
		}
		for _, e := range ents {
			name := e.Name()
			if seen[name] || !validName(name) {
				continue
			}
			if st, err := os.Stat(filepath.Join(dir, name, "module.py")); err == nil && st.Mode().IsRegular() {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// validName accepts the names Python can import: no path tricks.
func validName(name string) bool {
	if name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return false
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (s *source) find(name string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("%w: invalid module name %q", ErrNoModule, name)
	}
	for _, dir := range s.cfg.Dirs {
		p := filepath.Join(dir, name, "module.py")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %q in %v", ErrNoModule, name, s.cfg.Dirs)
}

// Open implements registry.Source: it creates the module's interpreter
// and owner goroutine, imports module.py and reads the declaration
// (NOTIFY_TYPES, MODULE_OPTIONS, COMMANDS, can_run()). A module that
// cannot load returns an error carrying the Python traceback. When ctx
// ends before the import finishes (top-level code that never returns),
// the error wraps registry.ErrStuck.
func (s *source) Open(ctx context.Context, name string) (registry.Module, error) {
	path, err := s.find(name)
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // sys.path and tracebacks use it
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("modules: %s: %w", name, err)
	}
	m := newPyModule(name, path, slices.Contains(s.cfg.AllowOS, name), s.cfg.Logger)
	err = m.call(ctx, "load", func() error { return m.load(string(src)) })
	if err != nil {
		m.stopped.Store(true)
		m.stopOnce.Do(func() { close(m.stopping) })
		close(m.quit)
		return nil, err
	}
	return m, nil
}
