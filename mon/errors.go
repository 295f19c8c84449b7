package mon

import (
	"errors"

	"gomgr/clustermap"
)

// Sentinel errors. Callers match them with errors.Is; messages carry the
// details through %w wrapping.
var (
	ErrWrongFSID     = errors.New("mon: wrong fsid")
	ErrInvalid       = clustermap.ErrInvalid // one error for bad input, whichever package finds it
	ErrNotFound      = errors.New("mon: not found")
	ErrUnknownCmd    = errors.New("mon: unknown command")
	ErrUUIDMismatch  = errors.New("mon: osd uuid mismatch")
	ErrStoreCorrupt  = errors.New("mon: store corrupt")
	ErrFSIDMismatch  = errors.New("mon: store belongs to another cluster")
	ErrEpochBackward = errors.New("mon: epoch would go backwards")
)

// Ceph's return codes for command results (negative errno).
const (
	EOK     = 0
	ENOENT  = -2
	EINVAL  = -22
	ERANGE  = -34
	ENOSYS  = -38
	EEXIST  = -17
	EBUSY   = -16
	EPERM   = -1
	EACCESS = -13
	EIO     = -5
)
