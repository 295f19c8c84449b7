package host

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"gomgr/internal/jsontree"
	"gomgr/messages"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

// A real ceph-mon sends its maps in Ceph's binary encodings. gomgr decodes
// the small ones (MonMap, MgrMap) and, for OSDMap and FSMap, asks the mon
// for the JSON it prints (`osd dump`, `fs dump`) when a new epoch is
// announced: one mon command per epoch instead of a decoder for Ceph's
// largest structs. The fetcher below does that off the mon client's
// dispatch goroutine, which must stay free to deliver the command replies.

// dumpCommands are the mon commands that give a map's JSON, by map kind.
var dumpCommands = map[string]string{"osd_map": "osd dump", "fs_map": "fs dump"}

// mapFetcher keeps the maps a real mon announces current. want is the
// newest epoch announced per kind; run fetches whatever is behind.
type mapFetcher struct {
	s     *Standby
	mu    sync.Mutex
	want  map[string]uint64
	crush bool // the CRUSH view is due (gomgr's mon: after each osdmap epoch)
	kick  chan struct{}
	// osds is the set of OSD ids whose metadata was last fetched; mons
	// the mon map epoch whose mons' metadata was.
	osds string
	mons uint64
}

func newMapFetcher(s *Standby) *mapFetcher {
	return &mapFetcher{s: s, want: map[string]uint64{}, kick: make(chan struct{}, 1)}
}

// announce records that the mon has epoch of kind; safe from any goroutine.
func (f *mapFetcher) announce(kind string, epoch uint64) {
	f.mu.Lock()
	if epoch > f.want[kind] {
		f.want[kind] = epoch
	}
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// crushDue asks for the CRUSH tree and rules again (gomgr's mon sends the
// osdmap itself; the PG map still wants the tree); safe from any goroutine.
func (f *mapFetcher) crushDue() {
	f.mu.Lock()
	f.crush = true
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// run fetches announced epochs until quit. A failed fetch is retried on the
// next announcement or after a second, never in a tight loop.
func (f *mapFetcher) run(quit <-chan struct{}) {
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-quit:
			return
		case <-f.kick:
		case <-retry.C:
		}
		f.mu.Lock()
		want, crush := maps.Clone(f.want), f.crush
		f.crush = false
		f.mu.Unlock()
		if crush {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			f.crushView(ctx, f.s.state.Epoch("osd_map"))
			cancel()
		}
		failed := false
		for _, kind := range slices.Sorted(maps.Keys(want)) {
			if f.s.state.Epoch(kind) >= want[kind] {
				continue
			}
			if err := f.fetch(kind); err != nil {
				f.s.log.WithError(err).WithField("map", kind).Warn("map not fetched from the mon; retrying")
				failed = true
			}
		}
		if failed {
			retry.Reset(time.Second)
		}
	}
}

// fetch runs the dump command of kind and caches its epoch.
func (f *mapFetcher) fetch(kind string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := f.s.monc.Command(ctx, map[string]any{"prefix": dumpCommands[kind], "format": "json"}, nil)
	if err != nil {
		return err
	}
	if res.Retval != 0 {
		return fmt.Errorf("%w: %s: %s", ErrMonCommand, dumpCommands[kind], res.Status)
	}
	tree, err := jsontree.Parse(res.Out)
	if err != nil {
		return fmt.Errorf("host: %s output: %w", dumpCommands[kind], err)
	}
	m, _ := tree.(map[string]any)
	epoch := uint64(toInt(m["epoch"]))
	if epoch == 0 {
		return fmt.Errorf("host: %s output has no epoch", dumpCommands[kind])
	}
	if kind == "osd_map" {
		f.osdMetadata(ctx, m)
	}
	f.s.setMap(kind, epoch, tree, res.Out, modifiedStamp(tree))
	if kind == "osd_map" {
		// After the notify: the PG map's CRUSH view (osd df tree, classes,
		// MAX AVAIL) follows the epoch by two more commands.
		f.crushView(ctx, epoch)
	}
	return nil
}

