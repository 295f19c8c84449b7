package cephbench

import (
	"fmt"
	"os"
	"path/filepath"
)

// ProbeName is the probe module's name, and its command's first word.
const ProbeName = "benchprobe"

// probeInit is the package's __init__.py, for ceph-mgr; gomgr reads
// module.py only.
const probeInit = "from .module import Module  # noqa: F401\n"

// probeSource is module.py, for gpython and CPython alike. notify takes
// the time first, so the figure is the delivery to the module, not what
// it does next.
const probeSource = `# benchprobe: when each osd_map notify reaches the module (gomgr bench ceph).
import json
import time

from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    COMMANDS = [
        {"cmd": "benchprobe seen", "desc": "[epoch, time_ns, OSDs out] per osd_map notify", "perm": "r"},
    ]

    def __init__(self, *args, **kwargs):
        super(Module, self).__init__(*args, **kwargs)
        self.seen = []

    def notify(self, notify_type, notify_id):
        t = time.time_ns()
        if notify_type != "osd_map":
            return
        m = self.get("osd_map")
        out = []
        for o in m["osds"]:
            if o["in"] == 0:
                out.append(o["osd"])
        self.seen.append([m["epoch"], t, out])

    def handle_command(self, inbuf, cmd):
        return 0, json.dumps(self.seen), ""
`

// cephLibs are the files of Ceph's module path a module imports.
var cephLibs = []string{"mgr_module.py", "mgr_util.py"}

// writeProbe makes dir a module path for both managers: the probe package
// and links to Ceph's mgr_module.py and mgr_util.py in cephModules.
func writeProbe(dir, cephModules string) error {
	pkg := filepath.Join(dir, ProbeName)
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return fmt.Errorf("cephbench: %w", err)
	}
	for name, text := range map[string]string{"__init__.py": probeInit, "module.py": probeSource} {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("cephbench: %w", err)
		}
	}
	for _, lib := range cephLibs {
		src := filepath.Join(cephModules, lib)
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("%w: Ceph's %s: %w (apt-get install -y ceph-mgr)", ErrOptions, lib, err)
		}
		if err := os.Symlink(src, filepath.Join(dir, lib)); err != nil {
			return fmt.Errorf("cephbench: %w", err)
		}
	}
	return nil
}
