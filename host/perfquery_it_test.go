package host_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/msgr"
	"gomgr/msgr/wire"
	"gomgr/registry"
)

// configures records the MMgrConfigure messages a daemon is sent.
type configures struct {
	mu  sync.Mutex
	got []*messages.MgrConfigure
}

func (c *configures) Dispatch(_ *msgr.Connection, m *msgr.Message) {
	p, err := messages.Decode(m)
	if cfg, ok := p.(*messages.MgrConfigure); ok && err == nil {
		c.mu.Lock()
		c.got = append(c.got, cfg)
		c.mu.Unlock()
	}
}

func (c *configures) last() *messages.MgrConfigure {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) == 0 {
		return nil
	}
	return c.got[len(c.got)-1]
}

// TestOSDPerfQueriesReachOSDs: a module's OSD perf query is sent to the
// OSD sessions open at the time and to one opened later (in the reply to
// its MMgrOpen); the OSDs' reports are summed per key and read back by the
// module in Ceph's shape; removing the last query sends the OSDs the
// empty OSD metric config that makes a pacific OSD stop collecting.
func TestOSDPerfQueriesReachOSDs(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	cfg := mon.DefaultConfig()
	cfg.Mgr.InitialModules = []string{"recorder"}
	md := startMon(t, cfg, logrus.NewEntry(log))
	rec := &recorder{}
	s := startServingMgr(t, host.Config{Name: "x", MonAddrs: []string{md.Addr()},
		Sources: []registry.Source{recSource{rec}}, Logger: logrus.NewEntry(log)})
	var ph registry.PerfQueryHost
	testutil.Eventually(t, 10*time.Second, "the module started", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		ph, _ = rec.host.(registry.PerfQueryHost)
		return ph != nil
	})

	// osd opens a session as OSD id and returns what it is sent and a sender.
	osd := func(id int) (*configures, func(messages.Payload)) {
		cfgs := &configures{}
		_, send := daemonSession(t, s.Addr(), wire.EntityName{Type: wire.EntityOSD, Num: int64(id)}, cfgs, logrus.NewEntry(log))
		send(&messages.MgrOpen{DaemonName: fmt.Sprint(id), ServiceName: "osd", ServiceDaemon: true,
			DaemonMetadata: map[string]string{"hostname": "h"}})
		testutil.Eventually(t, 10*time.Second, "the reply to MMgrOpen", func() bool { return cfgs.last() != nil })
		return cfgs, send
	}
	cfg0, send0 := osd(0)
	if q := cfg0.last(); len(q.OSDPerfMetricQueries) != 0 || q.MetricConfig != nil || q.StatsPeriod != 5 {
		t.Fatalf("configure before any query: %+v", q)
	}

	id, err := ph.AddOSDPerfQuery(registry.OSDPerfQuery{
		Key:      []registry.OSDPerfSubKey{{Type: "pool_id", Regex: "^(.*)$"}},
		Counters: []string{"write_ops", "read_latency"},
		Limit:    &registry.OSDPerfLimit{OrderBy: "write_ops", MaxCount: 3},
	})
	if err != nil || id != 0 {
		t.Fatalf("add: id %d, %v", id, err)
	}
	want := []messages.OSDPerfQueryLimits{{
		Query: messages.OSDPerfMetricQuery{KeyDescriptor: []messages.OSDPerfSubKeyDescriptor{{Type: messages.OSDPerfSubKeyPoolID, Regex: "^(.*)$"}},
			Counters: []uint8{messages.OSDPerfWriteOps, messages.OSDPerfReadLatency}},
		Limits: []messages.OSDPerfMetricLimit{{OrderBy: messages.OSDPerfWriteOps, MaxCount: 3}},
	}}
	testutil.Eventually(t, 10*time.Second, "the query sent to osd.0", func() bool {
		return reflect.DeepEqual(cfg0.last().OSDPerfMetricQueries, want)
	})
	cfg1, send1 := osd(1)
	if got := cfg1.last(); !reflect.DeepEqual(got.OSDPerfMetricQueries, want) || got.MetricConfig != nil {
		t.Fatalf("osd.1's open reply: %+v", got)
	}

	// Both OSDs report pool 1; osd.1 reports through the older map field.
	q := want[0].Query
	group := func(pool string, vals ...[2]uint64) messages.OSDPerfGroup {
		return messages.OSDPerfGroup{Key: [][]string{{pool}}, Packed: messages.PackOSDPerfCounters(q.Counters, vals)}
	}
	send0(&messages.MgrReport{DaemonName: "0", ServiceName: "osd", MetricReport: &messages.MetricReport{Type: messages.MetricTypeOSD,
		OSD: []messages.OSDPerfQueryReport{{Query: q, Report: messages.OSDPerfMetricReport{Counters: q.Counters,
			Groups: []messages.OSDPerfGroup{group("1", [2]uint64{3, 0}, [2]uint64{3000, 2})}}}}}})
	send1(&messages.MgrReport{DaemonName: "1", ServiceName: "osd", OSDPerfMetricReports: []messages.OSDPerfQueryReport{{Query: q,
		Report: messages.OSDPerfMetricReport{Counters: q.Counters, Groups: []messages.OSDPerfGroup{group("1", [2]uint64{2, 0}, [2]uint64{500, 1})}}}}})
	var sum [2][2]uint64
	testutil.Eventually(t, 10*time.Second, "both reports summed", func() bool {
		cs, err := ph.OSDPerfCounters(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if !reflect.DeepEqual(c.Key, [][]string{{"1"}}) || len(c.Values) != 2 {
				t.Fatalf("counters %+v", cs)
			}
			for i := range sum {
				sum[i][0] += c.Values[i][0]
				sum[i][1] += c.Values[i][1]
			}
		}
		return sum == [2][2]uint64{{5, 0}, {3500, 3}}
	})

	if err := ph.RemoveOSDPerfQuery(id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*configures{cfg0, cfg1} {
		testutil.Eventually(t, 10*time.Second, "the OSDs told to stop collecting", func() bool {
			got := c.last()
			return len(got.OSDPerfMetricQueries) == 0 && got.MetricConfig != nil &&
				got.MetricConfig.Type == messages.MetricTypeOSD && len(got.MetricConfig.OSD) == 0
		})
	}
	if _, err := ph.OSDPerfCounters(id); err == nil {
		t.Fatal("counters of a removed query")
	}
}
