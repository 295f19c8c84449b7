# gomgr's CPython module child: serves one of Ceph's mgr modules over the
# module child protocol (docs/module-protocol.md) on fd 3. The parent
# (modules/isolate) starts it as `python3 -I -c BOOT` and writes this file and
# ceph_module.py on stdin; FILES holds them. Nothing here is Ceph's: Ceph's
# mgr_module.py and the module are imported from the module directory.

import gc
import importlib
import itertools
import json
import linecache
import marshal
import os
import pickle
import re
import socket
import struct
import sys
import threading
import time
import traceback
import types

# Frame types and ops: see modules/isolate/conn.go, which defines them.
REQUEST, RESPONSE, ONEWAY = 1, 2, 3
OP_START, OP_NOTIFY, OP_COMMAND, OP_STOP, OP_REMOTE = 1, 2, 3, 4, 5
(OP_MGR_ID, OP_GET, OP_LIST_SERVERS, OP_GET_SERVER, OP_METADATA, OP_COUNTER,
 OP_LATEST, OP_PERF_SCHEMA, OP_MODULE_OPTION, OP_SET_MODULE_OPTION,
 OP_STORE_GET, OP_STORE_SET, OP_STORE_PREFIX, OP_OPENED, OP_LOG, OP_HEALTH,
 OP_FAILED, OP_SEND_COMMAND, OP_CLUSTER_LOG, OP_CEPH_OPTION,
 OP_SET_URI, OP_FOREIGN_OPTION, OP_SET_FOREIGN_OPTION,
 OP_REMOTE_CALL, OP_PROGRESS, OP_ADD_OSD_PERF_QUERY, OP_REMOVE_OSD_PERF_QUERY,
 OP_OSD_PERF_COUNTERS, OP_OSDMAP_CALC) = range(32, 61)

# Error bits, in the order of modules/isolate's errBits.
ERR_STUCK, ERR_NO_DATA, ERR_UNKNOWN_OPTION, ERR_INVALID_OPTION = 1, 2, 4, 8
ERR_UNKNOWN_MODULE, ERR_NOT_RUNNING = 1 << 9, 1 << 10

TAG_NIL, TAG_FALSE, TAG_TRUE, TAG_INT, TAG_FLOAT, TAG_STRING, TAG_LIST, \
    TAG_MAP, TAG_NUMBER = range(9)

# Pacific calls notify() for every kind: these are the kinds gomgr emits.
NOTIFY_TYPES = ["mon_map", "osd_map", "fs_map", "mgr_map", "service_map",
                "pg_summary", "health", "clog", "command", "perf_schema_update",
                "mon_status", "config"]


# The option types gomgr's registry checks values against (Ceph's names).
OPTION_TYPES = {'str', 'int', 'uint', 'float', 'bool', 'secs', 'size', 'addr',
                'addrvec', 'uuid', 'millisecs'}


class ProtocolError(Exception):
    pass


class RemoteError(Exception):
    def __init__(self, mask, msg):
        super().__init__(msg)
        self.mask = mask


class Enc:
    def __init__(self):
        self.b = bytearray()

    def u8(self, v):
        self.b.append(v)

    def uvar(self, v):
        while v >= 0x80:
            self.b.append((v & 0x7F) | 0x80)
            v >>= 7
        self.b.append(v)

    def svar(self, v):
        self.uvar((v << 1) ^ (v >> 63) if v < 0 else v << 1)

    def bytes(self, p):
        self.uvar(len(p))
        self.b += p

    def str(self, s):
        self.bytes(s.encode('utf-8', 'surrogateescape'))

    def boolean(self, v):
        self.u8(1 if v else 0)

    def f64(self, v):
        self.b += struct.pack('<d', v)

    def strs(self, ss):
        self.uvar(len(ss))
        for s in ss:
            self.str(s)

    def optstr(self, s):
        self.boolean(s is not None)
        if s is not None:
            self.str(s)

    def value(self, v, depth=0):
        if depth > 256:
            raise ProtocolError('value nested too deep')
        if v is None:
            self.u8(TAG_NIL)
        elif v is True:
            self.u8(TAG_TRUE)
        elif v is False:
            self.u8(TAG_FALSE)
        elif isinstance(v, int):
            if -(1 << 63) <= v < (1 << 63):
                self.u8(TAG_INT)
                self.svar(v)
            else:
                self.u8(TAG_FLOAT)
                self.f64(float(v))
        elif isinstance(v, float):
            self.u8(TAG_FLOAT)
            self.f64(v)
        elif isinstance(v, str):
            self.u8(TAG_STRING)
            self.str(v)
        elif isinstance(v, (list, tuple)):
            self.u8(TAG_LIST)
            self.uvar(len(v))
            for el in v:
                self.value(el, depth + 1)
        elif isinstance(v, dict):
            self.u8(TAG_MAP)
            self.uvar(len(v))
            for k, el in v.items():
                self.str(str(k))
                self.value(el, depth + 1)
        else:
            self.u8(TAG_STRING)
            self.str(str(v))

    def error(self, mask, msg):
        self.uvar(mask)
        self.str(msg)


