// Package cpython runs Ceph's own manager modules (Debian's
// ceph-mgr-modules-core, in /usr/share/ceph/mgr), unmodified, each in a
// CPython process of its own.
//
// In ceph-mgr, Ceph's mgr_module.py sits on ceph_module, a C++ extension
// linked into the daemon, and every module runs in one process. Here
// ceph_module is ours, in Python (python/ceph_module.py), and each module is
// a python3 child that speaks the module child protocol of modules/isolate
// (python/gomgr_child.py; docs/module-protocol.md): the same parent, the same
// deadlines, kills, restarts and logs as a gpython module, and no
// sub-interpreters, so libraries built with PyO3 (bcrypt, cryptography) load
// in every module and one module's crash touches no other.
//
// NewSource is a registry.Source over one such directory. Its module
// processes are forked by one python3 (isolate.Config.ForkServer, the
// fork_server function of gomgr_child.py) that has imported ceph_module,
// Ceph's mgr_module and what they import, so their pages are shared. The
// Python files are embedded in the binary and handed to that server on its
// stdin: nothing is installed beside Ceph's tree, and nothing of Ceph's is
// copied here. Close ends the server.
package cpython
