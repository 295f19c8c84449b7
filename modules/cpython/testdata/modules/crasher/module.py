# gomgr: runtime=cpython
# crasher: its process dies on the "crash" command, as a module whose C
# extension segfaults does; it counts its lives in the store.
import os

from mgr_module import MgrModule, CLIReadCommand


class Module(MgrModule):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_store('lives', str(int(self.get_store('lives', '0')) + 1))

    @CLIReadCommand('crasher lives')
    def lives(self):
        return 0, self.get_store('lives', '0'), ''

    @CLIReadCommand('crasher crash')
    def crash(self):
        os._exit(11)
