from mgr_module import MgrModule
import no_such_module_anywhere


class Module(MgrModule):
    pass
