package host_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/host"
	"gomgr/internal/testutil"
	"gomgr/mon"
	"gomgr/registry"
)

// growingSource lists modules that can appear after the mgr started, as a
// directory an operator drops a module into.
type growingSource struct {
	mu    sync.Mutex
	names []string
	mods  map[string]*recorder
}

func (g *growingSource) Kind() string { return "go" }
func (g *growingSource) Scan() ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.names), nil
}
func (g *growingSource) Open(_ context.Context, name string) (registry.Module, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := &recorder{}
	g.mods[name] = r
	return named{r, name}, nil
}

// named is a recorder under another module name.
type named struct {
	*recorder
	name string
}

func (n named) Info() registry.Info {
	i := n.recorder.Info()
	i.Name = n.name
	return i
}

// TestModuleAddedAfterStartCanBeEnabled: enabling a module this mgr did
// not find at start rescans its sources; no restart needed.
func TestModuleAddedAfterStartCanBeEnabled(t *testing.T) {
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	md := startMon(t, mon.DefaultConfig(), logrus.NewEntry(log))
	src := &growingSource{names: []string{"first"}, mods: map[string]*recorder{}}
	ctx := context.Background()
	s := startMgr(t, host.Config{Name: "x", MonAddrs: []string{md.Addr()}, Sources: []registry.Source{src},
		Logger: logrus.NewEntry(log)})
	testutil.Eventually(t, 10*time.Second, "the mgr to be active", s.IsActive)

	src.mu.Lock()
	src.names = append(src.names, "late")
	src.mu.Unlock()
	c := dialMon(t, md.Addr(), nil)
	// The mon has not heard of "late" from any mgr yet: --force, as Ceph.
	if res, err := c.Command(ctx, map[string]any{"prefix": "mgr module enable", "module": "late", "force": true}, nil); err != nil || res.Retval != 0 {
		t.Fatalf("enable: %v %+v", err, res)
	}
	testutil.Eventually(t, 10*time.Second, "late running", func() bool {
		for _, st := range s.Registry().Modules() {
			if st.Name == "late" {
				return st.State == registry.StateRunning
			}
		}
		return false
	})
}