// crushView gives the PG map the CRUSH tree and rules of the current
// epoch, and modules get("osd_map_tree") and get("osd_map_crush") (a mon
// without `osd crush dump` gives its rules alone, or nothing).
func (f *mapFetcher) crushView(ctx context.Context, epoch uint64) {
	if res, tree, ok := f.dump(ctx, "osd tree"); ok {
		m, _ := tree.(map[string]any)
		if err := f.s.state.PG.ApplyOSDTree(m); err != nil {
			f.s.log.WithError(err).Warn("osd tree not applied to the PG map")
		}
		f.s.state.SetMapJSON("osd_map_tree", epoch, tree, res)
	}
	if res, tree, ok := f.dump(ctx, "osd crush dump"); ok {
		m, _ := tree.(map[string]any)
		rules, _ := m["rules"].([]any)
		f.s.state.PG.ApplyCrushRules(rules)
		f.s.state.SetMapJSON("osd_map_crush", epoch, tree, res)
	} else if _, tree, ok := f.dump(ctx, "osd crush rule dump"); ok {
		rules, _ := tree.([]any)
		f.s.state.PG.ApplyCrushRules(rules)
	}
}

// dump runs a mon command with -f json and parses its output; false when
// the mon refused it or it did not parse.
func (f *mapFetcher) dump(ctx context.Context, prefix string) ([]byte, any, bool) {
	res, err := f.s.monc.Command(ctx, map[string]any{"prefix": prefix, "format": "json"}, nil)
	if err != nil || res.Retval != 0 {
		return nil, nil, false
	}
	tree, err := jsontree.Parse(res.Out)
	if err != nil {
		return nil, nil, false
	}
	return res.Out, tree, true
}

// osdMetadata loads every OSD's metadata (`osd metadata`) when the set of
// OSDs in the map changes, and every mon's (`mon metadata`) when the mon
// map does, as Ceph's mgr does for get_metadata("osd", id).
func (f *mapFetcher) osdMetadata(ctx context.Context, osdmap map[string]any) {
	if mons := f.s.state.Epoch("mon_map"); mons != f.mons && f.daemonMetadata(ctx, "mon", "name") {
		f.mons = mons
	}
	var ids []string
	osds, _ := osdmap["osds"].([]any)
	for _, o := range osds {
		om, _ := o.(map[string]any)
		ids = append(ids, fmt.Sprint(toInt(om["osd"])))
	}
	set := strings.Join(ids, ",")
	if set != f.osds && f.daemonMetadata(ctx, "osd", "id") {
		f.osds = set
	}
}

// daemonMetadata runs `<kind> metadata` and records each daemon's, named
// by its idKey field; false if the mon did not answer.
func (f *mapFetcher) daemonMetadata(ctx context.Context, kind, idKey string) bool {
	res, err := f.s.monc.Command(ctx, map[string]any{"prefix": kind + " metadata", "format": "json"}, nil)
	if err != nil || res.Retval != 0 {
		f.s.log.WithError(err).WithField("status", res.Status).Warnf("%s metadata not fetched", kind)
		return false
	}
	var all []map[string]any
	if err := json.Unmarshal(res.Out, &all); err != nil {
		f.s.log.WithError(err).Warnf("%s metadata not decodable", kind)
		return false
	}
	for _, md := range all {
		meta := make(map[string]string, len(md))
		for k, v := range md {
			if s, ok := v.(string); ok {
				meta[k] = s
			} else {
				meta[k] = fmt.Sprint(v)
			}
		}
		f.s.state.Daemons.SetMetadata(DaemonKey{kind, meta[idKey]}, meta["hostname"], meta)
	}
	return true
}

