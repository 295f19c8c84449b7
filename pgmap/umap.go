package pgmap

import (
	"sort"

	"gomgr/messages"
)

// umap is a map that iterates in the order libstdc++'s std::unordered_map
// (unique keys, max_load_factor 1, the prime rehash policy) iterates, given
// the same sequence of inserts and erases. Ceph's PGMap keeps pg_stat,
// osd_stat, pg_pool_sum, num_pg_by_state and others in unordered_maps and
// dumps them in iteration order, so this is what makes gomgr's `pg dump`,
// `osd perf` and the PGMapDigest list PGs, OSDs and pools in the order a
// real ceph-mgr does.
//
// The layout follows _Hashtable: one singly linked list of all nodes
// (begin is beforeBegin.next), and per bucket a pointer to the node
// before the bucket's first node (nil for an empty bucket).
type umap[K comparable, V any] struct {
	hash       func(K) uint64
	buckets    []*unode[K, V] // node before the bucket's first node; &beforeBegin for the list head
	beforeBeg  unode[K, V]
	nextResize uint64
	index      map[K]*unode[K, V]
}

type unode[K comparable, V any] struct {
	key  K
	val  V
	next *unode[K, V]
}

func newUmap[K comparable, V any](hash func(K) uint64) *umap[K, V] {
	return &umap[K, V]{hash: hash, buckets: make([]*unode[K, V], 1), index: make(map[K]*unode[K, V])}
}

func (m *umap[K, V]) Len() int { return len(m.index) }

func (m *umap[K, V]) bucket(k K) int { return int(m.hash(k) % uint64(len(m.buckets))) }

// Get returns the value for k.
func (m *umap[K, V]) Get(k K) (V, bool) {
	n, ok := m.index[k]
	if !ok {
		var zero V
		return zero, false
	}
	return n.val, true
}

// Ptr returns a pointer to k's value, inserting a zero value first if k
// is absent (std::unordered_map::operator[]).
func (m *umap[K, V]) Ptr(k K) *V {
	if n, ok := m.index[k]; ok {
		return &n.val
	}
	return &m.insert(k, *new(V)).val
}

// Set inserts or replaces k's value; a replaced key keeps its position.
func (m *umap[K, V]) Set(k K, v V) {
	if n, ok := m.index[k]; ok {
		n.val = v
		return
	}
	m.insert(k, v)
}

func (m *umap[K, V]) insert(k K, v V) *unode[K, V] {
	if nb, ok := m.needRehash(1); ok {
		m.rehash(nb)
	}
	n := &unode[K, V]{key: k, val: v}
	m.index[k] = n
	b := m.bucket(k)
	if m.buckets[b] != nil {
		n.next = m.buckets[b].next
		m.buckets[b].next = n
	} else {
		n.next = m.beforeBeg.next
		m.beforeBeg.next = n
		if n.next != nil {
			m.buckets[m.bucket(n.next.key)] = n
		}
		m.buckets[b] = &m.beforeBeg
	}
	return n
}

// Delete erases k (a no-op when absent).
func (m *umap[K, V]) Delete(k K) {
	n, ok := m.index[k]
	if !ok {
		return
	}
	delete(m.index, k)
	b := m.bucket(k)
	prev := m.buckets[b]
	for prev.next != n {
		prev = prev.next
	}
	if prev == m.buckets[b] {
		// n begins its bucket: _M_remove_bucket_begin.
		next := n.next
		nextB := 0
		if next != nil {
			nextB = m.bucket(next.key)
		}
		if next == nil || nextB != b {
			if next != nil {
				m.buckets[nextB] = m.buckets[b]
			}
			if m.buckets[b] == &m.beforeBeg {
				m.beforeBeg.next = next
			}
			m.buckets[b] = nil
		}
	} else if n.next != nil {
		if nb := m.bucket(n.next.key); nb != b {
			m.buckets[nb] = prev
		}
	}
	prev.next = n.next
}

// Range calls f for each entry in iteration order until f returns false.
func (m *umap[K, V]) Range(f func(k K, v *V) bool) {
	for n := m.beforeBeg.next; n != nil; n = n.next {
		if !f(n.key, &n.val) {
			return
		}
	}
}

// Keys returns the keys in iteration order.
func (m *umap[K, V]) Keys() []K {
	out := make([]K, 0, len(m.index))
	for n := m.beforeBeg.next; n != nil; n = n.next {
		out = append(out, n.key)
	}
	return out
}

// Clone copies m as std::unordered_map's copy constructor and copy
// assignment do: same bucket count, same iteration order.
func (m *umap[K, V]) Clone() *umap[K, V] {
	c := &umap[K, V]{hash: m.hash, buckets: make([]*unode[K, V], len(m.buckets)), nextResize: m.nextResize,
		index: make(map[K]*unode[K, V], len(m.index))}
	prev := &c.beforeBeg
	for n := m.beforeBeg.next; n != nil; n = n.next {
		cn := &unode[K, V]{key: n.key, val: n.val}
		prev.next = cn
		c.index[n.key] = cn
		b := c.bucket(n.key)
		if c.buckets[b] == nil {
			c.buckets[b] = prev
		}
		prev = cn
	}
	return c
}

// Clear erases everything but keeps the bucket count, as clear() does.
func (m *umap[K, V]) Clear() {
	for i := range m.buckets {
		m.buckets[i] = nil
	}
	m.beforeBeg.next = nil
	m.index = make(map[K]*unode[K, V])
}

