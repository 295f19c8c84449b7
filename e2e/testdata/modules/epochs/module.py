# epochs: records the osd_map epochs it is told of, for the end-to-end test.
import json
import time
from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    COMMANDS = [
        {"cmd": "epochs state", "desc": "epochs seen and what the cache holds", "perm": "r"},
        {"cmd": "epochs slow", "desc": "answer after 6 s (the CLI says what it waits for)", "perm": "r"},
    ]

    def __init__(self):
        self.seen = []

    def notify(self, notify_type, notify_id):
        self.seen.append(int(notify_id))

    def handle_command(self, inbuf, cmd):
        if cmd["prefix"] == "epochs slow":
            end = time.time() + 6
            while time.time() < end:
                pass
            return 0, "done", ""
        osd_map = self.get("osd_map")
        samples = self.get_counter("osd", "0", "osd.op")
        return 0, json.dumps({
            "seen": self.seen,
            "epoch": osd_map["epoch"],
            "osd_op_samples": len(samples.get("osd.op", [])),
        }), ""
