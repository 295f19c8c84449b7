package pgmap

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadState is a PG state name pg_string_state does not know.
var ErrBadState = errors.New("pgmap: unknown pg state")

// ParsePGState is pg_string_state over a whole state string
// ("active+undersized+degraded"): the bits a pg_stat_t carries.
func ParsePGState(s string) (uint64, error) {
	var bits uint64
	for _, name := range strings.Split(s, "+") {
		b, ok := pgStringState(name)
		if !ok {
			return 0, fmt.Errorf("%w: %q in %q", ErrBadState, name, s)
		}
		bits |= b
	}
	return bits, nil
}
