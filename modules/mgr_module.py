# mgr_module for gomgr: Ceph's MgrModule API on gpython. The calls go to
# _gomgr, a Go module bound to this interpreter's module and host.
# Keep to the gpython dialect: no zero-argument super(), no f-strings, no
# custom exception classes.
import json

import _gomgr

HEALTH_OK = "HEALTH_OK"
HEALTH_WARN = "HEALTH_WARN"
HEALTH_ERR = "HEALTH_ERR"


class NotifyType:
    mon_map = "mon_map"
    pg_summary = "pg_summary"
    health = "health"
    clog = "clog"
    osd_map = "osd_map"
    fs_map = "fs_map"
    command = "command"
    service_map = "service_map"
    mgr_map = "mgr_map"
    perf_schema_update = "perf_schema_update"


def Option(name, type="str", default=None, min=None, max=None,
           enum_allowed=None, desc="", long_desc="", runtime=False,
           level=None, tags=None, see_also=None):
    # Ceph's Option is a dict subclass; gpython cannot subclass dict, so
    # this returns a plain dict with the same keys.
    return {"name": name, "type": type, "default": default, "min": min,
            "max": max, "enum_allowed": enum_allowed, "desc": desc,
            "runtime": runtime}


def HandleCommandResult(retval=0, stdout="", stderr=""):
    # Ceph's is a namedtuple; a plain tuple here.
    return (retval, stdout, stderr)


class MonCommandFailed(RuntimeError):
    pass


class ClusterLogPrio:
    DEBUG = 0
    INFO = 1
    SEC = 2
    WARN = 3
    ERROR = 4


class _Log:
    # Each level formats msg % args (as logging does) and writes to the
    # manager's log; Go functions, bound like methods.
    debug = _gomgr.m_log_debug
    info = _gomgr.m_log_info
    warning = _gomgr.m_log_warning
    warn = _gomgr.m_log_warning
    error = _gomgr.m_log_error
    exception = _gomgr.m_log_error
    critical = _gomgr.m_log_error


class _MgrCommon:
    # The methods a module's code can call on the active and on a standby
    # alike. Class attributes stay on each class: gpython does not look
    # them up along the bases when read from the class (MgrModule.log).

    def __init__(self, *args, **kwargs):
        # gomgr constructs modules with no arguments; subclasses need not
        # call this, super(Module, self).__init__(*args, **kwargs) works.
        pass

    def serve(self):
        pass

    def shutdown(self):
        pass

    def get_mgr_id(self):
        return _gomgr.mgr_id()

    # Another module's method, as Ceph's: ImportError when that module is
    # not running, NameError when it lacks the method, RuntimeError when
    # it raised. Only plain data crosses (None, bools, numbers, str,
    # bytes, lists, tuples, str-keyed dicts).
    def remote(self, module_name, method_name, *args, **kwargs):
        return _gomgr.remote(module_name, method_name, args, kwargs)

    def get_module_option(self, key, default=None):
        return _gomgr.get_module_option(key, default)

    # Localized: for this mgr only (mgr/<module>/<mgr_id>/<key>), falling
    # back to the value for every mgr, as Ceph's.
    def get_localized_module_option(self, key, default=None):
        return _gomgr.get_module_option(self.get_mgr_id() + "/" + key, default)

    def get_store(self, key, default=None):
        return _gomgr.get_store(key, default)

    def get_localized_store(self, key, default=None):
        r = _gomgr.get_store(self.get_mgr_id() + "/" + key, None)
        if r is None:
            r = _gomgr.get_store(key, default)
        return r

    def wait(self, timeout):
        # Cooperative sleep: notify and command calls run while serve()
        # waits here.
        _gomgr.wait(timeout, None)


