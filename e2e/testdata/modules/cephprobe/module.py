# cephprobe: what the real-Ceph end-to-end test reads of a module's view.
import json
import time
from mgr_module import MgrModule, MonCommandFailed, Option


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    MODULE_OPTIONS = [
        Option(name="level", type="int", default=1, min=0, max=100, desc="read back by the test"),
    ]
    COMMANDS = [
        {"cmd": "cephprobe osdmap", "desc": "the cached osd_map, abridged", "perm": "r"},
        {"cmd": "cephprobe seen", "desc": "osd_map epochs notified, with the wall time of each", "perm": "r"},
        {"cmd": "cephprobe counter name=id,type=CephString name=path,type=CephString",
         "desc": "an OSD counter's latest value", "perm": "r"},
        {"cmd": "cephprobe warn name=on,type=CephChoices,strings=yes|no", "desc": "raise or clear a health check", "perm": "w"},
        {"cmd": "cephprobe option", "desc": "the level option", "perm": "r"},
        {"cmd": "cephprobe mon name=words,type=CephString,n=N", "desc": "check_mon_command of the words, as JSON", "perm": "r"},
        {"cmd": "cephprobe clog name=msg,type=CephString", "desc": "a line in the cluster log", "perm": "w"},
        {"cmd": "cephprobe get name=what,type=CephString", "desc": "what get() returns", "perm": "r"},
        {"cmd": "cephprobe store name=key,type=CephString name=value,type=CephString",
         "desc": "set_store, then get_store", "perm": "w"},
    ]

    def __init__(self):
        self.seen = []

    def notify(self, notify_type, notify_id):
        self.seen.append([int(notify_id), time.time()])

    def handle_command(self, inbuf, cmd):
        prefix = cmd["prefix"]
        if prefix == "cephprobe osdmap":
            m = self.get("osd_map")
            osds = []
            for o in m["osds"]:
                osds.append({"osd": o["osd"], "up": o["up"], "in": o["in"]})
            pools = []
            for p in m["pools"]:
                pools.append(p["pool_name"])
            return 0, json.dumps({"epoch": m["epoch"], "osds": osds, "pools": pools}), ""
        if prefix == "cephprobe seen":
            return 0, json.dumps(self.seen), ""
        if prefix == "cephprobe counter":
            v = self.get_latest("osd", cmd["id"], cmd["path"])
            return 0, json.dumps(v), ""
        if prefix == "cephprobe warn":
            checks = {}
            if cmd["on"] == "yes":
                checks["CEPHPROBE_TEST"] = {"severity": "warning", "summary": "cephprobe says so",
                                            "detail": ["raised by the test"], "count": 1}
            self.set_health_checks(checks)
            return 0, "", ""
        if prefix == "cephprobe get":
            return 0, json.dumps(self.get(cmd["what"])), ""
        if prefix == "cephprobe store":
            self.set_store(cmd["key"], cmd["value"])
            return 0, json.dumps(self.get_store(cmd["key"])), ""
        if prefix == "cephprobe mon":
            try:
                r = self.check_mon_command({"prefix": " ".join(cmd["words"]), "format": "json"})
            except MonCommandFailed as e:
                return 0, "MonCommandFailed", str(e)
            return 0, r[1], ""
        if prefix == "cephprobe clog":
            self.cluster_log("cluster", self.ClusterLogPrio.WARN, cmd["msg"])
            return 0, "", ""
        if prefix == "cephprobe option":
            return 0, json.dumps(self.get_module_option("level")), ""
        return -22, "", "unknown command"
