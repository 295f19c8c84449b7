package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/messages"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

// clusterCalls is the registry.Cluster of the mgr: the calls of Ceph's
// MgrModule that act on the cluster, over the mon session.
type clusterCalls struct{ s *Standby }

var _ registry.Cluster = clusterCalls{}

// SendCommand is send_command. Commands to the mon go over the mon
// session; the mgr's own (svc_type "mgr") are the registry's and the
// builtin ones; a command to an OSD of a real cluster goes in an MCommand
// on a session of its own to the OSD's address in the osdmap, as Ceph's
// Objecter sends osd_command (simulated OSDs take no commands).
func (c clusterCalls) SendCommand(ctx context.Context, svcType, svcID, cmd, inbuf string) (registry.CommandResult, error) {
	var args map[string]any
	if err := json.Unmarshal([]byte(cmd), &args); err != nil {
		return registry.CommandResult{Retval: codeEINVAL, Stderr: "command is not JSON: " + err.Error()}, nil
	}
	switch svcType {
	case "mon":
		res, err := c.s.monc.Command(ctx, args, []byte(inbuf))
		if err != nil {
			return registry.CommandResult{}, err
		}
		return registry.CommandResult{Retval: res.Retval, Stdout: string(res.Out), Stderr: res.Status}, nil
	case "mgr":
		ret, status, out := c.s.mgrCommand(ctx, args, inbuf)
		return registry.CommandResult{Retval: ret, Stdout: string(out), Stderr: status}, nil
	case "osd":
		if !c.s.realCeph() {
			break
		}
		addr, code, why := c.osdAddr(svcID)
		if code != 0 {
			return registry.CommandResult{Retval: code, Stderr: why}, nil
		}
		res, err := command(ctx, c.s.clientAuth(), addr, wire.EntityOSD, args, []byte(inbuf))
		if err != nil {
			return registry.CommandResult{}, fmt.Errorf("send_command to osd.%s: %w", svcID, err)
		}
		return registry.CommandResult{Retval: res.Retval, Stdout: string(res.Out), Stderr: res.Status}, nil
	}
	return registry.CommandResult{}, fmt.Errorf("send_command to %s.%s: %w", svcType, svcID, registry.ErrNotSupported)
}

// osdAddr is the msgr v1 address of osd.id from the osdmap, or the code
// and reason Ceph's Objecter gives a command it cannot send: ENOENT for an
// OSD the map does not have, ENXIO for one that is down.
func (c clusterCalls) osdAddr(id string) (addr string, code int, why string) {
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 {
		return "", codeEINVAL, fmt.Sprintf("invalid osd_id: %q", id)
	}
	v, err := c.s.state.Get("osd_map")
	if err != nil {
		return "", codeENXIO, "no osdmap yet"
	}
	m, _ := v.Data.(map[string]any)
	osds, _ := m["osds"].([]any)
	for _, o := range osds {
		om, _ := o.(map[string]any)
		if om == nil || toInt(om["osd"]) != int64(n) {
			continue
		}
		if toInt(om["up"]) == 0 {
			return "", codeENXIO, fmt.Sprintf("osd.%d is down", n)
		}
		if a := v1Addr(om); a != "" {
			return a, 0, ""
		}
		return "", codeENXIO, fmt.Sprintf("osd.%d has no msgr v1 address", n)
	}
	return "", codeENOENT, fmt.Sprintf("osd.%d does not exist", n)
}

// v1Addr is the msgr v1 "host:port" of an osd dump entry: from its
// public_addrs vector (Nautilus and later), else its legacy public_addr
// ("host:port/nonce").
func v1Addr(osd map[string]any) string {
	vec, _ := osd["public_addrs"].(map[string]any)
	addrs, _ := vec["addrvec"].([]any)
	for _, a := range addrs {
		am, _ := a.(map[string]any)
		if t, _ := am["type"].(string); t == "v1" {
			s, _ := am["addr"].(string)
			return s
		}
	}
	if s, _ := osd["public_addr"].(string); s != "" && !strings.HasPrefix(s, "v2:") {
		s, _, _ = strings.Cut(strings.TrimPrefix(s, "v1:"), "/")
		return s
	}
	return ""
}

