package simbench

import (
	"fmt"
	"os"
	"path/filepath"
)

// ModuleName is the Python module Run writes and enables in the mgr.
const ModuleName = "simbench"

// moduleCommand returns the module's notify receive times.
const moduleCommand = "simbench notify-times"

// moduleSource records time.time_ns() first thing in notify, so the figure
// is the delivery to the module, not what the module does next.
const moduleSource = `# simbench: records when each osd_map notify reaches a module.
import json
import time

from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    COMMANDS = [
        {"cmd": "simbench notify-times", "desc": "osd_map epoch -> time.time_ns() at notify", "perm": "r"},
    ]

    def __init__(self):
        self.seen = {}

    def notify(self, notify_type, notify_id):
        t = time.time_ns()
        if notify_type == "osd_map":
            self.seen[str(notify_id)] = t

    def handle_command(self, inbuf, cmd):
        return 0, json.dumps(self.seen), ""
`

// writeModule writes the bench module under dir/<ModuleName>/module.py.
func writeModule(dir string) error {
	d := filepath.Join(dir, ModuleName)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("%w: module dir: %w", ErrOptions, err)
	}
	if err := os.WriteFile(filepath.Join(d, "module.py"), []byte(moduleSource), 0o644); err != nil {
		return fmt.Errorf("%w: module: %w", ErrOptions, err)
	}
	return nil
}
