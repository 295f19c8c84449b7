package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// Counter is one perf counter a simulated OSD declares, with Ceph's names
// and type bits (PERFCOUNTER_U64=2, _TIME=1, _LONGRUNAVG=4, _COUNTER=8).
type Counter struct {
	Path        string
	Type        int
	Description string
	Nick        string
	Priority    int
	Units       int // 0 none, 1 bytes
}

// Schema is the counter set every simulated OSD reports, a subset of a real
// OSD's `perf schema` (see shared/ceph-json/osd_perf_schema.json).
var Schema = []Counter{
	{"osd.op", 10, "Client operations", "ops", 10, 0},
	{"osd.op_r", 10, "Client read operations", "", 5, 0},
	{"osd.op_w", 10, "Client write operations", "", 5, 0},
	{"osd.op_in_bytes", 10, "Client operations total write size", "wr", 8, 1},
	{"osd.op_out_bytes", 10, "Client operations total read size", "rd", 8, 1},
	{"osd.op_latency", 5, "Latency of client operations (including queue time)", "l", 9, 0},
	{"osd.numpg", 2, "Placement groups", "pgs", 5, 0},
	{"osd.stat_bytes", 2, "OSD size", "size", 5, 1},
	{"osd.stat_bytes_used", 2, "Used space", "used", 5, 1},
	{"osd.stat_bytes_avail", 2, "Available space", "", 0, 1},
	{"osd.recovery_ops", 10, "Started recovery operations", "rop", 8, 0},
	{"osd.subop", 10, "Suboperations", "", 0, 0},
}

// Indexes into Schema, for the model's own updates.
const (
	cOp = iota
	cOpR
	cOpW
	cInBytes
	cOutBytes
	cLatency
	cNumPG
	cBytes
	cUsed
	cAvail
	cRecovery
	cSubop
)

// PoolSpec is a pool the simulated cluster creates.
type PoolSpec struct {
	Name  string
	PGNum int
	Size  int
}

// Config sets the model's size and load. Zero fields take defaults.
type Config struct {
	OSDs     int
	Pools    []PoolSpec
	Seed     uint64
	OSDBytes uint64  // capacity of each OSD
	IOPS     float64 // client operations a second over the whole cluster
}

// DefaultPools are the demo's pools.
var DefaultPools = []PoolSpec{{"rbd", 64, 3}, {"cephfs_data", 32, 3}, {"cephfs_metadata", 16, 3}}

// Model is a deterministic simulated cluster: OSDs that are up or down,
// pools whose PGs map to up OSDs by rendezvous hashing, and a client load
// that moves counters and usage. It does no IO and has no goroutines: the
// daemons that put it on the wire own it and call it from one goroutine.
type Model struct {
	cfg   Config
	rng   *rand.Rand
	osds  []*osd
	pools []pool
	dirty bool // up set changed: remap PGs
}

type osd struct {
	id       int
	up       bool
	counters []float64
	used     uint64
	primary  []pgRef // PGs this OSD is primary for
	pgs      int     // PGs it holds a replica of
}

type pool struct {
	id   int
	spec PoolSpec
	pgs  []pg
}

type pg struct {
	acting []int // OSD ids, primary first
	state  string
	bytes  uint64
	objs   uint64
	rd, wr uint64 // ops
	rdB    uint64
	wrB    uint64
}

type pgRef struct{ pool, idx int }

// New builds a model of cfg.OSDs up OSDs.
func New(cfg Config) *Model {
	if cfg.OSDs <= 0 {
		cfg.OSDs = 3
	}
	if cfg.Pools == nil {
		cfg.Pools = DefaultPools
	}
	if cfg.OSDBytes == 0 {
		cfg.OSDBytes = 100 << 30
	}
	if cfg.IOPS == 0 {
		cfg.IOPS = 50 * float64(cfg.OSDs)
	}
	m := &Model{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), dirty: true}
	for i := range cfg.OSDs {
		o := &osd{id: i, up: true, counters: make([]float64, len(Schema))}
		m.osds = append(m.osds, o)
	}
	for i, p := range cfg.Pools {
		m.addPool(i+1, p)
	}
	return m
}

func (m *Model) addPool(id int, p PoolSpec) {
	if p.Size <= 0 {
		p.Size = 3
	}
	if p.PGNum <= 0 {
		p.PGNum = 32
	}
	m.pools = append(m.pools, pool{id: id, spec: p, pgs: make([]pg, p.PGNum)})
	m.dirty = true
}

// AddPool creates a pool; its id is returned.
func (m *Model) AddPool(p PoolSpec) int {
	id := len(m.pools) + 1
	m.addPool(id, p)
	return id
}

