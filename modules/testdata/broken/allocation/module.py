# Unbounded allocation: grows until the process runs out of memory. Only
# the isolate mode (a child process with a memory limit) survives it.
from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]

    def notify(self, notify_type, notify_id):
        hog = []
        s = "x" * 1048576
        while True:
            hog.append(s + str(len(hog)))
