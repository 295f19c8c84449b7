# gomgr's ceph_module: the base classes Ceph's mgr_module.py subclasses
# (BaseMgrModule, BaseMgrStandbyModule, BasePyOSDMap, BasePyOSDMapIncremental,
# BasePyCRUSH), written in Python over the module child protocol. In Ceph they
# are the C++ extension of ceph-mgr (src/mgr/BaseMgrModule.cc and friends);
# here every _ceph_* call goes to the gomgr manager through _host, which
# gomgr_child.py sets before mgr_module is imported. Each call returns what
# Ceph's returns, in the same Python types.

import threading

_host = None  # gomgr_child.Host

# What gomgr answers for get_ceph_option when the manager has no value: the
# defaults of Ceph 16.2 for the options Ceph's modules read.
_OPTION_DEFAULTS = {
    'debug_mgr': '1/5',
    'log_file': '',
    'keyring': '',
    'mgr_module_path': '/usr/share/ceph/mgr',
    'mon_pg_warn_min_per_osd': 0,
    'mon_pg_warn_max_object_skew': 10.0,
    'mon_target_pg_per_osd': 100,
    'mon_max_pg_per_osd': 250,
    'mon_warn_on_pool_no_redundancy': True,
    'mgr_stats_period': 5,
    'mgr_tick_period': 2,
    'mgr_stats_threshold': 5,
    'mon_osd_down_out_interval': 600,
    'osd_pool_default_size': 3,
    'osd_pool_default_min_size': 0,
    'rbd_default_features': 61,
    'ms_bind_ipv6': False,
    'ms_bind_ipv4': True,
    'public_network': '',
    'cluster_network': '',
    'fsid': '',
}

_RELEASES = {13: 'mimic', 14: 'nautilus', 15: 'octopus', 16: 'pacific',
             17: 'quincy', 18: 'reef'}
_VERSION = 'ceph version 16.2.15 (gomgr) pacific (stable)'


def _typed(text):
    """A Ceph option's text as get_ceph_option types it: bool, int, float, str."""
    if not isinstance(text, str):
        return text
    if text in ('true', 'false'):
        return text == 'true'
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _option(key):
    v = _host.ceph_option(key)
    if v is None:
        return _OPTION_DEFAULTS.get(key)
    if key in _OPTION_DEFAULTS and isinstance(_OPTION_DEFAULTS[key], str):
        return v
    return _typed(v)


_rados_lock = threading.Lock()
_rados_ctx = None


def _context():
    """A CephContext for rados.Rados(context=...), as a PyCapsule: made by
    librados itself for this mgr's name and ceph.conf."""
    global _rados_ctx
    with _rados_lock:
        if _rados_ctx is None:
            import ctypes
            lib = ctypes.CDLL('librados.so.2')
            lib.rados_create2.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_uint64]
            lib.rados_conf_read_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.rados_cct.argtypes = [ctypes.c_void_p]
            lib.rados_cct.restype = ctypes.c_void_p
            cluster = ctypes.c_void_p()
            name = ('mgr.' + _host.mgr_id()).encode()
            r = lib.rados_create2(ctypes.byref(cluster), b'ceph', name, 0)
            if r < 0:
                raise OSError(-r, 'rados_create2 failed')
            conf = _option('conf')
            if conf:
                r = lib.rados_conf_read_file(cluster, conf.encode())
                if r < 0:
                    raise OSError(-r, 'reading %s failed' % conf)
            new = ctypes.pythonapi.PyCapsule_New
            new.restype = ctypes.py_object
            new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
            # The cluster handle is kept for the process's life: the context is its.
            _rados_ctx = (cluster, new(lib.rados_cct(cluster), None, None))
        return _rados_ctx[1]


_PERFCOUNTER_TIME = 1
_PERFCOUNTER_LONGRUNAVG = 4


