# gomgr: runtime=cpython
# caller: calls other modules' methods with self.remote(), as telemetry
# calls crash's.
from mgr_module import MgrModule, CLIReadCommand


class Module(MgrModule):
    @CLIReadCommand('caller call')
    def call(self, module: str, method: str):
        try:
            r = self.remote(module, method, 20, plus=2)
        except (ImportError, NameError, RuntimeError) as e:
            return 0, type(e).__name__, str(e).splitlines()[0]
        return 0, repr(r), ''
