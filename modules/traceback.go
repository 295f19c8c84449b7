package modules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-python/gpython/py"
)

// sources maps file names to their lines so tracebacks can quote the line,
// as CPython does. Owned by the module's owner goroutine once loaded.
type sources map[string][]string

func (s sources) add(file, src string) { s[file] = strings.Split(src, "\n") }

func (s sources) line(file string, n int) string {
	lines := s[file]
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[n-1])
}

// traceback renders a gpython error as a CPython-style traceback: every
// frame with file and line (and the source line when known), then the
// exception. Errors that are not Python exceptions are returned as text.
func (s sources) traceback(err error) string {
	tb := s.rawTraceback(err)
	return tb + dialectHint(tb)
}

func (s sources) rawTraceback(err error) string {
	var b strings.Builder
	var info py.ExceptionInfo
	switch {
	case errors.As(err, &info):
		b.WriteString("Traceback (most recent call last):\n")
		for tb := info.Traceback; tb != nil; tb = tb.Next {
			file, name := "?", "?"
			if tb.Frame != nil && tb.Frame.Code != nil {
				file, name = tb.Frame.Code.Filename, tb.Frame.Code.Name
			}
			fmt.Fprintf(&b, "  File %q, line %d, in %s\n", file, tb.Lineno, name)
			if l := s.line(file, int(tb.Lineno)); l != "" {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
		b.WriteString(exceptionLine(info.Value))
	default:
		var exc *py.Exception
		if errors.As(err, &exc) {
			if file, ok := exc.Dict["filename"].(py.String); ok {
				// A SyntaxError from the compiler: no frames, a location.
				line := exc.Dict["lineno"]
				fmt.Fprintf(&b, "  File %q, line %v\n", string(file), line)
				if l, ok := exc.Dict["line"].(py.String); ok && strings.TrimSpace(string(l)) != "" {
					fmt.Fprintf(&b, "    %s\n", strings.TrimSpace(string(l)))
				}
			}
			b.WriteString(exceptionLine(exc))
		} else {
			b.WriteString(err.Error())
		}
	}
	return b.String()
}

// exceptionLine is the last line of a traceback: "KeyError: 'x'".
func exceptionLine(v py.Object) string {
	exc, ok := v.(*py.Exception)
	if !ok {
		if v == nil {
			return "<nil exception>"
		}
		return v.Type().Name + ": " + pyStr(v)
	}
	name := exc.Base.Name
	args, _ := exc.Args.(py.Tuple)
	switch len(args) {
	case 0:
		return name
	case 1:
		if py.IsException(py.KeyError, exc) {
			r, err := py.ReprAsString(args[0])
			if err == nil {
				return name + ": " + r
			}
		}
		return name + ": " + pyStr(args[0])
	default:
		r, err := py.ReprAsString(args)
		if err != nil {
			r = "?"
		}
		return name + ": " + r
	}
}
