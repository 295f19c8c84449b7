package modules

import (
	"github.com/go-python/gpython/py"

	"gomgr/registry"
)

// The calls of Ceph's MgrModule that act on the cluster
// (registry.ClusterHost), for gomgr's gpython modules as for Ceph's on
// CPython.

// pySendCommand is send_command(svc_type, svc_id, cmd_json, inbuf): the
// command's (retval, stdout, stderr), as mon_command returns them.
func (m *pyModule) pySendCommand(args py.Tuple) (py.Object, error) {
	s, err := strArgs("send_command", args, 4)
	if err != nil {
		return nil, err
	}
	ch, err := hostAs[registry.ClusterHost](m, "send_command")
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.hostCtx()
	defer cancel()
	res, err := ch.SendCommand(ctx, s[0], s[1], s[2], s[3])
	if err != nil {
		return nil, hostErr("send_command", err)
	}
	return py.Tuple{py.Int(res.Retval), py.String(res.Stdout), py.String(res.Stderr)}, nil
}

// pyClusterLog is cluster_log(channel, priority, message).
func (m *pyModule) pyClusterLog(args py.Tuple) (py.Object, error) {
	if len(args) != 3 {
		return nil, py.ExceptionNewf(py.TypeError, "cluster_log(channel, priority, message)")
	}
	channel, ok1 := args[0].(py.String)
	prio, ok2 := args[1].(py.Int)
	msg, ok3 := args[2].(py.String)
	if !ok1 || !ok2 || !ok3 {
		return nil, py.ExceptionNewf(py.TypeError, "cluster_log(channel: str, priority: int, message: str)")
	}
	ch, err := hostAs[registry.ClusterHost](m, "cluster_log")
	if err != nil {
		return nil, err
	}
	ch.ClusterLog(string(channel), int(prio), string(msg))
	return py.None, nil
}

// pySetURI is _ceph_set_uri: the address the module serves on, published
// in the MgrMap's services (`mgr services`).
func (m *pyModule) pySetURI(args py.Tuple) (py.Object, error) {
	s, err := strArgs("set_uri", args, 1)
	if err != nil {
		return nil, err
	}
	ch, err := hostAs[registry.ClusterHost](m, "set_uri")
	if err != nil {
		return nil, err
	}
	ch.SetURI(s[0])
	return py.None, nil
}
