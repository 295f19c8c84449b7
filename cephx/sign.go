package cephx

import (
	"encoding/binary"

	"gomgr/messages"
	"gomgr/msgr"
)

// Signature is CephxSessionHandler::_calc_signature: the fields sealed
// with the session key. With CEPHX_V2 (mimic and later) it covers the
// lengths and the seq too, and folds the first 32 bytes by XOR; before,
// it is the first 8 bytes of the legacy block.
func Signature(key Key, v2 bool, f msgr.SignFields) (uint64, error) {
	var plain []byte
	if v2 {
		plain = make([]byte, 0, 32)
		for _, v := range []uint32{f.HeaderCRC, f.FrontCRC, f.FrontLen, f.MiddleCRC, f.MiddleLen, f.DataCRC, f.DataLen, uint32(f.Seq)} {
			plain = binary.LittleEndian.AppendUint32(plain, v)
		}
	} else {
		e := messages.NewEncoder(make([]byte, 0, 29))
		e.U8(1)
		e.U64(encMagic)
		e.U32(16)
		e.U32(f.HeaderCRC)
		e.U32(f.FrontCRC)
		e.U32(f.MiddleCRC)
		e.U32(f.DataCRC)
		plain = e.Bytes()
	}
	enc, err := key.encrypt(plain)
	if err != nil {
		return 0, err
	}
	if !v2 {
		return binary.LittleEndian.Uint64(enc), nil
	}
	var sig uint64
	for i := 0; i < 32; i += 8 {
		sig ^= binary.LittleEndian.Uint64(enc[i:])
	}
	return sig, nil
}
