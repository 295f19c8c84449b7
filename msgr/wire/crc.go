package wire

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CRC32C is Ceph's ceph_crc32c(crc, b, len(b)): the Castagnoli polynomial
// with neither the initial nor the final inversion that hash/crc32 applies,
// so CRC32C(0, zeros) is 0 and the msgr v1 header and footer crcs are
// CRC32C(0, bytes). Chaining works: CRC32C(CRC32C(c, a), b) == CRC32C(c, a+b).
func CRC32C(crc uint32, b []byte) uint32 {
	// crc32.Update inverts on the way in and out; undo both.
	return ^crc32.Update(^crc, castagnoli, b)
}
