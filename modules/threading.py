# threading for gomgr's gpython host: there is one goroutine per module, so
# there are no threads. Event.wait inside serve() yields to the module's
# pending notify and command calls until the event is set or the timeout
# ends; Lock is a no-op kept for code written for Ceph.
import _gomgr


class Event:
    def __init__(self):
        self._flag = False

    def set(self):
        self._flag = True

    def clear(self):
        self._flag = False

    def is_set(self):
        return self._flag

    def isSet(self):
        return self._flag

    def wait(self, timeout=None):
        return _gomgr.wait(timeout, self)


class Lock:
    def acquire(self, blocking=True, timeout=-1):
        return True

    def release(self):
        pass

    def __enter__(self):
        return True

    def __exit__(self, a, b, c):
        return False


RLock = Lock
