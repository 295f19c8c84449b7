package plugins

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/sirupsen/logrus"
)

// hclogAdapter sends go-plugin's hclog output (its own, and the plugin's
// stderr, which go-plugin parses line by line) to logrus with the fields
// module=<name> and logger=<hclog name>. It remembers the last error lines
// so a crash can be reported with the plugin's panic message.
type hclogAdapter struct {
	entry   *logrus.Entry
	name    string
	implied []any
	tail    *tail
}

func newHclogAdapter(l logrus.FieldLogger, module string) *hclogAdapter {
	return &hclogAdapter{
		entry: l.WithField("module", module),
		tail:  &tail{max: 20},
	}
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	e := a.entry
	if a.name != "" {
		e = e.WithField("logger", a.name)
	}
	kv := append(append([]any{}, a.implied...), args...)
	fields := logrus.Fields{}
	for i := 0; i+1 < len(kv); i += 2 {
		fields[fmt.Sprint(kv[i])] = kv[i+1]
	}
	if len(kv)%2 == 1 {
		fields["EXTRA_VALUE"] = kv[len(kv)-1]
	}
	if len(fields) > 0 {
		e = e.WithFields(fields)
	}
	switch level {
	case hclog.Trace:
		e.Trace(msg)
	case hclog.Debug, hclog.NoLevel:
		e.Debug(msg)
	case hclog.Info:
		e.Info(msg)
	case hclog.Warn:
		e.Warn(msg)
	default:
		line := msg
		for i := 0; i+1 < len(args); i += 2 {
			if k := fmt.Sprint(args[i]); k != "timestamp" && k != "id" && k != "plugin" {
				line += fmt.Sprintf(" %s=%v", k, args[i+1])
			}
		}
		a.tail.add(line)
		e.Error(msg)
	}
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) IsTrace() bool { return a.GetLevel() <= hclog.Trace }
func (a *hclogAdapter) IsDebug() bool { return a.GetLevel() <= hclog.Debug }
func (a *hclogAdapter) IsInfo() bool  { return a.GetLevel() <= hclog.Info }
func (a *hclogAdapter) IsWarn() bool  { return a.GetLevel() <= hclog.Warn }
func (a *hclogAdapter) IsError() bool { return a.GetLevel() <= hclog.Error }

func (a *hclogAdapter) ImpliedArgs() []any { return a.implied }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.implied = append(append([]any{}, a.implied...), args...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	c := *a
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

// SetLevel is ignored: logrus's level rules.
func (a *hclogAdapter) SetLevel(hclog.Level) {}

func (a *hclogAdapter) GetLevel() hclog.Level {
	switch a.entry.Logger.GetLevel() {
	case logrus.TraceLevel:
		return hclog.Trace
	case logrus.DebugLevel:
		return hclog.Debug
	case logrus.InfoLevel:
		return hclog.Info
	case logrus.WarnLevel:
		return hclog.Warn
	default:
		// Error lines are always parsed: they feed the crash reason.
		return hclog.Error
	}
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &lineWriter{fn: func(line string) { a.Info(line) }}
}

var _ hclog.Logger = (*hclogAdapter)(nil)

// tail keeps the last max error lines, for crash reports.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// reason returns the first panic/fatal line seen, else the last line.
func (t *tail) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return l
		}
	}
	if len(t.lines) == 0 {
		return ""
	}
	return t.lines[len(t.lines)-1]
}

// lineWriter calls fn once per complete line written to it. It carries the
// plugin's os.Stdout and os.Stderr (go-plugin forwards them after the
// handshake) into logrus.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	fn  func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		w.fn(strings.TrimRight(line, "\r"))
	}
	// A plugin printing without newlines must not grow the buffer forever.
	if len(w.buf) > 64<<10 {
		w.fn(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}
