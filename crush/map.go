package crush

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Alg is a bucket algorithm, numbered as in crush.h.
type Alg int

// The bucket algorithms of crush.h.
const (
	AlgUniform Alg = 1
	AlgList    Alg = 2
	AlgTree    Alg = 3
	AlgStraw   Alg = 4
	AlgStraw2  Alg = 5
)

var algNames = map[string]Alg{
	"uniform": AlgUniform, "list": AlgList, "tree": AlgTree,
	"straw": AlgStraw, "straw2": AlgStraw2,
}

func (a Alg) String() string {
	for n, v := range algNames {
		if v == a {
			return n
		}
	}
	return "alg" + strconv.Itoa(int(a))
}

// Op is a rule step's opcode, numbered as in crush.h (CRUSH_RULE_*).
type Op int

// The rule step opcodes of crush.h.
const (
	OpNoop                   Op = 0
	OpTake                   Op = 1
	OpChooseFirstN           Op = 2
	OpChooseIndep            Op = 3
	OpEmit                   Op = 4
	OpChooseLeafFirstN       Op = 6
	OpChooseLeafIndep        Op = 7
	OpSetChooseTries         Op = 8
	OpSetChooseLeafTries     Op = 9
	OpSetChooseLocalTries    Op = 10
	OpSetChooseLocalFallback Op = 11
	OpSetChooseLeafVaryR     Op = 12
	OpSetChooseLeafStable    Op = 13
)

var opNames = map[string]Op{
	"noop": OpNoop, "take": OpTake, "emit": OpEmit,
	"choose_firstn": OpChooseFirstN, "choose_indep": OpChooseIndep,
	"chooseleaf_firstn": OpChooseLeafFirstN, "chooseleaf_indep": OpChooseLeafIndep,
	"set_choose_tries": OpSetChooseTries, "set_chooseleaf_tries": OpSetChooseLeafTries,
	"set_choose_local_tries":          OpSetChooseLocalTries,
	"set_choose_local_fallback_tries": OpSetChooseLocalFallback,
	"set_chooseleaf_vary_r":           OpSetChooseLeafVaryR,
	"set_chooseleaf_stable":           OpSetChooseLeafStable,
}

// ItemNone is CRUSH_ITEM_NONE: a position an indep rule (or an erasure
// pool's up set) could not fill.
const ItemNone = 0x7fffffff

// itemUndef is CRUSH_ITEM_UNDEF, indep's "not chosen yet".
const itemUndef = 0x7ffffffe

// Weight1 is 1.0 in CRUSH's 16.16 fixed point: an OSD fully in.
const Weight1 = 0x10000

// Bucket is one CRUSH bucket. Items and ItemWeights run in parallel;
// weights are 16.16 fixed point, as the dump prints them.
type Bucket struct {
	ID          int
	Name        string
	Type        int
	Alg         Alg
	Hash        int
	Weight      uint32
	Items       []int
	ItemWeights []uint32
	sumWeights  []uint32 // list buckets: running sums of ItemWeights
}

// Step is one rule step; Arg1 is the take item or the count, Arg2 the
// type to choose.
type Step struct {
	Op   Op
	Arg1 int
	Arg2 int
}

// Rule is one CRUSH rule.
type Rule struct {
	ID      int
	Name    string
	Ruleset int
	Type    int // 1 replicated, 3 erasure
	MinSize int
	MaxSize int
	Steps   []Step
}

// Tunables are the map-wide knobs crush_do_rule reads.
type Tunables struct {
	ChooseLocalTries         int
	ChooseLocalFallbackTries int
	ChooseTotalTries         int
	ChooseLeafDescendOnce    int
	ChooseLeafVaryR          int
	ChooseLeafStable         int
	StrawCalcVersion         int
	AllowedBucketAlgs        int
}

// ChooseArg is a weight set for one bucket: per-position weights
// (WeightSet[position][item]) and optional replacement ids for hashing.
type ChooseArg struct {
	WeightSet [][]uint32
	IDs       []int
}