// daemonKey is how Ceph's DaemonServer names a session's daemon: the
// service name for a service daemon, else the peer's entity type, and the
// name it opened with (a bare id: "0").
func daemonKey(peerType uint8, open *messages.MgrOpen) (DaemonKey, error) {
	typ, _, _ := strings.Cut(wire.EntityName{Type: peerType}.String(), ".")
	if open.ServiceDaemon && open.ServiceName != "" {
		typ = open.ServiceName
	}
	if open.DaemonName == "" || typ == "" {
		return DaemonKey{}, fmt.Errorf("%w: daemon name %q from a %s", ErrBadDaemonName, open.DaemonName, typ)
	}
	return DaemonKey{typ, open.DaemonName}, nil
}

// Ceph's MonCommand flags (mon/MonCommand.h).
const (
	cmdFlagMgr  = 1 << 3
	cmdFlagPoll = 1 << 4 // the CLI polls it (-p period)
)

// cephMgrCommands are the commands of Ceph's DaemonServer that gomgr serves
// (from its PGMap, and the service map), with the signatures of pacific's
// MgrCommands.h: the mon takes a mgr's list in place of its own defaults,
// so what is not listed here the ceph CLI refuses to send.
var cephMgrCommands = []messages.CommandDesc{
	{Cmd: "pg stat", Help: "show placement group status.", Module: "pg", Perm: "r"},
	{Cmd: "pg dump name=dumpcontents,type=CephChoices,strings=all|summary|sum|delta|pools|osds|pgs|pgs_brief,n=N,req=false",
		Help: "show human-readable versions of pg map (only 'all' valid with plain)", Module: "pg", Perm: "r"},
	{Cmd: "pg dump_json name=dumpcontents,type=CephChoices,strings=all|summary|sum|pools|osds|pgs,n=N,req=false",
		Help: "show human-readable version of pg map in json only", Module: "pg", Perm: "r"},
	{Cmd: "pg dump_pools_json", Help: "show pg pools info in json only", Module: "pg", Perm: "r"},
	{Cmd: "pg ls-by-pool name=poolstr,type=CephString name=states,type=CephString,n=N,req=false",
		Help: "list pg with pool = [poolname]", Module: "pg", Perm: "r"},
	{Cmd: "pg ls-by-primary name=osd,type=CephOsdName name=pool,type=CephInt,req=false name=states,type=CephString,n=N,req=false",
		Help: "list pg with primary = [osd]", Module: "pg", Perm: "r"},
	{Cmd: "pg ls-by-osd name=osd,type=CephOsdName name=pool,type=CephInt,req=false name=states,type=CephString,n=N,req=false",
		Help: "list pg on osd [osd]", Module: "pg", Perm: "r"},
	{Cmd: "pg ls name=pool,type=CephInt,req=false name=states,type=CephString,n=N,req=false",
		Help: "list pg with specific pool, osd, state", Module: "pg", Perm: "r"},
	{Cmd: "pg dump_stuck name=stuckops,type=CephChoices,strings=inactive|unclean|stale|undersized|degraded,n=N,req=false name=threshold,type=CephInt,req=false",
		Help: "show information about stuck pgs", Module: "pg", Perm: "r"},
	{Cmd: "pg debug name=debugop,type=CephChoices,strings=unfound_objects_exist|degraded_pgs_exist",
		Help: "show debug info about pgs", Module: "pg", Perm: "r"},
	{Cmd: "osd perf", Help: "print dump of OSD perf summary stats", Module: "osd", Perm: "r"},
	{Cmd: "osd df name=output_method,type=CephChoices,strings=plain|tree,req=false name=filter_by,type=CephChoices,strings=class|name,req=false name=filter,type=CephString,req=false",
		Help: "show OSD utilization", Module: "osd", Perm: "r"},
	{Cmd: "osd blocked-by", Help: "print histogram of which OSDs are blocking their peers", Module: "osd", Perm: "r"},
	{Cmd: "osd pool stats name=pool_name,type=CephPoolname,req=false",
		Help: "obtain stats from all pools, or from specified pool", Module: "osd", Perm: "r"},
	{Cmd: "service dump", Help: "dump service map", Module: "service", Perm: "r"},
}

