package messages

// PGReport is the PG statistics block a gomgr OSD puts in
// MgrReport.PGStats (JSON): its usage, the states of the PGs it is primary
// for, and its share of each pool. Ceph sends these as MPGStats binary
// structs; gomgr's simulated OSDs and its mgr are both ends of this one.
type PGReport struct {
	OSD    OSDStat        `json:"osd_stat"`
	States map[string]int `json:"pg_states"`
	Pools  []PoolStat     `json:"pool_stats"`
}

// OSDStat is one OSD's usage, in the spirit of Ceph's osd_stat_t.
type OSDStat struct {
	OSD      int     `json:"osd"`
	KB       uint64  `json:"kb"`
	KBUsed   uint64  `json:"kb_used"`
	KBAvail  uint64  `json:"kb_avail"`
	NumPGs   int     `json:"num_pgs"`
	ApplyMs  float64 `json:"apply_latency_ms"`
	CommitMs float64 `json:"commit_latency_ms"`
}

// PoolStat is one pool's usage as one primary OSD sees it.
type PoolStat struct {
	Pool    int    `json:"poolid"`
	Name    string `json:"name"`
	NumPG   int    `json:"num_pg"`
	Stored  uint64 `json:"stored"`
	Objects uint64 `json:"objects"`
	Used    uint64 `json:"bytes_used"`
	RdOps   uint64 `json:"num_read"`
	RdKB    uint64 `json:"num_read_kb"`
	WrOps   uint64 `json:"num_write"`
	WrKB    uint64 `json:"num_write_kb"`
}