// Map is a parsed CRUSH map. It is immutable once parsed and safe to use
// from any goroutine.
type Map struct {
	Devices  map[int]string // id -> name
	Classes  map[int]string // id -> device class, where set
	Types    map[int]string // type id -> name
	Buckets  []*Bucket      // by -1-id; nil where no bucket
	Rules    []*Rule        // by rule id; nil where no rule
	Tunables Tunables
	// ChooseArgs are the weight sets by choose_args index (a pool id, or
	// -1 for the compat set), each indexed by -1-bucket id.
	ChooseArgs map[int64][]*ChooseArg

	maxDevices int
}

// Bucket returns the bucket with id (negative), or nil.
func (m *Map) Bucket(id int) *Bucket {
	if id >= 0 || -1-id >= len(m.Buckets) {
		return nil
	}
	return m.Buckets[-1-id]
}

// MaxDevices is crush_map.max_devices: one past the highest device id.
func (m *Map) MaxDevices() int { return m.maxDevices }

type jsonCrush struct {
	Devices []struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Class string `json:"class"`
	} `json:"devices"`
	Types []struct {
		TypeID int    `json:"type_id"`
		Name   string `json:"name"`
	} `json:"types"`
	Buckets []struct {
		ID     int     `json:"id"`
		Name   string  `json:"name"`
		TypeID int     `json:"type_id"`
		Weight float64 `json:"weight"`
		Alg    string  `json:"alg"`
		Hash   string  `json:"hash"`
		Items  []struct {
			ID     int     `json:"id"`
			Weight float64 `json:"weight"`
			Pos    int     `json:"pos"`
		} `json:"items"`
	} `json:"buckets"`
	Rules []struct {
		RuleID  int    `json:"rule_id"`
		Name    string `json:"rule_name"`
		Ruleset *int   `json:"ruleset"`
		Type    int    `json:"type"`
		MinSize int    `json:"min_size"`
		MaxSize int    `json:"max_size"`
		Steps   []struct {
			Op     string `json:"op"`
			Item   int    `json:"item"`
			Num    int    `json:"num"`
			Type   string `json:"type"`
			Opcode *int   `json:"opcode"`
			Arg1   int    `json:"arg1"`
			Arg2   int    `json:"arg2"`
		} `json:"steps"`
	} `json:"rules"`
	Tunables   map[string]json.RawMessage `json:"tunables"`
	ChooseArgs map[string][]struct {
		BucketID  int         `json:"bucket_id"`
		WeightSet [][]float64 `json:"weight_set"`
		IDs       []int       `json:"ids"`
	} `json:"choose_args"`
}

