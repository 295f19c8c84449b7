// Package testutil holds what tests of several packages need alike; it is
// imported by tests only.
package testutil
