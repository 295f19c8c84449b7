package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gomgr/internal/procstat"
	"gomgr/msgr"
	"gomgr/pgmap"
	"gomgr/registry"
)

// metrics is the mgr's Prometheus endpoint, in the spirit of Ceph's
// prometheus module: the messenger's counters, notify latency per module,
// queue depths and module states, and cluster gauges. Values are read from
// the cache at scrape time (a Collector), so serving them costs nothing
// between scrapes. A standby answers with where the active's endpoint is.
type metrics struct {
	s       *Standby
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec
	srv     *http.Server
	url     string
}

func newMetrics(s *Standby) *metrics {
	m := &metrics{s: s, reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gomgr_module_notify_latency_seconds",
		Help:    "Time from notify_all to the module's notify() returning.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18),
	}, []string{"module"})
	m.reg.MustRegister(m.latency, collector{m}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe feeds the latency histogram (registry.Config.ObserveNotify).
func (m *metrics) observe(module string, d time.Duration) {
	m.latency.WithLabelValues(module).Observe(d.Seconds())
}

// serve listens on addr; the URL goes into the beacon's services.
func (m *metrics) serve(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("host: metrics listener: %w", err)
	}
	m.url = "http://" + l.Addr().String() + "/metrics"
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if !m.s.IsActive() {
			m.standby(w)
			return
		}
		prom.ServeHTTP(w, r)
	})
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := m.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.s.log.WithError(err).Warn("metrics endpoint stopped")
		}
	}()
	return nil
}

// standby answers a scrape of a standby mgr: 503 and the active's URL,
// as Ceph's standby prometheus module does.
func (m *metrics) standby(w http.ResponseWriter) {
	active, url := "none", ""
	if mm := m.s.MgrMap(); mm != nil {
		active = mm.ActiveName
		url = mm.Services["prometheus"]
	}
	if url != "" {
		w.Header().Set("Location", url)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "mgr %s is a standby; the active mgr is %s: %s\n", m.s.cfg.Name, active, url)
}

func (m *metrics) close() {
	if m.srv != nil {
		_ = m.srv.Close()
	}
}

// collector reads everything else at scrape time.
type collector struct{ m *metrics }

var (
	descMsgr = prometheus.NewDesc("gomgr_msgr_total", "Messenger counters of the active mgr's daemon sessions.",
		[]string{"counter"}, nil)
	descConns       = prometheus.NewDesc("gomgr_msgr_connections", "Open daemon sessions.", nil, nil)
	descModuleState = prometheus.NewDesc("gomgr_module_state", "1 for the state each module is in.",
		[]string{"module", "kind", "state"}, nil)
	descQueue     = prometheus.NewDesc("gomgr_module_queue_depth", "Events waiting for each module.", []string{"module"}, nil)
	descDelivered = prometheus.NewDesc("gomgr_module_events_total", "Events per module by outcome.",
		[]string{"module", "outcome"}, nil)
	descOSDUp   = prometheus.NewDesc("ceph_osd_up", "OSD up (1) or down (0).", []string{"ceph_daemon"}, nil)
	descOSDIn   = prometheus.NewDesc("ceph_osd_in", "OSD in (1) or out (0).", []string{"ceph_daemon"}, nil)
	descEpoch   = prometheus.NewDesc("ceph_osdmap_epoch", "The osdmap epoch the mgr holds.", nil, nil)
	descPGs     = prometheus.NewDesc("ceph_pg_total", "PGs by state.", []string{"state"}, nil)
	descPoolUse = prometheus.NewDesc("ceph_pool_bytes_used", "Bytes used by each pool.", []string{"pool_id", "name"}, nil)
	descPoolObj = prometheus.NewDesc("ceph_pool_objects", "Objects in each pool.", []string{"pool_id", "name"}, nil)
	descHealth  = prometheus.NewDesc("ceph_health_status", "0 OK, 1 WARN, 2 ERR.", nil, nil)
	descModMem  = prometheus.NewDesc("gomgr_module_memory_bytes", "Memory of each module's process: rss, and pss (its shared pages divided among their sharers).",
		[]string{"module", "kind"}, nil)
	descMonc = prometheus.NewDesc("gomgr_mon_client_total", "What the mgr has sent its mon: subscribes, commands, hunts.",
		[]string{"counter"}, nil)
)

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMsgr, descConns, descModuleState, descQueue, descDelivered,
		descOSDUp, descOSDIn, descEpoch, descPGs, descPoolUse, descPoolObj, descHealth, descMonc, descModMem} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.s
	if ms := s.Messenger(); ms != nil {
		c.messenger(ch, ms)
	}
	for _, st := range s.reg.Modules() {
		ch <- prometheus.MustNewConstMetric(descModuleState, prometheus.GaugeValue, 1, st.Name, st.Kind, string(st.State))
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(st.QueueDepth), st.Name)
		for outcome, n := range map[string]uint64{"delivered": st.Delivered, "dropped": st.Dropped,
			"coalesced": st.Coalesced, "errors": st.Errors, "overruns": st.Overruns} {
			ch <- prometheus.MustNewConstMetric(descDelivered, prometheus.CounterValue, float64(n), st.Name, outcome)
		}
		if st.PID > 0 {
			// A process that exited since Modules was read has no figures.
			if ps, err := procstat.Read(st.PID); err == nil {
				ch <- prometheus.MustNewConstMetric(descModMem, prometheus.GaugeValue, float64(ps.RSS), st.Name, "rss")
			}
			if pss, err := procstat.ReadPSS(st.PID); err == nil {
				ch <- prometheus.MustNewConstMetric(descModMem, prometheus.GaugeValue, float64(pss), st.Name, "pss")
			}
		}
	}
	mc := s.monc.Stats()
	for name, v := range map[string]uint64{"subscribes": mc.Subscribes, "commands": mc.Commands, "hunts": mc.Hunts} {
		ch <- prometheus.MustNewConstMetric(descMonc, prometheus.CounterValue, float64(v), name)
	}
	c.cluster(ch)
}

