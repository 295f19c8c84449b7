# backlog: a Python module for the embed example's job scheduler. It reads
# the scheduler's own data (get("queue")), raises the health warning
# BACKLOG_LONG while more jobs wait than the max_pending option allows, and
# answers `backlog status`. Nothing here is Ceph-shaped: the notify kinds
# and data names are the ones the scheduler chose.
import json

from mgr_module import MgrModule, Option


class Module(MgrModule):
    NOTIFY_TYPES = ["queue_changed", "job_failed"]
    MODULE_OPTIONS = [
        Option(name="max_pending", type="int", default=5, min=0, max=100000,
               desc="raise BACKLOG_LONG when more jobs than this are pending"),
    ]
    COMMANDS = [
        {"cmd": "backlog status", "desc": "queue depth, events seen and the alert state", "perm": "r"},
    ]

    def __init__(self):
        self.seen = {"queue_changed": 0, "job_failed": 0}
        self.failed_ids = []
        self.pending = 0
        self.raised = False

    def check(self):
        queue = self.get("queue")
        if queue is None:
            return
        self.pending = queue["pending"]
        limit = self.get_module_option("max_pending")
        if self.pending > limit:
            self.set_health_checks({
                "BACKLOG_LONG": {
                    "severity": "warning",
                    "summary": "{} jobs pending (max_pending {})".format(self.pending, limit),
                    "count": self.pending,
                    "detail": ["{} workers, {} running".format(queue["workers"], queue["running"])],
                },
            })
            if not self.raised:
                self.log.warning("BACKLOG_LONG raised: %d pending", self.pending)
            self.raised = True
        elif self.raised:
            self.set_health_checks({})
            self.log.info("BACKLOG_LONG cleared")
            self.raised = False

    def notify(self, notify_type, notify_id):
        self.seen[notify_type] = self.seen[notify_type] + 1
        if notify_type == "job_failed":
            self.failed_ids.append(notify_id)
        else:
            self.check()

    def handle_command(self, inbuf, cmd):
        return 0, json.dumps({
            "pending": self.pending,
            "alert": self.raised,
            "seen": self.seen,
            "failed_jobs": sorted(self.failed_ids),
        }), ""
