package mon_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"gomgr/clustermap"
	"gomgr/messages"
	"gomgr/mon"
	"gomgr/monclient"
	"gomgr/msgr/wire"
)

func startDaemon(t *testing.T, dir string) *mon.Daemon {
	t.Helper()
	cfg := mon.DefaultConfig()
	d, err := mon.StartDaemon(mon.DaemonConfig{Addr: "127.0.0.1:0", DataDir: dir, Mon: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func dial(t *testing.T, addr string, handler func(messages.Payload)) *monclient.Client {
	t.Helper()
	c, err := monclient.Dial(context.Background(), monclient.Config{MonAddrs: []string{addr},
		Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func command(t *testing.T, c *monclient.Client, args map[string]any) monclient.CommandResult {
	t.Helper()
	res, err := c.Command(context.Background(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDaemonCommandsSubscriptionsAndRestart(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	maps := make(chan messages.Payload, 16)
	c := dial(t, d.Addr(), func(p messages.Payload) { maps <- p })
	if c.GlobalID() == 0 {
		t.Fatal("no global id after auth")
	}

	if err := c.Subscribe(map[string]messages.SubscribeItem{"osdmap": {}, "mgrmap": {}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	var full clustermap.OSDMap
	deadline := time.After(10 * time.Second)
	for !got["osd"] || !got["mgr"] {
		select {
		case p := <-maps:
			switch p := p.(type) {
			case *messages.OSDMapMsg:
				js, err := messages.DecodeJSONMap(p.Maps[p.NewestMap])
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(js, &full); err != nil || full.FSID != d.FSID() {
					t.Fatalf("osdmap: %v fsid %q", err, full.FSID)
				}
				got["osd"] = true
			case *messages.MgrMapMsg:
				got["mgr"] = true
			}
		case <-deadline:
			t.Fatalf("subscriptions answered: %v", got)
		}
	}

	res := command(t, c, map[string]any{"prefix": "osd pool create", "pool": "rbd", "pg_num": 8})
	if res.Retval != 0 {
		t.Fatalf("pool create: %d %s", res.Retval, res.Status)
	}
	res = command(t, c, map[string]any{"prefix": "config-key set", "key": "mgr/hello/x", "val": "1"})
	if res.Retval != 0 {
		t.Fatalf("config-key set: %d %s", res.Retval, res.Status)
	}
	res = command(t, c, map[string]any{"prefix": "no such command"})
	if res.Retval != mon.EINVAL && res.Retval != -2 {
		t.Fatalf("unknown command: retval %d", res.Retval)
	}
	res = command(t, c, map[string]any{"prefix": "osd dump", "format": "json"})
	var dump clustermap.OSDMap
	if err := json.Unmarshal(res.Out, &dump); err != nil || len(dump.Pools) != 1 {
		t.Fatalf("osd dump: %v %s", err, res.Out)
	}
	epoch := dump.Epoch

	// The subscriber held the epoch before: the pool's epoch came as a
	// change, which rebuilds what `osd dump` prints.
	have := &full
	for have.Epoch < epoch {
		select {
		case p := <-maps:
			om, ok := p.(*messages.OSDMapMsg)
			if !ok {
				continue
			}
			raw, ok := om.IncrementalMaps[uint32(have.Epoch+1)]
			if !ok || len(om.Maps) != 0 {
				t.Fatalf("epoch %d: want only an incremental, got %d incrementals %d maps", have.Epoch+1, len(om.IncrementalMaps), len(om.Maps))
			}
			js, err := messages.DecodeJSONMap(raw)
			if err != nil {
				t.Fatal(err)
			}
			var inc clustermap.OSDMapIncremental
			if err := json.Unmarshal(js, &inc); err != nil {
				t.Fatal(err)
			}
			if have, err = inc.Apply(have); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatalf("osdmap epoch %d never arrived (have %d)", epoch, have.Epoch)
		}
	}
	a, _ := json.Marshal(have)
	b, _ := json.Marshal(&dump)
	if string(a) != string(b) {
		t.Fatalf("incrementals rebuilt\n%s\nbut osd dump printed\n%s", a, b)
	}

	// Restart on the same data dir: nothing lost, epochs only go up.
	c.Close()
	d.Close()
	d2 := startDaemon(t, dir)
	c2 := dial(t, d2.Addr(), nil)
	res = command(t, c2, map[string]any{"prefix": "osd dump", "format": "json"})
	var dump2 clustermap.OSDMap
	if err := json.Unmarshal(res.Out, &dump2); err != nil {
		t.Fatal(err)
	}
	if dump2.FSID != dump.FSID || len(dump2.Pools) != 1 || dump2.Epoch < epoch {
		t.Fatalf("after restart: fsid %s pools %d epoch %d (was %d)", dump2.FSID, len(dump2.Pools), dump2.Epoch, epoch)
	}
	res = command(t, c2, map[string]any{"prefix": "config-key get", "key": "mgr/hello/x"})
	if res.Retval != 0 || string(res.Out) != "1" {
		t.Fatalf("config-key after restart: %d %q", res.Retval, res.Out)
	}
}

// TestDaemonOSDMapCatchUp: a subscriber that comes back a few epochs
// behind (a reconnect) is sent the incrementals since the epoch it holds,
// in one message, not the whole map.
func TestDaemonOSDMapCatchUp(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	c := dial(t, d.Addr(), nil)
	res := command(t, c, map[string]any{"prefix": "osd dump", "format": "json"})
	var held clustermap.OSDMap
	if err := json.Unmarshal(res.Out, &held); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b", "c"} {
		if r := command(t, c, map[string]any{"prefix": "osd pool create", "pool": p, "pg_num": 8}); r.Retval != 0 {
			t.Fatalf("pool create: %d %s", r.Retval, r.Status)
		}
	}
	res = command(t, c, map[string]any{"prefix": "osd dump", "format": "json"})
	var dump clustermap.OSDMap
	if err := json.Unmarshal(res.Out, &dump); err != nil || dump.Epoch != held.Epoch+3 {
		t.Fatalf("osd dump: %v, epoch %d after %d", err, dump.Epoch, held.Epoch)
	}

	got := make(chan *messages.OSDMapMsg, 4)
	c2 := dial(t, d.Addr(), func(p messages.Payload) {
		if om, ok := p.(*messages.OSDMapMsg); ok {
			got <- om
		}
	})
	if err := c2.Subscribe(map[string]messages.SubscribeItem{"osdmap": {Start: held.Epoch + 1}}); err != nil {
		t.Fatal(err)
	}
	var om *messages.OSDMapMsg
	select {
	case om = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no osdmap")
	}
	if len(om.Maps) != 0 || len(om.IncrementalMaps) != 3 || om.NewestMap != uint32(dump.Epoch) {
		t.Fatalf("catch-up: %d maps, %d incrementals, newest %d", len(om.Maps), len(om.IncrementalMaps), om.NewestMap)
	}
	have := &held
	for e := held.Epoch + 1; e <= dump.Epoch; e++ {
		js, err := messages.DecodeJSONMap(om.IncrementalMaps[uint32(e)])
		if err != nil {
			t.Fatal(err)
		}
		var inc clustermap.OSDMapIncremental
		if err := json.Unmarshal(js, &inc); err != nil {
			t.Fatal(err)
		}
		if have, err = inc.Apply(have); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := json.Marshal(have)
	b, _ := json.Marshal(&dump)
	if string(a) != string(b) {
		t.Fatalf("incrementals rebuilt\n%s\nbut osd dump printed\n%s", a, b)
	}
}

// TestGlobalIDsAfterRestart: a restarted mon hands out global ids above
// the gids its MgrMap holds, so a newcomer never gets the gid of a mgr
// that kept running.
func TestGlobalIDsAfterRestart(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	c := dial(t, d.Addr(), nil)
	fsid := c.FSID()
	beacon := &messages.MgrBeacon{Paxos: messages.NewPaxos(0), GID: 9000, Name: "x", FSID: fsid}
	if err := c.Send(beacon); err != nil {
		t.Fatal(err)
	}
	known := func() bool {
		mm := d.Snapshot().MgrMap
		return mm.ActiveGID == 9000 || len(mm.Standbys) == 1 && mm.Standbys[0].GID == 9000
	}
	deadline := time.Now().Add(10 * time.Second)
	for !known() {
		if time.Now().After(deadline) {
			t.Fatalf("mgr gid 9000 never in the MgrMap: %+v", d.Snapshot().MgrMap)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	c.Close()
	d.Close()
	d = startDaemon(t, dir)
	if gid := dial(t, d.Addr(), nil).GlobalID(); gid <= 9000 {
		t.Fatalf("global id %d after a restart, at or below the mgr's 9000", gid)
	}
}