def _datapoint(typ, sample):
    """A sample in Ceph's shape: [t, v], or [t, sum, count] for a long-running
    average; values as the daemon reported them (time in nanoseconds)."""
    t, v, count = sample
    if typ & _PERFCOUNTER_TIME:
        v = int(round(v * 1e9))
    elif float(v).is_integer():
        v = int(v)
    if typ & _PERFCOUNTER_LONGRUNAVG:
        return [t, v, count]
    return [t, v]


def _counters(svc_type, svc_id, path):
    typ, samples = _host.counter(svc_type, svc_id, path)
    return {path: [_datapoint(typ, s) for s in samples]}


def _latest(svc_type, svc_id, path):
    typ, s = _host.latest(svc_type, svc_id, path)
    return {path: _datapoint(typ, s) if s is not None else []}


def _perf_schema(svc_type, svc_id):
    out = {}
    if svc_type and svc_id:
        daemons = [(svc_type, svc_id)]
    else:
        daemons = [(s['type'], s['id'])
                   for srv in _host.list_servers() for s in srv.get('services', [])
                   if not svc_type or s['type'] == svc_type]
    for t, i in daemons:
        schema = _host.perf_schema(t, i)
        if schema is not None:
            out['%s.%s' % (t, i)] = schema
    return out


def _module_option(key, prefix=''):
    """The module's option; with a prefix (a mgr id) that mgr's value, which
    the manager falls back from to the value for every mgr, then the
    default."""
    return _host.module_option('%s/%s' % (prefix, key) if prefix else key)


def _get(what):
    return _host.get(what)


class BaseMgrStandbyModule(object):
    def __init__(self, capsule):
        pass

    def _ceph_get_mgr_id(self):
        return _host.mgr_id()

    def _ceph_get_module_option(self, key, prefix=''):
        return _module_option(key, prefix)

    def _ceph_get_option(self, key):
        return _option(key)

    def _ceph_get_store(self, key):
        return _host.store_get(key)

    def _ceph_get_active_uri(self):
        mgrmap = _get('mgr_map')
        if mgrmap is None:
            return ''
        services = mgrmap.get('services', {})
        return services.get(getattr(self, 'module_name', ''), '')

    def _ceph_log(self, record):
        _host.ceph_log(record)

    def _ceph_get(self, what):
        return _get(what)


