// Package logging builds the daemons' logrus loggers: text or JSON, a base
// level, and levels per subsystem or module ("hello=debug,msgr=warning").
// logrus has one level per Logger, so per-key levels are a formatter that
// drops what its entry's key does not allow; the Logger itself runs at the
// most verbose level any key asks for.
package logging
