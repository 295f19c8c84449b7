package cephcluster

import "errors"

var (
	// ErrNotInstalled is a Ceph program missing from $PATH; the error says
	// which Debian packages to install.
	ErrNotInstalled = errors.New("cephcluster: Ceph is not installed")
	// ErrExited is a daemon of the cluster that exited while it was
	// expected to run.
	ErrExited = errors.New("cephcluster: daemon exited")
	// ErrClosed is a process started after Close.
	ErrClosed = errors.New("cephcluster: cluster closed")
)
