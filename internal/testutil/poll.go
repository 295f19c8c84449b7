package testutil

import (
	"errors"
	"testing"
	"time"
)

// Poll calls f until it returns nil and returns how long that took; past
// d it fails the test with what and f's last error. It polls at 2 ms at
// first, backing off to 50 ms (a condition that runs a process each time
// should not spin).
func Poll(t testing.TB, d time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	begin := time.Now()
	interval := 2 * time.Millisecond
	for {
		err := f()
		if err == nil {
			return time.Since(begin)
		}
		if time.Since(begin) > d {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(interval) // polling, with a deadline
		interval = min(2*interval, 50*time.Millisecond)
	}
}

// Eventually is Poll for a condition with no reason to report.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	return Poll(t, d, what, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
}

var errNotYet = errors.New("not yet")
