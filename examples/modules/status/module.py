# status: a `status` command printing a cluster summary like `ceph -s`,
# built from get('health'), get('mon_map'), get('mgr_map'), get('osd_map')
# and get('pg_summary').
import json

from mgr_module import MgrModule


def _from_json(raw, empty):
    # get('health') and get('mon_status') are {"json": "<text>"}, as in Ceph.
    if raw is None:
        return empty
    return json.loads(raw["json"])


def _pg_states(pg):
    # get('pg_summary') is {"all": {state: count}, ...} as in Ceph; the
    # `ceph pg stat` shape {"pg_summary": {"num_pg_by_state": [...]}} works too.
    states = {}
    if pg is None:
        return states
    if "all" in pg:
        for name in pg["all"].keys():
            states[name] = pg["all"][name]
    elif "pg_summary" in pg:
        for s in pg["pg_summary"]["num_pg_by_state"]:
            states[s["name"]] = s["num"]
    return states


class Module(MgrModule):
    COMMANDS = [
        {
            "cmd": "status name=format,type=CephChoices,strings=plain|json,req=false",
            "desc": "show a summary of the cluster, like ceph -s",
            "perm": "r",
        },
    ]

    def summary(self):
        health = _from_json(self.get("health"), {"status": "HEALTH_UNKNOWN", "checks": {}})
        mon_map = self.get("mon_map") or {"mons": []}
        # The quorum is the mons' state, not the map's: mon_status has it.
        mon_status = _from_json(self.get("mon_status"), {})
        mgr_map = self.get("mgr_map") or {}
        osd_map = self.get("osd_map") or {"osds": [], "pools": []}
        states = _pg_states(self.get("pg_summary"))

        names = {}
        for m in mon_map["mons"]:
            names[str(m["rank"])] = m["name"]
        quorum = [names.get(str(r), str(r)) for r in mon_status.get("quorum", [])]
        osds = osd_map["osds"]
        checks = health.get("checks", {})
        return {
            "fsid": osd_map.get("fsid", mon_map.get("fsid", "")),
            "health": health.get("status", "HEALTH_UNKNOWN"),
            "checks": [checks[k]["summary"]["message"] for k in sorted(checks.keys())],
            "mons": len(mon_map["mons"]),
            "quorum": quorum,
            "mgr_active": mgr_map.get("active_name", ""),
            "mgr_available": mgr_map.get("available", False),
            "mgr_standbys": sorted([s["name"] for s in mgr_map.get("standbys", [])]),
            "osds": len(osds),
            "osds_up": len([o for o in osds if o["up"]]),
            "osds_in": len([o for o in osds if o["in"]]),
            "osd_epoch": osd_map.get("epoch", 0),
            "pools": len(osd_map.get("pools", [])),
            "pgs": sum([states[k] for k in states.keys()]),
            "pg_states": states,
        }

    def render(self, s):
        lines = [
            "  cluster:",
            "    id:     {}".format(s["fsid"]),
            "    health: {}".format(s["health"]),
        ]
        for c in s["checks"]:
            lines.append("            {}".format(c))
        lines.append("")
        lines.append("  services:")
        lines.append("    mon: {} daemons, quorum {}".format(s["mons"], ",".join(s["quorum"])))
        mgr = "no daemons active"
        if s["mgr_active"]:
            mgr = "{}(active)".format(s["mgr_active"])
            if not s["mgr_available"]:
                mgr = "{}(active, starting)".format(s["mgr_active"])
            if s["mgr_standbys"]:
                mgr = mgr + ", standbys: " + ", ".join(s["mgr_standbys"])
        lines.append("    mgr: " + mgr)
        lines.append("    osd: {} osds: {} up, {} in".format(s["osds"], s["osds_up"], s["osds_in"]))
        lines.append("")
        lines.append("  data:")
        lines.append("    pools:   {} pools, {} pgs".format(s["pools"], s["pgs"]))
        first = True
        for name in sorted(s["pg_states"].keys()):
            label = "    pgs:     "
            if not first:
                label = "             "
            lines.append("{}{} {}".format(label, s["pg_states"][name], name))
            first = False
        return "\n".join(lines) + "\n"

    def handle_command(self, inbuf, cmd):
        s = self.summary()
        if cmd.get("format") == "json":
            return 0, json.dumps(s, indent=2), ""
        return 0, self.render(s), ""
