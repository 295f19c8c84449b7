//go:build race

package isolate

// raceEnabled: the race runtime's shadow memory inflates resident sizes.
const raceEnabled = true