class Dec:
    def __init__(self, b):
        self.b = memoryview(b)
        self.i = 0

    def need(self, n):
        if self.i + n > len(self.b):
            raise ProtocolError('truncated payload')

    def u8(self):
        self.need(1)
        v = self.b[self.i]
        self.i += 1
        return v

    def uvar(self):
        v = shift = 0
        while True:
            c = self.u8()
            v |= (c & 0x7F) << shift
            if c < 0x80:
                return v
            shift += 7
            if shift > 63:
                raise ProtocolError('uvarint overflow')

    def svar(self):
        u = self.uvar()
        return (u >> 1) ^ -(u & 1)

    def bytes(self):
        n = self.uvar()
        self.need(n)
        p = bytes(self.b[self.i:self.i + n])
        self.i += n
        return p

    def str(self):
        return self.bytes().decode('utf-8', 'surrogateescape')

    def boolean(self):
        return self.u8() != 0

    def f64(self):
        self.need(8)
        v = struct.unpack_from('<d', self.b, self.i)[0]
        self.i += 8
        return v

    def strs(self):
        return [self.str() for _ in range(self.uvar())]

    def strmap(self):
        out = {}
        for _ in range(self.uvar()):
            k = self.str()
            out[k] = self.str()
        return out

    def rest(self):
        return bytes(self.b[self.i:])

    def value(self, depth=0):
        if depth > 256:
            raise ProtocolError('value nested too deep')
        t = self.u8()
        if t == TAG_NIL:
            return None
        if t == TAG_FALSE:
            return False
        if t == TAG_TRUE:
            return True
        if t == TAG_INT:
            return self.svar()
        if t == TAG_FLOAT:
            return self.f64()
        if t == TAG_STRING:
            return self.str()
        if t == TAG_NUMBER:
            s = self.str()
            try:
                return int(s)
            except ValueError:
                return float(s)
        if t == TAG_LIST:
            return [self.value(depth + 1) for _ in range(self.uvar())]
        if t == TAG_MAP:
            out = {}
            for _ in range(self.uvar()):
                k = self.str()
                out[k] = self.value(depth + 1)
            return out
        raise ProtocolError('value tag %d' % t)

    def error(self):
        mask = self.uvar()
        return RemoteError(mask, self.str())


HEADER = struct.Struct('<IBBQ')  # length of the rest, type, op, id


