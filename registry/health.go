package registry

import (
	"fmt"
	"strings"
)

// Health check codes the registry raises itself, in Ceph's names where
// Ceph has them.
const (
	// CheckModuleError: enabled modules that failed or cannot load (HEALTH_ERR).
	CheckModuleError = "MGR_MODULE_ERROR"
	// CheckModuleDependency: enabled modules whose can_run is false (HEALTH_WARN).
	CheckModuleDependency = "MGR_MODULE_DEPENDENCY"
	// CheckModuleStuck: enabled modules that ran past a notify or command
	// deadline and were stopped (HEALTH_WARN). gomgr's own; Ceph has none.
	CheckModuleStuck = "MGR_MODULE_STUCK"
)

// Severities of HealthCheck.
const (
	SeverityWarning = "warning"
	SeverityError   = "error"
)

// HealthChecks returns the aggregate: every enabled module's
// set_health_checks merged, plus the registry's own checks. Safe from any
// goroutine; the result is the caller's.
func (r *Registry) HealthChecks() map[string]HealthCheck {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]HealthCheck)
	failed := map[string]string{}
	dep := map[string]string{}
	stuck := map[string]string{}
	for _, n := range sortedKeys(r.entries) {
		e := r.entries[n]
		if !e.enabled {
			continue
		}
		switch {
		case e.openErr != nil:
			failed[n] = e.openErr.Error()
		case !e.info.CanRun:
			dep[n] = e.info.CanRunError
		case e.state == StateFailed:
			failed[n] = e.err
		}
		if e.overrun != "" {
			stuck[n] = e.overrun
		}
		for _, code := range sortedKeys(e.checks) {
			mergeCheck(out, code, e.checks[code])
		}
	}
	if r.loaded {
		for _, n := range sortedKeys(r.alwaysOn) {
			if _, ok := r.entries[n]; !ok {
				failed[n] = "Not found or unloadable"
			}
		}
	}
	addModuleCheck(out, CheckModuleDependency, SeverityWarning, dep,
		"Module '%s' has failed dependency: %s", "%d mgr modules have failed dependencies")
	addModuleCheck(out, CheckModuleError, SeverityError, failed,
		"Module '%s' has failed: %s", "%d mgr modules have failed")
	addModuleCheck(out, CheckModuleStuck, SeverityWarning, stuck,
		"Module '%s' was stopped: %s", "%d mgr modules ran past a deadline and were stopped")
	return out
}

// addModuleCheck adds one registry check in Ceph's shape: the summary names
// the module when there is one, detail has a line per module. A reason
// with a Python traceback is summed up by its exception line, and the
// traceback follows that module's line in detail, so `health detail`
// shows where the module broke.
func addModuleCheck(out map[string]HealthCheck, code, sev string, mods map[string]string, one, many string) {
	if len(mods) == 0 {
		return
	}
	c := HealthCheck{Severity: sev, Count: len(mods), Detail: []string{}}
	for i, n := range sortedKeys(mods) {
		c.Detail = append(c.Detail, fmt.Sprintf(one, n, firstLine(mods[n])))
		if i == 0 {
			c.Summary = c.Detail[0]
		}
		if tb := strings.TrimSpace(mods[n]); strings.Contains(tb, tracebackHead) {
			for _, l := range strings.Split(tb[strings.Index(tb, tracebackHead):], "\n") {
				c.Detail = append(c.Detail, "  "+l)
			}
		}
	}
	if len(mods) > 1 {
		c.Summary = fmt.Sprintf(many, len(mods))
	}
	out[code] = c
}

// mergeCheck adds a module's check; two modules raising the same code
// share one entry with both details and the worse severity.
func mergeCheck(out map[string]HealthCheck, code string, c HealthCheck) {
	prev, ok := out[code]
	if !ok {
		c.Detail = append([]string{}, c.Detail...)
		out[code] = c
		return
	}
	prev.Count += c.Count
	prev.Detail = append(prev.Detail, c.Detail...)
	if c.Severity == SeverityError {
		prev.Severity = SeverityError
	}
	out[code] = prev
}

// normSeverity accepts Ceph's spellings too (HEALTH_WARN, HEALTH_ERR).
func normSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error", "err", "health_err", "health_error":
		return SeverityError
	default:
		return SeverityWarning
	}
}

func copyChecks(m map[string]HealthCheck) map[string]HealthCheck {
	out := make(map[string]HealthCheck, len(m))
	for k, c := range m {
		c.Detail = append([]string{}, c.Detail...)
		out[k] = c
	}
	return out
}
