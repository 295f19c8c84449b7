package main

// maybeChildRole turns this process into a re-executed child (a module
// sandbox, a benchmark peer) when the environment asks for one, and reports
// whether it did. Roles register themselves in init functions.
func maybeChildRole() bool {
	for _, r := range childRoles {
		if r() {
			return true
		}
	}
	return false
}

var childRoles []func() bool
