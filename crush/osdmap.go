package crush

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// PG is a placement group id: pool and placement seed.
type PG struct {
	Pool int64
	Seed uint32
}

// String is Ceph's pg_t text, pool.seed in hex ("1.3f").
func (p PG) String() string {
	return strconv.FormatInt(p.Pool, 10) + "." + strconv.FormatUint(uint64(p.Seed), 16)
}

// ParsePG parses "1.3f".
func ParsePG(s string) (PG, error) {
	pool, seed, ok := strings.Cut(s, ".")
	if !ok {
		return PG{}, fmt.Errorf("%w: pgid %q", ErrBadOSDMap, s)
	}
	p, err1 := strconv.ParseInt(pool, 10, 64)
	ps, err2 := strconv.ParseUint(seed, 16, 32)
	if err1 != nil || err2 != nil || p < 0 {
		return PG{}, fmt.Errorf("%w: pgid %q", ErrBadOSDMap, s)
	}
	return PG{Pool: p, Seed: uint32(ps)}, nil
}

func (p PG) less(q PG) bool { return p.Pool < q.Pool || (p.Pool == q.Pool && p.Seed < q.Seed) }

// ComparePG orders PGs as pg_t does: by pool, then seed.
func ComparePG(a, b PG) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// Pair is one pg_upmap_items entry: replace From by To.
type Pair struct{ From, To int }

// Pool types and flags of pg_pool_t.
const (
	PoolReplicated = 1
	PoolErasure    = 3
	FlagHashPSPool = 1
)

// Pool is what placement needs of a pg_pool_t.
type Pool struct {
	ID        int64
	Name      string
	Type      int
	Size      int
	MinSize   int
	CrushRule int
	PGNum     uint32
	PGPNum    uint32
	Flags     uint64
}

// CanShift is pg_pool_t::can_shift_osds: replicated pools close gaps in
// an up set, erasure pools keep each shard in its position.
func (p *Pool) CanShift() bool { return p.Type == PoolReplicated }

func calcMask(n uint32) uint32 {
	if n == 0 {
		return 0
	}
	return 1<<bits.Len32(n-1) - 1
}

// stableMod is ceph_stable_mod: x mod b that moves as few inputs as
// possible as b grows towards the next power of two (bmask).
func stableMod(x, b, bmask uint32) uint32 {
	if x&bmask < b {
		return x & bmask
	}
	return x & (bmask >> 1)
}

// RawPGToPPS is pg_pool_t::raw_pg_to_pps: the CRUSH input for a PG.
func (p *Pool) RawPGToPPS(seed uint32) uint32 {
	ps := stableMod(seed, p.PGPNum, calcMask(p.PGPNum))
	if p.Flags&FlagHashPSPool != 0 {
		// Hash the pool id in so that pools' PGs do not overlap.
		return Hash2(ps, uint32(p.ID))
	}
	return ps + uint32(p.ID)
}

// RawPGToPG is pg_pool_t::raw_pg_to_pg: fold a seed into pg_num.
func (p *Pool) RawPGToPG(pg PG) PG {
	return PG{Pool: pg.Pool, Seed: stableMod(pg.Seed, p.PGNum, calcMask(p.PGNum))}
}

// OSD is what placement needs of one OSD's state.
type OSD struct {
	Exists          bool
	Up              bool
	Weight          uint32 // reweight, 16.16 (0x10000 = in)
	PrimaryAffinity uint32 // 16.16, 0x10000 default
}

// OSDMap is the placement view of an osdmap: pools, OSD state, upmaps
// and the CRUSH map. Methods that do not change it are safe from any
// goroutine; CalcPGUpmaps does not change it either (it works on a copy).
type OSDMap struct {
	Epoch        int64
	MaxOSD       int
	Pools        map[int64]*Pool
	OSDs         []OSD // by id, MaxOSD long
	PGUpmap      map[PG][]int
	PGUpmapItems map[PG][]Pair
	Crush        *Map

	weights []uint32 // osd_weight, MaxOSD long: the CRUSH reweight vector
	anyPA   bool     // any non-default primary affinity
}

