package plugins

import (
	"testing"

	"gomgr/internal/procstat"
)

// TestPluginNoNewPrivs: a plugin process runs with no_new_privs, inherited
// from the confined spawner thread that started it.
func TestPluginNoNewPrivs(t *testing.T) {
	e := newEnv(t, Config{}, "good")
	m := e.start(t, "good")
	v, err := procstat.ReadStatusField(m.pid(), "NoNewPrivs")
	if err != nil {
		t.Fatal(err)
	}
	if v != "1" {
		t.Fatalf("plugin NoNewPrivs: %q, want 1", v)
	}
}
