# progressprobe: drives Ceph's progress module through self.remote(), as
# pg_autoscaler does, so that an event shows in `ceph -s`. It loads under
# ceph-mgr and under gomgr alike (a tree beside Ceph's modules).
from mgr_module import MgrModule, CLIWriteCommand


class Module(MgrModule):
    @CLIWriteCommand('progressprobe set')
    def set_event(self, id: str, message: str, progress: float):
        self.remote('progress', 'update', id, message, progress, add_to_ceph_s=True)
        return 0, '', ''

    @CLIWriteCommand('progressprobe complete')
    def complete_event(self, id: str):
        self.remote('progress', 'complete', id)
        return 0, '', ''
