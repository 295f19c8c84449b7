# gomgr: runtime=cpython
# ticker: a serve() thread that ends on shutdown(), and notify() counted.
import os
import threading

from mgr_module import MgrModule, CLIReadCommand


class Module(MgrModule):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop = threading.Event()
        self.ticks = 0
        self.seen = []

    def serve(self):
        self.log.info('serving')
        while not self.stop.wait(0.01):
            self.ticks += 1
        self.log.info('serve() returns')

    def shutdown(self):
        self.stop.set()

    def notify(self, notify_type, notify_id):
        self.seen.append('%s/%s' % (notify_type, notify_id))

    def add(self, x, plus=0):
        return {'sum': x + plus, 'pid': os.getpid()}

    def boom(self, x, plus=0):
        raise ValueError('boom %d' % x)

    @CLIReadCommand('ticker seen')
    def seen_cmd(self):
        return 0, ','.join(self.seen), '%s %d' % ('ticking' if self.ticks > 0 else 'idle', os.getpid())
