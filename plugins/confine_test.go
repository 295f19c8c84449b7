package plugins

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPluginNoNewPrivs: a plugin process runs with no_new_privs, inherited
// from the confined spawner thread that started it.
func TestPluginNoNewPrivs(t *testing.T) {
	e := newEnv(t, Config{}, "good")
	m := e.start(t, "good")
	b, err := os.ReadFile("/proc/" + strconv.Itoa(m.pid()) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nNoNewPrivs:\t1\n") {
		t.Fatalf("plugin status has no NoNewPrivs: 1:\n%s", b)
	}
}