type jsonOSDDump struct {
	Epoch  int64 `json:"epoch"`
	MaxOSD int   `json:"max_osd"`
	Pools  []struct {
		Pool      *int64  `json:"pool"`
		Name      string  `json:"pool_name"`
		Flags     uint64  `json:"flags"`
		Type      int     `json:"type"`
		Size      int     `json:"size"`
		MinSize   int     `json:"min_size"`
		CrushRule int     `json:"crush_rule"`
		PGNum     *uint32 `json:"pg_num"`
		PGPNum    *uint32 `json:"pg_placement_num"`
	} `json:"pools"`
	OSDs []struct {
		OSD             *int     `json:"osd"`
		Up              int      `json:"up"`
		In              int      `json:"in"`
		Weight          float64  `json:"weight"`
		PrimaryAffinity *float64 `json:"primary_affinity"`
		State           []string `json:"state"`
	} `json:"osds"`
	PGUpmap []struct {
		PGID string `json:"pgid"`
		OSDs []int  `json:"osds"`
	} `json:"pg_upmap"`
	PGUpmapItems []struct {
		PGID     string `json:"pgid"`
		Mappings []struct {
			From int `json:"from"`
			To   int `json:"to"`
		} `json:"mappings"`
	} `json:"pg_upmap_items"`
}

// maxOSDs bounds max_osd from a dump, against absurd allocations.
const maxOSDs = 1 << 20

// maxPGNum bounds a pool's pg_num (Ceph's mon_max_pool_pg_num is 65,536):
// every PG of a pool is mapped, for a map a module process sends.
const maxPGNum = 1 << 20

// ParseOSDMap parses the JSON of `ceph osd dump` (or `osdmaptool --dump
// json`) and binds it to crush, which it keeps (not copied).
func ParseOSDMap(dump []byte, crush *Map) (*OSDMap, error) {
	if crush == nil {
		return nil, fmt.Errorf("%w: no crush map", ErrBadOSDMap)
	}
	var j jsonOSDDump
	if err := json.Unmarshal(dump, &j); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOSDMap, err)
	}
	if j.MaxOSD < 0 || j.MaxOSD > maxOSDs {
		return nil, fmt.Errorf("%w: max_osd %d", ErrBadOSDMap, j.MaxOSD)
	}
	o := &OSDMap{
		Epoch:        j.Epoch,
		MaxOSD:       j.MaxOSD,
		Pools:        map[int64]*Pool{},
		OSDs:         make([]OSD, j.MaxOSD),
		PGUpmap:      map[PG][]int{},
		PGUpmapItems: map[PG][]Pair{},
		Crush:        crush,
		weights:      make([]uint32, j.MaxOSD),
	}
	for _, jp := range j.Pools {
		if jp.Pool == nil || *jp.Pool < 0 || jp.PGNum == nil {
			return nil, fmt.Errorf("%w: pool without id or pg_num", ErrBadOSDMap)
		}
		if jp.Size < 0 || jp.Size > 64 {
			return nil, fmt.Errorf("%w: pool %d size %d", ErrBadOSDMap, *jp.Pool, jp.Size)
		}
		if *jp.PGNum > maxPGNum || (jp.PGPNum != nil && *jp.PGPNum > maxPGNum) {
			return nil, fmt.Errorf("%w: pool %d pg_num %d", ErrBadOSDMap, *jp.Pool, *jp.PGNum)
		}
		p := &Pool{ID: *jp.Pool, Name: jp.Name, Type: jp.Type, Size: jp.Size, MinSize: jp.MinSize,
			CrushRule: jp.CrushRule, PGNum: *jp.PGNum, PGPNum: *jp.PGNum, Flags: jp.Flags}
		if jp.PGPNum != nil {
			p.PGPNum = *jp.PGPNum
		}
		o.Pools[p.ID] = p
	}
	for _, jo := range j.OSDs {
		if jo.OSD == nil || *jo.OSD < 0 || *jo.OSD >= j.MaxOSD {
			return nil, fmt.Errorf("%w: osd entry out of range (max_osd %d)", ErrBadOSDMap, j.MaxOSD)
		}
		id := *jo.OSD
		d := OSD{Exists: true, Up: jo.Up != 0, Weight: unitToFixed(jo.Weight), PrimaryAffinity: Weight1}
		if jo.State != nil && !slices.Contains(jo.State, "exists") {
			d.Exists = false
		}
		if jo.PrimaryAffinity != nil {
			d.PrimaryAffinity = unitToFixed(*jo.PrimaryAffinity)
		}
		o.OSDs[id] = d
		o.weights[id] = d.Weight
		if d.PrimaryAffinity != Weight1 {
			o.anyPA = true
		}
	}
	for _, u := range j.PGUpmap {
		pg, err := ParsePG(u.PGID)
		if err != nil {
			return nil, err
		}
		o.PGUpmap[pg] = slices.Clone(u.OSDs)
	}
	for _, u := range j.PGUpmapItems {
		pg, err := ParsePG(u.PGID)
		if err != nil {
			return nil, err
		}
		items := make([]Pair, 0, len(u.Mappings))
		for _, m := range u.Mappings {
			items = append(items, Pair{From: m.From, To: m.To})
		}
		o.PGUpmapItems[pg] = items
	}
	return o, nil
}

