# gomgr: runtime=cpython
# spin: notify() never returns, as runaway module code does.
from mgr_module import MgrModule


class Module(MgrModule):
    def notify(self, notify_type, notify_id):
        while True:
            pass
