package crush

import "errors"

var (
	// ErrBadMap is a CRUSH dump that does not parse or contradicts itself
	// (a bucket id that is not negative, a rule step naming an unknown type).
	ErrBadMap = errors.New("crush: bad crush map")
	// ErrBadOSDMap is an `osd dump` that does not parse or lacks what
	// placement needs (pool ids, sizes, pg counts).
	ErrBadOSDMap = errors.New("crush: bad osdmap")
	// ErrUnsupported is a bucket algorithm or hash this package does not
	// implement (tree, straw): refusing beats a placement Ceph would not make.
	ErrUnsupported = errors.New("crush: unsupported")
	// ErrNoRule is a rule id, or a pool's crush_rule, with no rule behind it.
	ErrNoRule = errors.New("crush: no such rule")
	// ErrNoPool is a pool id the OSDMap does not hold.
	ErrNoPool = errors.New("crush: no such pool")
)