class Conn:
    """One end of the stream: frames both ways, calls matched by id."""

    def __init__(self, sock):
        self.sock = sock
        self.wlock = threading.Lock()
        self.plock = threading.Lock()
        self.pending = {}
        # A count, not an int attribute: the last id, an int object made
        # while a map was held, would keep that map's arena (Host.release).
        self.ids = itertools.count(1)
        self.closed = threading.Event()
        self.on_close = None

    def send(self, typ, op, fid, payload=b''):
        data = HEADER.pack(HEADER.size - 4 + len(payload), typ, op, fid) + payload
        with self.wlock:
            self.sock.sendall(data)

    def oneway(self, op, payload=b''):
        try:
            self.send(ONEWAY, op, 0, bytes(payload))
        except OSError:
            pass

    def reply(self, op, fid, body=b'', err=None):
        e = Enc()
        if err is None:
            e.u8(0)
            e.b += body
        else:
            e.u8(1)
            e.error(*err)
        try:
            self.send(RESPONSE, op, fid, bytes(e.b))
        except OSError:
            pass

    def call(self, op, payload=b''):
        ev = threading.Event()
        slot = [ev, None]
        with self.plock:
            if self.closed.is_set():
                raise ConnectionError('gomgr: the manager is gone')
            fid = next(self.ids)
            self.pending[fid] = slot
        self.send(REQUEST, op, fid, bytes(payload))
        ev.wait()
        p = slot[1]
        if p is None:
            raise ConnectionError('gomgr: the manager is gone')
        if len(p) == 0:
            raise ProtocolError('empty response')
        d = Dec(p)
        if d.u8() == 0:
            return Dec(d.rest())
        raise d.error()

    def recv_into(self, view):
        # Between frames the reader waits here: it must hold nothing made
        # for the last frame, or that object keeps a pymalloc arena of the
        # map era alive (Host.release); a slice is made only mid-frame.
        got, n = 0, len(view)
        while got < n:
            k = self.sock.recv_into(view[got:] if got else view)
            if not k:
                raise EOFError
            got += k

    def recv_exact(self, n):
        # One buffer of the frame's size, filled in place: a 1 MB map
        # arrives without a growing buffer and a copy of it.
        buf = bytearray(n)
        with memoryview(buf) as view:
            self.recv_into(view)
        return buf

    def frame(self, hdr, handle):
        """The rest of the frame whose header is hdr; what it makes dies
        when it returns."""
        n, typ, op, fid = HEADER.unpack(hdr)
        if n < HEADER.size - 4 or n > 256 << 20:
            raise ProtocolError('frame length %d' % n)
        payload = self.recv_exact(n - (HEADER.size - 4))
        if typ == RESPONSE:
            with self.plock:
                slot = self.pending.pop(fid, None)
            if slot is not None:
                slot[1] = payload
                slot[0].set()
        else:
            handle(typ, op, fid, payload)

    def run(self, handle):
        hdr = bytearray(HEADER.size)  # made once: see recv_into
        view = memoryview(hdr)
        try:
            while True:
                self.recv_into(view)
                self.frame(hdr, handle)
        except (EOFError, OSError, ProtocolError):
            pass
        finally:
            view.release()
            with self.plock:
                self.closed.set()
                for slot in self.pending.values():
                    slot[0].set()
                self.pending.clear()
            if self.on_close:
                self.on_close()



_malloc_trim = None


def load_malloc_trim():
    """glibc's malloc_trim, resolved once, before any map: ctypes caches
    the function object it makes on first use (see Host.release)."""
    global _malloc_trim
    try:
        import ctypes
        _malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        _malloc_trim = False  # not glibc


def trim_heap():
    """malloc_trim(0): glibc keeps freed blocks for reuse, and the
    objects of a 1,000-OSD map are megabytes the next epoch may not need."""
    if _malloc_trim is None:
        load_malloc_trim()
    if _malloc_trim:
        _malloc_trim(0)


def deadline_enc(e, seconds=0):
    e.svar(int(seconds * 1e9))


LOG_LEVEL = re.compile(r'^\[\S+ (DEBUG|INFO|WARNING|ERROR|CRITICAL)\s')
LEVELS = {'DEBUG': 'debug', 'INFO': 'info', 'WARNING': 'warning',
          'ERROR': 'error', 'CRITICAL': 'error'}


