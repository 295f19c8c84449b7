package host

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"gomgr/registry"
)

// builtinCommands are the active mgr's own commands, as Ceph's
// DaemonServer serves them from its PGMap: space and PG state summed from
// the daemons' reports. They are listed with the modules' commands
// (get_command_descriptions), under the module name "mgr".
var builtinCommands = []registry.CommandDesc{
	{Cmd: "df", Desc: "show cluster free space stats", Perm: "r"},
	{Cmd: "pg stat", Desc: "show placement group status", Perm: "r"},
}

// commandDescriptions lists the commands this mgr serves: its own (with
// a real mon, those of Ceph's DaemonServer it serves, with Ceph's
// signatures) and those of every module that can run, enabled or not.
func (s *Standby) commandDescriptions() []registry.ModuleCommand {
	var out []registry.ModuleCommand
	if s.realCeph() {
		for _, c := range cephMgrCommands {
			out = append(out, registry.ModuleCommand{Module: c.Module,
				CommandDesc: registry.CommandDesc{Cmd: c.Cmd, Desc: c.Help, Perm: c.Perm}})
		}
	} else {
		for _, d := range builtinCommands {
			out = append(out, registry.ModuleCommand{Module: "mgr", CommandDesc: d})
		}
	}
	return append(out, s.reg.AllCommands()...)
}

// builtinCommand runs one of builtinCommands; ok is false for any other
// prefix.
func (s *Standby) builtinCommand(args map[string]any) (res registry.CommandResult, ok bool) {
	prefix, _ := args["prefix"].(string)
	format, _ := args["format"].(string)
	plain := format == "" || format == "plain"
	var name string
	switch prefix {
	case "service dump":
		v, err := s.state.Get("service_map")
		if err != nil {
			return registry.CommandResult{Retval: codeENOENT, Stderr: "no service map yet"}, true
		}
		js, err := v.JSON()
		if err != nil {
			return registry.CommandResult{Retval: codeEIO, Stderr: err.Error()}, true
		}
		return registry.CommandResult{Stdout: string(js)}, true
	case "df":
		name = "df"
	case "pg stat":
		name = "pg_status"
	default:
		return registry.CommandResult{}, false
	}
	v, err := s.state.Get(name)
	if err != nil {
		return registry.CommandResult{Retval: -11, Stderr: "no statistics reported yet (EAGAIN)"}, true
	}
	if !plain {
		js, err := v.JSON()
		if err != nil {
			return registry.CommandResult{Retval: -5, Stderr: err.Error()}, true
		}
		if format == "json-pretty" {
			var buf bytes.Buffer
			if json.Indent(&buf, js, "", "    ") == nil {
				js = buf.Bytes()
			}
		}
		return registry.CommandResult{Stdout: string(js)}, true
	}
	m, _ := v.Data.(map[string]any)
	if prefix == "df" {
		return registry.CommandResult{Stdout: dfText(m, s.poolPGs())}, true
	}
	return registry.CommandResult{Stdout: pgStatText(m)}, true
}

// poolPGs is each pool's pg_num from the cached osdmap, by pool id.
func (s *Standby) poolPGs() map[int64]int64 {
	out := map[int64]int64{}
	v, err := s.state.Get("osd_map")
	if err != nil {
		return out
	}
	m, _ := v.Data.(map[string]any)
	pools, _ := m["pools"].([]any)
	for _, p := range pools {
		pm, _ := p.(map[string]any)
		out[toInt(pm["pool"])] = toInt(pm["pg_num"])
	}
	return out
}

// bytesText is Ceph's byte_u_t: 1024-based units, three significant digits.
func bytesText(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	switch {
	case i == 0:
		return fmt.Sprintf("%d %s", n, units[0])
	case f < 10:
		return fmt.Sprintf("%.1f %s", f, units[i])
	default:
		return fmt.Sprintf("%.0f %s", f, units[i])
	}
}

func u64(v any) uint64 { return uint64(max(toInt(v), 0)) }

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return 0
}

// dfText is `ceph df`'s plain output.
func dfText(df map[string]any, pgs map[int64]int64) string {
	var b strings.Builder
	b.WriteString("--- RAW STORAGE ---\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 0, ' ', tabwriter.AlignRight)
	io.WriteString(tw, "CLASS\t  SIZE\t  AVAIL\t  USED\t  RAW USED\t  %RAW USED\t\n")
	row := func(name string, st map[string]any) {
		fmt.Fprintf(tw, "%-5s\t  %s\t  %s\t  %s\t  %s\t  %.2f\t\n", name, bytesText(u64(st["total_bytes"])), bytesText(u64(st["total_avail_bytes"])),
			bytesText(u64(st["total_used_bytes"])), bytesText(u64(st["total_used_raw_bytes"])), 100*num(st["total_used_raw_ratio"]))
	}
	byClass, _ := df["stats_by_class"].(map[string]any)
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		st, _ := byClass[c].(map[string]any)
		row(c, st)
	}
	total, _ := df["stats"].(map[string]any)
	row("TOTAL", total)
	_ = tw.Flush()
	b.WriteString("\n--- POOLS ---\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 0, ' ', tabwriter.AlignRight)
	pools, _ := df["pools"].([]any)
	width := len("POOL")
	for _, p := range pools {
		pm, _ := p.(map[string]any)
		width = max(width, len(fmt.Sprint(pm["name"])))
	}
	fmt.Fprintf(tw, "%-*s", width, "POOL")
	io.WriteString(tw, "\t  ID\t  PGS\t  STORED\t  OBJECTS\t  USED\t  %USED\t  MAX AVAIL\t\n")
	for _, p := range pools {
		pm, _ := p.(map[string]any)
		st, _ := pm["stats"].(map[string]any)
		id := toInt(pm["id"])
		// Padded: the name column reads left-aligned, as Ceph's.
		fmt.Fprintf(tw, "%-*s\t  %d\t  %d\t  %s\t  %d\t  %s\t  %.2f\t  %s\t\n", width, fmt.Sprint(pm["name"]), id, pgs[id], bytesText(u64(st["stored"])),
			toInt(st["objects"]), bytesText(u64(st["bytes_used"])), 100*num(st["percent_used"]), bytesText(u64(st["max_avail"])))
	}
	_ = tw.Flush()
	return b.String()
}

// pgStatText is `ceph pg stat`'s line: "112 pgs: 112 active+clean; 0 B
// data, 101 KiB used, 512 MiB / 512 MiB avail".
func pgStatText(ps map[string]any) string {
	sum, _ := ps["pg_summary"].(map[string]any)
	states, _ := sum["num_pg_by_state"].([]any)
	parts := make([]string, 0, len(states))
	for _, s := range states {
		sm, _ := s.(map[string]any)
		parts = append(parts, fmt.Sprintf("%d %s", toInt(sm["num"]), sm["name"]))
	}
	return fmt.Sprintf("%d pgs: %s; %s data, %s used, %s / %s avail\n", toInt(sum["num_pgs"]), strings.Join(parts, ", "),
		bytesText(u64(sum["num_bytes"])), bytesText(u64(sum["total_used_bytes"])),
		bytesText(u64(sum["total_avail_bytes"])), bytesText(u64(sum["total_bytes"])))
}
