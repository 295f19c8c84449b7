# iostat: serve() samples get('pool_stats') every `interval` seconds and
# the `iostat` command prints per-pool rates from the last two samples.
import threading
import time

from mgr_module import MgrModule, Option


def _totals(stats):
    # {"pool_stats": [{"poolid", "name", "stat_sum": {...}}]} -> {name: counters}
    out = {}
    if stats is None:
        return out
    for p in stats["pool_stats"]:
        s = p["stat_sum"]
        out[p.get("name", str(p["poolid"]))] = {
            "rd": s["num_read"], "wr": s["num_write"],
            "rd_kb": s["num_read_kb"], "wr_kb": s["num_write_kb"],
        }
    return out


class Module(MgrModule):
    MODULE_OPTIONS = [
        Option(name="interval", type="float", default=5.0, min=0.01, max=3600.0,
               desc="seconds between samples"),
    ]
    COMMANDS = [
        {"cmd": "iostat", "desc": "print per-pool I/O rates", "perm": "r"},
    ]

    def __init__(self):
        self.run = True
        self.event = threading.Event()
        self.prev = None
        self.rates = None
        self.samples = 0

    def sample(self):
        now = time.monotonic()
        cur = _totals(self.get("pool_stats"))
        if self.prev is not None:
            then, old = self.prev
            dt = now - then
            rates = {}
            for name in cur.keys():
                if name not in old or dt <= 0:
                    continue
                r = {}
                for k in cur[name].keys():
                    r[k] = max(0, cur[name][k] - old[name][k]) / dt
                rates[name] = r
            self.rates = rates
        self.prev = (now, cur)
        self.samples += 1

    def serve(self):
        # Notify and command calls run while serve() waits on the event.
        while self.run:
            self.sample()
            self.event.wait(self.get_module_option("interval"))

    def shutdown(self):
        self.run = False
        self.event.set()

    def handle_command(self, inbuf, cmd):
        if self.rates is None:
            return 0, "no rates yet ({} sample(s))\n".format(self.samples), ""
        lines = ["{:<24} {:>10} {:>10} {:>10} {:>10}".format("pool", "rd_ops/s", "wr_ops/s", "rd_kb/s", "wr_kb/s")]
        for name in sorted(self.rates.keys()):
            r = self.rates[name]
            lines.append("{:<24} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f}".format(name, r["rd"], r["wr"], r["rd_kb"], r["wr_kb"]))
        return 0, "\n".join(lines) + "\n", ""
