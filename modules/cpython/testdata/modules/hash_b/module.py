# gomgr: runtime=cpython
# hash_b: a gomgr module on CPython that imports bcrypt, which is built with
# PyO3 and loads once per interpreter process (the reason it cannot run in
# two sub-interpreters of one ceph-mgr).
import bcrypt

from mgr_module import MgrModule, CLIReadCommand


class Module(MgrModule):
    @CLIReadCommand('hash_b check')
    def check(self, password: str):
        h = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4))
        return 0, '%s %s' % (bcrypt.checkpw(password.encode(), h), h[:4].decode()), ''
