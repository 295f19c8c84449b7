from mgr_module import MgrModule


class Module(MgrModule):
    def serve(self):
        self.log.info("serving")
        x = {}
        return x["no_such_key"]
