from mgr_module import MgrModule


class Module(MgrModule):
    COMMANDS = [{"cmd": "broken go", "desc": "raises", "perm": "r"}]

    def handle_command(self, inbuf, cmd):
        return self.helper(cmd)

    def helper(self, cmd):
        return cmd["missing"]
