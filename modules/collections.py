# collections for gomgr's gpython: OrderedDict, defaultdict, namedtuple,
# Counter and deque, in plain Python over the host's builtins. They are
# classes, not dict or tuple subclasses: json.dumps and the host take
# dict(x) or list(x) of them.


class OrderedDict(object):
    def __init__(self, items=None, **kwargs):
        self._keys = []
        self._d = {}
        if items is not None:
            self.update(items)
        self.update(kwargs)

    def _k(self, key):
        if isinstance(key, str):
            return key
        return "\x00" + repr(key)

    def __getitem__(self, key):
        k = self._k(key)
        if k not in self._d:
            return self.__missing__(key)
        return self._d[k]

    def __missing__(self, key):
        raise KeyError(key)

    def __setitem__(self, key, value):
        k = self._k(key)
        if k not in self._d:
            self._keys.append(key)
        self._d[k] = value

    def __delitem__(self, key):
        k = self._k(key)
        del self._d[k]
        self._keys = [x for x in self._keys if self._k(x) != k]

    def __contains__(self, key):
        return self._k(key) in self._d

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(list(self._keys))

    def keys(self):
        return list(self._keys)

    def values(self):
        return [self._d[self._k(k)] for k in self._keys]

    def items(self):
        return [(k, self._d[self._k(k)]) for k in self._keys]

    def get(self, key, default=None):
        k = self._k(key)
        if k in self._d:
            return self._d[k]
        return default

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        if key in self:
            v = self[key]
            del self[key]
            return v
        if default:
            return default[0]
        raise KeyError(key)

    def update(self, items=None, **kwargs):
        if items is not None:
            if hasattr(items, "items"):
                items = items.items()
            for k, v in items:
                self[k] = v
        for k in kwargs:
            self[k] = kwargs[k]

    def clear(self):
        self._keys = []
        self._d = {}

    def copy(self):
        return type(self)(self.items())

    def __eq__(self, other):
        return list(self.items()) == list(other.items())

    def __repr__(self):
        return type(self).__name__ + "(" + repr(self.items()) + ")"

    def __str__(self):
        return repr(self)


class defaultdict(OrderedDict):
    def __init__(self, default_factory=None, items=None, **kwargs):
        OrderedDict.__init__(self, items, **kwargs)
        self.default_factory = default_factory

    def __missing__(self, key):
        if self.default_factory is None:
            raise KeyError(key)
        v = self.default_factory()
        self[key] = v
        return v

    def copy(self):
        return defaultdict(self.default_factory, self.items())


class Counter(OrderedDict):
    def __init__(self, items=None, **kwargs):
        OrderedDict.__init__(self)
        self.update(items, **kwargs)

    def __missing__(self, key):
        return 0

    def update(self, items=None, **kwargs):
        if items is not None:
            if hasattr(items, "items"):
                for k, v in items.items():
                    self[k] = self[k] + v
            else:
                for k in items:
                    self[k] = self[k] + 1
        for k in kwargs:
            self[k] = self[k] + kwargs[k]

    def most_common(self, n=None):
        order = sorted(range(len(self._keys)), key=lambda i: (-self[self._keys[i]], i))
        out = [(self._keys[i], self[self._keys[i]]) for i in order]
        if n is None:
            return out
        return out[:n]

    def total(self):
        return sum(self.values())


class deque(object):
    def __init__(self, iterable=None, maxlen=None):
        self.maxlen = maxlen
        self._items = []
        if iterable is not None:
            for x in iterable:
                self.append(x)

    def append(self, x):
        self._items.append(x)
        if self.maxlen is not None and len(self._items) > self.maxlen:
            self._items.pop(0)

    def appendleft(self, x):
        self._items.insert(0, x)
        if self.maxlen is not None and len(self._items) > self.maxlen:
            self._items.pop()

    def pop(self):
        if not self._items:
            raise IndexError("pop from an empty deque")
        return self._items.pop()

    def popleft(self):
        if not self._items:
            raise IndexError("pop from an empty deque")
        return self._items.pop(0)

    def extend(self, it):
        for x in it:
            self.append(x)

    def clear(self):
        self._items = []

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(list(self._items))

    def __getitem__(self, i):
        return self._items[i]

    def __contains__(self, x):
        return x in self._items

    def __repr__(self):
        return "deque(" + repr(self._items) + ")"


def namedtuple(typename, field_names, defaults=None):
    if isinstance(field_names, str):
        field_names = field_names.replace(",", " ").split()
    fields = tuple(field_names)
    defaults = tuple(defaults or ())

    class _Tuple(object):
        _fields = fields

        def __init__(self, *args, **kwargs):
            values = list(args)
            missing = fields[len(values):]
            first_default = len(fields) - len(defaults)
            for i, f in enumerate(fields):
                if i < len(args):
                    continue
                if f in kwargs:
                    values.append(kwargs[f])
                elif i >= first_default:
                    values.append(defaults[i - first_default])
                else:
                    raise TypeError(typename + "() missing argument '" + f + "'")
            if len(values) != len(fields):
                raise TypeError(typename + "() takes " + str(len(fields)) + " arguments")
            self._values = tuple(values)
            for i, f in enumerate(fields):
                setattr(self, f, values[i])

        def __getitem__(self, i):
            return self._values[i]

        def __iter__(self):
            return iter(self._values)

        def __len__(self):
            return len(fields)

        def __repr__(self):
            return typename + "(" + ", ".join([f + "=" + repr(v) for f, v in zip(fields, self._values)]) + ")"

        def __str__(self):
            return repr(self)

        def __eq__(self, other):
            return tuple(self) == tuple(other)

        def _asdict(self):
            return dict(zip(fields, self._values))

        def _replace(self, **kwargs):
            d = self._asdict()
            d.update(kwargs)
            return _Tuple(**d)

    return _Tuple
