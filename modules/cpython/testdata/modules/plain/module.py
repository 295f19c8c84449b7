# plain: a gomgr module without the marker: gpython's, not CPython's.
from mgr_module import MgrModule


class Module(MgrModule):
    pass
