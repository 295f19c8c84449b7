from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]

    def notify(self, notify_type, notify_id):
        osd_map = self.get("osd_map")
        self.log.info("epoch %d" % osd_map["epoch"])
        raise ValueError("notify failed on purpose")