// ParseCrush parses the JSON of `ceph osd crush dump` (or
// `crushtool -i MAP --dump`).
func ParseCrush(dump []byte) (*Map, error) {
	var j jsonCrush
	if err := json.Unmarshal(dump, &j); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMap, err)
	}
	m := &Map{
		Devices:    map[int]string{},
		Classes:    map[int]string{},
		Types:      map[int]string{},
		ChooseArgs: map[int64][]*ChooseArg{},
	}
	typeByName := map[string]int{}
	for _, t := range j.Types {
		m.Types[t.TypeID] = t.Name
		typeByName[t.Name] = t.TypeID
	}
	for _, d := range j.Devices {
		if d.ID < 0 || d.ID >= ItemNone {
			return nil, fmt.Errorf("%w: device id %d", ErrBadMap, d.ID)
		}
		m.Devices[d.ID] = d.Name
		if d.Class != "" {
			m.Classes[d.ID] = d.Class
		}
		m.maxDevices = max(m.maxDevices, d.ID+1)
	}
	for _, jb := range j.Buckets {
		if jb.ID >= 0 || jb.ID < -1<<20 {
			return nil, fmt.Errorf("%w: bucket id %d", ErrBadMap, jb.ID)
		}
		alg, ok := algNames[jb.Alg]
		if !ok {
			return nil, fmt.Errorf("%w: bucket %d: algorithm %q", ErrBadMap, jb.ID, jb.Alg)
		}
		hash := hashRjenkins1
		if jb.Hash != "rjenkins1" && jb.Hash != "0" {
			hash = -1
		}
		b := &Bucket{ID: jb.ID, Name: jb.Name, Type: jb.TypeID, Alg: alg, Hash: hash,
			Weight: fixed(jb.Weight)}
		items := slices.Clone(jb.Items)
		// pos is the item's index in the bucket; the dump lists them in
		// order, but trust pos where it is a permutation.
		slices.SortStableFunc(items, func(a, b struct {
			ID     int     `json:"id"`
			Weight float64 `json:"weight"`
			Pos    int     `json:"pos"`
		}) int {
			return a.Pos - b.Pos
		})
		var sum uint32
		for _, it := range items {
			if it.ID >= ItemNone-1 || it.ID < -1<<20 {
				return nil, fmt.Errorf("%w: bucket %d: item %d", ErrBadMap, jb.ID, it.ID)
			}
			w := fixed(it.Weight)
			b.Items = append(b.Items, it.ID)
			b.ItemWeights = append(b.ItemWeights, w)
			sum += w
			b.sumWeights = append(b.sumWeights, sum)
			if it.ID >= 0 {
				m.maxDevices = max(m.maxDevices, it.ID+1)
			}
		}
		idx := -1 - jb.ID
		if idx >= len(m.Buckets) {
			m.Buckets = append(m.Buckets, make([]*Bucket, idx+1-len(m.Buckets))...)
		}
		if m.Buckets[idx] != nil {
			return nil, fmt.Errorf("%w: bucket %d twice", ErrBadMap, jb.ID)
		}
		m.Buckets[idx] = b
	}
	for _, b := range m.Buckets {
		if b == nil {
			continue
		}
		for _, it := range b.Items {
			if it < 0 && m.Bucket(it) == nil {
				return nil, fmt.Errorf("%w: bucket %d holds missing bucket %d", ErrBadMap, b.ID, it)
			}
		}
	}
	if err := checkAcyclic(m); err != nil {
		return nil, err
	}
	for _, jr := range j.Rules {
		if jr.RuleID < 0 || jr.RuleID > 1<<16 {
			return nil, fmt.Errorf("%w: rule id %d", ErrBadMap, jr.RuleID)
		}
		r := &Rule{ID: jr.RuleID, Name: jr.Name, Ruleset: jr.RuleID, Type: jr.Type,
			MinSize: jr.MinSize, MaxSize: jr.MaxSize}
		if jr.Ruleset != nil {
			r.Ruleset = *jr.Ruleset
		}
		for _, js := range jr.Steps {
			var s Step
			if js.Opcode != nil {
				s = Step{Op: Op(*js.Opcode), Arg1: js.Arg1, Arg2: js.Arg2}
			} else {
				op, ok := opNames[js.Op]
				if !ok {
					return nil, fmt.Errorf("%w: rule %d: step %q", ErrBadMap, jr.RuleID, js.Op)
				}
				s.Op = op
				switch op {
				case OpTake:
					s.Arg1 = js.Item
				case OpChooseFirstN, OpChooseIndep, OpChooseLeafFirstN, OpChooseLeafIndep:
					t, ok := typeByName[js.Type]
					if !ok {
						return nil, fmt.Errorf("%w: rule %d: type %q", ErrBadMap, jr.RuleID, js.Type)
					}
					s.Arg1, s.Arg2 = js.Num, t
				default:
					s.Arg1 = js.Num
				}
			}
			r.Steps = append(r.Steps, s)
		}
		if jr.RuleID >= len(m.Rules) {
			m.Rules = append(m.Rules, make([]*Rule, jr.RuleID+1-len(m.Rules))...)
		}
		m.Rules[jr.RuleID] = r
	}
	if err := parseTunables(&m.Tunables, j.Tunables); err != nil {
		return nil, err
	}
	for key, args := range j.ChooseArgs {
		idx, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: choose_args %q", ErrBadMap, key)
		}
		set := make([]*ChooseArg, len(m.Buckets))
		for _, a := range args {
			b := m.Bucket(a.BucketID)
			if b == nil {
				return nil, fmt.Errorf("%w: choose_args %s: bucket %d", ErrBadMap, key, a.BucketID)
			}
			ca := &ChooseArg{IDs: a.IDs}
			if len(a.IDs) != 0 && len(a.IDs) != len(b.Items) {
				return nil, fmt.Errorf("%w: choose_args %s: bucket %d: %d ids for %d items",
					ErrBadMap, key, a.BucketID, len(a.IDs), len(b.Items))
			}
			for _, ws := range a.WeightSet {
				if len(ws) != len(b.Items) {
					return nil, fmt.Errorf("%w: choose_args %s: bucket %d: %d weights for %d items",
						ErrBadMap, key, a.BucketID, len(ws), len(b.Items))
				}
				row := make([]uint32, len(ws))
				for i, w := range ws {
					row[i] = fixed(w * Weight1)
				}
				ca.WeightSet = append(ca.WeightSet, row)
			}
			set[-1-a.BucketID] = ca
		}
		m.ChooseArgs[idx] = set
	}
	return m, nil
}