class Host:
    """The calls ceph_module makes, over the stream to the manager."""

    def __init__(self, conn):
        self.conn = conn
        # get(): name -> [version, the object in marshal's form, last use];
        # release_idle drops what went unused. Its table is made now, not
        # by the first get(), while a map is held (see release).
        self.cache = {'': None}
        del self.cache['']
        self.lock = threading.Lock()

    def call(self, op, build=None, ctx=False):
        e = Enc()
        if ctx:
            deadline_enc(e)
        if build:
            build(e)
        return self.conn.call(op, e.b)

    def call_strs(self, op, *args):
        def build(e):
            for a in args:
                e.str(a)
        return self.call(op, build)

    def mgr_id(self):
        return self.call(OP_MGR_ID).str()

    def get(self, what):
        """get(what) as a fresh object, as Ceph's, or None where the manager
        has none. The JSON of a version is decoded once and kept in
        marshal's form, which loads 2-3 times faster than JSON parses."""
        with self.lock:
            cached = self.cache.get(what)
            if cached is not None:
                cached[2] = time.monotonic()

        def build(e):
            e.str(what)
            e.boolean(cached is not None)
            e.uvar(cached[0] if cached else 0)
        try:
            d = self.call(OP_GET, build)
        except RemoteError as err:
            if err.mask & ERR_NO_DATA:
                return None
            raise
        changed = d.boolean()
        version = d.uvar()
        if not changed:
            return marshal.loads(cached[1])
        obj = json.loads(d.bytes())
        with self.lock:
            cur = self.cache.get(what)
            if cur is None or cur[0] <= version:
                self.cache[what] = [version, marshal.dumps(obj), time.monotonic()]
        return obj

    def release_idle(self):
        """Drops the get() results no get() used for Config.ReleaseAfter, then
        hands the freed memory back to the system: a module process holds
        the cluster's maps only while it works with them (the same rule as
        for gpython children, modules/isolate)."""
        after = int(os.environ.get('GOMGR_ISOLATE_RELEASE_AFTER') or 10**9) / 1e9
        half = after / 2
        while True:
            time.sleep(half)
            self.release(after)

    def release(self, after):
        # pymalloc returns an arena only when every object in it is gone.
        # An object made while a map was held and kept after it (a list
        # left in a waiting loop's variable, the reader's buffer, a dict's
        # first table) holds a whole 1 MiB arena of that map's: so what
        # waits between events keeps nothing of the last one
        # (Conn.recv_into), and the free lists, which keep dead lists and
        # tuples where they were, are emptied last.
        if self.drop_idle(after):
            gc.collect()
            trim_heap()
            gc.collect()  # last: nothing after it fills a free list

    def drop_idle(self, after):
        """Drops the values unused for after seconds; their list dies here."""
        now = time.monotonic()
        with self.lock:
            idle = [k for k, c in self.cache.items() if now - c[2] >= after]
            for k in idle:
                del self.cache[k]
        return bool(idle)

    def json_body(self, d):
        raw = d.rest()
        return json.loads(raw) if raw else None

    def list_servers(self):
        return self.json_body(self.call(OP_LIST_SERVERS)) or []

    def get_server(self, hostname):
        return self.json_body(self.call(OP_GET_SERVER, lambda e: e.str(hostname)))

    def metadata(self, svc_type, svc_id):
        d = self.call_strs(OP_METADATA, svc_type, svc_id)
        ok = d.boolean()
        md = d.strmap()
        return md if ok else None

    def counter(self, svc_type, svc_id, path):
        """The counter's type and its samples (t, v, avgcount)."""
        d = self.call_strs(OP_COUNTER, svc_type, svc_id, path)
        typ = d.uvar()
        return typ, [(d.f64(), d.f64(), d.uvar()) for _ in range(d.uvar())]

    def latest(self, svc_type, svc_id, path):
        """The counter's type and its last sample, or None."""
        d = self.call_strs(OP_LATEST, svc_type, svc_id, path)
        typ = d.uvar()
        ok = d.boolean()
        s = (d.f64(), d.f64(), d.uvar())
        return typ, (s if ok else None)

    def perf_schema(self, svc_type, svc_id):
        return self.json_body(self.call_strs(OP_PERF_SCHEMA, svc_type, svc_id)) or {}

    def module_option(self, key):
        try:
            return self.call(OP_MODULE_OPTION, lambda e: e.str(key), ctx=True).value()
        except RemoteError as err:
            if err.mask & ERR_UNKNOWN_OPTION:
                return None
            raise

    def set_module_option(self, key, val):
        def build(e):
            e.str(key)
            e.optstr(val)
        self.call(OP_SET_MODULE_OPTION, build, ctx=True)

    def foreign_option(self, module, key):
        def build(e):
            e.str(module)
            e.str(key)
        try:
            return self.call(OP_FOREIGN_OPTION, build, ctx=True).value()
        except RemoteError as err:
            if err.mask & (ERR_UNKNOWN_OPTION | ERR_UNKNOWN_MODULE):
                return None
            raise

    def set_foreign_option(self, module, key, val):
        def build(e):
            e.str(module)
            e.str(key)
            e.optstr(val)
        self.call(OP_SET_FOREIGN_OPTION, build, ctx=True)

    def remote(self, module, method, args, kwargs):
        """self.remote(): Ceph's ImportError, NameError and RuntimeError.
        Arguments and result cross as pickles, between CPython modules."""

        def build(e):
            e.str(module)
            e.str(method)
            e.bytes(pickle.dumps((tuple(args), dict(kwargs)), protocol=4))
        try:
            d = self.call(OP_REMOTE_CALL, build, ctx=True)
        except RemoteError as err:
            if err.mask & (ERR_UNKNOWN_MODULE | ERR_NOT_RUNNING):
                raise ImportError('Module not found') from None
            raise RuntimeError('remote call to %s failed: %s' % (module, err)) from None
        res = d.bytes()
        if res[:1] == b'\x00':
            return pickle.loads(res[1:])
        msg = res[1:].decode('utf-8', 'replace')
        if res[:1] == b'\x01':
            raise NameError(msg)
        raise RuntimeError(msg)

    def store_get(self, key):
        d = self.call(OP_STORE_GET, lambda e: e.str(key), ctx=True)
        ok = d.boolean()
        v = d.str()
        return v if ok else None

    def store_set(self, key, val):
        def build(e):
            e.str(key)
            e.optstr(val)
        self.call(OP_STORE_SET, build, ctx=True)

    def store_prefix(self, prefix):
        return self.call(OP_STORE_PREFIX, lambda e: e.str(prefix), ctx=True).strmap()

    def send_command(self, svc_type, svc_id, cmd, inbuf):
        def build(e):
            e.str(svc_type)
            e.str(svc_id)
            e.str(cmd)
            e.str(inbuf)
        try:
            d = self.call(OP_SEND_COMMAND, build, ctx=True)
        except RemoteError as err:
            return -22, '', str(err)  # EINVAL, as Ceph answers a command it cannot send
        return d.svar(), d.str(), d.str()

    def ceph_option(self, key):
        d = self.call(OP_CEPH_OPTION, lambda e: e.str(key))
        ok = d.boolean()
        v = d.value()
        return v if ok else None

    def set_health_checks(self, checks):
        e = Enc()
        e.bytes(json.dumps(checks).encode())
        self.conn.oneway(OP_HEALTH, e.b)

    def log(self, level, msg):
        e = Enc()
        e.str(level)
        e.str(msg)
        self.conn.oneway(OP_LOG, e.b)

    def ceph_log(self, record):
        m = LOG_LEVEL.match(record)
        self.log(LEVELS[m.group(1)] if m else 'info', record)

    def cluster_log(self, channel, prio, msg):
        e = Enc()
        e.str(channel)
        e.svar(int(prio))
        e.str(msg)
        self.conn.oneway(OP_CLUSTER_LOG, e.b)

    def progress(self, evid, message=None, progress=0.0, add_to_ceph_s=False):
        """Sets a progress event, or with no message completes it; evid ''
        and no message clears them all."""
        e = Enc()
        e.str(evid)
        e.boolean(message is not None)
        if message is not None:
            e.str(message)
            e.f64(float(progress))
            e.boolean(add_to_ceph_s)
        self.conn.oneway(OP_PROGRESS, e.b)

    def set_uri(self, uri):
        e = Enc()
        e.str(uri)
        self.conn.oneway(OP_SET_URI, e.b)

    def add_osd_perf_query(self, key, counters, limit):
        """An OSD perf query's id, or None (logged) when the manager
        refuses it or collects none."""
        def build(e):
            e.uvar(len(key))
            for typ, regex in key:
                e.str(typ)
                e.str(regex)
            e.uvar(len(counters))
            for c in counters:
                e.str(c)
            e.boolean(limit is not None)
            if limit is not None:
                e.str(limit[0])
                e.uvar(max(int(limit[1]), 0))
        try:
            return self.call(OP_ADD_OSD_PERF_QUERY, build).svar()
        except RemoteError as err:
            self.log('error', 'add_osd_perf_query: %s' % err)
            return None

    def remove_osd_perf_query(self, query_id):
        try:
            self.call(OP_REMOVE_OSD_PERF_QUERY, lambda e: e.svar(query_id))
        except RemoteError as err:
            # Ceph logs an unknown id and returns None.
            self.log('info', 'remove_osd_perf_query for query_id=%d failed: %s' % (query_id, err))

    def osdmap_calc(self, req):
        """What Ceph computes with CRUSH for an OSDMap (call, the map's
        osd dump and crush dump, the call's arguments), computed by the
        manager: modules/isolate/osdmapcalc.go."""
        d = self.call(OP_OSDMAP_CALC, lambda e: e.bytes(json.dumps(req).encode()))
        return json.loads(d.bytes())

    def osd_perf_counters(self, query_id):
        """[(key, [(value, count)...])...] in key order, or None for an
        unknown query."""
        try:
            d = self.call(OP_OSD_PERF_COUNTERS, lambda e: e.svar(query_id))
        except RemoteError as err:
            self.log('info', 'get_osd_perf_counters for query_id=%d failed: %s' % (query_id, err))
            return None
        out = []
        for _ in range(d.uvar()):
            key = [[d.str() for _ in range(d.uvar())] for _ in range(d.uvar())]
            vals = [(d.uvar(), d.uvar()) for _ in range(d.uvar())]
            out.append((key, vals))
        return out