class BaseMgrModule(object):
    def __init__(self, py_modules_ptr, this_ptr):
        pass

    # --- cluster state ---

    def _ceph_get(self, what):
        return _get(what)

    def _ceph_get_server(self, hostname):
        if hostname:
            return _host.get_server(hostname) or {}
        return _host.list_servers()

    def _ceph_get_metadata(self, svc_type, svc_id):
        md = _host.metadata(svc_type, svc_id)
        return dict(md) if md is not None else None

    def _ceph_get_daemon_status(self, svc_type, svc_id):
        # Daemon status is what MMgrReport's daemon_status carries (rgw, rbd-mirror);
        # gomgr keeps none for the daemons it knows.
        return {} if _host.metadata(svc_type, svc_id) is not None else None

    def _ceph_get_counter(self, svc_type, svc_id, path):
        return _counters(svc_type, svc_id, path)

    def _ceph_get_latest_counter(self, svc_type, svc_id, path):
        return _latest(svc_type, svc_id, path)

    def _ceph_get_perf_schema(self, svc_type, svc_id):
        return _perf_schema(svc_type, svc_id)

    def _ceph_get_osdmap(self):
        import mgr_module
        return mgr_module.OSDMap(_get('osd_map') or {})

    def _ceph_get_mgr_id(self):
        return _host.mgr_id()

    def _ceph_get_version(self):
        return _VERSION

    def _ceph_get_release_name(self):
        return 'pacific'

    def _ceph_lookup_release_name(self, major):
        return _RELEASES.get(int(major), 'unknown')

    def _ceph_get_context(self):
        return _context()

    def _ceph_get_ceph_conf_path(self):
        return _option('conf') or '/etc/ceph/ceph.conf'

    def _ceph_have_mon_connection(self):
        return _get('mon_map') is not None

    def _ceph_get_daemon_health_metrics(self):
        return {}

    def _ceph_is_authorized(self, arguments):
        return True

    # --- options and store ---

    def _ceph_get_option(self, key):
        return _option(key)

    def _ceph_get_foreign_option(self, entity, key):
        return _option(key)

    def _ceph_get_module_option(self, module, key, prefix=''):
        if module != self.module_name:
            return _host.foreign_option(module, key)
        return _module_option(key, prefix)

    def _ceph_set_module_option(self, module, key, val):
        if module != self.module_name:
            _host.set_foreign_option(module, key, val)
        else:
            _host.set_module_option(key, val)

    def _ceph_get_store(self, key):
        return _host.store_get(key)

    def _ceph_set_store(self, key, val):
        _host.store_set(key, val)

    def _ceph_get_store_prefix(self, prefix):
        return _host.store_prefix(prefix)

    # --- acting on the cluster ---

    def _ceph_send_command(self, result, svc_type, svc_id, command, tag, inbuf=None):
        def run():
            r, outb, outs = _host.send_command(svc_type, svc_id or '', command, inbuf or '')
            result.complete(r, outb, outs)
            if tag:
                try:
                    self.notify('command', tag)
                except Exception:
                    self.log.exception('notify(command, %s) raised', tag)
        threading.Thread(target=run, name='send_command', daemon=True).start()

    def _ceph_set_health_checks(self, checks):
        out = {}
        for name, c in checks.items():
            sev = str(c.get('severity', 'warning')).lower()
            out[name] = {
                'severity': 'error' if sev in ('error', 'health_err') else 'warning',
                'summary': str(c.get('summary', '')),
                'count': int(c.get('count', 0) or 0),
                'detail': [str(d) for d in c.get('detail', [])],
            }
        _host.set_health_checks(out)

    def _ceph_log(self, record):
        _host.ceph_log(record)

    def _ceph_cluster_log(self, channel, priority, message):
        _host.cluster_log(channel, priority, message)

    def _ceph_set_uri(self, uri):
        _host.set_uri(uri)

    def _ceph_set_device_wear_level(self, devid, wear_level):
        raise NotImplementedError('gomgr keeps no device table')

    def _ceph_register_client(self, addrs):
        pass

    def _ceph_unregister_client(self, addrs):
        pass

    # --- progress events: the progress section of `ceph -s`.

    def _ceph_update_progress_event(self, evid, desc, progress, add_to_ceph_s):
        _host.progress(evid, desc, progress, add_to_ceph_s)

    def _ceph_complete_progress_event(self, evid):
        _host.progress(evid)

    def _ceph_clear_all_progress_events(self):
        _host.progress('')

    # --- between modules ---

    def _ceph_dispatch_remote(self, module_name, method_name, args, kwargs):
        return _host.remote(module_name, method_name, args, kwargs)

    # --- OSD perf queries: the manager sends them to the OSDs in MMgrConfigure
    # and sums what the OSDs report for them (MMgrReport), as ceph-mgr does.

    def _ceph_add_osd_perf_query(self, query):
        q, why = _osd_perf_query(query)
        if q is None:
            _host.log('error', '_ceph_add_osd_perf_query: ' + why)
            return None
        return _host.add_osd_perf_query(*q)

    def _ceph_remove_osd_perf_query(self, query_id):
        if not isinstance(query_id, int):
            raise TypeError('an integer is required (got type %s)' % type(query_id).__name__)
        _host.remove_osd_perf_query(query_id)

    def _ceph_get_osd_perf_counters(self, query_id):
        if not isinstance(query_id, int):
            raise TypeError('an integer is required (got type %s)' % type(query_id).__name__)
        counters = _host.osd_perf_counters(query_id)
        if counters is None:
            return None
        return {'counters': [{'k': [list(sub) for sub in key], 'c': [list(v) for v in vals]}
                             for key, vals in counters]}

    def _ceph_add_mds_perf_query(self, query):
        return None

    def _ceph_remove_mds_perf_query(self, query_id):
        pass

    def _ceph_reregister_mds_perf_queries(self):
        pass

    def _ceph_get_mds_perf_counters(self, query_id):
        return None


