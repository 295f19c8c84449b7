# callprobe: calls of the module API a test compares between ceph-mgr and
# gomgr: send_command to an OSD (as devicehealth does for SMART data),
# get(), and OSD perf queries (as rbd_support's `rbd perf` uses them). It
# loads under both (a tree beside Ceph's modules).
import json

from mgr_module import MgrModule, CLIReadCommand, CLIWriteCommand, CommandResult


class Module(MgrModule):
    @CLIReadCommand('callprobe tell')
    def tell(self, osd: str, cmd: str):
        result = CommandResult('')
        self.send_command(result, 'osd', osd, json.dumps({'prefix': cmd, 'format': 'json'}), '')
        return result.wait()

    @CLIReadCommand('callprobe get')
    def get_data(self, what: str):
        return 0, json.dumps(self.get(what), sort_keys=True), ''

    @CLIWriteCommand('callprobe perf add')
    def perf_add(self):
        """Per pool: writes, reads, bytes written; the OSDs report the 10
        busiest pools (a limit, as rbd_support's queries have)."""
        qid = self.add_osd_perf_query({
            'key_descriptor': [{'type': 'pool_id', 'regex': '^(.*)$'}],
            'performance_counter_descriptors': ['write_ops', 'read_ops', 'write_bytes'],
            'limit': {'order_by': 'write_ops', 'max_count': 10},
        })
        return 0, json.dumps(qid), ''

    @CLIReadCommand('callprobe perf get')
    def perf_get(self, query_id: int):
        return 0, json.dumps(self.get_osd_perf_counters(query_id), sort_keys=True), ''

    @CLIWriteCommand('callprobe perf remove')
    def perf_remove(self, query_id: int):
        self.remove_osd_perf_query(query_id)
        return 0, '', ''

    @CLIReadCommand('callprobe pgmaps')
    def pg_maps(self, pool: int, pgs: int):
        """pgmap for PGs 0..pgs-1 of the pool."""
        m = self.get_osdmap()
        return 0, json.dumps([m.pg_to_up_acting_osds(pool, ps) for ps in range(pgs)], sort_keys=True), ''