class MgrModule(_MgrCommon):
    MODULE_OPTIONS = []
    COMMANDS = []
    NOTIFY_TYPES = []
    module_name = _gomgr.MODULE_NAME
    log = _Log()
    # get(data_name): a Go function bound like a method (the hottest call).
    get = _gomgr.m_get

    @classmethod
    def can_run(cls):
        return True, ""

    def notify(self, notify_type, notify_id):
        pass

    def config_notify(self):
        pass

    def handle_command(self, inbuf, cmd):
        return -22, "", "module does not handle commands"

    def get_server(self, hostname):
        return _gomgr.get_server(hostname)

    def list_servers(self):
        return _gomgr.list_servers()

    def get_metadata(self, svc_type, svc_id, default=None):
        m = _gomgr.get_metadata(svc_type, svc_id)
        if m is None:
            return default
        return m

    def get_counter(self, svc_type, svc_name, path):
        return _gomgr.get_counter(svc_type, svc_name, path)

    def get_latest(self, svc_type, svc_name, path):
        return _gomgr.get_latest(svc_type, svc_name, path)

    def get_perf_schema(self, svc_type, svc_name):
        return _gomgr.get_perf_schema(svc_type, svc_name)

    def set_module_option(self, key, val):
        _gomgr.set_module_option(key, val)
        self.config_notify()

    def set_localized_module_option(self, key, val):
        _gomgr.set_module_option(self.get_mgr_id() + "/" + key, val)
        self.config_notify()

    def set_store(self, key, val):
        _gomgr.set_store(key, val)

    def set_localized_store(self, key, val):
        _gomgr.set_store(self.get_mgr_id() + "/" + key, val)

    def get_store_prefix(self, key_prefix):
        return _gomgr.get_store_prefix(key_prefix)

    def set_health_checks(self, checks):
        _gomgr.set_health_checks(checks)

    ClusterLogPrio = ClusterLogPrio

    # A command to the mon, as Ceph's: (retval, outb, outs).
    def mon_command(self, cmd_dict, inbuf=None):
        return _gomgr.send_command("mon", "", json.dumps(cmd_dict), inbuf or "")

    # mon_command that raises MonCommandFailed when retval is not 0.
    def check_mon_command(self, cmd_dict, inbuf=None):
        r = self.mon_command(cmd_dict, inbuf)
        if r[0] != 0:
            raise MonCommandFailed("%s failed: %s retval: %d" % (cmd_dict["prefix"], r[2], r[0]))
        return r

    # A line in the cluster log (`ceph log last`), priority a ClusterLogPrio.
    def cluster_log(self, channel, priority, message):
        _gomgr.cluster_log(channel, priority, message)

    # The address this module serves on, listed by `mgr services`.
    def set_uri(self, uri):
        _gomgr.set_uri(uri)

    # OSD perf metric queries, as Ceph's: query is a dict of key_descriptor
    # ([{"type": "pool_id", "regex": "^(.*)$"}]),
    # performance_counter_descriptors (["write_ops", ...]) and an optional
    # limit ({"order_by": ..., "max_count": n}); the id, or None if refused.
    def add_osd_perf_query(self, query):
        return _gomgr.add_osd_perf_query(query)

    def remove_osd_perf_query(self, query_id):
        _gomgr.remove_osd_perf_query(query_id)

    # {"counters": [{"k": [[groups]...], "c": [[value, count]...]}]} since
    # the last call, or None for an unknown id.
    def get_osd_perf_counters(self, query_id):
        return _gomgr.get_osd_perf_counters(query_id)


class MgrStandbyModule(_MgrCommon):
    # What a module runs on a standby mgr, as Ceph's: define
    # `class StandbyModule(MgrStandbyModule)` next to the module's class.
    # serve() and shutdown() only: no notifications, no commands; it can
    # read options and the store, and find the active mgr's service.
    MODULE_OPTIONS = []
    module_name = _gomgr.MODULE_NAME
    log = _Log()
    get = _gomgr.m_get

    def get_active_uri(self):
        # The URI the active mgr's instance of this module published
        # (MgrMap services), "" when none.
        m = self.get("mgr_map")
        if m is None:
            return ""
        return m.get("services", {}).get(self.module_name, "")
