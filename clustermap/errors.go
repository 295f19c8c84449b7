package clustermap

import "errors"

// ErrInvalid is a map, stamp, address or incremental that does not parse or
// apply. The mon returns it as its own ErrInvalid.
var ErrInvalid = errors.New("invalid argument")
