package crush

// The rjenkins1 hash of src/crush/hash.c: Robert Jenkins' 96-bit mix,
// seeded, applied over the inputs and two constants. It is the only hash
// Ceph has ever shipped (CRUSH_HASH_RJENKINS1 = 0).

const (
	hashRjenkins1 = 0
	hashSeed      = 1315423911
	hashX         = 231232
	hashY         = 1232
)

// mix is Jenkins' mix of three 32-bit values; c carries the result.
func mix(a, b, c uint32) (uint32, uint32, uint32) {
	a -= b
	a -= c
	a ^= c >> 13
	b -= c
	b -= a
	b ^= a << 8
	c -= a
	c -= b
	c ^= b >> 13
	a -= b
	a -= c
	a ^= c >> 12
	b -= c
	b -= a
	b ^= a << 16
	c -= a
	c -= b
	c ^= b >> 5
	a -= b
	a -= c
	a ^= c >> 3
	b -= c
	b -= a
	b ^= a << 10
	c -= a
	c -= b
	c ^= b >> 15
	return a, b, c
}

// Hash2 is crush_hash32_2(CRUSH_HASH_RJENKINS1, a, b): what places a PG
// of a hashpspool pool and decides is_out and primary affinity.
func Hash2(a, b uint32) uint32 {
	h := uint32(hashSeed) ^ a ^ b
	x, y := uint32(hashX), uint32(hashY)
	a, b, h = mix(a, b, h)
	_, _, h = mix(x, a, h)
	_, _, h = mix(b, y, h)
	return h
}

// Hash3 is crush_hash32_3(CRUSH_HASH_RJENKINS1, a, b, c), the draw of
// straw, straw2 and uniform buckets.
func Hash3(a, b, c uint32) uint32 {
	h := uint32(hashSeed) ^ a ^ b ^ c
	x, y := uint32(hashX), uint32(hashY)
	a, b, h = mix(a, b, h)
	c, x, h = mix(c, x, h)
	y, _, h = mix(y, a, h)
	_, _, h = mix(b, x, h)
	_, _, h = mix(y, c, h)
	return h
}

// Hash4 is crush_hash32_4, the draw of list buckets.
func Hash4(a, b, c, d uint32) uint32 {
	h := uint32(hashSeed) ^ a ^ b ^ c ^ d
	x, y := uint32(hashX), uint32(hashY)
	a, b, h = mix(a, b, h)
	c, d, h = mix(c, d, h)
	_, x, h = mix(a, x, h)
	y, _, h = mix(y, b, h)
	_, _, h = mix(c, x, h)
	_, _, h = mix(y, d, h)
	return h
}
