# callprobe: calls of the module API a test compares between ceph-mgr and
# gomgr: send_command to an OSD (as devicehealth does for SMART data) and
# get(). It loads under both (a tree beside Ceph's modules).
import json

from mgr_module import MgrModule, CLIReadCommand, CommandResult


class Module(MgrModule):
    @CLIReadCommand('callprobe tell')
    def tell(self, osd: str, cmd: str):
        result = CommandResult('')
        self.send_command(result, 'osd', osd, json.dumps({'prefix': cmd, 'format': 'json'}), '')
        return result.wait()

    @CLIReadCommand('callprobe get')
    def get_data(self, what: str):
        return 0, json.dumps(self.get(what), sort_keys=True), ''