_OSD_PERF_SUB_KEY_TYPES = ('client_id', 'client_address', 'pool_id', 'namespace',
                           'osd_id', 'pg_id', 'object_name', 'snap_id')
_OSD_PERF_COUNTER_TYPES = ('ops', 'write_ops', 'read_ops', 'bytes', 'write_bytes',
                           'read_bytes', 'latency', 'write_latency', 'read_latency')


def _osd_perf_query(query):
    """ceph_add_osd_perf_query's checks (BaseMgrModule.cc): the query as
    (key [(type, regex)], counters [type], limit (order_by, max_count) or
    None), or None and why Ceph refuses it. Regexes are checked with re,
    closer than the manager's RE2 to the OSDs' std::regex (ECMAScript)."""
    import re
    if not isinstance(query, dict):
        return None, 'arg not a dict'
    key, counters, limit = [], [], None
    for name, val in query.items():
        if name == 'key_descriptor':
            if not isinstance(val, list):
                return None, name + ' not a list'
            for j, sub in enumerate(val):
                if not isinstance(sub, dict):
                    return None, 'query %s item %d not a dict' % (name, j)
                typ, regex = None, ''
                for pname, pval in sub.items():
                    if pname == 'type':
                        if not isinstance(pval, str) or pval not in _OSD_PERF_SUB_KEY_TYPES:
                            return None, 'query %s item %d contains invalid type' % (name, j)
                        typ = pval
                    elif pname == 'regex':
                        if not isinstance(pval, str):
                            return None, 'query %s item %d contains invalid param regex' % (name, j)
                        try:
                            groups = re.compile(pval).groups
                        except re.error:
                            return None, 'query %s item %d contains invalid regex %s' % (name, j, pval)
                        if groups == 0:
                            return None, 'query %s item %d regex %s: no capturing groups' % (name, j, pval)
                        regex = pval
                    else:
                        return None, 'query %s item %d contains invalid param %s' % (name, j, pname)
                if typ is None or not regex:
                    return None, 'query %s item %d invalid' % (name, j)
                key.append((typ, regex))
        elif name == 'performance_counter_descriptors':
            if not isinstance(val, list):
                return None, name + ' not a list'
            for j, typ in enumerate(val):
                if not isinstance(typ, str) or typ not in _OSD_PERF_COUNTER_TYPES:
                    return None, 'query %s item %s is not valid type' % (name, typ)
                counters.append(typ)
        elif name == 'limit':
            if not isinstance(val, dict):
                return None, 'query limit not a dict'
            order_by, max_count = None, 0
            for lname, lval in val.items():
                if lname == 'order_by':
                    if not isinstance(lval, str) or lval not in _OSD_PERF_COUNTER_TYPES:
                        return None, 'limit order_by not a valid counter type'
                    order_by = lval
                elif lname == 'max_count':
                    if not isinstance(lval, int):
                        return None, 'max_count not an int'
                    max_count = lval
                else:
                    return None, 'unknown limit param: %s' % lname
            limit = (order_by, max_count)
        else:
            return None, 'unknown query param: %s' % name
    if not key or not counters:
        return None, 'invalid query'
    if limit is not None and limit[0] not in counters:
        return None, 'limit order_by %s not in performance_counter_descriptors' % limit[0]
    return (key, counters, limit), ''


def _upmap_items(d, idump):
    """Applies an incremental dump's new_pg_upmap_items and
    old_pg_upmap_items to an osd dump d, as OSDMap::apply_incremental."""
    old = set(idump.get('old_pg_upmap_items', []))
    new = {i['pgid']: i for i in idump.get('new_pg_upmap_items', [])}
    if not old and not new:
        return
    items = [i for i in d.get('pg_upmap_items', []) if i['pgid'] not in old and i['pgid'] not in new]
    d['pg_upmap_items'] = items + list(new.values())


