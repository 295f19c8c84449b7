package mon

// Commands are the mon's command signatures in Ceph's form (MonCommands.h):
// the CLI matches a command line against them (registry.ParseArgs) and
// sends the resulting cmdmap. Commands no signature here matches go to the
// active mgr's modules.
var Commands = []string{
	"status",
	"health name=detail,type=CephChoices,strings=detail,req=false",
	"osd dump",
	"osd tree",
	"osd pool ls",
	"osd pool create name=pool,type=CephString name=pg_num,type=CephInt,req=false name=size,type=CephInt,req=false",
	"osd down name=ids,type=CephString,n=N",
	"osd out name=ids,type=CephString,n=N",
	"osd in name=ids,type=CephString,n=N",
	"osd set name=key,type=CephString",
	"osd unset name=key,type=CephString",
	"osd metadata name=id,type=CephInt,req=false",
	"mon dump",
	"fs dump",
	"service dump",
	"mgr dump",
	"mgr stat",
	"mgr services",
	"mgr metadata name=who,type=CephString,req=false",
	"mgr fail name=who,type=CephString,req=false",
	"mgr module ls",
	"mgr module enable name=module,type=CephString name=force,type=CephChoices,strings=--force,req=false",
	"mgr module disable name=module,type=CephString",
	"log last name=num,type=CephInt,req=false name=level,type=CephString,req=false name=channel,type=CephString,req=false",
	"log name=logtext,type=CephString,n=N",
	"config set name=who,type=CephString name=name,type=CephString name=value,type=CephString name=force,type=CephBool,req=false",
	"config get name=who,type=CephString name=key,type=CephString,req=false",
	"config rm name=who,type=CephString name=name,type=CephString",
	"config dump",
	"config-key get name=key,type=CephString",
	"config-key set name=key,type=CephString name=val,type=CephString,req=false",
	"config-key rm name=key,type=CephString",
	"config-key exists name=key,type=CephString",
	"config-key ls",
	"config-key dump name=key,type=CephString,req=false",
}
