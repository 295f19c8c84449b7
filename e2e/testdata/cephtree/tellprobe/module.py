# tellprobe: sends a command to an OSD with send_command, as devicehealth
# does for SMART data. It loads under ceph-mgr and under gomgr alike (a
# tree beside Ceph's modules).
import json

from mgr_module import MgrModule, CLIReadCommand, CommandResult


class Module(MgrModule):
    @CLIReadCommand('tellprobe osd')
    def tell_osd(self, id: str, cmd: str):
        result = CommandResult('')
        self.send_command(result, 'osd', id, json.dumps({'prefix': cmd, 'format': 'json'}), '')
        return result.wait()
