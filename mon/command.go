package mon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	r, e, err := m.dispatch(now, prefix, format, a, inbuf)
	if ae, ok := err.(*argError); ok {
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

func (m *Mon) dispatch(now time.Time, prefix, format string, a cmdArgs, inbuf []byte) (CommandResult, Effects, error) {
	var none Effects
	switch prefix {
	case "status", "s":
		if format == "" || format == "plain" {
			return CommandResult{Out: m.statusText(now)}, none, nil
		}
		return ok(format, m.Status(now)), none, nil
	case "health", "health detail":
		d, _, err := a.str("detail")
		if err != nil {
			return CommandResult{}, none, err
		}
		detail := d == "detail" || prefix == "health detail"
		h := m.Health(now, detail)
		if format == "" || format == "plain" {
			return CommandResult{Out: healthText(h, detail)}, none, nil
		}
		return ok(format, h), none, nil
	case "osd dump", "mon dump", "fs dump", "mgr dump", "service dump":
		var cur any
		var epoch uint64
		switch prefix {
		case "osd dump":
			cur, epoch = m.osd.Map(), m.osd.Map().Epoch
		case "mon dump":
			cur, epoch = m.monmap, m.monmap.Epoch
		case "fs dump":
			cur, epoch = m.fsmap, m.fsmap.Epoch
		case "mgr dump":
			cur, epoch = m.mgr.Map(), m.mgr.Map().Epoch
		default:
			cur, epoch = m.svcmap, m.svcmap.Epoch
		}
		if want, ok, err := a.integer("epoch"); err != nil {
			return CommandResult{}, none, err
		} else if ok && (want < 0 || uint64(want) != epoch) {
			return status(ENOENT, fmt.Sprintf("there is no map for epoch %d (only the latest, %d, is kept)", want, epoch)), none, nil
		}
		return ok(format, cur), none, nil
	case "osd pool ls":
		names := []string{}
		for _, p := range m.osd.Map().Pools {
			names = append(names, p.PoolName)
		}
		if format == "" || format == "plain" {
			return CommandResult{Out: []byte(strings.Join(names, "\n") + "\n")}, none, nil
		}
		return ok(format, names), none, nil
	case "osd pool create":
		name, has, err := a.str("pool")
		if err != nil {
			return CommandResult{}, none, err
		}
		if !has {
			return CommandResult{}, none, &argError{"missing required argument \"pool\""}
		}
		pg, _, err := a.integer("pg_num")
		if err != nil {
			return CommandResult{}, none, err
		}
		size, _, err := a.integer("size")
		if err != nil {
			return CommandResult{}, none, err
		}
		if pg < 0 || pg > math.MaxInt32 || size < 0 || size > math.MaxInt32 {
			return status(ERANGE, "pg_num and size must be within [0, 2^31)"), none, nil
		}
		r, s, e := m.osd.CreatePool(now, name, int(pg), int(size))
		return status(r, s), e, nil
	case "osd down", "osd out", "osd in":
		ids, err := a.osdIDs()
		if err != nil {
			return CommandResult{}, none, err
		}
		var r int
		var s string
		var e Effects
		switch prefix {
		case "osd down":
			r, s, e = m.osd.MarkDown(now, ids)
		case "osd out":
			r, s, e = m.osd.MarkOut(now, ids)
		default:
			r, s, e = m.osd.MarkIn(now, ids)
		}
		return status(r, s), e, nil
	case "osd set", "osd unset":
		key, has, err := a.str("key")
		if err != nil {
			return CommandResult{}, none, err
		}
		if !has {
			return CommandResult{}, none, &argError{"missing required argument \"key\""}
		}
		r, s, e := m.osd.SetFlag(now, key, prefix == "osd set")
		return status(r, s), e, nil
	case "osd metadata":
		id, has, err := a.integer("id")
		if err != nil {
			return CommandResult{}, none, err
		}
		if format == "" || format == "plain" {
			format = "json-pretty"
		}
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
				return status(ENOENT, fmt.Sprintf("osd.%d does not exist", id)), none, nil
			}
			return ok(format, entry(int(id))), none, nil
		}
		all := []map[string]any{}
		for _, o := range m.osd.Map().OSDs {
			all = append(all, entry(o.OSD))
		}
		return ok(format, all), none, nil
	case "mgr stat":
		mm := m.mgr.Map()
		return ok(format, map[string]any{"epoch": mm.Epoch, "available": mm.Available, "active_name": mm.ActiveName, "num_standby": len(mm.Standbys)}), none, nil
	case "mgr services":
		return ok(format, m.mgr.Map().Services), none, nil
	case "mgr fail":
		who, _, err := a.str("who")
		if err != nil {
			return CommandResult{}, none, err
		}
		s, e := m.mgr.Fail(now, who)
		return status(EOK, s), e, nil
	case "mgr module ls":
		return m.moduleLs(format), none, nil
	case "mgr module enable", "mgr module disable":
		mod, _, err := a.str("module")
		if err != nil {
			return CommandResult{}, none, err
		}
		var r int
		var s string
		var e Effects
		if prefix == "mgr module enable" {
			force, err := a.boolean("force")
			if err != nil {
				return CommandResult{}, none, err
			}
			r, s, e = m.mgr.EnableModule(now, mod, force)
		} else {
			r, s, e = m.mgr.DisableModule(now, mod)
		}
		return status(r, s), e, nil
	case "mgr metadata":
		who, _, err := a.str("who")
		if err != nil {
			return CommandResult{}, none, err
		}
		return m.mgrMetadata(format, who), none, nil
	case "log":
		v, ok := a["logtext"]
		list, isList := v.([]any)
		if !ok || !isList || len(list) == 0 {
			if str, isStr := v.(string); isStr && str != "" {
				list = []any{str}
			} else {
				return CommandResult{}, none, &argError{"missing required argument \"logtext\""}
			}
		}
		var words []string
		for _, w := range list {
			str, ok := w.(string)
			if !ok {
				return CommandResult{}, none, &argError{"logtext must be strings"}
			}
			words = append(words, str)
		}
		msg := strings.Join(words, " ")
		if len(msg) > 64<<10 {
			return CommandResult{}, none, &argError{"logtext longer than 64 KiB"}
		}
		entry := m.clog.AppendFrom(clustermap.LogEntry{Name: "client.admin", Rank: "client.admin", Addrs: clustermap.AddrVec{Addrvec: []clustermap.Addr{}},
			Stamp: clustermap.Stamp{Time: now}, Channel: "cluster", Priority: clustermap.PrioInfo, Message: msg})
		return CommandResult{}, Effects{Log: []clustermap.LogEntry{entry}}, nil
	case "mon_status":
		_, ms := m.Digest(now)
		var v any
		_ = json.Unmarshal(ms, &v)
		if format == "" || format == "plain" {
			format = "json-pretty"
		}
		return ok(format, v), none, nil
	case "osd tree":
		tree := m.osdTree()
		if format == "" || format == "plain" {
			return CommandResult{Out: osdTreeText(tree)}, none, nil
		}
		return ok(format, tree), none, nil
	case "log last":
		n, has, err := a.integer("num")
		if err != nil {
			return CommandResult{}, none, err
		}
		if !has {
			n = 20
		}
		if n < 0 {
			return CommandResult{}, none, &argError{"num must be >= 0"}
		}
		ch, _, err := a.str("channel")
		if err != nil {
			return CommandResult{}, none, err
		}
		if n > math.MaxInt32 {
			n = math.MaxInt32
		}
		entries := m.clog.Last(int(n), ch)
		if format == "" || format == "plain" {
			return CommandResult{Out: logText(entries)}, none, nil
		}
		return ok(format, entries), none, nil
	}
	if strings.HasPrefix(prefix, "config-key ") {
		return m.configKey(prefix, format, a, inbuf)
	}
	if strings.HasPrefix(prefix, "config ") {
		return m.config(prefix, format, a)
	}
	return status(EINVAL, "unrecognized command '"+prefix+"'"), none, nil
}

