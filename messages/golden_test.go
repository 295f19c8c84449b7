package messages

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"gomgr/msgr"
	"gomgr/msgr/wire"
)

const capturePath = "../../shared/ceph-wire/pacific-v1-session.jsonl.gz"

// captured is one message from the real pacific capture.
type captured struct {
	Conn     string
	Dir      string
	Msg      *msgr.Message
	Complete bool // front and data were captured whole
}

type captureEvent struct {
	Kind          string `json:"kind"`
	Type          uint16 `json:"type"`
	Priority      uint16 `json:"priority"`
	Version       uint16 `json:"version"`
	CompatVersion uint16 `json:"compat_version"`
	Tid           uint64 `json:"tid"`
	FrontLen      int    `json:"front_len"`
	MiddleLen     int    `json:"middle_len"`
	DataLen       int    `json:"data_len"`
	FrontHex      string `json:"front_hex"`
	MiddleHex     string `json:"middle_hex"`
	DataHex       string `json:"data_hex"`
	Conn          string `json:"conn"`
	Dir           string `json:"dir"`
}

var (
	captureOnce sync.Once
	captureMsgs []captured
	captureErr  error
)

// loadCapture reads every msg event of the capture, once per test binary;
// callers must not modify what it returns. A missing capture is a failure,
// never a skip: the golden tests are the point.
func loadCapture(tb testing.TB) []captured {
	tb.Helper()
	captureOnce.Do(func() { captureMsgs, captureErr = readCapture() })
	if captureErr != nil {
		tb.Fatalf("golden capture: %v", captureErr)
	}
	return captureMsgs
}

