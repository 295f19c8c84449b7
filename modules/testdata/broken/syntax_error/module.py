from mgr_module import MgrModule


class Module(MgrModule):
    def notify(self, notify_type, notify_id)
        pass
