from mgr_module import MgrModule


class Module(MgrModule):
    NOTIFY_TYPES = ["osd_map"]

    def notify(self, notify_type, notify_id):
        while True:
            pass
