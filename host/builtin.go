package host

import (
	"gomgr/registry"
)

// monStatCommands are the commands pacific's mon answers from the PG
// digest and the osdmap (MgrStatMonitor): gomgr's own mon leaves them to
// the active mgr, which serves them from its PGMap.
var monStatCommands = []registry.CommandDesc{
	{Cmd: "df name=detail,type=CephChoices,strings=detail,req=false", Desc: "show cluster free space stats", Perm: "r"},
	{Cmd: "osd utilization", Desc: "get basic pg distribution stats", Perm: "r"},
}

// commandDescriptions lists the commands this mgr serves: its own (those
// of Ceph's DaemonServer it serves, with Ceph's signatures, and with
// gomgr's mon the mon's PG commands too) and those of every module that
// can run, enabled or not.
func (s *Standby) commandDescriptions() []registry.ModuleCommand {
	var out []registry.ModuleCommand
	for _, c := range cephMgrCommands {
		out = append(out, registry.ModuleCommand{Module: c.Module,
			CommandDesc: registry.CommandDesc{Cmd: c.Cmd, Desc: c.Help, Perm: c.Perm}})
	}
	if !s.realCeph() {
		for _, d := range monStatCommands {
			out = append(out, registry.ModuleCommand{Module: "mgr", CommandDesc: d})
		}
	}
	return append(out, s.reg.AllCommands()...)
}

// builtinCommand runs the commands the mgr serves from its cache rather
// than its PGMap (service dump); ok is false for any other prefix.
func (s *Standby) builtinCommand(args map[string]any) (res registry.CommandResult, ok bool) {
	if prefix, _ := args["prefix"].(string); prefix != "service dump" {
		return registry.CommandResult{}, false
	}
	v, err := s.state.Get("service_map")
	if err != nil {
		return registry.CommandResult{Retval: codeENOENT, Stderr: "no service map yet"}, true
	}
	js, err := v.JSON()
	if err != nil {
		return registry.CommandResult{Retval: codeEIO, Stderr: err.Error()}, true
	}
	return registry.CommandResult{Stdout: string(js)}, true
}
