// Package cephconf reads a ceph.conf the way Ceph 16.2 does, so that gomgr
// joining a real cluster (gomgr mgr -c /etc/ceph/ceph.conf -i NAME) sees
// the same settings as the daemons next to it.
//
// It owns three things:
//
//   - the file's grammar (parse.go): Ceph's own, rule for rule, with its
//     quirks (the file must end with a newline, comments anywhere, a
//     backslash at the end of a line continues it, keys normalised with
//     '_' for inner white space but dashes kept, non-ASCII bytes only in
//     comments and quoted values); a file Ceph would refuse is a
//     *SyntaxError naming the file, line and column;
//   - the lookup of an option for an entity name (Conf.Get): sections
//     [TYPE.ID], [TYPE], [global], and the expansion of metavariables
//     ($cluster, $name, $id, $type, $host, $OPTION...), as md_config_t
//     does it;
//   - mon_host in all its forms (MonAddrs): addresses, typed or not, with
//     or without ports, IPv6, address vectors, host names, reduced to the
//     msgr v1 addresses gomgr connects to, by the rules of MonMap and
//     entity_addr_t.
//
// Plus the few settings a manager needs before it can talk to a mon:
// Conf.FSID, Conf.Keyring, Conf.Auth, Conf.MonAddrs.
//
// Behaviour was checked against ceph-conf and monmaptool 16.2.15; the
// interop test TestInteropCephConf runs ceph-conf on every table case and
// on generated files, and fails (never skips) if it is not installed.
//
// A Conf does not change once Parse or Load has returned it; it is safe
// for concurrent use. The package starts no goroutines.
package cephconf
