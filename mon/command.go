package mon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gomgr/clustermap"
	"gomgr/pgmap"
	"gomgr/registry"
)

// CommandResult is a mon command's reply: Ceph's (retval, outbuf, outs).
type CommandResult struct {
	Retval int    // 0 or a negative errno (EINVAL, ENOENT, ...)
	Out    []byte // output data (JSON or text)
	Status string // the status line (outs)
}

// MaxConfigKeySize bounds one config-key value (Ceph's
// mon_config_key_max_entry_size is 64 KiB; modules here store more).
const MaxConfigKeySize = 1 << 20

// EFBIG is returned for an oversized config-key value.
const EFBIG = -27

type cmdArgs map[string]any

type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func (a cmdArgs) str(key string) (string, bool, error) {
	v, ok := a[key]
	if !ok || v == nil {
		return "", false, nil
	}
	switch t := v.(type) {
	case string:
		return t, true, nil
	case []any: // Ceph sends some string args as a one-element list
		if len(t) == 1 {
			if s, ok := t[0].(string); ok {
				return s, true, nil
			}
		}
	}
	return "", false, &argError{fmt.Sprintf("argument %q must be a string, got %T", key, v)}
}

func (a cmdArgs) integer(key string) (int64, bool, error) {
	v, ok := a[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	bad := &argError{fmt.Sprintf("argument %q must be an integer, got %v", key, v)}
	switch t := v.(type) {
	case float64:
		if t != math.Trunc(t) || math.Abs(t) > 1<<53 {
			return 0, false, bad
		}
		return int64(t), true, nil
	case int:
		return int64(t), true, nil
	case int64:
		return t, true, nil
	case json.Number:
		n, err := t.Int64()
		if err != nil {
			return 0, false, bad
		}
		return n, true, nil
	case string:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, false, bad
		}
		return n, true, nil
	}
	return 0, false, bad
}

func (a cmdArgs) boolean(key string) (bool, error) {
	v, ok := a[key]
	if !ok || v == nil {
		return false, nil
	}
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch t {
		case "true", "--" + key, "--yes-i-really-mean-it", "yes":
			return true, nil
		case "false", "":
			return false, nil
		}
	}
	return false, &argError{fmt.Sprintf("argument %q must be a boolean, got %v", key, v)}
}

// osdIDs reads "ids": a list (or one) of N, "N" or "osd.N".
func (a cmdArgs) osdIDs() ([]int, error) {
	v, ok := a["ids"]
	if !ok {
		return nil, &argError{"missing required argument \"ids\""}
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	if len(list) == 0 {
		return nil, &argError{"no osd ids given"}
	}
	out := make([]int, 0, len(list))
	for _, x := range list {
		var s string
		switch t := x.(type) {
		case string:
			s = strings.TrimPrefix(t, "osd.")
		case float64:
			if t != math.Trunc(t) {
				return nil, &argError{fmt.Sprintf("invalid osd id %v", t)}
			}
			s = strconv.FormatFloat(t, 'f', 0, 64)
		default:
			return nil, &argError{fmt.Sprintf("invalid osd id %v", x)}
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, &argError{fmt.Sprintf("invalid osd id %q", s)}
		}
		out = append(out, n)
	}
	return out, nil
}

// HandleCommandJSON parses Ceph's command JSON (one object with "prefix")
// and runs it; unparsable input is EINVAL.
func (m *Mon) HandleCommandJSON(now time.Time, cmd []byte, inbuf []byte) (CommandResult, Effects, error) {
	var args map[string]any
	d := json.NewDecoder(bytes.NewReader(cmd))
	if err := d.Decode(&args); err != nil || d.More() || args == nil {
		return CommandResult{Retval: EINVAL, Status: "invalid command json: expected one JSON object"}, Effects{}, nil
	}
	return m.HandleCommand(now, args, inbuf)
}

// HandleCommand runs one mon command. args is Ceph's cmdmap ("prefix",
// "format" and the command's arguments). Malformed commands return EINVAL
// (unknown objects ENOENT) and change nothing. The error is only a store
// failure, which is fatal.
func (m *Mon) HandleCommand(now time.Time, args map[string]any, inbuf []byte) (CommandResult, Effects, error) {
	a := cmdArgs(args)
	prefix, ok, err := a.str("prefix")
	if err != nil || !ok || prefix == "" {
		return CommandResult{Retval: EINVAL, Status: "command has no prefix"}, Effects{}, nil
	}
	format, _, err := a.str("format")
	if err != nil {
		return CommandResult{Retval: EINVAL, Status: err.Error()}, Effects{}, nil
	}
	switch format {
	case "", "plain", "json", "json-pretty":
	default:
		return CommandResult{Retval: EINVAL, Status: "unsupported format '" + format + "' (json, json-pretty, plain)"}, Effects{}, nil
	}
	r, e, err := m.dispatch(cmdCall{now: now, prefix: prefix, format: format, args: a, inbuf: inbuf})
	var ae *argError
	if errors.As(err, &ae) {
		return CommandResult{Retval: EINVAL, Status: prefix + ": " + ae.msg}, Effects{}, nil
	}
	if err != nil {
		return CommandResult{Retval: EINVAL, Status: err.Error()}, Effects{}, nil
	}
	e, err = m.finish(now, e)
	return r, e, err
}

func render(format string, v any) []byte {
	var b []byte
	if format == "json" {
		b, _ = json.Marshal(v)
	} else {
		b, _ = json.MarshalIndent(v, "", "    ")
	}
	return b
}

func ok(format string, v any) CommandResult { return CommandResult{Out: render(format, v)} }

// logText prints entries as `ceph log last` does (Ceph's LogEntry <<).
func logText(entries []clustermap.LogEntry) []byte {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %s (%s) %d : %s %s %s\n", e.Stamp, e.Name, e.Rank, e.Seq, e.Channel, e.Priority, e.Message)
	}
	return []byte(b.String())
}

