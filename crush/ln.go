package crush

import (
	"math/big"
	"sync"
)

// crush_ln, the fixed-point log2 straw2 draws with, and its two lookup
// tables. Ceph ships the tables as literals (crush_ln_table.h); here they
// are computed from their definitions:
//
//	rhlh[2k]   = 2^48 / (1 + k/128), rounded up   (k = 0..128)
//	rhlh[2k+1] = 2^48 * log2(1 + k/128), rounded down
//	ll[k]      = 2^48 * log2(1 + k/2^15), rounded down (k = 0..255)
//
// Ceph's literals depart from those definitions in ways no formula
// reproduces, and straw2 must agree with Ceph draw for draw, so the
// departures are kept as data (llPlus, llErrata below); TestLnTables
// checks the generated tables against published entries and the mapping
// tests check every draw against crushtool.

type lnTables struct {
	rhlh [2*128 + 2]uint64
	ll   [256]uint64
}

// tables is computed once, on first use: about a millisecond of big-float
// series that a program never placing a PG does not pay.
var tables = sync.OnceValue(computeLnTables)

// llPlus is Ceph's systematic offset in ll: every entry from k = 2 on
// carries +0x1477<<20 over the definition, except those in llNoPlus.
const llPlus = 0x1477 << 20

var llNoPlus = map[int]bool{
	203: true, 216: true, 222: true, 233: true, 237: true, 238: true, 239: true,
	243: true, 244: true, 245: true, 246: true, 248: true, 249: true, 250: true,
	251: true, 252: true, 253: true, 254: true, 255: true,
}

// llErrata are the ll entries of Ceph's table that match neither the
// definition nor the offset rule (values repeated from elsewhere in the
// table, truncated digits). They change which item a straw2 bucket picks
// for about one draw in seven, so they are data here, as in Ceph.
var llErrata = map[int]uint64{
	56: 0xa2b07f3458, 127: 0x16df6ca19bd, 134: 0x182b07f3458,
	181: 0x209c06e6212, 184: 0x212b07f3458, 188: 0x21d6a73a78f,
	193: 0x22c23679b4e, 198: 0x23a2c3b0ea4, 199: 0x23d13ee805b,
	200: 0x24035e9221f, 207: 0x25492644d65, 210: 0x25d13ee805b,
	212: 0x26296453882, 225: 0x287bdbf5255, 227: 0x28d13ee805b,
	228: 0x29035e9221f, 229: 0x29296453882, 231: 0x29902a37aab,
	235: 0x2a4c7605d61, 236: 0x2a7bdbf5255, 240: 0x2b296453882,
	241: 0x2b5d022d80f, 247: 0x2c61a5e8f4c,
}

func computeLnTables() *lnTables {
	t := new(lnTables)
	ln2 := bigLn(big.NewRat(2, 1))
	two48 := new(big.Float).SetPrec(lnPrec).SetMantExp(big.NewFloat(1), 48)
	// floorLog2 is floor(2^48 * log2(num/den)).
	floorLog2 := func(num, den int64) uint64 {
		v := bigLn(big.NewRat(num, den))
		v.Quo(v, ln2)
		v.Mul(v, two48)
		u, _ := v.Uint64() // truncates toward zero: v >= 0
		return u
	}
	for k := int64(0); k <= 128; k++ {
		// 2^48 / (1 + k/128) = 2^55 / (128 + k), rounded up.
		t.rhlh[2*k] = ((uint64(1) << 55) + uint64(128+k) - 1) / uint64(128+k)
		t.rhlh[2*k+1] = floorLog2(128+k, 128)
	}
	// log2(2) would be 2^48 exactly; Ceph's table holds 0xffff<<32 so
	// that a draw of 0xffff stays below zero after the 2^48 offset
	// (mapper.c: "slightly less than 0x10000 produces a slightly more
	// accurate distribution").
	t.rhlh[257] = 0xffff << 32
	for k := range 256 {
		v := floorLog2(1<<15+int64(k), 1<<15)
		if k >= 2 && !llNoPlus[k] {
			v += llPlus
		}
		if e, ok := llErrata[k]; ok {
			v = e
		}
		t.ll[k] = v
	}
	return t
}

// lnPrec is ample: no table entry lies within 2^-100 of an integer, so
// truncation is exact.
const lnPrec = 256

// bigLn is ln(r) for r >= 1 by ln(r) = 2 atanh((r-1)/(r+1)), whose series
// converges by a factor z^2 <= 1/9 a term.
func bigLn(r *big.Rat) *big.Float {
	num := new(big.Rat).Sub(r, big.NewRat(1, 1))
	den := new(big.Rat).Add(r, big.NewRat(1, 1))
	z := new(big.Float).SetPrec(lnPrec).SetRat(new(big.Rat).Quo(num, den))
	z2 := new(big.Float).SetPrec(lnPrec).Mul(z, z)
	sum := new(big.Float).SetPrec(lnPrec)
	pow := new(big.Float).SetPrec(lnPrec).Set(z)
	term := new(big.Float).SetPrec(lnPrec)
	eps := new(big.Float).SetPrec(lnPrec).SetMantExp(big.NewFloat(1), -lnPrec)
	for n := int64(1); ; n += 2 {
		term.Quo(pow, new(big.Float).SetPrec(lnPrec).SetInt64(n))
		sum.Add(sum, term)
		if term.Cmp(eps) < 0 {
			break
		}
		pow.Mul(pow, z2)
	}
	return sum.Mul(sum, big.NewFloat(2))
}

// crushLn is crush_ln: 2^44 * log2(x+1) for x in [0, 0xffff], in fixed
// point, from the tables: normalise x+1 into [2^15, 2^16], split it into a
// coarse factor (rhlh, by the top 8 bits) and a fine one (ll).
func crushLn(xin uint32) uint64 { return crushLnT(tables(), xin) }

func crushLnT(t *lnTables, xin uint32) uint64 {
	x := xin + 1
	iexpon := 15
	for x&0x18000 == 0 {
		x <<= 1
		iexpon--
	}
	index1 := (x >> 8) << 1
	rh := t.rhlh[index1-256]
	lh := t.rhlh[index1+1-256]
	xl64 := (uint64(x) * rh) >> 48
	result := uint64(iexpon) << (12 + 32)
	lh += t.ll[xl64&0xff]
	lh >>= 48 - 12 - 32
	return result + lh
}
