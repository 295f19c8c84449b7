package mon

import (
	"gomgr/registry"
)

// monCommand is one mon command, defined once: what Ceph's MonCommands.h
// says of it (signature, help, perm) and its handler. The dispatch
// (HandleCommand, and the daemon for the key server's commands), the caps
// check (Daemon.denied), the descriptions the CLI matches (Commands) and
// the CLI's help all read this table, so a command cannot be served
// without a description, a perm and a help, nor described and not served.
type monCommand struct {
	sig  string // Ceph's signature: the prefix words, then name=...,type=... arguments
	help string // one line, for Commands and the CLI's help
	// perm is the mon caps it needs, as MonCommands.h gives them: reads
	// "r", changes "rw", showing keys "rx", making them "rwx".
	perm string
	// aliases are other prefixes the same handler runs (Ceph's older or
	// short names); Commands does not list them.
	aliases []string
	// mgrKey names the argument holding the key a command changes: when
	// it is under mgr/, the mgrs get their config again (pushMgrConfig).
	mgrKey string

	// Exactly one handler: run for the core's commands; keys for those of
	// the daemon's key server (auth), which the core does not hold.
	run  func(m *Mon, c cmdCall) (CommandResult, Effects, error)
	keys func(a *monAuth, c cmdCall) CommandResult
}