func status(ret int, s string) CommandResult { return CommandResult{Retval: ret, Status: s} }

// cmdCall is one command as its handler sees it.
type cmdCall struct {
	now    time.Time
	prefix string // as sent: the entry's, or an alias
	format string // "", "plain", "json" or "json-pretty"
	args   cmdArgs
	inbuf  []byte
}

// plain reports whether the caller asked for text rather than JSON.
func (c cmdCall) plain() bool { return c.format == "" || c.format == "plain" }

// jsonFormat is the format of a command that has no text form: JSON
// indented unless "json" was asked for.
func (c cmdCall) jsonFormat() string {
	if c.plain() {
		return "json-pretty"
	}
	return c.format
}

func unrecognized(prefix string) CommandResult {
	return status(EINVAL, "unrecognized command '"+prefix+"'")
}

// dispatch runs the core's handler for c.prefix (see monCommands).
func (m *Mon) dispatch(c cmdCall) (CommandResult, Effects, error) {
	if e := commandByPrefix[c.prefix]; e != nil && e.run != nil {
		return e.run(m, c)
	}
	return unrecognized(c.prefix), Effects{}, nil
}

func (m *Mon) cmdStatus(c cmdCall) (CommandResult, Effects, error) {
	if c.plain() {
		return CommandResult{Out: m.statusText(c.now)}, Effects{}, nil
	}
	return ok(c.format, m.Status(c.now)), Effects{}, nil
}

func (m *Mon) cmdHealth(c cmdCall) (CommandResult, Effects, error) {
	d, _, err := c.args.str("detail")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	detail := d == "detail" || c.prefix == "health detail"
	h := m.Health(c.now, detail)
	if c.plain() {
		return CommandResult{Out: healthText(h, detail)}, Effects{}, nil
	}
	return ok(c.format, h), Effects{}, nil
}

// dumpOf makes the handler of a `... dump`: the current map, which is the
// only one kept, so an "epoch" argument must name it.
func dumpOf(current func(m *Mon) (any, uint64)) func(*Mon, cmdCall) (CommandResult, Effects, error) {
	return func(m *Mon, c cmdCall) (CommandResult, Effects, error) {
		cur, epoch := current(m)
		if want, ok, err := c.args.integer("epoch"); err != nil {
			return CommandResult{}, Effects{}, err
		} else if ok && (want < 0 || uint64(want) != epoch) {
			return status(ENOENT, fmt.Sprintf("there is no map for epoch %d (only the latest, %d, is kept)", want, epoch)), Effects{}, nil
		}
		return ok(c.format, cur), Effects{}, nil
	}
}

