package modules

import "strings"

// docHint points module authors at the dialect guide.
const docHint = "see docs/python-modules.md, \"The gpython dialect\""

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
