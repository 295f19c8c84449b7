# hello: the smallest gomgr Python module. Copy this directory to start one.

# mgr_module is provided by the host; MgrModule is the base class.
from mgr_module import MgrModule, MgrStandbyModule


# The host instantiates the MgrModule subclass (Ceph names it Module) with
# no arguments when the module is enabled.
class Module(MgrModule):
    # The events this module wants; without NOTIFY_TYPES it gets none.
    NOTIFY_TYPES = ["osd_map"]

    # Called once per event, on this module's own goroutine.
    def notify(self, notify_type, notify_id):
        # Only osd_map is subscribed, but checking keeps the intent clear.
        if notify_type != "osd_map":
            # Anything else is ignored.
            return
        # get() returns the cached map, converted once per epoch: read only.
        osd_map = self.get("osd_map")
        # self.log writes to the manager's log, tagged module=hello.
        self.log.info("osd_map epoch %d", osd_map["epoch"])


# Optional: what runs on a standby manager (Ceph's MgrStandbyModule). It
# gets serve() and shutdown(), no events or commands, and stops when its
# manager becomes the active one.
class StandbyModule(MgrStandbyModule):
    # Called once on each standby; returning is fine.
    def serve(self):
        self.log.info("standby on %s", self.get_mgr_id())