func (m *Mon) cmdOSDTree(c cmdCall) (CommandResult, Effects, error) {
	tree := m.osdTree()
	if c.plain() {
		return CommandResult{Out: osdTreeText(tree)}, Effects{}, nil
	}
	return ok(c.format, tree), Effects{}, nil
}

func (m *Mon) cmdPoolLs(c cmdCall) (CommandResult, Effects, error) {
	names := []string{}
	for _, p := range m.osd.Map().Pools {
		names = append(names, p.PoolName)
	}
	if c.plain() {
		return CommandResult{Out: []byte(strings.Join(names, "\n") + "\n")}, Effects{}, nil
	}
	return ok(c.format, names), Effects{}, nil
}

func (m *Mon) cmdPoolCreate(c cmdCall) (CommandResult, Effects, error) {
	name, has, err := c.args.str("pool")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if !has {
		return CommandResult{}, Effects{}, &argError{"missing required argument \"pool\""}
	}
	pg, _, err := c.args.integer("pg_num")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	size, _, err := c.args.integer("size")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if pg < 0 || pg > math.MaxInt32 || size < 0 || size > math.MaxInt32 {
		return status(ERANGE, "pg_num and size must be within [0, 2^31)"), Effects{}, nil
	}
	r, s, e := m.osd.CreatePool(c.now, name, int(pg), int(size))
	return status(r, s), e, nil
}

// markOSDs makes the handler of `osd down|out|in IDS...`.
func markOSDs(mark func(o *OSDMonitor, now time.Time, ids []int) (int, string, Effects)) func(*Mon, cmdCall) (CommandResult, Effects, error) {
	return func(m *Mon, c cmdCall) (CommandResult, Effects, error) {
		ids, err := c.args.osdIDs()
		if err != nil {
			return CommandResult{}, Effects{}, err
		}
		r, s, e := mark(m.osd, c.now, ids)
		return status(r, s), e, nil
	}
}

// osdFlag makes the handler of `osd set|unset KEY`.
func osdFlag(set bool) func(*Mon, cmdCall) (CommandResult, Effects, error) {
	return func(m *Mon, c cmdCall) (CommandResult, Effects, error) {
		key, has, err := c.args.str("key")
		if err != nil {
			return CommandResult{}, Effects{}, err
		}
		if !has {
			return CommandResult{}, Effects{}, &argError{"missing required argument \"key\""}
		}
		r, s, e := m.osd.SetFlag(c.now, key, set)
		return status(r, s), e, nil
	}
}

func (m *Mon) cmdOSDMetadata(c cmdCall) (CommandResult, Effects, error) {
	id, has, err := c.args.integer("id")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	format := c.jsonFormat()
	entry := func(id int) map[string]any {
		out := map[string]any{"id": id}
		md, _ := m.osd.Metadata(id)
		for k, v := range md {
			if k != "id" {
				out[k] = v
			}
		}
		return out
	}
	if has {
		if id < 0 || id > math.MaxInt32 || m.osd.Map().OSD(int(id)) == nil {
			return status(ENOENT, fmt.Sprintf("osd.%d does not exist", id)), Effects{}, nil
		}
		return ok(format, entry(int(id))), Effects{}, nil
	}
	all := []map[string]any{}
	for _, o := range m.osd.Map().OSDs {
		all = append(all, entry(o.OSD))
	}
	return ok(format, all), Effects{}, nil
}

func (m *Mon) cmdMgrStat(c cmdCall) (CommandResult, Effects, error) {
	mm := m.mgr.Map()
	return ok(c.format, map[string]any{"epoch": mm.Epoch, "available": mm.Available, "active_name": mm.ActiveName, "num_standby": len(mm.Standbys)}), Effects{}, nil
}

func (m *Mon) cmdMgrServices(c cmdCall) (CommandResult, Effects, error) {
	return ok(c.format, m.mgr.Map().Services), Effects{}, nil
}

func (m *Mon) cmdMgrFail(c cmdCall) (CommandResult, Effects, error) {
	who, _, err := c.args.str("who")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	s, e := m.mgr.Fail(c.now, who)
	return status(EOK, s), e, nil
}

func (m *Mon) cmdModuleLs(c cmdCall) (CommandResult, Effects, error) {
	return m.moduleLs(c.format), Effects{}, nil
}