// unitToFixed turns a dumped 0..1 float (weight/0x10000, printed
// exactly) back into 16.16.
func unitToFixed(f float64) uint32 {
	if !(f > 0) {
		return 0
	}
	return uint32(min(math.Round(f*Weight1), math.MaxUint32))
}

// Exists is OSDMap::exists.
func (o *OSDMap) Exists(osd int) bool {
	return osd >= 0 && osd < o.MaxOSD && o.OSDs[osd].Exists
}

// IsUp is OSDMap::is_up.
func (o *OSDMap) IsUp(osd int) bool { return o.Exists(osd) && o.OSDs[osd].Up }

// Weight is the OSD's reweight in 16.16 (0 when out or missing).
func (o *OSDMap) Weight(osd int) uint32 {
	if osd < 0 || osd >= o.MaxOSD {
		return 0
	}
	return o.weights[osd]
}

// FindRule is CrushWrapper::find_rule: the rule of a pool's crush_rule
// (a ruleset), pool type and size, or -1.
func (o *OSDMap) FindRule(p *Pool) int {
	m := o.Crush
	rs, typ, size := p.CrushRule, p.Type, p.Size
	if rs >= 0 && rs < len(m.Rules) {
		if r := m.Rules[rs]; r != nil && r.Ruleset == rs && r.Type == typ && r.MinSize <= size && r.MaxSize >= size {
			return rs
		}
	}
	for i, r := range m.Rules {
		if r != nil && r.Ruleset == rs && r.Type == typ && r.MinSize <= size && r.MaxSize >= size {
			return i
		}
	}
	return -1
}

// PGToRawOSDs is OSDMap::_pg_to_raw_osds: CRUSH's answer for the PG,
// without nonexistent OSDs (ItemNone in their place for erasure pools),
// and the placement seed it used.
func (o *OSDMap) PGToRawOSDs(pg PG) ([]int, uint32, error) {
	p, ok := o.Pools[pg.Pool]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %d", ErrNoPool, pg.Pool)
	}
	return o.pgToRaw(p, pg, nil)
}

func (o *OSDMap) pgToRaw(p *Pool, pg PG, sc *scratch) ([]int, uint32, error) {
	pps := p.RawPGToPPS(pg.Seed)
	rule := o.FindRule(p)
	var raw []int
	if rule >= 0 {
		var err error
		raw, err = o.Crush.doRule(rule, pps, p.Size, o.weights, o.Crush.chooseArgs(p.ID), sc)
		if err != nil {
			return nil, pps, err
		}
	}
	// _remove_nonexistent_osds
	if p.CanShift() {
		raw = slices.DeleteFunc(raw, func(osd int) bool { return !o.Exists(osd) })
	} else {
		for i, osd := range raw {
			if !o.Exists(osd) {
				raw[i] = ItemNone
			}
		}
	}
	return raw, pps, nil
}