class BasePyOSDMap(object):
    """An OSDMap handle over the osd_map dump gomgr holds."""

    def __init__(self, dump=None):
        self._d = dump or {}

    def _get_epoch(self):
        return self._d.get('epoch', 0)

    def _get_crush_version(self):
        return self._d.get('crush_version', 0)

    def _dump(self):
        return self._d

    def _get_crush(self):
        import mgr_module
        return mgr_module.CRUSHMap(_get('osd_map_crush') or {})

    def _get_pools_by_take(self, take):
        rules = (_get('osd_map_crush') or {}).get('rules', [])
        ids = {r['rule_id'] for r in rules
               if any(st.get('op') == 'take' and st.get('item') == take for st in r.get('steps', []))}
        return {'pools': [p['pool'] for p in self._d.get('pools', []) if p.get('crush_rule') in ids]}

    def _new_incremental(self):
        import mgr_module
        return mgr_module.OSDMapIncremental({'epoch': self._get_epoch() + 1})

    def _apply_incremental(self, inc):
        # The incremental fields a module can set (OSDMapIncremental's
        # set_osd_reweights, and the pg_upmap_items calc_pg_upmaps
        # writes); a new epoch, as OSDMap::apply_incremental.
        import copy
        import mgr_module
        d = copy.deepcopy(self._d)
        idump = inc._dump()
        d['epoch'] = idump.get('epoch', d.get('epoch', 0) + 1)
        weights = idump.get('new_weight', {})
        for o in d.get('osds', []):
            w = weights.get(o.get('osd'), weights.get(str(o.get('osd'))))
            if w is not None:
                o['weight'] = float(w) / 0x10000 if isinstance(w, int) and w > 1 else float(w)
        _upmap_items(d, idump)
        return mgr_module.OSDMap(d)

    def _calc(self, call, d=None, **args):
        """A CRUSH computation of the manager's on this map, or None when
        there is no CRUSH map to compute with (gomgr's own mon gives its
        rules alone): then placement comes from the OSDs' PG reports."""
        crush = _get('osd_map_crush') or {}
        if not crush.get('buckets'):
            return None
        args.update(call=call, osdmap=self._d if d is None else d, crush=crush)
        try:
            return _host.osdmap_calc(args)
        except Exception as e:  # a map the manager cannot compute with
            _host.log('error', 'OSDMap %s: %s' % (call, e))
            return None

    def _calc_pg_upmaps(self, inc, max_deviation, max_iterations, pools):
        # OSDMap::calc_pg_upmaps: on this map with the incremental's
        # upmaps so far, the changes that bring each OSD within
        # max_deviation PGs of its target, added to the incremental.
        import copy
        # Names it does not know are left out; none left means every
        # pool, as BasePyOSDMap's calc_pg_upmaps passes them on.
        ids = [p['pool'] for p in self._d.get('pools', []) if p.get('pool_name') in set(pools)]
        idump = inc._dump()
        d = copy.deepcopy(self._d)
        _upmap_items(d, idump)
        res = self._calc('calc_pg_upmaps', d, max_deviation=int(max_deviation),
                         max_iterations=int(max_iterations), pools=ids)
        if res is None:
            return 0
        new = {i['pgid']: i for i in idump.get('new_pg_upmap_items', [])}
        old = list(idump.get('old_pg_upmap_items', []))
        for pgid in res['old_pg_upmap_items']:
            new.pop(pgid, None)
            if pgid not in old:
                old.append(pgid)
        for item in res['new_pg_upmap_items']:
            new[item['pgid']] = item
            if item['pgid'] in old:
                old.remove(item['pgid'])
        inc._d['new_pg_upmap_items'] = list(new.values())
        inc._d['old_pg_upmap_items'] = old
        return res['changes']

    # PG placement is computed with CRUSH, as Ceph's; without a CRUSH map
    # it comes from the OSDs' own reports (the PG map): the same answer
    # once the OSDs have peered.

    def _pg_stats(self):
        return (_get('pg_stats') or {}).get('pg_stats', [])

    def _map_pool_pgs_up(self, poolid):
        # {pgid: up}, in seed order, as Ceph's PyFormatter builds it.
        res = self._calc('map_pool_pgs_up', pool=int(poolid))
        if res is not None:
            return {'%d.%x' % (poolid, ps): up for ps, up in enumerate(res['up'])}
        prefix = '%d.' % poolid
        stats = sorted((p for p in self._pg_stats() if p['pgid'].startswith(prefix)),
                       key=lambda p: int(p['pgid'].split('.')[1], 16))
        return {p['pgid']: p.get('up', []) for p in stats}

    def _pg_to_up_acting_osds(self, pool_id, ps):
        res = self._calc('pg_to_up_acting_osds', pool=int(pool_id), ps=int(ps))
        if res is not None:
            return res
        pgid = '%d.%x' % (pool_id, ps)
        for p in self._pg_stats():
            if p['pgid'] == pgid:
                return {'up': p.get('up', []), 'acting': p.get('acting', []),
                        'up_primary': p.get('up_primary', -1),
                        'acting_primary': p.get('acting_primary', -1)}
        return {'up': [], 'acting': [], 'up_primary': -1, 'acting_primary': -1}

    def _pool_raw_used_rate(self, pool_id):
        for p in self._d.get('pools', []):
            if p.get('pool') != pool_id:
                continue
            if p.get('type') == 3:  # erasure: (k+m)/k of its profile
                prof = self._d.get('erasure_code_profiles', {}).get(p.get('erasure_code_profile'), {})
                k, m = int(prof.get('k', 1)), int(prof.get('m', 0))
                return float(k + m) / k
            return float(p.get('size', 1))
        return 1.0


