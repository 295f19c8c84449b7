package modules

import (
	"fmt"
	"strings"
)

// docHint points module authors at the dialect guide.
const docHint = "see docs/python-modules.md, \"The gpython dialect\""

// checkDialect refuses, at load time, constructs gpython would run with a
// silently different meaning.
func checkDialect(src string) error {
	toks, err := tokenize(src)
	if err != nil {
		return nil // the compiler reports it, with its location
	}
	for i := 0; i+1 < len(toks); i++ {
		if src[toks[i].start:toks[i].end] == "def" && src[toks[i+1].start:toks[i+1].end] == "__eq__" {
			line := strings.Count(src[:toks[i].start], "\n") + 1
			return fmt.Errorf("line %d: a class defines __eq__, which gpython ignores for == and in (it compares identity): gomgr refuses the module rather than run it wrongly; compare a key instead (a.key() == b.key()), or run the module on CPython; %s", line, docHint)
		}
	}
	return nil
}

// dialectHints map gpython's run-time messages for constructs it lacks to
// an explanation for the module author, appended to the traceback.
var dialectHints = []struct{ match, hint string }{
	{"can only have string keys", "gpython dicts take only str keys: use str(key) (or a collections.OrderedDict); " + docHint},
	{"'bytes' object is not subscriptable", "gpython cannot index bytes: use b.decode() and index the str (ord(s[i])), or list(b); " + docHint},
	{"for <: 'tuple'", "gpython cannot compare tuples or lists with < <= > >=: compare elements, or use sorted()/min()/max(), which gomgr fixed; " + docHint},
	{"for >: 'tuple'", "gpython cannot compare tuples or lists with < <= > >=: compare elements, or use sorted()/min()/max(), which gomgr fixed; " + docHint},
	{"for <=: 'tuple'", "gpython cannot compare tuples or lists with < <= > >=: compare elements, or use sorted()/min()/max(), which gomgr fixed; " + docHint},
	{"for >=: 'tuple'", "gpython cannot compare tuples or lists with < <= > >=: compare elements, or use sorted()/min()/max(), which gomgr fixed; " + docHint},
	{"for <: 'list'", "gpython cannot compare tuples or lists with < <= > >=: compare elements, or use sorted()/min()/max(), which gomgr fixed; " + docHint},
}

// dialectHint returns the hint line for a traceback, or "".
func dialectHint(tb string) string {
	for _, h := range dialectHints {
		if strings.Contains(tb, h.match) {
			return "\ngomgr: " + h.hint
		}
	}
	return ""
}
