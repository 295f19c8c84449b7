package crush

import "testing"

// TestLnTables checks generated entries against the values Ceph
// publishes in src/crush/crush_ln_table.h, a few of each kind: the
// formula, the formula with Ceph's offset, the deliberate last LH entry,
// and an erratum.
func TestLnTables(t *testing.T) {
	tb := tables()
	rhlh := map[int]uint64{
		0: 0x0001000000000000, 1: 0, 2: 0x0000fe03f80fe040, 3: 0x000002dfca16dde1,
		64: 0x0000cccccccccccd, 65: 0x00005269e12f346e,
		255: 0x0000fe8df263f957, 256: 0x0000800000000000, 257: 0x0000ffff00000000,
	}
	for i, want := range rhlh {
		if tb.rhlh[i] != want {
			t.Errorf("RH_LH[%d] = %#x, Ceph %#x", i, tb.rhlh[i], want)
		}
	}
	ll := map[int]uint64{
		0: 0, 1: 0x00000002e2a60a00, 2: 0x000000070cb64ec5, 100: 0x0000012160f11bc6,
		127: 0x0000016df6ca19bd, 203: 0x00000247ed646bfe, 255: 0x000002dced24f814,
	}
	for i, want := range ll {
		if tb.ll[i] != want {
			t.Errorf("LL[%d] = %#x, Ceph %#x", i, tb.ll[i], want)
		}
	}
	// crush_ln is monotonic below 0xffff; at 0xffff the short last LH
	// entry drops it just below 2^48 (and below crush_ln(0xfffe)).
	prev := crushLn(0)
	if prev != 0 {
		t.Errorf("crush_ln(0) = %#x", prev)
	}
	if v := crushLn(0xffff); v != 0xfffff0000000 {
		t.Errorf("crush_ln(0xffff) = %#x", v)
	}
	for u := uint32(1); u < 0xffff; u++ {
		v := crushLn(u)
		if v < prev || v >= 1<<48 {
			t.Fatalf("crush_ln(%#x) = %#x after %#x", u, v, prev)
		}
		prev = v
	}
}

// TestHashInputs checks that every input of the rjenkins1 hashes counts;
// their values are checked through every mapping compared with crushtool.
func TestHashInputs(t *testing.T) {
	if Hash2(0, 0) == Hash2(0, 1) || Hash3(1, 2, 3) == Hash3(1, 2, 4) || Hash4(1, 2, 3, 4) == Hash4(1, 2, 3, 5) {
		t.Fatal("hash ignores an input")
	}
}