// applyUpmap is OSDMap::_apply_upmap: an explicit pg_upmap replaces the
// set unless it names an out OSD; pg_upmap_items then swap single OSDs,
// skipping a swap whose target is out or already in the set.
func (o *OSDMap) applyUpmap(p *Pool, rawPG PG, raw []int) []int {
	pg := p.RawPGToPG(rawPG)
	if u, ok := o.PGUpmap[pg]; ok {
		usable := true
		for _, osd := range u {
			if osd != ItemNone && osd >= 0 && osd < o.MaxOSD && o.weights[osd] == 0 {
				usable = false
				break
			}
		}
		if usable {
			raw = slices.Clone(u)
		}
	}
	for _, r := range o.PGUpmapItems[pg] {
		exists, pos := false, -1
		for i, osd := range raw {
			if osd == r.To {
				exists = true
				break
			}
			if osd == r.From && pos < 0 &&
				!(r.To != ItemNone && r.To < o.MaxOSD && r.To >= 0 && o.weights[r.To] == 0) {
				pos = i
			}
		}
		if !exists && pos >= 0 {
			raw[pos] = r.To
		}
	}
	return raw
}

// rawToUp is OSDMap::_raw_to_up_osds: drop (replicated) or blank
// (erasure) OSDs that are down or gone.
func (o *OSDMap) rawToUp(p *Pool, raw []int) []int {
	if p.CanShift() {
		up := make([]int, 0, len(raw))
		for _, osd := range raw {
			if o.IsUp(osd) {
				up = append(up, osd)
			}
		}
		return up
	}
	up := make([]int, len(raw))
	for i, osd := range raw {
		if o.IsUp(osd) {
			up[i] = osd
		} else {
			up[i] = ItemNone
		}
	}
	return up
}

// pickPrimary is OSDMap::_pick_primary: the first OSD in the set.
func pickPrimary(osds []int) int {
	for _, osd := range osds {
		if osd != ItemNone {
			return osd
		}
	}
	return -1
}

// applyPrimaryAffinity is OSDMap::_apply_primary_affinity: an OSD with
// affinity a < 1 declines to be primary for a hash-chosen 1-a of its PGs;
// a replicated pool then moves the chosen primary to the front.
func (o *OSDMap) applyPrimaryAffinity(seed uint32, p *Pool, osds []int, primary int) int {
	if !o.anyPA {
		return primary
	}
	any := false
	for _, osd := range osds {
		if osd != ItemNone && o.OSDs[osd].PrimaryAffinity != Weight1 {
			any = true
			break
		}
	}
	if !any {
		return primary
	}
	pos := -1
	for i, osd := range osds {
		if osd == ItemNone {
			continue
		}
		a := o.OSDs[osd].PrimaryAffinity
		if a < Weight1 && Hash2(seed, uint32(osd))>>16 >= a {
			// Declined: a fallback if nobody accepts.
			if pos < 0 {
				pos = i
			}
		} else {
			pos = i
			break
		}
	}
	if pos < 0 {
		return primary
	}
	primary = osds[pos]
	if p.CanShift() && pos > 0 {
		copy(osds[1:pos+1], osds[:pos])
		osds[0] = primary
	}
	return primary
}

// PGToUpOSDs is the up half of OSDMap::pg_to_up_acting_osds: the up set
// of a PG (ItemNone in blank erasure positions) and its primary (-1 if
// none). pg_temp and primary_temp, which make the acting set, are not
// modelled.
func (o *OSDMap) PGToUpOSDs(pg PG) (up []int, primary int, err error) {
	p, ok := o.Pools[pg.Pool]
	if !ok {
		return nil, -1, fmt.Errorf("%w: %d", ErrNoPool, pg.Pool)
	}
	return o.pgToUp(p, pg, nil)
}

func (o *OSDMap) pgToUp(p *Pool, pg PG, sc *scratch) ([]int, int, error) {
	raw, pps, err := o.pgToRaw(p, pg, sc)
	if err != nil {
		return nil, -1, err
	}
	raw = o.applyUpmap(p, pg, raw)
	up := o.rawToUp(p, raw)
	primary := o.applyPrimaryAffinity(pps, p, up, pickPrimary(up))
	return up, primary, nil
}

// PGToRawUpmap is OSDMap::pg_to_raw_upmap: the raw CRUSH set and that
// set with the upmaps applied (before down OSDs are removed).
func (o *OSDMap) PGToRawUpmap(pg PG) (raw, upmapped []int, err error) {
	p, ok := o.Pools[pg.Pool]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %d", ErrNoPool, pg.Pool)
	}
	raw, _, err = o.pgToRaw(p, pg, nil)
	if err != nil {
		return nil, nil, err
	}
	return raw, o.applyUpmap(p, pg, slices.Clone(raw)), nil
}
