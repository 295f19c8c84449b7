package logging

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"
)

// ErrBadSpec is a level specification that does not parse.
var ErrBadSpec = errors.New("logging: bad level specification")

// Keys an entry is matched by, most specific first: a module's lines carry
// "module", a daemon's parts "component" and "daemon".
var keys = []string{"module", "component", "daemon"}

// New returns a logger with the base level, format ("text" or "json") and
// per-key levels ("hello=debug,mgr=warning"; empty for none).
func New(level, format, perKey string) (*logrus.Logger, error) {
	base, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSpec, err)
	}
	var inner logrus.Formatter
	switch format {
	case "text", "":
		inner = &logrus.TextFormatter{}
	case "json":
		inner = &logrus.JSONFormatter{}
	default:
		return nil, fmt.Errorf("%w: log format %q (text or json)", ErrBadSpec, format)
	}
	levels := map[string]logrus.Level{}
	most := base
	for _, kv := range strings.Split(perKey, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: %q is not KEY=LEVEL", ErrBadSpec, kv)
		}
		lv, err := logrus.ParseLevel(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrBadSpec, kv, err)
		}
		levels[k] = lv
		most = max(most, lv)
	}
	lg := logrus.New()
	lg.SetLevel(most)
	if len(levels) == 0 {
		lg.SetFormatter(inner)
		return lg, nil
	}
	lg.SetFormatter(&filter{inner: inner, base: base, levels: levels})
	return lg, nil
}

// filter formats an entry only if its key's level (or the base) allows it.
type filter struct {
	inner  logrus.Formatter
	base   logrus.Level
	levels map[string]logrus.Level
}

func (f *filter) Format(e *logrus.Entry) ([]byte, error) {
	allowed := f.base
	for _, k := range keys {
		if v, ok := e.Data[k].(string); ok {
			if lv, ok := f.levels[v]; ok {
				allowed = lv
				break
			}
		}
	}
	if e.Level > allowed {
		return nil, nil // nothing is written
	}
	return f.inner.Format(e)
}