class BasePyOSDMapIncremental(object):
    def __init__(self, dump=None):
        self._d = dump or {}

    def _get_epoch(self):
        return self._d.get('epoch', 0)

    def _dump(self):
        return self._d

    def _set_osd_reweights(self, weightmap):
        self._d.setdefault('new_weight', {}).update(weightmap)

    def _set_crush_compat_weight_set_weights(self, weightmap):
        self._d.setdefault('crush_compat_weight_set_weights', {}).update(weightmap)


class BasePyCRUSH(object):
    def __init__(self, dump=None):
        self._d = dump or {}

    def _dump(self):
        return self._d

    def _items(self):
        for b in self._d.get('buckets', []):
            yield b
        for dev in self._d.get('devices', []):
            yield dev

    def _get_item_name(self, item):
        for it in self._items():
            if it.get('id') == item:
                return it.get('name')
        return None

    def _get_item_weight(self, item):
        for b in self._d.get('buckets', []):
            for it in b.get('items', []):
                if it.get('id') == item:
                    return it.get('weight', 0) / 65536.0
        return None

    def _find_roots(self):
        children = {it['id'] for b in self._d.get('buckets', []) for it in b.get('items', [])}
        return {'roots': [b['id'] for b in self._d.get('buckets', []) if b['id'] not in children]}

    def _find_takes(self):
        takes = []
        for r in self._d.get('rules', []):
            for s in r.get('steps', []):
                if s.get('op') == 'take' and s.get('item') not in takes:
                    takes.append(s.get('item'))
        return {'takes': takes}

    def _get_take_weight_osd_map(self, root):
        out = {}
        buckets = {b['id']: b for b in self._d.get('buckets', [])}

        def walk(bid, scale):
            b = buckets.get(bid)
            if b is None:
                return
            total = sum(it.get('weight', 0) for it in b.get('items', [])) or 1
            for it in b.get('items', []):
                share = scale * it.get('weight', 0) / total
                if it['id'] >= 0:
                    out[it['id']] = out.get(it['id'], 0) + share
                else:
                    walk(it['id'], share)
        walk(root, 1.0)
        return {'weights': {str(k): v for k, v in out.items()}}

