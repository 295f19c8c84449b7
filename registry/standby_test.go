package registry_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gomgr/registry"
)

func standbyOf(m *fakeMod) bool {
	sh, ok := m.getHost().(registry.StandbyHost)
	return ok && sh.Standby()
}

// TestStandbyRole: in the standby role only StandbyOK modules run, with a
// Host that says so, fed no events and answering no commands; switching
// roles stops each running instance and starts a new one in the new role,
// the enabled set unchanged.
func TestStandbyRole(t *testing.T) {
	src := newSource("go")
	both := runnable("osd_map")
	both.StandbyOK = true
	both.Commands = []registry.CommandDesc{{Cmd: "both ping"}}
	src.add("both", both, nil)
	src.add("active", runnable("osd_map"), nil)
	reg := newReg(t, registry.Config{}, src)
	ctx := context.Background()

	if err := reg.SetStandby(ctx, true); err != nil || !reg.Standby() {
		t.Fatalf("SetStandby(true): %v", err)
	}
	if err := reg.SetEnabled(ctx, []string{"both", "active"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both running on the standby", stateIs(reg, "both", registry.StateRunning))
	if s := status(t, reg, "active"); s.State != registry.StateStandby {
		t.Fatalf("active-only module on the standby: %s", s.State)
	}
	sb := src.last("both")
	if !standbyOf(sb) {
		t.Fatal("standby instance's Host does not say Standby")
	}
	if n := len(src.instances("active")); n > 1 || (n == 1 && src.last("active").starts.Load() != 0) {
		t.Fatal("active-only module started on the standby")
	}
	reg.NotifyAll("osd_map", "1")
	if _, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "both ping"}}); !errors.Is(err, registry.ErrStandby) {
		t.Fatalf("command on the standby: %v", err)
	}

	// Activation: the standby instance stops, active instances of both start.
	if err := reg.SetStandby(ctx, false); err != nil || reg.Standby() {
		t.Fatalf("SetStandby(false): %v", err)
	}
	waitFor(t, "both running on the active", func() bool {
		return src.last("both") != sb && stateIs(reg, "both", registry.StateRunning)() && stateIs(reg, "active", registry.StateRunning)()
	})
	if sb.stops.Load() != 1 {
		t.Fatalf("standby instance stopped %d times", sb.stops.Load())
	}
	if len(sb.events()) != 0 {
		t.Fatalf("standby instance got events: %v", sb.ids())
	}
	ab := src.last("both")
	if standbyOf(ab) || standbyOf(src.last("active")) {
		t.Fatal("active instance's Host says Standby")
	}
	reg.NotifyAll("osd_map", "2")
	waitFor(t, "events on the active", func() bool {
		return slices.Contains(ab.ids(), "osd_map/2") && slices.Contains(src.last("active").ids(), "osd_map/2")
	})
	if res, err := reg.HandleCommand(ctx, registry.Command{Args: map[string]any{"prefix": "both ping"}}); err != nil || res.Stdout != "both ping" {
		t.Fatalf("command on the active: %+v %v", res, err)
	}

	// Back to standby: the active-only module stops, both restarts as standby.
	act := src.last("active")
	if err := reg.SetStandby(ctx, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both back in standby", func() bool {
		return src.last("both") != ab && stateIs(reg, "both", registry.StateRunning)() && standbyOf(src.last("both"))
	})
	if act.stops.Load() != 1 || status(t, reg, "active").State != registry.StateStandby {
		t.Fatalf("active-only module: %d stops, state %s", act.stops.Load(), status(t, reg, "active").State)
	}
	// Same role again: nothing restarts.
	cur := src.last("both")
	if err := reg.SetStandby(ctx, true); err != nil || cur.stops.Load() != 0 {
		t.Fatalf("repeated SetStandby: %v, %d stops", err, cur.stops.Load())
	}
}
