package cephbench

import "errors"

var (
	// ErrOptions is an Options that cannot run.
	ErrOptions = errors.New("cephbench: bad options")
	// ErrTimeout is a condition the bench waited for in vain.
	ErrTimeout = errors.New("cephbench: timed out")
	// ErrProbe is a probe answer that does not parse.
	ErrProbe = errors.New("cephbench: bad probe answer")
)