func (m *Mon) cmdModuleEnable(c cmdCall) (CommandResult, Effects, error) {
	mod, _, err := c.args.str("module")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	force, err := c.args.boolean("force")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	r, s, e := m.mgr.EnableModule(c.now, mod, force)
	return status(r, s), e, nil
}

func (m *Mon) cmdModuleDisable(c cmdCall) (CommandResult, Effects, error) {
	mod, _, err := c.args.str("module")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	r, s, e := m.mgr.DisableModule(c.now, mod)
	return status(r, s), e, nil
}

func (m *Mon) cmdMgrMetadata(c cmdCall) (CommandResult, Effects, error) {
	who, _, err := c.args.str("who")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	return m.mgrMetadata(c.format, who), Effects{}, nil
}

func (m *Mon) cmdLog(c cmdCall) (CommandResult, Effects, error) {
	v, ok := c.args["logtext"]
	list, isList := v.([]any)
	if !ok || !isList || len(list) == 0 {
		if str, isStr := v.(string); isStr && str != "" {
			list = []any{str}
		} else {
			return CommandResult{}, Effects{}, &argError{"missing required argument \"logtext\""}
		}
	}
	var words []string
	for _, w := range list {
		str, ok := w.(string)
		if !ok {
			return CommandResult{}, Effects{}, &argError{"logtext must be strings"}
		}
		words = append(words, str)
	}
	msg := strings.Join(words, " ")
	if len(msg) > 64<<10 {
		return CommandResult{}, Effects{}, &argError{"logtext longer than 64 KiB"}
	}
	entry := m.clog.AppendFrom(clustermap.LogEntry{Name: "client.admin", Rank: "client.admin", Addrs: clustermap.AddrVec{Addrvec: []clustermap.Addr{}},
		Stamp: clustermap.Stamp{Time: c.now}, Channel: "cluster", Priority: clustermap.PrioInfo, Message: msg})
	return CommandResult{}, Effects{Log: []clustermap.LogEntry{entry}}, nil
}

func (m *Mon) cmdMonStatus(c cmdCall) (CommandResult, Effects, error) {
	_, ms := m.Digest(c.now)
	var v any
	_ = json.Unmarshal(ms, &v) // the digest's own JSON: it decodes
	return ok(c.jsonFormat(), v), Effects{}, nil
}

func (m *Mon) cmdLogLast(c cmdCall) (CommandResult, Effects, error) {
	n, has, err := c.args.integer("num")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if !has {
		n = 20
	}
	if n < 0 {
		return CommandResult{}, Effects{}, &argError{"num must be >= 0"}
	}
	ch, _, err := c.args.str("channel")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	entries := m.clog.Last(int(n), ch)
	if c.plain() {
		return CommandResult{Out: logText(entries)}, Effects{}, nil
	}
	return ok(c.format, entries), Effects{}, nil
}

// keyArg is the "key" argument every config-key command but ls takes.
func keyArg(a cmdArgs) (string, error) {
	key, has, err := a.str("key")
	if err != nil {
		return "", err
	}
	if !has || key == "" {
		return "", &argError{"missing required argument \"key\""}
	}
	return key, nil
}

func (m *Mon) cmdKeyGet(c cmdCall) (CommandResult, Effects, error) {
	key, err := keyArg(c.args)
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	v, ok := m.keys[key]
	if !ok {
		return status(ENOENT, "error obtaining '"+key+"': (2) No such file or directory"), Effects{}, nil
	}
	return CommandResult{Out: append([]byte(nil), v...), Status: "obtained '" + key + "'"}, Effects{}, nil
}

func (m *Mon) cmdKeySet(c cmdCall) (CommandResult, Effects, error) {
	key, err := keyArg(c.args)
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	val, has, err := c.args.str("val")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	data := []byte(val)
	if !has {
		data = append([]byte(nil), c.inbuf...)
	}
	r, e := m.setKey(key, data)
	return r, e, nil
}

// setKey stores a config-key (config-key set, config set).
func (m *Mon) setKey(key string, data []byte) (CommandResult, Effects) {
	if len(data) > MaxConfigKeySize {
		return status(EFBIG, fmt.Sprintf("value too large: %d > %d bytes", len(data), MaxConfigKeySize)), Effects{}
	}
	if why := m.checkConfigKey(key, data); why != "" {
		return status(EINVAL, why), Effects{}
	}
	if m.store != nil {
		if err := m.store.PutKey(key, data); err != nil {
			return CommandResult{Retval: EIO, Status: err.Error()}, Effects{}
		}
	}
	old, had := m.keys[key]
	m.keys[key] = data
	var e Effects
	logPinChange(&e, key, old, had, data, true)
	return status(EOK, "set "+key), e
}

