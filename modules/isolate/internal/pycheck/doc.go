// Package pycheck holds the tests that run the gpython engine
// (gomgr/modules) under isolate: the broken modules of
// modules/testdata/broken and the per-notify cost of isolation for Python
// code. They live apart so that isolate's own tests do not depend on the
// engine. It has no code of its own.
package pycheck
