package simbench

import "errors"

var (
	// ErrOptions is an Options or role configuration that cannot run.
	ErrOptions = errors.New("simbench: bad options")
	// ErrChild is a child process that failed to start, answer or stop.
	ErrChild = errors.New("simbench: child process")
	// ErrTimeout is a condition the bench waited for in vain.
	ErrTimeout = errors.New("simbench: timed out")
)
