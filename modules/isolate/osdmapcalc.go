package isolate

import (
	"encoding/json"
	"fmt"

	"gomgr/crush"
)

// osdMapCalcReq is an opOSDMapCalc request: ceph_module's OSDMap asks for
// what Ceph computes with CRUSH. The module sends the map it holds, which
// is not always the cluster's (the balancer's plans are maps with upmaps
// applied), so the host computes from what it is sent and holds nothing.
type osdMapCalcReq struct {
	Call   string          `json:"call"`
	OSDMap json.RawMessage `json:"osdmap"` // an osd dump
	Crush  json.RawMessage `json:"crush"`  // an osd crush dump

	Pool int64  `json:"pool"` // map_pool_pgs_up, pg_to_up_acting_osds
	PS   uint32 `json:"ps"`   // pg_to_up_acting_osds

	// calc_pg_upmaps
	MaxDeviation  int     `json:"max_deviation"`
	MaxIterations int     `json:"max_iterations"`
	Pools         []int64 `json:"pools"`
}

// upmapItem is one entry of an OSDMap::Incremental's new_pg_upmap_items
// as Ceph dumps it.
type upmapItem struct {
	PGID     string      `json:"pgid"`
	Mappings []upmapPair `json:"mappings"`
}

type upmapPair struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// tempMaps are the osd dump's pg_temp and primary_temp: the acting set
// where it differs from the up set.
type tempMaps struct {
	PGTemp []struct {
		PGID string `json:"pgid"`
		OSDs []int  `json:"osds"`
	} `json:"pg_temp"`
	PrimaryTemp []struct {
		PGID string `json:"pgid"`
		OSD  int    `json:"osd"`
	} `json:"primary_temp"`
}

// osdMapCalc answers an opOSDMapCalc request with JSON in the shape
// ceph_module returns.
func osdMapCalc(body []byte) ([]byte, error) {
	var req osdMapCalcReq
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%w: osdmap calc: %w", ErrProtocol, err)
	}
	cm, err := crush.ParseCrush(req.Crush)
	if err != nil {
		return nil, fmt.Errorf("osdmap calc: %w", err)
	}
	om, err := crush.ParseOSDMap(req.OSDMap, cm)
	if err != nil {
		return nil, fmt.Errorf("osdmap calc: %w", err)
	}
	var res any
	switch req.Call {
	case "calc_pg_upmaps":
		res, err = calcPGUpmaps(om, req)
	case "map_pool_pgs_up":
		res, err = mapPoolPGsUp(om, req.Pool)
	case "pg_to_up_acting_osds":
		res, err = pgToUpActing(om, req.OSDMap, crush.PG{Pool: req.Pool, Seed: req.PS})
	default:
		return nil, fmt.Errorf("%w: osdmap calc %q", ErrProtocol, req.Call)
	}
	if err != nil {
		return nil, fmt.Errorf("osdmap calc %s: %w", req.Call, err)
	}
	return json.Marshal(res)
}

// calcPGUpmaps is OSDMap::calc_pg_upmaps with Ceph's defaults
// (osd_calc_pg_upmaps_aggressively: a shuffle of its own each call).
func calcPGUpmaps(om *crush.OSDMap, req osdMapCalcReq) (any, error) {
	u, err := om.CalcPGUpmaps(req.MaxDeviation, req.MaxIterations, req.Pools)
	if err != nil {
		return nil, err
	}
	items := make([]upmapItem, 0, len(u.New))
	for pg, pairs := range u.New {
		it := upmapItem{PGID: pg.String()}
		for _, p := range pairs {
			it.Mappings = append(it.Mappings, upmapPair{p.From, p.To})
		}
		items = append(items, it)
	}
	old := make([]string, 0, len(u.Old))
	for _, pg := range u.Old {
		old = append(old, pg.String())
	}
	return map[string]any{"changes": u.Changes, "new_pg_upmap_items": items, "old_pg_upmap_items": old}, nil
}

// mapPoolPGsUp is OSDMap::map_pool_pgs_up: each PG's up set, by seed.
func mapPoolPGsUp(om *crush.OSDMap, pool int64) (any, error) {
	p := om.Pools[pool]
	if p == nil {
		return nil, fmt.Errorf("pool %d: %w", pool, crush.ErrNoPool)
	}
	ups := make([][]int, 0, p.PGNum)
	for seed := range p.PGNum {
		up, _, err := om.PGToUpOSDs(crush.PG{Pool: pool, Seed: seed})
		if err != nil {
			return nil, err
		}
		ups = append(ups, up)
	}
	return map[string]any{"up": ups}, nil
}

// pgToUpActing is OSDMap::pg_to_up_acting_osds: the up set from CRUSH and
// the upmaps, the acting set from pg_temp and primary_temp
// (OSDMap::_get_temp_osds) where the map has them.
func pgToUpActing(om *crush.OSDMap, dump json.RawMessage, pg crush.PG) (any, error) {
	p := om.Pools[pg.Pool]
	if p == nil {
		return nil, fmt.Errorf("pool %d: %w", pg.Pool, crush.ErrNoPool)
	}
	up, upPrimary, err := om.PGToUpOSDs(pg)
	if err != nil {
		return nil, err
	}
	var tm tempMaps
	if err := json.Unmarshal(dump, &tm); err != nil {
		return nil, fmt.Errorf("%w: pg_temp: %w", crush.ErrBadOSDMap, err)
	}
	id := p.RawPGToPG(pg).String()
	var acting []int
	for _, t := range tm.PGTemp {
		if t.PGID != id {
			continue
		}
		for _, o := range t.OSDs {
			switch {
			case om.Exists(o) && om.IsUp(o):
				acting = append(acting, o)
			case !p.CanShift():
				acting = append(acting, crush.ItemNone)
			}
		}
	}
	actingPrimary := -1
	for _, t := range tm.PrimaryTemp {
		if t.PGID == id {
			actingPrimary = t.OSD
		}
	}
	if actingPrimary == -1 {
		for _, o := range acting {
			if o != crush.ItemNone {
				actingPrimary = o
				break
			}
		}
	}
	if len(acting) == 0 {
		acting = up
	}
	if actingPrimary == -1 {
		actingPrimary = upPrimary
	}
	return map[string]any{"up": up, "acting": acting, "up_primary": upPrimary, "acting_primary": actingPrimary}, nil
}