// fixed rounds a weight already scaled to 16.16 fixed point: bucket
// weights are dumped as such integers, weight sets as floats
// (weight/0x10000, printed exactly) that the caller scales.
func fixed(w float64) uint32 {
	if w <= 0 || math.IsNaN(w) {
		return 0
	}
	if w >= math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(math.Round(w))
}

func parseTunables(t *Tunables, raw map[string]json.RawMessage) error {
	// Missing tunables take the jewel (optimal since 10.2) values.
	*t = Tunables{ChooseTotalTries: 50, ChooseLeafDescendOnce: 1, ChooseLeafVaryR: 1,
		ChooseLeafStable: 1, StrawCalcVersion: 1, AllowedBucketAlgs: 54}
	fields := map[string]*int{
		"choose_local_tries":          &t.ChooseLocalTries,
		"choose_local_fallback_tries": &t.ChooseLocalFallbackTries,
		"choose_total_tries":          &t.ChooseTotalTries,
		"chooseleaf_descend_once":     &t.ChooseLeafDescendOnce,
		"chooseleaf_vary_r":           &t.ChooseLeafVaryR,
		"chooseleaf_stable":           &t.ChooseLeafStable,
		"straw_calc_version":          &t.StrawCalcVersion,
		"allowed_bucket_algs":         &t.AllowedBucketAlgs,
	}
	for k, p := range fields {
		v, ok := raw[k]
		if !ok {
			continue
		}
		if err := json.Unmarshal(v, p); err != nil {
			return fmt.Errorf("%w: tunable %s: %w", ErrBadMap, k, err)
		}
	}
	return nil
}

// checkAcyclic refuses a bucket graph with a cycle, which would send the
// mapper (and Ceph's) into endless descent.
func checkAcyclic(m *Map) error {
	state := make([]uint8, len(m.Buckets)) // 0 new, 1 on stack, 2 done
	var visit func(idx int) error
	visit = func(idx int) error {
		switch state[idx] {
		case 1:
			return fmt.Errorf("%w: bucket %d is its own ancestor", ErrBadMap, -1-idx)
		case 2:
			return nil
		}
		state[idx] = 1
		for _, it := range m.Buckets[idx].Items {
			if it < 0 {
				if err := visit(-1 - it); err != nil {
					return err
				}
			}
		}
		state[idx] = 2
		return nil
	}
	for i, b := range m.Buckets {
		if b != nil {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}