func (collector) messenger(ch chan<- prometheus.Metric, ms *msgr.Messenger) {
	st := ms.Stats().Snapshot()
	for name, v := range map[string]uint64{"msgs_in": st.MsgsIn, "msgs_out": st.MsgsOut, "bytes_in": st.BytesIn,
		"bytes_out": st.BytesOut, "faults": st.Faults, "reconnects": st.Reconnects, "resets": st.Resets,
		"bad_frames": st.BadFrames, "throttled": st.Throttled, "accepted": st.Accepted} {
		ch <- prometheus.MustNewConstMetric(descMsgr, prometheus.CounterValue, float64(v), name)
	}
	ch <- prometheus.MustNewConstMetric(descConns, prometheus.GaugeValue, float64(st.Connections))
}

func (c collector) cluster(ch chan<- prometheus.Metric) {
	state := c.m.s.state
	names := map[int64]string{}
	if v, err := state.Get("osd_map"); err == nil {
		ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(v.Version))
		m, _ := v.Data.(map[string]any) // a map of another shape has no OSDs or pools to show
		osds, _ := m["osds"].([]any)
		for _, o := range osds {
			om, ok := o.(map[string]any)
			if !ok {
				continue
			}
			name := fmt.Sprintf("osd.%d", toInt(om["osd"]))
			ch <- prometheus.MustNewConstMetric(descOSDUp, prometheus.GaugeValue, float64(toInt(om["up"])), name)
			ch <- prometheus.MustNewConstMetric(descOSDIn, prometheus.GaugeValue, float64(toInt(om["in"])), name)
		}
		pools, _ := m["pools"].([]any)
		for _, p := range pools {
			pm, _ := p.(map[string]any)
			name, _ := pm["pool_name"].(string)
			names[toInt(pm["pool"])] = name
		}
	}
	g := state.PG.Digest()
	for _, st := range g.NumPGByState {
		ch <- prometheus.MustNewConstMetric(descPGs, prometheus.GaugeValue, float64(st.Count), pgmap.PGStateString(st.State))
	}
	for _, p := range g.PoolSum {
		id := int64(p.Pool)
		sum := p.Stat.Stats.Sum
		label := strconv.FormatInt(id, 10)
		used := sum.NumBytes // stored, when the OSDs report no per-pool statfs
		if p.Stat.NumStoreStats > 0 {
			used = p.Stat.StoreStats.Allocated
		}
		ch <- prometheus.MustNewConstMetric(descPoolUse, prometheus.GaugeValue, float64(used), label, names[id])
		ch <- prometheus.MustNewConstMetric(descPoolObj, prometheus.GaugeValue, float64(sum.NumObjects), label, names[id])
	}
	if v, err := state.Get("health"); err == nil {
		hm, _ := v.Data.(map[string]any)
		text, _ := hm["json"].(string)
		var h struct {
			Status string `json:"status"`
		}
		// The mon's digest was checked valid; a status gomgr does not know
		// is left out rather than reported as HEALTH_OK's 0.
		if json.Unmarshal([]byte(text), &h) == nil {
			if code, ok := map[string]float64{"HEALTH_OK": 0, "HEALTH_WARN": 1, "HEALTH_ERR": 2}[h.Status]; ok {
				ch <- prometheus.MustNewConstMetric(descHealth, prometheus.GaugeValue, code)
			}
		}
	}
}

var _ registry.State = (*ClusterState)(nil)