func (m *Mon) cmdKeyRm(c cmdCall) (CommandResult, Effects, error) {
	key, err := keyArg(c.args)
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	r, e := m.rmKey(key)
	return r, e, nil
}

// rmKey removes a config-key (config-key rm, config rm).
func (m *Mon) rmKey(key string) (CommandResult, Effects) {
	if m.store != nil {
		if err := m.store.DeleteKey(key); err != nil {
			return CommandResult{Retval: EIO, Status: err.Error()}, Effects{}
		}
	}
	old, had := m.keys[key]
	delete(m.keys, key)
	var e Effects
	logPinChange(&e, key, old, had, nil, false)
	return status(EOK, "key deleted"), e
}

func (m *Mon) cmdKeyExists(c cmdCall) (CommandResult, Effects, error) {
	key, err := keyArg(c.args)
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if _, ok := m.keys[key]; ok {
		return status(EOK, "key '"+key+"' exists"), Effects{}, nil
	}
	return status(ENOENT, "key '"+key+"' doesn't exist"), Effects{}, nil
}

func (m *Mon) cmdKeyLs(c cmdCall) (CommandResult, Effects, error) {
	keys := slices.Sorted(maps.Keys(m.keys))
	if keys == nil {
		keys = []string{}
	}
	return ok(c.jsonFormat(), keys), Effects{}, nil
}

func (m *Mon) cmdKeyDump(c cmdCall) (CommandResult, Effects, error) {
	prefix, _, err := c.args.str("key")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	out := map[string]string{}
	for k, v := range m.keys {
		if strings.HasPrefix(k, prefix) {
			out[k] = string(v)
		}
	}
	return ok(c.jsonFormat(), out), Effects{}, nil
}

// The config commands are Ceph's `config set|get|rm|dump` for what gomgr
// keeps: module options, `config set mgr mgr/MODULE/OPTION VALUE`, stored
// as the config-key of that name (where gomgr's mgr reads them) and
// checked against the option a running mgr declared for the module (type,
// min, max, enum), as Ceph's mon checks them. --force stores an
// undeclared one.

// configWho says why a config command's "who" is refused, or "": gomgr's
// mon keeps module options only, so it is mgr or mgr.NAME.
func configWho(a cmdArgs) (string, error) {
	who, _, err := a.str("who")
	if err != nil {
		return "", err
	}
	if who != "mgr" && !strings.HasPrefix(who, "mgr.") {
		return "gomgr's mon keeps module options only: who is mgr, not " + strconv.Quote(who), nil
	}
	return "", nil
}

func (m *Mon) cmdConfigSet(c cmdCall) (CommandResult, Effects, error) {
	if why, err := configWho(c.args); err != nil || why != "" {
		return status(EINVAL, why), Effects{}, err
	}
	name, _, err := c.args.str("name")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	value, _, err := c.args.str("value")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	force, err := c.args.boolean("force")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if declared, why := m.checkModuleOption(name, value); why != "" && !(force && !declared) {
		if declared {
			why = "error parsing value: " + why // Ceph's ConfigMonitor words it so
		}
		return status(EINVAL, why), Effects{}, nil
	}
	key, err := keyArg(cmdArgs{"key": name})
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	r, e := m.setKey(key, []byte(value))
	return quiet(r), e, nil
}

func (m *Mon) cmdConfigRm(c cmdCall) (CommandResult, Effects, error) {
	if why, err := configWho(c.args); err != nil || why != "" {
		return status(EINVAL, why), Effects{}, err
	}
	name, _, err := c.args.str("name")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	key, err := keyArg(cmdArgs{"key": name})
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	r, e := m.rmKey(key)
	return quiet(r), e, nil
}