// cephCommandDescs are commandDescriptions as the beacon carries them:
// the mon lists them (with FLAG_MGR) in its get_command_descriptions,
// which is how the ceph CLI learns to send them here. Module commands are
// under the module name "mgr", as Ceph's mgr sends them.
func (s *Standby) cephCommandDescs() []messages.CommandDesc {
	descs := s.commandDescriptions()
	out := make([]messages.CommandDesc, 0, len(descs))
	var monCmds map[string]bool
	if s.realCeph() {
		monCmds = s.monCommands()
	}
	for _, d := range descs {
		if p := registry.CommandPrefix(d.Cmd); monCmds[p] {
			// The mon would route its own command here: `ceph status`
			// must stay the mon's even if a module declares "status".
			if s.shadowLog.First(p) {
				s.log.WithField("command", p).Warn("a module command has the name of a mon command: not advertised to the mon (ceph tell mgr still reaches it)")
			}
			continue
		}
		module := d.Module
		if !slices.ContainsFunc(cephMgrCommands, func(c messages.CommandDesc) bool { return c.Cmd == d.Cmd }) {
			module = "mgr"
		}
		perm := d.Perm
		if perm == "" {
			perm = "r"
		}
		cd := messages.CommandDesc{Cmd: d.Cmd, Help: d.Desc, Module: module, Perm: perm}
		if d.Poll {
			cd.Flags = cmdFlagPoll
		}
		out = append(out, cd)
	}
	return out
}

// cephDescriptions formats commands as Ceph's get_command_descriptions
// answers (common/cmdparse.cc dump_cmddesc_to_json): "cmd000", "cmd001", ...
// each with the signature split into literal words and argument
// descriptors, help, module, perm and flags.
func cephDescriptions(cmds []registry.ModuleCommand) ([]byte, error) {
	out := make(map[string]any, len(cmds))
	for i, c := range cmds {
		sig := []any{}
		for _, w := range strings.Fields(c.Cmd) {
			if !strings.Contains(w, "=") {
				sig = append(sig, w)
				continue
			}
			arg := map[string]string{}
			for _, kv := range strings.Split(w, ",") {
				k, v, _ := strings.Cut(kv, "=")
				arg[k] = v
			}
			sig = append(sig, arg)
		}
		perm := c.Perm
		if perm == "" {
			perm = "r"
		}
		flags := 0
		if c.Poll {
			flags = cmdFlagPoll
		}
		out[fmt.Sprintf("cmd%03d", i)] = map[string]any{"sig": sig, "help": c.Desc, "module": c.Module,
			"perm": perm, "flags": flags}
	}
	js, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("host: command descriptions: %w", err)
	}
	return js, nil
}

