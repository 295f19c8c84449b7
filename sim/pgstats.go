package sim

import (
	"time"

	"gomgr/messages"
	"gomgr/pgmap"
)

// PGStats is what OSD id tells the mgr of its PGs in an MPGStats, as a Ceph
// OSD does: its osd_stat_t (usage of its store, PGs it holds) and the
// pg_stat_t of each PG it is primary for, reported at the osdmap epoch
// with the report sequence seq.
func (m *Model) PGStats(id int, epoch uint32, seq uint64, now time.Time) (*messages.PGStatsT, error) {
	if m.dirty {
		m.remap()
	}
	o := m.osds[id]
	used := min(o.used, m.cfg.OSDBytes)
	st := &messages.PGStatsT{OSDStat: messages.OSDStatT{
		Statfs: messages.StoreStatfs{Total: m.cfg.OSDBytes, Available: m.cfg.OSDBytes - used,
			Allocated: int64(used), DataStored: int64(used)},
		UpFrom: 1, Seq: seq, NumPGs: uint32(o.pgs), NumOSDs: 1,
	}}
	stamp := messages.UtimeOf(now)
	for _, ref := range o.primary {
		p := &m.pools[ref.pool]
		g := &p.pgs[ref.idx]
		state, err := pgmap.ParsePGState(g.state)
		if err != nil {
			return nil, err
		}
		acting := make([]int32, len(g.acting))
		for i, a := range g.acting {
			acting[i] = int32(a)
		}
		s := messages.PGStatT{
			Version: messages.EVersion{Version: g.wr, Epoch: epoch}, ReportedSeq: seq, ReportedEpoch: epoch,
			State: state, Created: 1, LastEpochClean: epoch, Up: acting, Acting: acting,
			UpPrimary: acting[0], ActingPrimary: acting[0], MappingEpoch: epoch,
			LastFresh: stamp, LastChange: stamp, LastActive: stamp, LastClean: stamp, LastUnstale: stamp,
			LastUndegraded: stamp, LastFullsized: stamp, LastPeered: stamp, LastBecameActive: stamp,
			LastBecamePeered: stamp, LastScrubStamp: stamp, LastDeepScrubStamp: stamp, LastCleanScrubStamp: stamp,
		}
		s.Stats.Sum = messages.ObjectStatSum{NumBytes: int64(g.bytes), NumObjects: int64(g.objs),
			NumObjectCopies: int64(g.objs) * int64(len(g.acting)), NumRd: int64(g.rd), NumRdKB: int64(g.rdB / 1024),
			NumWr: int64(g.wr), NumWrKB: int64(g.wrB / 1024)}
		if len(g.acting) < p.spec.Size {
			s.Stats.Sum.NumObjectsDegraded = int64(g.objs) * int64(p.spec.Size-len(g.acting))
		}
		st.PGStat = append(st.PGStat, messages.PGStatTEntry{
			PG: messages.PGID{Pool: uint64(p.id), Seed: uint32(ref.idx)}, Stat: s})
	}
	return st, nil
}
