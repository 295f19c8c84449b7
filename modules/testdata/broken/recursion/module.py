# Infinite recursion: gpython overflows the Go stack, a fatal error no
# recover() can catch. Only the isolate mode (a child process) survives it.
from mgr_module import MgrModule


def down(n):
    return down(n + 1) + 1


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]

    def notify(self, notify_type, notify_id):
        down(0)