def install_sources():
    """Makes ceph_module importable and our sources show in tracebacks."""
    for fname, src in FILES.items():  # noqa: F821 (set by the boot line)
        path = '<gomgr>/' + fname
        linecache.cache[path] = (len(src), None, src.splitlines(True), path)
    if 'ceph_module' in sys.modules:  # loaded by the fork server
        return sys.modules['ceph_module']
    m = types.ModuleType('ceph_module')
    m.__file__ = '<gomgr>/ceph_module.py'
    exec(compile(FILES['ceph_module.py'], m.__file__, 'exec'), m.__dict__)  # noqa: F821
    sys.modules['ceph_module'] = m
    return m


def find_class(pkg, base):
    """The module's subclass of base, as Ceph's load_subclass_of."""
    top = pkg.__name__.split('.')[0]
    for obj in vars(pkg).values():
        if isinstance(obj, type) and obj is not base and issubclass(obj, base):
            if obj.__module__.split('.')[0] == top:
                return obj
    return None


def option_info(o):
    def num(v):
        if v is None or isinstance(v, (int, float)):
            return v
        try:
            return int(v)
        except (TypeError, ValueError):
            try:
                return float(v)
            except (TypeError, ValueError):
                return None
    default = o.get('default')
    typ = o.get('type', 'str')
    if typ not in OPTION_TYPES:
        typ = 'str'  # as Ceph's load_options: an unknown type is a string
    return {
        'name': o['name'], 'type': typ,
        'default': default, 'min': num(o.get('min')), 'max': num(o.get('max')),
        'enum': [str(x) for x in o.get('enum_allowed', []) or []],
        'desc': o.get('desc', '') or '', 'runtime': bool(o.get('runtime', False)),
    }


