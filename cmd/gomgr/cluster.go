package main

import (
	"os"
	"path/filepath"
	"strings"

	"gomgr/plugins"
)

// defaultMon is where the CLI looks when neither --mon nor $GOMGR_MON says.
const defaultMon = "127.0.0.1:6789"

// demoAddrFile is where `gomgr demo` writes its mon address, so the CLI on
// the same machine finds it without flags.
func demoAddrFile() string { return filepath.Join(os.TempDir(), "gomgr-demo", "mon.addr") }

// monAddress resolves the mon: the flag, then $GOMGR_MON, then a running
// demo's address file, then the default port.
func monAddress(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("GOMGR_MON"); env != "" {
		return env
	}
	if b, err := os.ReadFile(demoAddrFile()); err == nil {
		if a := strings.TrimSpace(string(b)); a != "" {
			return a
		}
	}
	return defaultMon
}

// repinner re-pins a Go plugin's binary when its module is enabled.
func repinner(ps *plugins.Source) func(string) {
	if ps == nil {
		return nil
	}
	return func(name string) {
		_, _ = ps.Repin(name) // not a plugin of this source: nothing to pin
	}
}
