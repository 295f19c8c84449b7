package mon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gomgr/clustermap"
)

// The scenario DSL (testdata/*.txt), one step per line, '#' comments:
//
//	config grace=4s period=2s interval=500ms mkfs=10s inactive=60s down=6s out=30s propose=1s always_on=a,b initial=c
//	beacon gid=1 name=x [available=true] [fsid=F] [modules=a,b,c!err] [addr=H:P/N] [services=k:v]
//	tick +3s         one Tick after moving the clock 3 s (a mon stall)
//	advance 5s       move the clock in `interval` steps, ticking at each
//	clock +3s        move the clock, no Tick
//	lost gid=N       mgr N's session closed (MgrSessionLost)
//	fail [who]       mgr fail
//	module enable|disable NAME [--force]
//	osd boot ID [uuid=U] [addr=H:P/N] | osd report ID
//	cmd {json}       any mon command
//	expect k=v ...   active= standbys= epoch= available= modules= reply=
//	                 osdepoch= up= in= pools= health= checks= retval= status=
//	expect-error SUBSTRING   the last step failed with this (error or status)
//	expect-log SUBSTRING     a log entry since the last match has it (consumed up to it)
//	expect-nolog SUBSTRING   none has it
//
// Values with spaces are not supported except in expect-* lines and cmd.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScenario(t, f) })
	}
}

type scenario struct {
	t       *testing.T
	cfg     Config
	mon     *Mon
	now     time.Time
	lastErr string
	lastRes *CommandResult
	reply   bool
	logs    []clustermap.LogEntry
}

var scenarioStart = time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)

const testFSID = "c61c2ab8-9d99-45ce-af51-a34b9f0a08d7"

func runScenario(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &scenario{t: t, now: scenarioStart, cfg: DefaultConfig()}
	s.cfg.FSID = testFSID
	s.cfg.Addrs = clustermap.V1Addr("127.0.0.1:6789", 0)
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := s.step(line); err != nil {
			t.Fatalf("%s:%d: %s: %v", path, n, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func kv(fields []string) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		out[k] = v
	}
	return out
}

func (s *scenario) ensure() error {
	if s.mon != nil {
		return nil
	}
	m, err := Open(s.now, "", s.cfg)
	if err != nil {
		return err
	}
	s.mon = m
	return nil
}

func (s *scenario) apply(e Effects, err error) {
	s.lastErr, s.lastRes, s.reply = "", nil, e.Reply != nil
	if err != nil {
		s.lastErr = err.Error()
	}
	s.logs = append(s.logs, e.Log...)
}

func parseDur(v string) (time.Duration, error) {
	return time.ParseDuration(strings.TrimPrefix(v, "+"))
}

func parseAddr(v string) clustermap.AddrVec {
	hp, nonce, _ := strings.Cut(v, "/")
	n, _ := strconv.ParseUint(nonce, 10, 32)
	return clustermap.V1Addr(hp, uint32(n))
}

func (s *scenario) step(line string) error {
	fields := strings.Fields(line)
	verb, rest := fields[0], fields[1:]
	need := map[string]int{"tick": 1, "advance": 1, "clock": 1, "lost": 1, "osd": 2, "module": 2}
	if len(rest) < need[verb] {
		return fmt.Errorf("%s needs %d arguments", verb, need[verb])
	}
	if verb == "config" {
		if s.mon != nil {
			return fmt.Errorf("config must come first")
		}
		for k, v := range kv(rest) {
			var err error
			var d time.Duration
			if strings.HasSuffix(v, "s") {
				d, err = time.ParseDuration(v)
			}
			if err != nil {
				return err
			}
			switch k {
			case "grace":
				s.cfg.Mgr.BeaconGrace = d
			case "period":
				s.cfg.Mgr.TickPeriod = d
			case "interval":
				s.cfg.Mgr.TickInterval = d
			case "mkfs":
				s.cfg.Mgr.MkfsGrace = d
			case "inactive":
				s.cfg.Mgr.InactiveGrace = d
			case "down":
				s.cfg.OSD.DownGrace = d
			case "out":
				s.cfg.OSD.OutInterval = d
			case "propose":
				s.cfg.OSD.ProposeInterval = d
			case "always_on":
				s.cfg.Mgr.AlwaysOnModules = strings.Split(v, ",")
			case "initial":
				s.cfg.Mgr.InitialModules = strings.Split(v, ",")
			default:
				return fmt.Errorf("unknown config %q", k)
			}
		}
		return nil
	}
	if err := s.ensure(); err != nil {
		return err
	}
	m := s.mon
	switch verb {
	case "beacon":
		a := kv(rest)
		gid, err := strconv.ParseUint(a["gid"], 10, 64)
		if err != nil {
			return err
		}
		b := Beacon{GID: gid, Name: a["name"], FSID: testFSID, Available: a["available"] == "true", MgrFeatures: 4540138314316775423}
		if v, ok := a["fsid"]; ok {
			b.FSID = v
		}
		if v, ok := a["addr"]; ok {
			b.Addrs = parseAddr(v)
		}
		if v := a["modules"]; v != "" {
			for _, name := range strings.Split(v, ",") {
				name, errStr, bad := strings.Cut(name, "!")
				b.AvailableModules = append(b.AvailableModules, clustermap.ModuleInfo{Name: name, CanRun: !bad, ErrorString: errStr})
			}
		}
		if v := a["services"]; v != "" {
			b.Services = map[string]string{}
			for _, p := range strings.Split(v, ",") {
				k, val, _ := strings.Cut(p, ":")
				b.Services[k] = val
			}
		}
		b.Metadata = map[string]string{"hostname": "host-" + b.Name}
		s.apply(m.Beacon(s.now, b))
	case "tick":
		d, err := parseDur(rest[0])
		if err != nil {
			return err
		}
		s.now = s.now.Add(d)
		s.apply(m.Tick(s.now))
	case "clock":
		d, err := parseDur(rest[0])
		if err != nil {
			return err
		}
		s.now = s.now.Add(d)
	case "lost":
		gid, err := strconv.ParseUint(kv(rest)["gid"], 10, 64)
		if err != nil {
			return err
		}
		m.MgrSessionLost(s.now, gid)
	case "advance":
		d, err := parseDur(rest[0])
		if err != nil {
			return err
		}
		end := s.now.Add(d)
		var all Effects
		for s.now.Before(end) {
			s.now = s.now.Add(s.cfg.Mgr.TickInterval)
			e, err := m.Tick(s.now)
			if err != nil {
				return err
			}
			all.Log = append(all.Log, e.Log...)
		}
		s.apply(all, nil)
	case "fail":
		args := map[string]any{"prefix": "mgr fail"}
		if len(rest) > 0 {
			args["who"] = rest[0]
		}
		return s.command(args)
	case "module":
		if len(rest) < 2 {
			return fmt.Errorf("module enable|disable NAME")
		}
		args := map[string]any{"prefix": "mgr module " + rest[0], "module": rest[1]}
		if len(rest) > 2 && rest[2] == "--force" {
			args["force"] = true
		}
		return s.command(args)
	case "osd":
		id, err := strconv.Atoi(rest[1])
		if err != nil {
			return err
		}
		a := kv(rest[2:])
		switch rest[0] {
		case "boot":
			uuid := a["uuid"]
			if uuid == "" {
				uuid = fmt.Sprintf("00000000-0000-0000-0000-%012d", id)
			}
			addr := a["addr"]
			if addr == "" {
				addr = fmt.Sprintf("127.0.0.1:%d/1", 6800+id)
			}
			s.apply(m.OSDBoot(s.now, OSDBoot{ID: id, UUID: uuid, PublicAddrs: parseAddr(addr)}))
		case "report":
			s.apply(Effects{}, m.OSDReport(s.now, id))
		default:
			return fmt.Errorf("osd boot|report")
		}
	case "cmd":
		var args map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "cmd"))), &args); err != nil {
			return err
		}
		return s.command(args)
	case "expect":
		return s.expect(kv(rest))
	case "expect-error":
		want := strings.TrimSpace(strings.TrimPrefix(line, verb))
		got := s.lastErr
		if s.lastRes != nil && s.lastRes.Retval != 0 {
			got = s.lastRes.Status
		}
		if got == "" || !strings.Contains(got, want) {
			return fmt.Errorf("want error containing %q, got %q", want, got)
		}
	case "expect-log", "expect-nolog":
		want := strings.TrimSpace(strings.TrimPrefix(line, verb))
		found := -1
		for i, l := range s.logs {
			if strings.Contains(l.Message, want) {
				found = i
				break
			}
		}
		if (found >= 0) != (verb == "expect-log") {
			var msgs []string
			for _, l := range s.logs {
				msgs = append(msgs, l.Message)
			}
			return fmt.Errorf("%s %q: log since last check: %q", verb, want, msgs)
		}
		if verb == "expect-log" {
			s.logs = s.logs[found+1:] // later lines stay for the next check
		}
	default:
		return fmt.Errorf("unknown step %q", verb)
	}
	return nil
}

