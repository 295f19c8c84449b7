package testutil

import (
	"testing"

	"gomgr/internal/procstat"
)

// StatusField is one field of /proc/PID/status (NoNewPrivs, Uid, ...);
// a read error fails the test.
func StatusField(t testing.TB, pid int, key string) string {
	t.Helper()
	v, err := procstat.ReadStatusField(pid, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Limit is one limit of /proc/PID/limits as "soft hard"; a read error
// fails the test.
func Limit(t testing.TB, pid int, name string) string {
	t.Helper()
	soft, hard, err := procstat.ReadLimit(pid, name)
	if err != nil {
		t.Fatal(err)
	}
	return soft + " " + hard
}