// parseCephDescriptions reads get_command_descriptions output back into
// commands (the CLI's help and routing).
func parseCephDescriptions(js []byte) ([]registry.ModuleCommand, error) {
	var raw map[string]struct {
		Sig    []json.RawMessage `json:"sig"`
		Help   string            `json:"help"`
		Module string            `json:"module"`
		Perm   string            `json:"perm"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, fmt.Errorf("host: command descriptions: %w", err)
	}
	out := make([]registry.ModuleCommand, 0, len(raw))
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		d := raw[k]
		var words []string
		for _, s := range d.Sig {
			var w string
			if json.Unmarshal(s, &w) == nil {
				words = append(words, w)
				continue
			}
			var arg map[string]any
			if err := json.Unmarshal(s, &arg); err != nil {
				return nil, fmt.Errorf("host: command descriptions: %s: %w", k, err)
			}
			parts := make([]string, 0, len(arg))
			// name and type first, as Ceph writes them; the rest sorted.
			for _, f := range []string{"name", "type"} {
				if v, ok := arg[f]; ok {
					parts = append(parts, f+"="+fmt.Sprint(v))
					delete(arg, f)
				}
			}
			for _, f := range slices.Sorted(maps.Keys(arg)) {
				parts = append(parts, f+"="+fmt.Sprint(arg[f]))
			}
			words = append(words, strings.Join(parts, ","))
		}
		out = append(out, registry.ModuleCommand{Module: d.Module,
			CommandDesc: registry.CommandDesc{Cmd: strings.Join(words, " "), Desc: d.Help, Perm: d.Perm}})
	}
	return out, nil
}

// cephOptions holds the modules' options on a real cluster: Ceph keeps them
// in its config database (`ceph config set mgr mgr/<module>/<option> v`),
// and the mon pushes this mgr's view of it in MConfig. Writes go to the mon
// first, as `config set` / `config rm` for who=mgr.
type cephOptions struct {
	mon  monCommander
	mu   sync.Mutex
	conf map[string]string // the mgr/ entries of the last MConfig
	all  map[string]string // the whole last MConfig: get_ceph_option
}

func newCephOptions(m monCommander) *cephOptions {
	return &cephOptions{mon: m, conf: map[string]string{}}
}

// replace takes the mgr/ entries of an MConfig and reports whether they
// changed.
func (o *cephOptions) replace(all map[string]string) bool {
	kv := map[string]string{}
	for k, v := range all {
		if strings.HasPrefix(k, "mgr/") {
			kv[k] = v
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	changed := !maps.Equal(o.conf, kv)
	o.conf, o.all = kv, maps.Clone(all)
	return changed
}

// option is a daemon option the mon set for this mgr (get_ceph_option).
func (o *cephOptions) option(name string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.all[name]
	return v, ok
}

// Get implements registry.Store.
func (o *cephOptions) Get(_ context.Context, key string) (string, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.conf[key]
	return v, ok, nil
}

// Set implements registry.Store.
func (o *cephOptions) Set(ctx context.Context, key string, value *string) error {
	args := map[string]any{"prefix": "config rm", "who": "mgr", "name": key}
	if value != nil {
		args = map[string]any{"prefix": "config set", "who": "mgr", "name": key, "value": *value}
	}
	res, err := o.mon.Command(ctx, args, nil)
	if err != nil {
		return fmt.Errorf("host: %s %s: %w", args["prefix"], key, err)
	}
	if res.Retval != 0 {
		return fmt.Errorf("%w: %s %s: %s", ErrMonCommand, args["prefix"], key, res.Status)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if value == nil {
		delete(o.conf, key)
	} else {
		o.conf[key] = *value
	}
	return nil
}

// List implements registry.Store.
func (o *cephOptions) List(_ context.Context, prefix string) (map[string]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]string{}
	for k, v := range o.conf {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out, nil
}

var _ registry.Store = (*cephOptions)(nil)

// monCommands are the prefixes of the mon's own commands (not the mgr's it
// lists), asked once of a real mon.
func (s *Standby) monCommands() map[string]bool {
	s.monCmdsOnce.Do(func() {
		s.monCmds = map[string]bool{}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := s.monc.Command(ctx, map[string]any{"prefix": "get_command_descriptions"}, nil)
		if err != nil || res.Retval != 0 {
			s.log.WithError(err).WithField("status", res.Status).Warn("the mon's commands not known: module commands are advertised unchecked")
			return
		}
		var descs map[string]struct {
			Sig   []json.RawMessage `json:"sig"`
			Flags int               `json:"flags"`
		}
		if err := json.Unmarshal(res.Out, &descs); err != nil {
			s.log.WithError(err).Warn("the mon's command descriptions not decodable")
			return
		}
		for _, d := range descs {
			if d.Flags&cmdFlagMgr != 0 {
				continue
			}
			var words []string
			for _, w := range d.Sig {
				var lit string
				if json.Unmarshal(w, &lit) != nil {
					break
				}
				words = append(words, lit)
			}
			s.monCmds[strings.Join(words, " ")] = true
		}
	})
	return s.monCmds
}