// monCommands is every mon command. Commands no signature here matches go
// to the active mgr (the CLI sends them there).
var monCommands = []monCommand{
	{sig: "status", help: "cluster status: health, services, data (ceph -s)", perm: "r", aliases: []string{"s"},
		run: (*Mon).cmdStatus},
	{sig: "health name=detail,type=CephChoices,strings=detail,req=false", help: "cluster health; with detail, each check's details",
		perm: "r", aliases: []string{"health detail"}, run: (*Mon).cmdHealth},
	{sig: "osd dump", help: "the OSD map", perm: "r",
		run: dumpOf(func(m *Mon) (any, uint64) { return m.osd.Map(), m.osd.Map().Epoch })},
	{sig: "osd tree", help: "the OSDs in the CRUSH hierarchy, with their state and weight", perm: "r", run: (*Mon).cmdOSDTree},
	{sig: "osd pool ls", help: "list the pools", perm: "r", run: (*Mon).cmdPoolLs},
	{sig: "osd pool create name=pool,type=CephString name=pg_num,type=CephInt,req=false name=size,type=CephInt,req=false",
		help: "make a pool", perm: "rw", run: (*Mon).cmdPoolCreate},
	{sig: "osd down name=ids,type=CephString,n=N", help: "mark OSDs down", perm: "rw",
		run: markOSDs((*OSDMonitor).MarkDown)},
	{sig: "osd out name=ids,type=CephString,n=N", help: "mark OSDs out: their data moves elsewhere", perm: "rw",
		run: markOSDs((*OSDMonitor).MarkOut)},
	{sig: "osd in name=ids,type=CephString,n=N", help: "mark OSDs in", perm: "rw",
		run: markOSDs((*OSDMonitor).MarkIn)},
	{sig: "osd set name=key,type=CephString", help: "set a cluster flag (noout, noup, pause, ...)", perm: "rw",
		run: osdFlag(true)},
	{sig: "osd unset name=key,type=CephString", help: "clear a cluster flag", perm: "rw",
		run: osdFlag(false)},
	{sig: "osd metadata name=id,type=CephInt,req=false", help: "an OSD's metadata (every OSD's without an id)", perm: "r",
		run: (*Mon).cmdOSDMetadata},
	{sig: "mon dump", help: "the monmap", perm: "r",
		run: dumpOf(func(m *Mon) (any, uint64) { return m.monmap, m.monmap.Epoch })},
	{sig: "fs dump", help: "the fsmap", perm: "r",
		run: dumpOf(func(m *Mon) (any, uint64) { return m.fsmap, m.fsmap.Epoch })},
	{sig: "service dump", help: "the service map", perm: "r",
		run: dumpOf(func(m *Mon) (any, uint64) { return m.svcmap, m.svcmap.Epoch })},
	{sig: "mgr dump", help: "the MgrMap", perm: "r",
		run: dumpOf(func(m *Mon) (any, uint64) { return m.mgr.Map(), m.mgr.Map().Epoch })},
	{sig: "mgr stat", help: "the active manager, whether it is available, and the number of standbys", perm: "r",
		run: (*Mon).cmdMgrStat},
	{sig: "mgr services", help: "URIs of services modules run", perm: "r", run: (*Mon).cmdMgrServices},
	{sig: "mgr metadata name=who,type=CephString,req=false", help: "manager metadata (the named manager's, or every one's)", perm: "r",
		run: (*Mon).cmdMgrMetadata},
	{sig: "mgr fail name=who,type=CephString,req=false", help: "fail the active (or named) manager", perm: "rw",
		run: (*Mon).cmdMgrFail},
	{sig: "mgr module ls", help: "list the modules: always on, enabled, disabled", perm: "r", run: (*Mon).cmdModuleLs},
	{sig: "mgr module enable name=module,type=CephString name=force,type=CephChoices,strings=--force,req=false",
		help: "enable a module at runtime (--force: one no manager reports)", perm: "rw", run: (*Mon).cmdModuleEnable},
	{sig: "mgr module disable name=module,type=CephString", help: "disable a module at runtime", perm: "rw",
		run: (*Mon).cmdModuleDisable},
	{sig: "log last name=num,type=CephInt,req=false name=level,type=CephString,req=false name=channel,type=CephString,req=false",
		help: "the last entries of the cluster log (20 unless num is given), of one channel if given", perm: "r",
		run: (*Mon).cmdLogLast},
	{sig: "log name=logtext,type=CephString,n=N", help: "write a line to the cluster log", perm: "rw", run: (*Mon).cmdLog},
	{sig: "mon_status", help: "the mon's status, as JSON", perm: "r", run: (*Mon).cmdMonStatus},
	{sig: "config set name=who,type=CephString name=name,type=CephString name=value,type=CephString name=force,type=CephBool,req=false",
		help: "set a module option (who mgr, name mgr/MODULE/OPTION), checked against the module's declaration; --force stores an undeclared one",
		perm: "rw", mgrKey: "name", run: (*Mon).cmdConfigSet},
	{sig: "config get name=who,type=CephString name=key,type=CephString,req=false", help: "a module option's value (every option set, without a key)",
		perm: "r", run: (*Mon).cmdConfigGet},
	{sig: "config rm name=who,type=CephString name=name,type=CephString", help: "remove a module option", perm: "rw",
		mgrKey: "name", run: (*Mon).cmdConfigRm},
	{sig: "config dump", help: "every module option set", perm: "r", run: (*Mon).cmdConfigDump},
	{sig: "auth get-or-create name=entity,type=CephString name=caps,type=CephString,n=N,req=false",
		help: "an entity's key, made with the caps given (SERVICE CAPS pairs) when it has none", perm: "rwx", keys: authGetOrCreate},
	{sig: "auth get name=entity,type=CephString", help: "an entity's key and caps", perm: "rx", keys: authGet},
	{sig: "auth ls", help: "every entity's key and caps", perm: "rx", keys: authLs},
	{sig: "config-key get name=key,type=CephString", help: "a key's value (the key-value store modules use)", perm: "r",
		run: (*Mon).cmdKeyGet},
	{sig: "config-key set name=key,type=CephString name=val,type=CephString,req=false", help: "set a key (to the input of -i FILE without a value)",
		perm: "rw", aliases: []string{"config-key put"}, mgrKey: "key", run: (*Mon).cmdKeySet},
	{sig: "config-key rm name=key,type=CephString", help: "remove a key", perm: "rw", aliases: []string{"config-key del"},
		mgrKey: "key", run: (*Mon).cmdKeyRm},
	{sig: "config-key exists name=key,type=CephString", help: "whether a key exists", perm: "r", run: (*Mon).cmdKeyExists},
	{sig: "config-key ls", help: "list the keys", perm: "r", aliases: []string{"config-key list"}, run: (*Mon).cmdKeyLs},
	{sig: "config-key dump name=key,type=CephString,req=false", help: "the keys and their values (those beginning with key, if given)",
		perm: "r", run: (*Mon).cmdKeyDump},
}

// commandByPrefix finds the entry a prefix (its own or an alias) runs.
var commandByPrefix = func() map[string]*monCommand {
	byPrefix := make(map[string]*monCommand, len(monCommands))
	for i := range monCommands {
		c := &monCommands[i]
		byPrefix[registry.CommandPrefix(c.sig)] = c
		for _, a := range c.aliases {
			byPrefix[a] = c
		}
	}
	return byPrefix
}()

// Commands are the mon's commands in Ceph's form (MonCommands.h): Cmd the
// signature, Desc the help, Perm the mon caps it needs. The CLI matches a
// command line against the signatures (registry.ParseArgs) and sends the
// resulting cmdmap; its help lists them.
func Commands() []registry.CommandDesc {
	out := make([]registry.CommandDesc, len(monCommands))
	for i, c := range monCommands {
		out[i] = registry.CommandDesc{Cmd: c.sig, Desc: c.help, Perm: c.perm}
	}
	return out
}

// commandPerm is the perm a command needs: its entry's, or "rw" for a
// prefix no entry runs (refused as unrecognized once the caps allow it).
func commandPerm(prefix string) string {
	if c := commandByPrefix[prefix]; c != nil {
		return c.perm
	}
	return "rw"
}