// needRehash is _Prime_rehash_policy::_M_need_rehash for one insert.
func (m *umap[K, V]) needRehash(ins uint64) (uint64, bool) {
	nElt := uint64(len(m.index))
	nBkt := uint64(len(m.buckets))
	if nElt+ins > m.nextResize {
		minBkts := nElt + ins
		if m.nextResize == 0 && minBkts < 11 {
			minBkts = 11
		}
		if minBkts >= nBkt {
			want := minBkts + 1
			if nBkt*2 > want {
				want = nBkt * 2
			}
			return m.nextBkt(want), true
		}
		m.nextResize = nBkt
	}
	return 0, false
}

var fastBkt = [...]uint64{2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13}

// nextBkt is _Prime_rehash_policy::_M_next_bkt.
func (m *umap[K, V]) nextBkt(n uint64) uint64 {
	if n < uint64(len(fastBkt)) {
		if n == 0 {
			return 1
		}
		m.nextResize = fastBkt[n]
		return fastBkt[n]
	}
	list := primeList[6 : len(primeList)-1]
	i := sort.Search(len(list), func(i int) bool { return list[i] >= n })
	if i >= len(list)-1 {
		m.nextResize = ^uint64(0)
		return list[len(list)-1]
	}
	m.nextResize = list[i]
	return list[i]
}

func (m *umap[K, V]) rehash(nb uint64) {
	nbk := make([]*unode[K, V], nb)
	p := m.beforeBeg.next
	m.beforeBeg.next = nil
	bbeginBkt := uint64(0)
	for p != nil {
		next := p.next
		b := m.hash(p.key) % nb
		if nbk[b] == nil {
			p.next = m.beforeBeg.next
			m.beforeBeg.next = p
			nbk[b] = &m.beforeBeg
			if p.next != nil {
				nbk[bbeginBkt] = p
			}
			bbeginBkt = b
		} else {
			p.next = nbk[b].next
			nbk[b].next = p
		}
		p = next
	}
	m.buckets = nbk
}

// primeList is libstdc++'s __prime_list (the 64-bit one, up to the sizes a
// Ceph cluster's maps reach).
var primeList = []uint64{
	2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31,
	37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
	83, 89, 97, 103, 109, 113, 127, 137, 139, 149,
	157, 167, 179, 193, 199, 211, 227, 241, 257,
	277, 293, 313, 337, 359, 383, 409, 439, 467,
	503, 541, 577, 619, 661, 709, 761, 823, 887,
	953, 1031, 1109, 1193, 1289, 1381, 1493, 1613,
	1741, 1879, 2029, 2179, 2357, 2549, 2753, 2971,
	3209, 3469, 3739, 4027, 4349, 4703, 5087, 5503,
	5953, 6427, 6949, 7517, 8123, 8783, 9497, 10273,
	11113, 12011, 12983, 14033, 15173, 16411, 17749,
	19183, 20753, 22447, 24281, 26267, 28411, 30727,
	33223, 35933, 38873, 42043, 45481, 49201, 53201,
	57557, 62233, 67307, 72817, 78779, 85229, 92203,
	99733, 107897, 116731, 126271, 136607, 147793,
	159871, 172933, 187091, 202409, 218971, 236897,
	256279, 277261, 299951, 324503, 351061, 379787,
	410857, 444487, 480881, 520241, 562841, 608903,
	658753, 712697, 771049, 834181, 902483, 976369,
	1056323, 1142821, 1236397, 1337629, 1447153,
	1565659, 1693859, 1832561, 1982627, 2144977,
	2320627, 2510653, 2716249, 2938679, 3179303,
	3439651, 3721303, 4026031, 4355707, 4712381,
	5098259, 5515729, 5967347, 6456007, 6984629,
	7556579, 8175383, 8844859, 9569143, 10352717,
	11200489, 12117689, 13109983, 14183539, 15345007,
	16601593, 17961079, 19431899, 21023161, 22744717,
	24607243, 26622317, 28802401, 31160981, 33712729,
	36473443, 39460231, 42691603, 46187573, 49969847,
	54061849, 58488943, 63278561, 68460391, 74066549,
	80131819, 86693767, 93793069, 101473717, 109783337,
	118773397, 128499677, 139022417, 150406843,
	162723577, 176048909, 190465427, 206062531,
	222936881, 241193053, 260944219, 282312799,
	305431229, 330442829, 357502601, 386778277,
	418451333, 452718089, 489790921, 529899637,
	573292817, 620239453, 671030513, 725980837,
	785430967, 849749479, 919334987, 994618837,
	1076067617, 1164186217, 1259520799, 1362662261,
	1474249943, 1594975441, 1725587117, 1866894511,
	2019773507, 2185171673, 2364114217, 2557710269,
	2767159799, 2993761039, 3238918481, 3504151727,
	3791104843, 4101556399, 4294967291,
	// The list goes on in libstdc++; a sentinel past what a PGMap reaches.
	1 << 62,
}

// Hashes of the key types Ceph's PGMap uses (std::hash is the identity on
// integers; pg_t's is in src/osd/osd_types.h).

func hashPG(id messages.PGID) uint64 {
	return uint64(0xffffffff ^ uint32(id.Pool) ^ uint32(id.Pool>>32) ^ id.Seed)
}

func hashInt32(k int32) uint64 { return uint64(int64(k)) }

func hashInt64(k int64) uint64 { return uint64(k) }

func hashUint64(k uint64) uint64 { return k }