func (s *scenario) command(args map[string]any) error {
	r, e, err := s.mon.HandleCommand(s.now, args, nil)
	if err != nil {
		return err
	}
	s.apply(e, nil)
	s.lastRes = &r
	return nil
}

func (s *scenario) expect(want map[string]string) error {
	snap := s.mon.Snapshot()
	mm, om := snap.MgrMap, snap.OSDMap
	n, up, in := om.Counts()
	_ = n
	h := s.mon.Health(s.now, true)
	checks := make([]string, 0, len(h.Checks))
	for c := range h.Checks {
		checks = append(checks, c+":"+h.Checks[c].Severity)
	}
	sort.Strings(checks)
	active := mm.ActiveName
	if active == "" {
		active = "-"
	}
	retval, status := "", ""
	if s.lastRes != nil {
		retval, status = strconv.Itoa(s.lastRes.Retval), s.lastRes.Status
	}
	got := map[string]string{
		"active":   active,
		"gid":      strconv.FormatUint(mm.ActiveGID, 10),
		"standbys": strings.Join(mm.StandbyNames(), ","),
		"standby_gids": func() string {
			var g []string
			for _, x := range mm.Standbys {
				g = append(g, strconv.FormatUint(x.GID, 10))
			}
			return strings.Join(g, ",")
		}(),
		"epoch":     strconv.FormatUint(mm.Epoch, 10),
		"available": strconv.FormatBool(mm.Available),
		"modules":   strings.Join(mm.Modules, ","),
		"services":  fmt.Sprint(mm.Services),
		"addr":      mm.ActiveAddr,
		"reply":     strconv.FormatBool(s.reply),
		"osdepoch":  strconv.FormatUint(om.Epoch, 10),
		"up":        strconv.Itoa(up),
		"in":        strconv.Itoa(in),
		"pools":     strconv.Itoa(len(om.Pools)),
		"flags":     om.Flags,
		"health":    h.Status,
		"checks":    strings.Join(checks, ","),
		"retval":    retval,
		"status":    strings.ReplaceAll(status, " ", "_"),
		"error":     strconv.FormatBool(s.lastErr != ""),
	}
	var bad []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			return fmt.Errorf("unknown expect key %q", k)
		}
		if g != want[k] {
			bad = append(bad, fmt.Sprintf("%s=%q (want %q)", k, g, want[k]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("mismatch: %s", strings.Join(bad, " "))
	}
	return nil
}