// EnsurePool adds the pool the mon created with id (`osd pool create` from
// the CLI), unless the model has it; it reports whether it was added.
func (m *Model) EnsurePool(id int, p PoolSpec) bool {
	for _, have := range m.pools {
		if have.id == id {
			return false
		}
	}
	m.addPool(id, p)
	return true
}

// NumOSDs is the size of the cluster.
func (m *Model) NumOSDs() int { return len(m.osds) }

// Up reports whether an OSD runs.
func (m *Model) Up(id int) bool { return id >= 0 && id < len(m.osds) && m.osds[id].up }

// SetUp fails (false) or recovers (true) an OSD.
func (m *Model) SetUp(id int, up bool) error {
	if id < 0 || id >= len(m.osds) {
		return fmt.Errorf("sim: no osd.%d", id)
	}
	if m.osds[id].up != up {
		m.osds[id].up = up
		m.dirty = true
	}
	return nil
}

// Rand is the model's seeded source, for schedules that must stay
// deterministic with the model.
func (m *Model) Rand() *rand.Rand { return m.rng }

// remap places every PG on size distinct OSDs chosen by hash probing, so
// placement is stable and costs O(size) per PG at any cluster size; a down
// OSD leaves its PGs degraded (not remapped), as in Ceph until it is out.
func (m *Model) remap() {
	for _, o := range m.osds {
		o.primary = o.primary[:0]
		o.pgs = 0
	}
	n := uint64(len(m.osds))
	for pi := range m.pools {
		p := &m.pools[pi]
		want := min(p.spec.Size, len(m.osds))
		for i := range p.pgs {
			g := &p.pgs[i]
			acting := g.acting[:0]
			var chosen [16]int
			nc, down := 0, 0
			for k := uint64(0); nc < want && nc < len(chosen); k++ {
				id := int(hash3(uint64(p.id), uint64(i), k) % n)
				dup := false
				for _, c := range chosen[:nc] {
					dup = dup || c == id
				}
				if dup {
					continue
				}
				chosen[nc] = id
				nc++
				if m.osds[id].up {
					acting = append(acting, id)
				} else {
					down++
				}
			}
			g.acting = acting
			switch {
			case len(acting) == 0:
				g.state = "stale+undersized+degraded+peered"
			case down > 0:
				g.state = "active+undersized+degraded"
			default:
				g.state = "active+clean"
			}
			if len(acting) > 0 {
				prim := m.osds[acting[0]]
				prim.primary = append(prim.primary, pgRef{pi, i})
			}
			for _, id := range acting {
				m.osds[id].pgs++
			}
		}
	}
	m.dirty = false
}

// Step advances the client load by dt: reads and writes land on the
// primaries of random PGs, and every OSD's gauges follow.
func (m *Model) Step(dt time.Duration) {
	if m.dirty {
		m.remap()
	}
	ops := int(m.cfg.IOPS * dt.Seconds())
	for range ops {
		pi := m.rng.IntN(len(m.pools))
		p := &m.pools[pi]
		g := &p.pgs[m.rng.IntN(len(p.pgs))]
		if len(g.acting) == 0 {
			continue
		}
		prim := m.osds[g.acting[0]]
		size := uint64(4096 << m.rng.IntN(6))
		prim.counters[cOp]++
		if m.rng.IntN(10) < 7 {
			prim.counters[cOpR]++
			prim.counters[cOutBytes] += float64(size)
			g.rd++
			g.rdB += size
		} else {
			prim.counters[cOpW]++
			prim.counters[cInBytes] += float64(size)
			g.wr++
			g.wrB += size
			g.bytes += size
			g.objs++
			for _, id := range g.acting {
				m.osds[id].used += size
				if id != prim.id {
					m.osds[id].counters[cSubop]++
				}
			}
		}
	}
	for _, o := range m.osds {
		o.counters[cNumPG] = float64(o.pgs)
		o.counters[cBytes] = float64(m.cfg.OSDBytes)
		o.counters[cUsed] = float64(o.used)
		o.counters[cAvail] = float64(m.cfg.OSDBytes - min(o.used, m.cfg.OSDBytes))
		o.counters[cLatency] = 0.5 + m.rng.Float64()*2 // ms, a gauge here
	}
}

// Counters are an OSD's current values in Schema order; the slice is the
// model's own, valid until the next Step.
func (m *Model) Counters(id int) []float64 { return m.osds[id].counters }

// Pools lists the pools in creation order.
func (m *Model) Pools() []PoolSpec {
	out := make([]PoolSpec, len(m.pools))
	for i, p := range m.pools {
		out[i] = p.spec
	}
	return out
}

func hash3(a, b, c uint64) uint64 {
	h := fnv.New64a()
	var buf [24]byte
	for i := range 8 {
		buf[i] = byte(a >> (8 * i))
		buf[8+i] = byte(b >> (8 * i))
		buf[16+i] = byte(c >> (8 * i))
	}
	h.Write(buf[:])
	return h.Sum64()
}
