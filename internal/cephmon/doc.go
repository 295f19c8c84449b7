// Package cephmon starts a real one-node ceph-mon (Ceph 16.2 from Debian) on
// loopback for interop tests: msgr v1 only, auth none, in a temp directory
// that is removed with the process when the test ends. It is
// internal/cephcluster with no OSDs.
//
// A missing ceph-mon is a test failure, not a skip: CI installs it
// (.ci/run), and interop that silently does not run proves nothing.
package cephmon