// ClusterLog writes the line to the mgr's log with its channel and, on a
// real cluster, to the mon's cluster log (`ceph log last`, `ceph -w`).
func (c clusterCalls) ClusterLog(module, channel string, priority int, msg string) {
	log := c.s.log.WithFields(logrus.Fields{"module": module, "channel": channel, "clog_prio": priority})
	log.Info(msg)
	if !c.s.realCeph() {
		return
	}
	if priority < messages.LogDebug || priority > messages.LogError {
		priority = messages.LogInfo
	}
	if err := c.s.sendClusterLog(channel, priority, msg); err != nil {
		log.WithError(err).Warn("cluster log line not sent (sent again with the next)")
	}
}

// Option is get_ceph_option: the mgr's config from the mon (MConfig), as
// text; the module's side types it.
func (c clusterCalls) Option(name string) (any, bool) {
	switch name {
	case "conf":
		return c.s.cfg.CephConf, c.s.cfg.CephConf != ""
	case "fsid":
		return c.s.monc.FSID().String(), true
	}
	// As get("config"): the mon's MConfig, this daemon's settings, defaults.
	if c.s.opts != nil {
		if v, ok := c.s.opts.option(name); ok {
			return v, true
		}
	}
	if v, ok := c.s.ownSettings()[name]; ok {
		return v, true
	}
	v, ok := c.s.defaults.get(c.s.cfg.CephConf, "mgr."+c.s.cfg.Name, c.s.log)[name]
	return v, ok
}

// ownSettings are the options this daemon sets itself.
func (s *Standby) ownSettings() map[string]any {
	return map[string]any{
		"name": "mgr." + s.cfg.Name, "mon_host": strings.Join(s.cfg.MonAddrs, ","),
		"mgr_tick_period": int64(s.cfg.TickPeriod / time.Second), "mgr_stats_period": int64(s.cfg.StatsPeriod / time.Second),
		"mgr_initial_modules": "", "mgr_data": "", "release": s.cfg.Release,
	}
}

// setConfigValue is get("config"): every option's value as the mgr sees
// it (Ceph's show_config: name to text), the defaults overlaid with the
// mon's MConfig.
func (s *Standby) setConfigValue(conf map[string]string) {
	defaults := s.defaults.get(s.cfg.CephConf, "mgr."+s.cfg.Name, s.log)
	tree := make(map[string]any, len(defaults)+len(conf)+8)
	for k, v := range defaults {
		tree[k] = v
	}
	maps.Copy(tree, s.ownSettings())
	for k, v := range conf {
		tree[k] = v
	}
	s.mu.Lock()
	s.configGen++
	gen := s.configGen
	s.mu.Unlock()
	s.state.SetMap("config", gen, tree)
}

// optionDefaults are the values of every Ceph option for one daemon, as
// the installed Ceph's ceph-conf prints them (`ceph-conf -D`), read once.
// Without ceph-conf there are none: gomgr's own cluster needs none.
type optionDefaults struct {
	once sync.Once
	kv   map[string]string
}

func (d *optionDefaults) get(conf, name string, log *logrus.Entry) map[string]string {
	d.once.Do(func() {
		if conf == "" {
			conf = os.DevNull
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ceph-conf", "-D", "--conf", conf, "--name", name).Output()
		switch {
		case errors.Is(err, exec.ErrNotFound):
			// Ceph is not installed (`make run` needs nothing but Go).
			log.Debug("no ceph-conf: no Ceph option defaults for modules")
			return
		case err != nil:
			log.WithError(err).Warn("ceph-conf -D: no Ceph option defaults for modules")
			return
		}
		d.kv = parseConfDump(out)
	})
	return d.kv
}

// parseConfDump reads ceph-conf -D's "name = value" lines.
func parseConfDump(out []byte) map[string]string {
	kv := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, " = ")
		if ok && k != "" && !strings.ContainsAny(k, " \t") {
			kv[k] = v
		}
	}
	return kv
}

// SetURI publishes a module's service address in the next beacons.
func (c clusterCalls) SetURI(module, uri string) {
	c.s.mu.Lock()
	if c.s.uris == nil {
		c.s.uris = map[string]string{}
	}
	c.s.uris[module] = uri
	c.s.mu.Unlock()
}

// Progress keeps the modules' progress events for the mon's `ceph -s`
// (they travel in every MMonMgrReport).
func (c clusterCalls) Progress(id string, ev *registry.ProgressEvent) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	switch {
	case ev != nil:
		if c.s.progress == nil {
			c.s.progress = map[string]registry.ProgressEvent{}
		}
		c.s.progress[id] = *ev
	case id == "":
		clear(c.s.progress)
	default:
		delete(c.s.progress, id)
	}
}
