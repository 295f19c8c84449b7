# gpyremote: a gpython module (no runtime marker) that takes remote calls
# from CPython modules and makes them, with plain data crossing as pickles.
import json
from mgr_module import MgrModule


class Module(MgrModule):
    COMMANDS = [
        {"cmd": "gpyremote call name=module,type=CephString name=method,type=CephString",
         "desc": "self.remote(module, method, 20, plus=2)", "perm": "r"},
    ]

    def add(self, a, plus=0):
        return {"sum": a + plus, "runtime": "gpython", "args": (a, plus)}

    def boom(self, x, plus=0):
        raise ValueError("boom %d" % x)

    def handle_command(self, inbuf, cmd):
        try:
            r = self.remote(cmd["module"], cmd["method"], 20, plus=2)
        except ImportError as e:
            return 0, "ImportError", str(e)
        except NameError as e:
            return 0, "NameError", str(e)
        except RuntimeError as e:
            return 0, "RuntimeError", str(e).split("\n")[0]
        return 0, json.dumps(r), ""
