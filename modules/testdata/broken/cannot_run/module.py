from mgr_module import MgrModule


class Module(MgrModule):
    @staticmethod
    def can_run():
        return False, "needs a library gpython does not have"