def encode_info(e, name, cls, standby_cls, can_run, can_run_error):
    e.str(name)
    e.str('python')
    e.str('')  # version: Ceph's modules have none of their own
    e.strs(NOTIFY_TYPES)
    opts = [option_info(o) for o in getattr(cls, 'MODULE_OPTIONS', [])]
    e.uvar(len(opts))
    for o in opts:
        e.str(o['name'])
        e.str(o['type'])
        e.value(o['default'])
        e.value(o['min'])
        e.value(o['max'])
        e.strs(o['enum'])
        e.str(o['desc'])
        e.boolean(o['runtime'])
    cmds = getattr(cls, 'COMMANDS', [])
    e.uvar(len(cmds))
    for c in cmds:
        e.str(c['cmd'])
        e.str(c.get('desc', ''))
        e.str(c.get('perm', 'r'))
        e.boolean(str(c.get('poll', 'false')).lower() == 'true')
    e.boolean(can_run)
    e.str(can_run_error)
    e.boolean(False)  # always_on: the manager's list says which
    e.boolean(standby_cls is not None)


class Child:
    def __init__(self, conn, name, path):
        self.conn = conn
        self.name = name
        self.path = path
        self.host = Host(conn)
        self.cls = None
        self.standby_cls = None
        self.inst = None
        self.serve_thread = None
        self.stopped = threading.Event()
        self.on_stop = None

    def open(self):
        sys.path[0:0] = [p for p in self.path.split(os.pathsep) if p]
        ceph_module = install_sources()
        ceph_module._host = self.host
        import mgr_module
        pkg = importlib.import_module(self.name)
        self.cls = find_class(pkg, mgr_module.MgrModule)
        if self.cls is None:
            # A gomgr module: <dir>/<name>/module.py, no __init__.py.
            pkg = importlib.import_module(self.name + '.module')
            self.cls = find_class(pkg, mgr_module.MgrModule)
        if self.cls is None:
            raise ImportError('Class not found in module %r' % self.name)
        self.cls._register_commands(self.name)
        self.cls._register_options(self.name)
        self.standby_cls = find_class(pkg, mgr_module.MgrStandbyModule)
        if self.standby_cls is not None:
            self.standby_cls._register_options(self.name)
        can_run, why = True, ''
        try:
            r = self.cls.can_run()
            if (isinstance(r, tuple) and len(r) == 2 and isinstance(r[0], bool)
                    and isinstance(r[1], str)):
                can_run, why = r
            else:
                can_run, why = False, 'wrong type returned from can_run'
        except Exception:
            can_run, why = False, traceback.format_exc()
        return can_run, why

    def handle(self, typ, op, fid, payload):
        if typ != REQUEST:
            return
        threading.Thread(target=self.serve_call, args=(op, fid, payload),
                         name='gomgr-call-%d' % op, daemon=True).start()

    def serve_call(self, op, fid, payload):
        d = Dec(payload)
        body = Enc()
        err = None
        try:
            d.svar()  # the deadline: the parent kills a child that overruns it
            if op == OP_START:
                self.start(d.boolean())
            elif op == OP_NOTIFY:
                for _ in range(d.uvar()):
                    kind, nid = d.str(), d.str()
                    d.svar()
                    self.notify(kind, nid)
            elif op == OP_COMMAND:
                args = d.value()
                inbuf = d.str()
                r, out, errs = self.command(args or {}, inbuf)
                body.svar(r)
                body.str(out)
                body.str(errs)
            elif op == OP_REMOTE:
                body.bytes(self.remote(d.str(), d.bytes()))
            elif op == OP_STOP:
                self.stop()
                self.conn.reply(op, fid, b'', None)
                self.stopped.set()
                if self.on_stop:
                    self.on_stop()
                return
            else:
                err = (0, 'unknown op %d' % op)
        except Exception:
            err = (0, traceback.format_exc())
        self.conn.reply(op, fid, bytes(body.b), err)

    def start(self, standby):
        if standby:
            if self.standby_cls is None:
                raise RuntimeError('module %s has no standby mode' % self.name)
            self.inst = self.standby_cls(self.name, self.host)
        else:
            self.inst = self.cls(self.name, None, self.host)
        self.serve_thread = threading.Thread(target=self.serve, name='serve', daemon=True)
        self.serve_thread.start()

    def serve(self):
        try:
            self.inst.serve()
        except Exception:
            e = Enc()
            e.error(0, 'serve() raised:\n' + traceback.format_exc())
            self.conn.oneway(OP_FAILED, e.b)

    def notify(self, kind, nid):
        try:
            if kind == 'config_notify':
                self.inst._config_notify()
            else:
                self.inst.notify(kind, nid)
        except Exception:
            self.host.log('error', 'notify(%s, %s) raised:\n%s' % (kind, nid, traceback.format_exc()))

    def command(self, cmd, inbuf):
        try:
            res = self.inst._handle_command(inbuf, cmd)
        except Exception:
            return -22, '', traceback.format_exc()  # EINVAL, as ActivePyModule::handle_command
        r, out, errs = tuple(res)
        return int(r), out or '', errs or ''

    def remote(self, method, payload):
        """Another module's self.remote(): the answer is a status byte (0
        the pickled result, 1 no such method, 2 the method raised), then
        the result or the message."""
        if self.inst is None or not hasattr(self.inst, method):
            return b'\x01' + ('Method not found: %s' % method).encode()
        try:
            args, kwargs = pickle.loads(payload)
            return b'\x00' + pickle.dumps(getattr(self.inst, method)(*args, **kwargs), protocol=4)
        except Exception:
            return b'\x02' + ('Remote method threw exception: %s' % traceback.format_exc()).encode()

    def stop(self):
        if self.inst is None:
            return
        try:
            self.inst.shutdown()
        except Exception:
            self.host.log('error', 'shutdown() raised:\n' + traceback.format_exc())
        if self.serve_thread is not None:
            self.serve_thread.join()


