package modules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandbox: without AllowOS a module cannot import os, tempfile or glob,
// nor call open() (no filesystem or process access).
func TestSandbox(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		code string
		want string
	}{
		{"import_os", "import os", "ImportError: import of 'os' is not allowed"},
		{"import_os_path", "import os.path", "ImportError: import of 'os' is not allowed"},
		{"from_os", "from os import system", "ImportError: import of 'os' is not allowed"},
		{"dunder_import", "__import__('os')", "ImportError: import of 'os' is not allowed"},
		{"import_tempfile", "import tempfile", "ImportError: import of 'tempfile' is not allowed"},
		{"import_glob", "import glob", "ImportError: import of 'glob' is not allowed"},
		{"open", "open(" + `"` + secret + `"` + ")", "NameError"},
		{"builtins_open", "import builtins\nbuiltins.open('" + secret + "')", "AttributeError"},
		{"input", "input()", "NameError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := evalPy(t, tc.code)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestSandboxAllowOS: a module named in AllowOS gets os and open.
func TestSandboxAllowOS(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := "import os\nf = open('" + secret + "')\nresult = [f.read(), os.getcwd() != '']\n" + moduleFooter
	if _, err := openSrc(t, "trusted", src, "trusted"); err != nil {
		t.Fatalf("allowed module: %v", err)
	}
	if _, err := openSrc(t, "other", src, "trusted"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("module not in AllowOS: %v", err)
	}
}

// TestSandboxLocalImport: a module may import a helper next to its
// module.py, with the same sandbox inside it.
func TestSandboxLocalImport(t *testing.T) {
	dir := t.TempDir()
	writeModule(t, dir, "withhelper", "import helper\nresult = helper.VALUE\n"+moduleFooter)
	if err := os.WriteFile(filepath.Join(dir, "withhelper", "helper.py"), []byte("VALUE = 42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeModule(t, dir, "evilhelper", "import evil\n"+moduleFooter)
	// A .py file outside the module's directory stays out of reach even
	// when the module edits sys.path.
	writeModule(t, dir, "pathhack", "import sys\nsys.path.insert(0, '"+filepath.Join(dir, "withhelper")+"')\nimport helper\n"+moduleFooter)
	if err := os.WriteFile(filepath.Join(dir, "evilhelper", "evil.py"), []byte("import os\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewSource(Config{Dirs: []string{dir}})
	m, err := s.Open(ctxT(t, 5e9), "withhelper")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop(ctxT(t, 5e9))
	if _, err := s.Open(ctxT(t, 5e9), "evilhelper"); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("helper importing os: %v", err)
	}
	if _, err := s.Open(ctxT(t, 5e9), "pathhack"); err == nil || !strings.Contains(err.Error(), "No module named 'helper'") {
		t.Fatalf("sys.path edit: %v", err)
	}
}