func (m *Mon) cmdConfigGet(c cmdCall) (CommandResult, Effects, error) {
	if why, err := configWho(c.args); err != nil || why != "" {
		return status(EINVAL, why), Effects{}, err
	}
	key, has, err := c.args.str("key")
	if err != nil {
		return CommandResult{}, Effects{}, err
	}
	if !has {
		return m.configDump(c.format), Effects{}, nil
	}
	v, ok := m.keys[key]
	if !ok {
		return status(ENOENT, "unrecognized key '"+key+"'"), Effects{}, nil
	}
	return CommandResult{Out: append(append([]byte(nil), v...), '\n')}, Effects{}, nil
}

func (m *Mon) cmdConfigDump(c cmdCall) (CommandResult, Effects, error) {
	return m.configDump(c.format), Effects{}, nil
}

// quiet drops a success's status line: Ceph's config set and rm print
// nothing.
func quiet(r CommandResult) CommandResult {
	if r.Retval == 0 {
		r.Status = ""
	}
	return r
}

func (m *Mon) moduleLs(format string) CommandResult {
	mm := m.mgr.Map()
	always := mm.AlwaysOnModules[m.cfg.Mgr.Release]
	if format == "" || format == "plain" {
		return CommandResult{Out: moduleLsText(mm, always, m.mgr.Runtime())}
	}
	enabled := []string{}
	for _, x := range mm.Modules {
		if !slices.Contains(always, x) {
			enabled = append(enabled, x)
		}
	}
	disabled := []clustermap.ModuleInfo{}
	for _, mi := range mm.AvailableModules {
		if !slices.Contains(mm.Modules, mi.Name) && !slices.Contains(always, mi.Name) {
			disabled = append(disabled, mi)
		}
	}
	if always == nil {
		always = []string{}
	}
	return ok(format, struct {
		AlwaysOn []string                `json:"always_on_modules"`
		Enabled  []string                `json:"enabled_modules"`
		Disabled []clustermap.ModuleInfo `json:"disabled_modules"`
	}{always, enabled, disabled})
}

