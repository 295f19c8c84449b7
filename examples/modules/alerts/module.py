# alerts: raises the health check ALERTS_OSD_DOWN while more OSDs are down
# than the osd_down_threshold option allows, and clears it when they are
# back. The mon's OSD_DOWN already reports every down OSD: this check is the
# escalation past a policy (by default more than one down, at error
# severity), so a single down OSD shows once, as OSD_DOWN.
# `alerts status` prints what the module sees.
import json

from mgr_module import MgrModule, Option


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]
    MODULE_OPTIONS = [
        Option(name="osd_down_threshold", type="int", default=1, min=0, max=10000,
               desc="raise the alert when more OSDs than this are down"),
        Option(name="severity", type="str", default="error",
               enum_allowed=["warning", "error"], desc="severity of the alert"),
    ]
    COMMANDS = [
        {"cmd": "alerts status", "desc": "show down OSDs and the alert state", "perm": "r"},
    ]

    def __init__(self):
        self.down = []
        self.raised = False
        self.epoch = 0

    def check(self):
        osd_map = self.get("osd_map")
        if osd_map is None:
            return
        self.epoch = osd_map["epoch"]
        self.down = sorted([o["osd"] for o in osd_map["osds"] if not o["up"]])
        threshold = self.get_module_option("osd_down_threshold")
        if len(self.down) > threshold:
            self.set_health_checks({
                "ALERTS_OSD_DOWN": {
                    "severity": self.get_module_option("severity"),
                    "summary": "{} osds down, more than the {} allowed".format(len(self.down), threshold),
                    "count": len(self.down),
                    "detail": ["osd.{} is down".format(i) for i in self.down],
                },
            })
            if not self.raised:
                self.log.warning("ALERTS_OSD_DOWN raised: %d osds down", len(self.down))
            self.raised = True
        else:
            self.set_health_checks({})
            if self.raised:
                self.log.info("ALERTS_OSD_DOWN cleared")
            self.raised = False

    def notify(self, notify_type, notify_id):
        if notify_type == "osd_map":
            self.check()

    def config_notify(self):
        # The threshold changed: re-evaluate now rather than at the next map.
        self.check()

    def handle_command(self, inbuf, cmd):
        return 0, json.dumps({
            "epoch": self.epoch,
            "down": self.down,
            "threshold": self.get_module_option("osd_down_threshold"),
            "alert": self.raised,
        }), ""
