package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/msgr"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

type discard struct{}

func (discard) Dispatch(*msgr.Connection, *msgr.Message) {}

// TestActiveRejectsBadInput: reports from daemons that never opened a
// session, bad daemon names, undecodable counters and malformed commands
// are refused without changing the cache or stopping the mgr.
func TestActiveRejectsBadInput(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	md := startMon(t, mon.DefaultConfig(), logrus.NewEntry(log))
	rec := &recorder{}
	// The mgr's warnings are read back: each refusal is logged with its reason.
	mlog, hook := logtest.NewNullLogger()
	mlog.SetLevel(logrus.WarnLevel)
	s := startServingMgr(t, host.Config{Name: "x", MonAddrs: []string{md.Addr()},
		Sources: []registry.Source{recSource{rec}}, Logger: logrus.NewEntry(mlog)})

	conn, send := daemonSession(t, s.Addr(), wire.EntityName{Type: wire.EntityOSD, Num: 7}, discard{}, logrus.NewEntry(log))
	types := []messages.PerfCounterType{{Path: "osd.op", Type: messages.PerfCounter | 2}}
	packed, err := messages.PackCounters(types, map[string]messages.CounterValue{"osd.op": {Value: 5}})
	if err != nil {
		t.Fatal(err)
	}
	// A report from a daemon that never sent MMgrOpen.
	send(&messages.MgrReport{DaemonName: "7", DeclareTypes: types, Packed: packed})
	// An open without a name.
	send(&messages.MgrOpen{DaemonName: "", ServiceDaemon: true})
	// A real open, then counters that do not match the declared schema.
	send(&messages.MgrOpen{DaemonName: "8", ServiceDaemon: true, DaemonMetadata: map[string]string{"hostname": "h"}})
	send(&messages.MgrReport{DaemonName: "8", DeclareTypes: types, Packed: []byte{1, 2, 3}})
	// MPGStats from an OSD that never opened a session here (osd.7), and
	// from osd.8 with a truncated osd_stat_t: refused, nothing lands.
	for _, bad := range []struct {
		osd      int64
		truncate bool
	}{{7, false}, {8, true}} {
		p := &messages.PGStats{Paxos: messages.NewPaxos(0)}
		p.SetTyped(&messages.PGStatsT{OSDStat: messages.OSDStatT{Statfs: messages.StoreStatfs{Total: 1 << 30}, Seq: 9}})
		if bad.truncate {
			p.OSDStat.Body = p.OSDStat.Body[:len(p.OSDStat.Body)/2]
		}
		m := messages.Encode(p)
		m.Src = wire.EntityName{Type: wire.EntityOSD, Num: bad.osd}
		if err := conn.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	// Then a good report on the same session: the connection survived
	// (and, in order on it, the messages above were handled).
	send(&messages.MgrReport{DaemonName: "8", DeclareTypes: types, Packed: packed})

	testutil.Eventually(t, 10*time.Second, "the good report", func() bool { return len(s.State().Counter("osd", "8", "osd.op")) == 1 })
	if _, ok := s.State().Metadata("osd", "7"); ok || len(s.State().Counter("osd", "7", "osd.op")) != 0 {
		t.Fatal("a report from an unopened daemon landed")
	}
	if got := s.State().Counter("osd", "8", "osd.op"); got[0].V != 5 {
		t.Fatalf("osd.8 samples %v: the bad report changed state", got)
	}
	var refused []string
	for _, e := range hook.AllEntries() {
		if e.Message == "pg stats rejected" {
			refused = append(refused, fmt.Sprint(e.Data["error"]))
		}
	}
	if len(refused) != 2 || !strings.Contains(refused[0], "osd.7 has no session") || !strings.Contains(refused[1], "truncated") {
		t.Fatalf("pg stats refusals logged: %q", refused)
	}
	for _, k := range s.State().Daemons.Keys() {
		if k.Type == "" || k.ID == "" {
			t.Fatalf("bad daemon name accepted: %v", k)
		}
	}

	// Malformed and unknown commands get EINVAL and a reason.
	ctx := context.Background()
	for _, args := range []map[string]any{{"prefix": "no such command"}, {"noprefix": true}} {
		res, err := host.Command(ctx, nil, s.Addr(), args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Retval != mon.EINVAL || res.Status == "" {
			t.Fatalf("command %v: retval %d status %q", args, res.Retval, res.Status)
		}
	}
	if !s.IsActive() {
		t.Fatal("the mgr stopped being active")
	}
}

// TestConfigKeyReachesActive: a module option set from the CLI (a mon
// config-key) reaches the active mgr's store at once, and its modules get
// config_notify whatever their NOTIFY_TYPES.
func TestConfigKeyReachesActive(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	md := startMon(t, mon.DefaultConfig(), logrus.NewEntry(log))
	rec := &recorder{}
	ctx := context.Background()
	startMgr(t, host.Config{Name: "x", MonAddrs: []string{md.Addr()},
		Sources: []registry.Source{recSource{rec}}, Logger: logrus.NewEntry(log)})
	c := dialMon(t, md.Addr(), nil)
	if res, err := c.Command(ctx, map[string]any{"prefix": "mgr module enable", "module": "recorder", "force": true}, nil); err != nil || res.Retval != 0 {
		t.Fatalf("enable: %v %+v", err, res)
	}
	testutil.Eventually(t, 10*time.Second, "the recorder running", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.host != nil
	})
	if res, err := c.Command(ctx, map[string]any{"prefix": "config-key set", "key": "mgr/recorder/depth", "val": "7"}, nil); err != nil || res.Retval != 0 {
		t.Fatalf("config-key set: %v %+v", err, res)
	}
	testutil.Eventually(t, 10*time.Second, "the value at the active and config_notify", func() bool {
		rec.mu.Lock()
		h := rec.host
		got := false
		for _, e := range rec.events {
			got = got || e.Kind == registry.KindConfigNotify
		}
		rec.mu.Unlock()
		v, ok, err := h.StoreGet(ctx, "depth")
		return got && err == nil && ok && v == "7"
	})
}