// moduleLsText is Ceph's table (MODULE, then on / on (always on) / -)
// with, from a gomgr mgr, each module's kind and state, and from any mgr
// the last line of its error (a traceback's exception; `health detail`
// has the whole of it).
func moduleLsText(mm *clustermap.MgrMap, always []string, rt map[string]ModuleRuntime) []byte {
	infos := map[string]clustermap.ModuleInfo{}
	for _, mi := range mm.AvailableModules {
		infos[mi.Name] = mi
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\t\tKIND\tSTATE\tERROR")
	row := func(name, on string) {
		r := rt[name]
		kind, state := r.Kind, r.State
		if kind == "" {
			kind, state = "-", "-"
		}
		errLine := ""
		if e := strings.TrimSpace(infos[name].ErrorString); e != "" {
			errLine = e[strings.LastIndexByte(e, '\n')+1:]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, on, kind, state, errLine)
	}
	for _, x := range always {
		row(x, "on (always on)")
	}
	for _, x := range mm.Modules {
		if !slices.Contains(always, x) {
			row(x, "on")
		}
	}
	for _, mi := range mm.AvailableModules {
		if !slices.Contains(mm.Modules, mi.Name) && !slices.Contains(always, mi.Name) {
			row(mi.Name, "-")
		}
	}
	_ = tw.Flush()
	return trailingSpace.ReplaceAll(b.Bytes(), []byte("\n"))
}

// trailingSpace is the padding tabwriter leaves after a last, empty cell.
var trailingSpace = regexp.MustCompile(` +\n`)

func (m *Mon) mgrMetadata(format, who string) CommandResult {
	entry := func(name string) map[string]string {
		out := map[string]string{"name": name}
		md, _ := m.mgr.Metadata(name)
		for k, v := range md {
			if k != "name" {
				out[k] = v
			}
		}
		return out
	}
	mm := m.mgr.Map()
	names := []string{}
	if mm.ActiveName != "" {
		names = append(names, mm.ActiveName)
	}
	names = append(names, mm.StandbyNames()...)
	if format == "" || format == "plain" {
		format = "json-pretty"
	}
	if who != "" {
		if !slices.Contains(names, who) {
			return status(ENOENT, "mgr."+who+" does not exist")
		}
		return ok(format, entry(who))
	}
	all := []map[string]string{}
	for _, n := range names {
		all = append(all, entry(n))
	}
	return ok(format, all)
}

func healthText(h clustermap.Health, detail bool) []byte {
	var b strings.Builder
	b.WriteString(h.Status)
	codes := make([]string, 0, len(h.Checks))
	for c := range h.Checks {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var sums []string
	for _, c := range codes {
		sums = append(sums, h.Checks[c].Summary.Message)
	}
	if len(sums) > 0 {
		b.WriteString(" " + strings.Join(sums, "; "))
	}
	b.WriteString("\n")
	if detail {
		for _, c := range codes {
			ch := h.Checks[c]
			fmt.Fprintf(&b, "[%s] %s: %s\n", sevTag(ch.Severity), c, ch.Summary.Message)
			if ch.Detail != nil {
				for _, d := range *ch.Detail {
					fmt.Fprintf(&b, "    %s\n", d.Message)
				}
			}
		}
	}
	return []byte(b.String())
}

func (m *Mon) statusText(now time.Time) []byte {
	s := m.Status(now)
	mm := m.mgr.Map()
	var b strings.Builder
	fmt.Fprintf(&b, "  cluster:\n    id:     %s\n    health: %s\n", s.FSID, s.Health.Status)
	codes := make([]string, 0, len(s.Health.Checks))
	for c := range s.Health.Checks {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "            %s\n", s.Health.Checks[c].Summary.Message)
	}
	mgr := "no daemons active"
	if mm.ActiveName != "" {
		mgr = mm.ActiveName + "(active)"
		if !mm.Available {
			mgr = mm.ActiveName + "(active, starting)"
		}
	}
	if len(mm.Standbys) > 0 {
		mgr += ", standbys: " + strings.Join(mm.StandbyNames(), ", ")
	}
	fmt.Fprintf(&b, "\n  services:\n    mon: 1 daemons, quorum %s\n    mgr: %s\n    osd: %d osds: %d up, %d in\n",
		m.cfg.Name, mgr, s.OSDMap.NumOSDs, s.OSDMap.NumUpOSDs, s.OSDMap.NumInOSDs)
	pg := s.PGMap
	fmt.Fprintf(&b, "\n  data:\n    pools:   %d pools, %d pgs\n", pg.NumPools, pg.NumPGs)
	// The rest as PGMapDigest::print_summary: objects, usage, and the PG
	// states, the largest count first.
	fmt.Fprintf(&b, "    objects: %s objects, %s\n", pgmap.SIU(pg.NumObjects), pgmap.ByteU(pg.DataBytes))
	fmt.Fprintf(&b, "    usage:   %s used, %s / %s avail\n", pgmap.ByteU(pg.BytesUsed), pgmap.ByteU(pg.BytesAvail), pgmap.ByteU(pg.BytesTotal))
	states := slices.Clone(pg.PGsByState)
	slices.SortStableFunc(states, func(a, b clustermap.PGStateCount) int { return b.Count - a.Count })
	lead := "    pgs:     "
	for _, st := range states {
		fmt.Fprintf(&b, "%s%d %s\n", lead, st.Count, st.StateName)
		lead = "             "
	}
	return []byte(b.String())
}

func sevTag(sev string) string {
	if sev == clustermap.HealthErr {
		return "ERR"
	}
	return "WRN"
}

// configDump lists the module options set, as Ceph's config dump.
func (m *Mon) configDump(format string) CommandResult {
	type entry struct {
		Section string `json:"section"`
		Name    string `json:"name"`
		Value   string `json:"value"`
	}
	out := []entry{}
	for _, k := range slices.Sorted(maps.Keys(m.keys)) {
		if strings.HasPrefix(k, "mgr/") && strings.Count(k, "/") >= 2 {
			out = append(out, entry{Section: "mgr", Name: k, Value: string(m.keys[k])})
		}
	}
	if format == "" || format == "plain" {
		var b bytes.Buffer
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "WHO\tMASK\tLEVEL\tOPTION\tVALUE\tRO")
		for _, e := range out {
			fmt.Fprintf(tw, "%s\t\tadvanced\t%s\t%s\t\n", e.Section, e.Name, e.Value)
		}
		_ = tw.Flush() // a bytes.Buffer does not fail
		return CommandResult{Out: b.Bytes()}
	}
	return ok(format, out)
}

