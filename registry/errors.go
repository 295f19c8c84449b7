package registry

import "errors"

var (
	// ErrNoData is returned by State.Get for a name it does not know.
	ErrNoData = errors.New("registry: no such data")
	// ErrStuck is returned by Module.Notify or Command when the module's code
	// is still running after ctx ended and cannot be stopped in place.
	ErrStuck = errors.New("registry: module code did not stop at its deadline")
	// ErrUnknownOption is returned for an option the module did not declare.
	ErrUnknownOption = errors.New("registry: unknown module option")
	// ErrInvalidOption is returned for a value its declaration refuses.
	ErrInvalidOption = errors.New("registry: invalid option value")
)
