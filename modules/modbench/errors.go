package modbench

import "errors"

// Sentinel errors; wrapped with %w and details.
var (
	// ErrOptions: an Options field is out of range.
	ErrOptions = errors.New("modbench: bad options")
	// ErrModule: a benchmark module did not load, start or answer.
	ErrModule = errors.New("modbench: benchmark module failed")
	// ErrTimeout: events were not delivered before the deadline.
	ErrTimeout = errors.New("modbench: timed out")
	// ErrRSS: /proc could not be read for the memory figure.
	ErrRSS = errors.New("modbench: reading resident memory")
)