// checkModuleOption checks mgr/MODULE/OPTION (or mgr/MODULE/MGR_ID/OPTION)
// against the declaration a mgr beaconed: why the value is refused, or "";
// declared is false for an option no module declares (config set --force
// stores it anyway, as Ceph's does).
func (m *Mon) checkModuleOption(name, value string) (declared bool, why string) {
	parts := strings.Split(name, "/")
	if len(parts) < 3 || parts[0] != "mgr" {
		return false, "unrecognized config option '" + name + "' (gomgr's mon keeps mgr/MODULE/OPTION only)"
	}
	module, opt := parts[1], parts[len(parts)-1]
	mm := m.mgr.Map()
	lists := [][]clustermap.ModuleInfo{mm.AvailableModules}
	for _, s := range mm.Standbys {
		lists = append(lists, s.AvailableModules)
	}
	for _, list := range lists {
		for _, mi := range list {
			o, ok := mi.ModuleOptions[opt]
			if mi.Name != module || !ok {
				continue
			}
			decl := registry.Option{Name: o.Name, Type: o.Type, Enum: o.EnumAllowed}
			if o.Min != "" {
				decl.Min = o.Min
			}
			if o.Max != "" {
				decl.Max = o.Max
			}
			if _, err := registry.ParseOption(decl, value); err != nil {
				return true, strings.TrimPrefix(err.Error(), registry.ErrInvalidOption.Error()+": ")
			}
			return true, ""
		}
	}
	return false, "unrecognized config option '" + name + "' (no module declares it; --force stores it)"
}

// checkConfigKey says why `config-key set key` must refuse data, or "".
// Keys that name a declared module option (mgr/MODULE/OPTION, or
// mgr/MODULE/MGR/OPTION for a mgr in the map) are checked as `config set`
// checks them, since the mgr reads them as the option; a Go plugin's pin
// must be a SHA-256. Every other key, a module's set_store data among
// them (Ceph's set_store writes mgr/MODULE/KEY too), stays free-form.
func (m *Mon) checkConfigKey(key string, data []byte) string {
	if name, ok := pinKeyPlugin(key); ok {
		if b, err := hex.DecodeString(string(data)); err != nil || len(b) != sha256.Size {
			return fmt.Sprintf("error parsing value: %s is the pinned SHA-256 of Go plugin %q: 64 hex digits, not %q", key, name, data)
		}
		return ""
	}
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 3 && parts[0] == "mgr":
	case len(parts) == 4 && parts[0] == "mgr" && m.isMgrName(parts[2]):
	default:
		return ""
	}
	if declared, why := m.checkModuleOption(key, string(data)); declared && why != "" {
		return "error parsing value: " + why
	}
	return ""
}

// isMgrName reports whether a mgr of that name is in the MgrMap (a
// localized option's key names it).
func (m *Mon) isMgrName(name string) bool {
	mm := m.mgr.Map()
	if name == mm.ActiveName && name != "" {
		return true
	}
	for _, s := range mm.Standbys {
		if s.Name == name {
			return true
		}
	}
	return false
}

// pinKeyPrefix and pinKeySuffix frame the config-key where every mgr keeps
// a Go plugin's pinned SHA-256 (plugins.PinKey: mgr/plugins/NAME/sha256).
const (
	pinKeyPrefix = "mgr/plugins/"
	pinKeySuffix = "/sha256"
)

// pinKeyPlugin returns the plugin whose pin key is key.
func pinKeyPlugin(key string) (string, bool) {
	name, ok := strings.CutPrefix(key, pinKeyPrefix)
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, pinKeySuffix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", false
	}
	return name, true
}

// logPinChange writes a change of a Go plugin's pin to the cluster log:
// a new pin (a mgr's first start of the plugin), and above all an
// operator's removal or replacement, which makes every mgr trust another
// binary.
func logPinChange(e *Effects, key string, old []byte, had bool, cur []byte, set bool) {
	name, ok := pinKeyPlugin(key)
	switch {
	case !ok:
	case set && !had:
		e.log(clustermap.PrioInfo, fmt.Sprintf("Go plugin %s pinned to sha256 %s", name, cur))
	case set && !bytes.Equal(old, cur):
		e.log(clustermap.PrioWarn, fmt.Sprintf("Go plugin %s re-pinned: sha256 %s replaces %s", name, cur, old))
	case !set && had:
		e.log(clustermap.PrioWarn, fmt.Sprintf("Go plugin %s unpinned (was sha256 %s): each mgr trusts and pins the binary it finds at the plugin's next start", name, old))
	}
}
