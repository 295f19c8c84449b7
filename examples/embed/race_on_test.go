//go:build race

package main

// raceEnabled builds the program under test with -race too.
const raceEnabled = true
