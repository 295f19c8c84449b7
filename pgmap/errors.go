package pgmap

import "errors"

var (
	// ErrBadOSDMap: the osdmap tree lacks what PGMap needs (an epoch,
	// pool ids, osd ids).
	ErrBadOSDMap = errors.New("pgmap: bad osdmap")
	// ErrBadOSDTree: the `osd tree` JSON has no usable nodes.
	ErrBadOSDTree = errors.New("pgmap: bad osd tree")
	// ErrInconsistent: an MPGStats that contradicts itself (a negative
	// OSD id, one PG or pool listed twice); Ingest changes nothing.
	ErrInconsistent = errors.New("pgmap: inconsistent pg stats")
)