func (m *Mon) configKey(prefix, format string, a cmdArgs, inbuf []byte) (CommandResult, Effects, error) {
	var none Effects
	key, hasKey, err := a.str("key")
	if err != nil {
		return CommandResult{}, none, err
	}
	needKey := func() error {
		if !hasKey || key == "" {
			return &argError{"missing required argument \"key\""}
		}
		return nil
	}
	switch prefix {
	case "config-key get":
		if err := needKey(); err != nil {
			return CommandResult{}, none, err
		}
		v, ok := m.keys[key]
		if !ok {
			return status(ENOENT, "error obtaining '"+key+"': (2) No such file or directory"), none, nil
		}
		return CommandResult{Out: append([]byte(nil), v...), Status: "obtained '" + key + "'"}, none, nil
	case "config-key set", "config-key put":
		if err := needKey(); err != nil {
			return CommandResult{}, none, err
		}
		val, has, err := a.str("val")
		if err != nil {
			return CommandResult{}, none, err
		}
		data := []byte(val)
		if !has {
			data = append([]byte(nil), inbuf...)
		}
		if len(data) > MaxConfigKeySize {
			return status(EFBIG, fmt.Sprintf("value too large: %d > %d bytes", len(data), MaxConfigKeySize)), none, nil
		}
		if why := m.checkConfigKey(key, data); why != "" {
			return status(EINVAL, why), none, nil
		}
		if m.store != nil {
			if err := m.store.PutKey(key, data); err != nil {
				return CommandResult{Retval: -5, Status: err.Error()}, none, nil
			}
		}
		old, had := m.keys[key]
		m.keys[key] = data
		var e Effects
		logPinChange(&e, key, old, had, data, true)
		return status(EOK, "set "+key), e, nil
	case "config-key rm", "config-key del":
		if err := needKey(); err != nil {
			return CommandResult{}, none, err
		}
		if m.store != nil {
			if err := m.store.DeleteKey(key); err != nil {
				return CommandResult{Retval: -5, Status: err.Error()}, none, nil
			}
		}
		old, had := m.keys[key]
		delete(m.keys, key)
		var e Effects
		logPinChange(&e, key, old, had, nil, false)
		return status(EOK, "key deleted"), e, nil
	case "config-key exists":
		if err := needKey(); err != nil {
			return CommandResult{}, none, err
		}
		if _, ok := m.keys[key]; ok {
			return status(EOK, "key '"+key+"' exists"), none, nil
		}
		return status(ENOENT, "key '"+key+"' doesn't exist"), none, nil
	case "config-key ls", "config-key list":
		keys := make([]string, 0, len(m.keys))
		for k := range m.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if format == "" || format == "plain" {
			format = "json-pretty"
		}
		return ok(format, keys), none, nil
	case "config-key dump":
		out := map[string]string{}
		for k, v := range m.keys {
			if strings.HasPrefix(k, key) {
				out[k] = string(v)
			}
		}
		if format == "" || format == "plain" {
			format = "json-pretty"
		}
		return ok(format, out), none, nil
	}
	return status(EINVAL, "unrecognized command '"+prefix+"'"), none, nil
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

// config is Ceph's `config set|get|rm|dump` for what gomgr keeps: module
// options, `config set mgr mgr/MODULE/OPTION VALUE`, stored as the
// config-key of that name (where gomgr's mgr reads them) and checked
// against the option a running mgr declared for the module (type, min,
// max, enum), as Ceph's mon checks them. --force stores an undeclared one.
func (m *Mon) config(prefix, format string, a cmdArgs) (CommandResult, Effects, error) {
	var none Effects
	who, _, err := a.str("who")
	if err != nil {
		return CommandResult{}, none, err
	}
	if prefix != "config dump" && who != "mgr" && !strings.HasPrefix(who, "mgr.") {
		return status(EINVAL, "gomgr's mon keeps module options only: who is mgr, not "+strconv.Quote(who)), none, nil
	}
	switch prefix {
	case "config set":
		name, _, err := a.str("name")
		if err != nil {
			return CommandResult{}, none, err
		}
		value, _, err := a.str("value")
		if err != nil {
			return CommandResult{}, none, err
		}
		force, err := a.boolean("force")
		if err != nil {
			return CommandResult{}, none, err
		}
		if declared, why := m.checkModuleOption(name, value); why != "" && !(force && !declared) {
			if declared {
				why = "error parsing value: " + why // Ceph's ConfigMonitor words it so
			}
			return status(EINVAL, why), none, nil
		}
		return quiet(m.configKey("config-key set", format, cmdArgs{"key": name, "val": value}, nil))
	case "config rm":
		name, _, err := a.str("name")
		if err != nil {
			return CommandResult{}, none, err
		}
		return quiet(m.configKey("config-key rm", format, cmdArgs{"key": name}, nil))
	case "config get":
		key, has, err := a.str("key")
		if err != nil {
			return CommandResult{}, none, err
		}
		if !has {
			return m.configDump(format, func(string) bool { return true })
		}
		v, ok := m.keys[key]
		if !ok {
			return status(ENOENT, "unrecognized key '"+key+"'"), none, nil
		}
		return CommandResult{Out: append(append([]byte(nil), v...), '\n')}, none, nil
	case "config dump":
		return m.configDump(format, func(string) bool { return true })
	}
	return status(EINVAL, "unrecognized command '"+prefix+"'"), none, nil
}

// quiet drops a success's status line: Ceph's config set and rm print
// nothing.
func quiet(r CommandResult, e Effects, err error) (CommandResult, Effects, error) {
	if r.Retval == 0 {
		r.Status = ""
	}
	return r, e, err
}

// configDump lists the module options set, as Ceph's config dump.
func (m *Mon) configDump(format string, keep func(string) bool) (CommandResult, Effects, error) {
	type entry struct {
		Section string `json:"section"`
		Name    string `json:"name"`
		Value   string `json:"value"`
	}
	out := []entry{}
	for _, k := range slices.Sorted(maps.Keys(m.keys)) {
		if strings.HasPrefix(k, "mgr/") && strings.Count(k, "/") >= 2 && keep(k) {
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
		return CommandResult{Out: b.Bytes()}, Effects{}, nil
	}
	return ok(format, out), Effects{}, nil
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