func readCapture() ([]captured, error) {
	f, err := os.Open(capturePath)
	if err != nil {
		return nil, fmt.Errorf("missing: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var out []captured
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev captureEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, err
		}
		if ev.Kind != "msg" {
			continue
		}
		m := &msgr.Message{Type: ev.Type, Priority: ev.Priority, Version: ev.Version, CompatVersion: ev.CompatVersion, Tid: ev.Tid}
		var err error
		if m.Front, err = fromHex(ev.FrontHex); err != nil {
			return nil, err
		}
		if m.Middle, err = fromHex(ev.MiddleHex); err != nil {
			return nil, err
		}
		if m.Data, err = fromHex(ev.DataHex); err != nil {
			return nil, err
		}
		out = append(out, captured{
			Conn: ev.Conn, Dir: ev.Dir, Msg: m,
			Complete: len(m.Front) == ev.FrontLen && len(m.Middle) == ev.MiddleLen,
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no messages")
	}
	return out, nil
}

func fromHex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	return b, nil
}

// mustDecode lists the types the brief requires to decode from the capture.
var mustDecode = map[uint16]bool{
	TypeMonMap: true, TypeMonSubscribe: true, TypeMonSubscribeAck: true,
	TypeAuth: true, TypeAuthReply: true, TypeMonGetVersion: true,
	TypeMonGetVersionReply: true, TypeMonCommand: true, TypeMonCommandAck: true,
	TypeMgrBeacon: true, TypeMgrMap: true,
}

// TestGoldenCapture decodes every complete message of a known type from the
// real capture and re-encodes it, requiring the same header versions and
// the same front, middle and data bytes. Truncated messages (the capture
// cuts some fronts) must fail to decode with an error, not a panic.
func TestGoldenCapture(t *testing.T) {
	caps := loadCapture(t)
	type stat struct{ total, complete, decoded, exact int }
	stats := map[uint16]*stat{}
	for i, c := range caps {
		m := c.Msg
		if !Known(m.Type) {
			continue
		}
		st := stats[m.Type]
		if st == nil {
			st = &stat{}
			stats[m.Type] = st
		}
		st.total++
		p, err := Decode(m)
		if !c.Complete {
			if err == nil {
				t.Errorf("msg %d type 0x%x: truncated front decoded without error", i, m.Type)
			}
			continue
		}
		st.complete++
		if err != nil {
			t.Errorf("msg %d type 0x%x v%d (%s %s): %v", i, m.Type, m.Version, c.Conn, c.Dir, err)
			continue
		}
		st.decoded++
		re := Encode(p)
		if diff := diffMessage(m, re); diff != "" {
			t.Errorf("msg %d type 0x%x: re-encode differs: %s", i, m.Type, diff)
			continue
		}
		st.exact++
	}
	for ty := range mustDecode {
		if stats[ty] == nil && ty != TypeMonSubscribeAck { // the capture has no subscribe acks
			t.Errorf("capture has no messages of required type %d", ty)
		}
	}
	var types []int
	for ty := range stats {
		types = append(types, int(ty))
	}
	sort.Ints(types)
	var sb strings.Builder
	for _, ty := range types {
		st := stats[uint16(ty)]
		fmt.Fprintf(&sb, "\n  type 0x%03x: %3d msgs, %3d complete, %3d decoded, %3d byte-exact", ty, st.total, st.complete, st.decoded, st.exact)
	}
	t.Logf("golden capture:%s", sb.String())
}

func diffMessage(want, got *msgr.Message) string {
	switch {
	case want.Version != got.Version || want.CompatVersion != got.CompatVersion:
		return fmt.Sprintf("version %d/%d, want %d/%d", got.Version, got.CompatVersion, want.Version, want.CompatVersion)
	case !bytes.Equal(want.Front, got.Front):
		return fmt.Sprintf("front %s", firstDiff(want.Front, got.Front))
	case !bytes.Equal(want.Middle, got.Middle):
		return "middle differs"
	case !bytes.Equal(want.Data, got.Data):
		return "data differs"
	}
	return ""
}

func firstDiff(want, got []byte) string {
	n := min(len(want), len(got))
	i := 0
	for i < n && want[i] == got[i] {
		i++
	}
	lo := max(0, i-8)
	return fmt.Sprintf("len %d want %d, first difference at %d: got %x want %x", len(got), len(want), i,
		got[lo:min(len(got), i+16)], want[lo:min(len(want), i+16)])
}

// firstOf returns the first complete captured message of type t.
func firstOf(t *testing.T, caps []captured, ty uint16, dir string) *msgr.Message {
	t.Helper()
	for _, c := range caps {
		if c.Msg.Type == ty && c.Complete && (dir == "" || c.Dir == dir) {
			return c.Msg
		}
	}
	t.Fatalf("no complete message of type 0x%x in capture", ty)
	return nil
}

const captureFSID = "6b1a6b39-2f47-4c1b-9d0d-1d2a3b4c5d6e"

// TestGoldenFields checks decoded field values against what the capture
// is known to hold (one-mon pacific cluster, mon.a at 127.0.0.1:6789,
// mgr.x).
func TestGoldenFields(t *testing.T) {
	caps := loadCapture(t)

	t.Run("monmap", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeMonMap, ""))
		if err != nil {
			t.Fatal(err)
		}
		mm, err := p.(*MonMapMsg).Map()
		if err != nil {
			t.Fatal(err)
		}
		if mm.FSID.String() != captureFSID || mm.Epoch != 1 || len(mm.Ranks) != 1 || mm.Ranks[0] != "a" {
			t.Fatalf("monmap fsid %s epoch %d ranks %v", mm.FSID, mm.Epoch, mm.Ranks)
		}
		a := mm.Mons["a"]
		if len(a.Addrs) != 1 || a.Addrs[0].Port != 6789 || !bytes.Equal(a.Addrs[0].IP, []byte{127, 0, 0, 1}) || a.Addrs[0].Type != 1 {
			t.Fatalf("mon.a addrs %+v", a.Addrs)
		}
		if mm.MinMonRelease != 16 {
			t.Fatalf("min_mon_release %d, want 16 (pacific)", mm.MinMonRelease)
		}
		if got := mm.Marshal(); !bytes.Equal(got, p.(*MonMapMsg).MonMap) {
			t.Fatalf("monmap re-marshal: %s", firstDiff(p.(*MonMapMsg).MonMap, got))
		}
	})

	t.Run("auth", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeAuth, ""))
		if err != nil {
			t.Fatal(err)
		}
		a := p.(*Auth)
		if a.Protocol != AuthUnknown || a.Paxos.SessionMon != -1 {
			t.Fatalf("auth %+v", a)
		}
		h, err := DecodeAuthHello(a.AuthPayload)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name.ID != "admin" || h.Name.Type != 8 || len(h.Protocols) == 0 {
			t.Fatalf("auth hello %+v", h)
		}
		if !bytes.Equal(EncodeAuthHello(h), a.AuthPayload) {
			t.Fatal("auth hello does not re-encode exactly")
		}
		r, err := Decode(firstOf(t, caps, TypeAuthReply, ""))
		if err != nil {
			t.Fatal(err)
		}
		if ar := r.(*AuthReply); ar.Result != 0 || ar.GlobalID == 0 {
			t.Fatalf("auth reply %+v", ar)
		}
	})

	t.Run("subscribe", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeMonSubscribe, ""))
		if err != nil {
			t.Fatal(err)
		}
		s := p.(*MonSubscribe)
		if _, ok := s.What["monmap"]; !ok || s.Hostname == "" {
			t.Fatalf("subscribe %+v", s)
		}
	})

	t.Run("command", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeMonCommand, ""))
		if err != nil {
			t.Fatal(err)
		}
		c := p.(*MonCommand)
		if len(c.Cmd) != 1 || !strings.Contains(c.Cmd[0], "prefix") {
			t.Fatalf("command %+v", c)
		}
		p, err = Decode(firstOf(t, caps, TypeMonCommandAck, ""))
		if err != nil {
			t.Fatal(err)
		}
		if a := p.(*MonCommandAck); len(a.Cmd) != 1 || len(a.Outbuf) == 0 {
			t.Fatalf("command ack %+v", a)
		}
	})

	t.Run("beacon", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeMgrBeacon, ""))
		if err != nil {
			t.Fatal(err)
		}
		b := p.(*MgrBeacon)
		if b.Name != "x" || b.FSID.String() != captureFSID || b.GID == 0 || len(b.Modules) == 0 {
			t.Fatalf("beacon name %q fsid %s gid %d modules %d", b.Name, b.FSID, b.GID, len(b.Modules))
		}
		if b.Metadata["ceph_release"] != "pacific" {
			t.Fatalf("beacon metadata %v", b.Metadata)
		}
		var withOpts int
		for _, m := range b.Modules {
			withOpts += len(m.Options)
		}
		if withOpts == 0 {
			t.Fatal("no module options decoded")
		}
	})

	t.Run("mgrmap", func(t *testing.T) {
		var active *MgrMap
		for _, c := range caps {
			if c.Msg.Type != TypeMgrMap || !c.Complete {
				continue
			}
			p, err := Decode(c.Msg)
			if err != nil {
				t.Fatal(err)
			}
			if mm := &p.(*MgrMapMsg).Map; mm.ActiveName != "" {
				active = mm
				break
			}
		}
		if active == nil {
			t.Fatal("no mgrmap with an active mgr in capture")
		}
		if active.ActiveName != "x" || active.Epoch == 0 || len(active.AvailableModules) == 0 || len(active.AlwaysOnModules) == 0 {
			t.Fatalf("mgrmap %+v", active)
		}
	})

	t.Run("osd boot", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeOSDBoot, ""))
		if err != nil {
			t.Fatal(err)
		}
		b := p.(*OSDBoot)
		if b.Superblock.IsJSON() || b.Superblock.V != 10 || len(b.Superblock.Body) < 16 {
			t.Fatalf("superblock v%d compat %d, %d bytes", b.Superblock.V, b.Superblock.Compat, len(b.Superblock.Body))
		}
		ports := func(v []wire.EntityAddr) uint16 {
			if len(v) != 1 {
				t.Fatalf("addrvec %+v", v)
			}
			return v[0].Port
		}
		// The metadata names the ports each addrvec must hold.
		if ports(b.HBBackAddrs) != 6804 || ports(b.HBFrontAddrs) != 6803 || ports(b.ClusterAddrs) != 6802 {
			t.Fatalf("hb back %v, hb front %v, cluster %v; metadata %q %q %q", b.HBBackAddrs, b.HBFrontAddrs, b.ClusterAddrs,
				b.Metadata["hb_back_addr"], b.Metadata["hb_front_addr"], b.Metadata["back_addr"])
		}
		if b.Metadata["ceph_release"] != "pacific" || b.OSDFeatures == 0 {
			t.Fatalf("metadata %v features %x", b.Metadata, b.OSDFeatures)
		}
	})

	t.Run("osd beacon", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeOSDBeacon, ""))
		if err != nil {
			t.Fatal(err)
		}
		if b := p.(*OSDBeacon); b.BeaconInterval != 300 || b.MinLastEpochClean == 0 {
			t.Fatalf("beacon %+v", b)
		}
	})

	t.Run("mon mgr report", func(t *testing.T) {
		var withChecks *MonMgrReport
		for _, c := range caps {
			if c.Msg.Type != TypeMonMgrReport || !c.Complete {
				continue
			}
			p, err := Decode(c.Msg)
			if err != nil {
				t.Fatal(err)
			}
			r := p.(*MonMgrReport)
			if r.GID == 0 || len(r.PGDigest) == 0 {
				t.Fatalf("report gid %d, %d digest bytes", r.GID, len(r.PGDigest))
			}
			// PGMapDigest is ENCODE_START(4, 1); the capture keeps only the
			// first 256 bytes of data segments, so its length is not checked.
			if r.PGDigest[0] != 4 || r.PGDigest[1] != 1 {
				t.Fatalf("PGMapDigest v%d compat %d", r.PGDigest[0], r.PGDigest[1])
			}
			if _, err := DecodeJSONMap(r.PGDigest); err == nil {
				t.Fatal("Ceph's binary PGMapDigest taken for JSON")
			}
			if len(r.HealthChecks) > 0 {
				withChecks = r
			}
		}
		if withChecks == nil {
			t.Fatal("no report with health checks in capture")
		}
		c, ok := withChecks.HealthChecks["POOL_APP_NOT_ENABLED"]
		if !ok || c.Severity != HealthWarn || c.Count != 1 || len(c.Detail) != 2 || !strings.Contains(c.Summary, "application enabled") {
			t.Fatalf("health checks %+v", withChecks.HealthChecks)
		}
	})

	t.Run("osdmap", func(t *testing.T) {
		p, err := Decode(firstOf(t, caps, TypeOSDMap, ""))
		if err != nil {
			t.Fatal(err)
		}
		om := p.(*OSDMapMsg)
		if om.FSID.String() != captureFSID || len(om.Maps)+len(om.IncrementalMaps) == 0 {
			t.Fatalf("osdmap %+v", om)
		}
		for _, b := range om.Maps {
			if _, err := DecodeJSONMap(b); !errors.Is(err, ErrNotJSON) {
				t.Fatalf("Ceph's binary OSDMap taken for JSON: %v", err)
			}
		}
	})
}

// TestGoldenDaemonConfig: the config_bl of a real daemon's MMgrOpen or
// MMgrReport decodes, names options it set, and encodes to what decodes
// the same.
func TestGoldenDaemonConfig(t *testing.T) {
	n := 0
	for _, c := range loadCapture(t) {
		if (c.Msg.Type != TypeMgrOpen && c.Msg.Type != TypeMgrReport) || !c.Complete {
			continue
		}
		p, err := Decode(c.Msg)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		var bl []byte
		switch p := p.(type) {
		case *MgrOpen:
			name, bl = p.DaemonName, p.ConfigBL
		case *MgrReport:
			name, bl = p.DaemonName, p.ConfigBL
		}
		if len(bl) == 0 {
			continue
		}
		cfg, err := ParseDaemonConfig(bl)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Not byte for byte: Ceph appends the options the mon may not
		// override after the sorted rest.
		again, err := ParseDaemonConfig(cfg.Marshal())
		if len(cfg) == 0 || err != nil || !reflect.DeepEqual(again, cfg) {
			t.Errorf("%s: %d options; re-encoded: %v, %v", name, len(cfg), again, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no MMgrOpen or MMgrReport with a config in the capture")
	}
}