def main():
    name = os.environ.get('GOMGR_ISOLATE_MODULE', '')
    path = os.environ.get('GOMGR_CPYTHON_PATH', '')
    sock = socket.socket(fileno=3)
    conn = Conn(sock)
    child = Child(conn, name, path)
    e = Enc()
    try:
        can_run, why = child.open()
        e.boolean(True)
        encode_info(e, name, child.cls, child.standby_cls, can_run, why)
    except BaseException:
        e = Enc()
        e.boolean(False)
        e.error(0, traceback.format_exc())
        conn.oneway(OP_OPENED, e.b)
        return 0
    conn.oneway(OP_OPENED, e.b)
    ended = threading.Event()  # stop answered, or the stream ended
    conn.on_close = ended.set
    child.on_stop = ended.set
    threading.Thread(target=conn.run, args=(child.handle,), name='gomgr-reader', daemon=True).start()
    if _malloc_trim is None:  # not loaded by a fork server
        load_malloc_trim()
    threading.Thread(target=child.host.release_idle, name='gomgr-release', daemon=True).start()
    ended.wait()
    if child.stopped.is_set():
        return 0
    return 3  # the stream ended without stop: the manager is gone


def fork_server():
    """The fork server (docs/module-protocol.md): loads what Ceph's modules
    share, then forks a module process per spawn request on fd 3, so that
    the modules share those pages. It runs no threads: a fork copies only
    the thread that forks."""
    import ctypes
    import select
    import signal
    ctl = socket.socket(fileno=3)
    sys.path[0:0] = [p for p in os.environ.get('GOMGR_CPYTHON_PATH', '').split(os.pathsep) if p]
    install_sources()
    try:
        import mgr_module  # noqa: F401 (and what it imports: rados, logging, ...)
        import mgr_util  # noqa: F401
    except Exception:
        pass  # each module process imports it again and reports the error
    libc = ctypes.CDLL(None, use_errno=True)
    load_malloc_trim()
    gc.collect()
    gc.freeze()  # the collector must not write to the shared objects' pages
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    signal.signal(signal.SIGCHLD, lambda *_: None)

    def send(msg, fds=()):
        ctl.sendmsg([json.dumps(msg).encode()],
                    [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack('%di' % len(fds), *fds))] if fds else [])

    send({'op': 'ready'})
    me = os.getpid()
    while True:
        try:
            ready, _, _ = select.select([ctl, rfd], [], [])
        except InterruptedError:
            continue
        if rfd in ready:
            os.read(rfd, 512)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                send({'op': 'exited', 'pid': pid, 'status': status})
        if ctl not in ready:
            continue
        msg, fds, _, _ = socket.recv_fds(ctl, 64 << 10, 3)
        if not msg:
            return 0  # the manager closed: our children die with us
        req = json.loads(msg)
        if req.get('op') != 'spawn' or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the server
                if os.getppid() != me:
                    os._exit(3)
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(rfd)
                os.close(wfd)
                ctl.close()
                # The stream, stdout, stderr; the server's stdin was
                # closed, so a received fd may be 0: stdin is /dev/null.
                for i, fd in enumerate(fds):
                    os.dup2(fd, (3, 1, 2)[i])
                for fd in fds:
                    if fd not in (1, 2, 3):
                        os.close(fd)
                null = os.open(os.devnull, os.O_RDONLY)
                if null != 0:
                    os.dup2(null, 0)
                    os.close(null)
                del os.environ['GOMGR_ISOLATE_FORK_SERVER']
                for kv in req.get('env', []):
                    k, _, v = kv.partition('=')
                    os.environ[k] = v
                code = main()
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        for fd in fds:
            os.close(fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as e:
            send({'op': 'spawned', 'id': req['id'], 'error': 'pidfd_open: %s' % e})
            continue
        send({'op': 'spawned', 'id': req['id'], 'pid': pid}, [pidfd])
        os.close(pidfd)


code = fork_server() if os.environ.get('GOMGR_ISOLATE_FORK_SERVER') else main()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)  # module threads that are not daemons must not hold the process
