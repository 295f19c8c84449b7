package wire

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The real Ceph 16.2 capture; the repo sits beside shared/.
var capturePath = filepath.Join("..", "..", "..", "shared", "ceph-wire", "pacific-v1-session.jsonl.gz")

// event is one line of the capture (see shared/ceph-wire/README.md).
type event struct {
	Conn, Dir, Kind, Role string

	Hex  string `json:"hex"`
	Tag  any    `json:"tag"`
	Len  int    `json:"len"`
	Seq  uint64 `json:"seq"`
	Sec  uint32 `json:"sec"`
	Nsec uint32 `json:"nsec"`

	Features           uint64 `json:"features"`
	HostType           uint32 `json:"host_type"`
	GlobalSeq          uint32 `json:"global_seq"`
	ConnectSeq         uint32 `json:"connect_seq"`
	ProtocolVersion    uint32 `json:"protocol_version"`
	AuthorizerProtocol uint32 `json:"authorizer_protocol"`
	AuthorizerLen      uint32 `json:"authorizer_len"`
	Flags              uint8  `json:"flags"`
	AuthorizerHex      string `json:"authorizer_hex"`

	Tid           uint64 `json:"tid"`
	Type          uint16 `json:"type"`
	Priority      uint16 `json:"priority"`
	Version       uint16 `json:"version"`
	CompatVersion uint16 `json:"compat_version"`
	FrontLen      uint32 `json:"front_len"`
	MiddleLen     uint32 `json:"middle_len"`
	DataLen       uint32 `json:"data_len"`
	DataOff       uint16 `json:"data_off"`
	SrcType       uint8  `json:"src_type"`
	SrcNum        uint64 `json:"src_num"`
	HeaderCRC     uint32 `json:"header_crc"`
	HeaderHex     string `json:"header_hex"`
	FrontHex      string `json:"front_hex"`
	MiddleHex     string `json:"middle_hex"`
	DataHex       string `json:"data_hex"`
	FooterHex     string `json:"footer_hex"`
}

var (
	captureOnce   sync.Once
	captureEvents []event
	captureErr    error
)

// loadCapture returns every event of the capture. A missing capture fails
// the test: the golden tests are the point of this package's tests.
func loadCapture(tb testing.TB) []event {
	tb.Helper()
	captureOnce.Do(func() {
		f, err := os.Open(capturePath)
		if err != nil {
			captureErr = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			captureErr = err
			return
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				captureErr = err
				return
			}
			captureEvents = append(captureEvents, e)
		}
		captureErr = sc.Err()
	})
	if captureErr != nil {
		tb.Fatalf("capture %s: %v", capturePath, captureErr)
	}
	if len(captureEvents) == 0 {
		tb.Fatalf("capture %s: no events", capturePath)
	}
	return captureEvents
}

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex in capture: %v", err)
	}
	return b
}

// complete reports whether the capture kept all of a message's segments
// (it cuts data over 256 bytes and fronts over 64 KiB).
func (e *event) complete() bool {
	return len(e.FrontHex)/2 == int(e.FrontLen) && len(e.MiddleHex)/2 == int(e.MiddleLen) &&
		len(e.DataHex)/2 == int(e.DataLen)
}

// dirKey names one direction of one connection.
type dirKey struct{ conn, dir string }

// stream is one direction's bytes rebuilt from its events, with the bytes of
// each frame the parser should produce.
type stream struct {
	key         dirKey
	data        []byte
	frames      [][]byte
	kinds       []Kind
	replyTag    uint8 // for c2s: the tag of the server's connect_reply
	synthesized int   // messages rebuilt because the capture cut their data
}

var tagNames = map[string]uint8{"ready": TagReady, "seq": TagSeq, "wait": TagWait,
	"retry_session": TagRetrySession, "retry_global": TagRetryGlobal,
	"resetsession": TagResetSession, "badprotover": TagBadProtoVer,
	"badauthorizer": TagBadAuthorizer, "features": TagFeatures}

// buildStreams rebuilds every direction's byte stream, in capture order. A
// message whose segments the capture cut is re-encoded with the bytes kept
// (lengths, header crc and footer recomputed) so the stream stays
// self-consistent; everything else is the captured bytes verbatim.
func buildStreams(tb testing.TB, evs []event) []*stream {
	tb.Helper()
	byKey := map[dirKey]*stream{}
	var order []*stream
	for i := range evs {
		e := &evs[i]
		k := dirKey{e.Conn, e.Dir}
		s := byKey[k]
		if s == nil {
			s = &stream{key: k}
			byKey[k] = s
			order = append(order, s)
		}
		add := func(kind Kind, b []byte) {
			s.frames = append(s.frames, b)
			s.kinds = append(s.kinds, kind)
			s.data = append(s.data, b...)
		}
		switch e.Kind {
		case "banner":
			add(KindBanner, unhex(tb, e.Hex))
		case "addr":
			b := unhex(tb, e.Hex)
			if e.Role == "peer_as_seen" { // second half of the server's pair
				n := len(s.frames) - 1
				s.frames[n] = append(s.frames[n], b...)
				s.kinds[n] = KindAddrPair
				s.data = append(s.data, b...)
			} else {
				add(KindAddr, b)
			}
		case "connect":
			add(KindConnect, append(unhex(tb, e.Hex), unhex(tb, e.AuthorizerHex)...))
		case "connect_reply":
			add(KindConnectReply, append(unhex(tb, e.Hex), unhex(tb, e.AuthorizerHex)...))
			tag, _ := e.Tag.(string)
			if tagNames[tag] == TagSeq {
				add(KindSeq, AppendSeq(nil, e.Seq))
			}
		case "seq":
			add(KindSeq, AppendSeq(nil, e.Seq))
		case "msg":
			if e.complete() {
				b := []byte{TagMsg}
				b = append(b, unhex(tb, e.HeaderHex)...)
				b = append(b, unhex(tb, e.FrontHex)...)
				b = append(b, unhex(tb, e.MiddleHex)...)
				b = append(b, unhex(tb, e.DataHex)...)
				add(KindMsg, append(b, unhex(tb, e.FooterHex)...))
			} else {
				h, err := DecodeHeader(unhex(tb, e.HeaderHex))
				if err != nil {
					tb.Fatalf("%v: %v", s.key, err)
				}
				add(KindMsg, AppendMessage(nil, h, unhex(tb, e.FrontHex), unhex(tb, e.MiddleHex), unhex(tb, e.DataHex)))
				s.synthesized++
			}
		case "ack":
			add(KindAck, AppendAck(nil, e.Seq))
		case "keepalive":
			add(KindKeepalive, AppendKeepalive(nil))
		case "keepalive2":
			add(KindKeepalive2, AppendKeepalive2(nil, Timespec{e.Sec, e.Nsec}))
		case "keepalive2_ack":
			add(KindKeepalive2Ack, AppendKeepalive2Ack(nil, Timespec{e.Sec, e.Nsec}))
		case "close":
			add(KindClose, AppendClose(nil))
		case "rest":
			// Unparsed tail (the dropped bulk OSD stream): not part of the test.
		default:
			tb.Fatalf("unknown event kind %q", e.Kind)
		}
	}
	// A client learns from the server's reply whether an le64 follows.
	for _, s := range order {
		if s.key.dir != "c2s" {
			continue
		}
		if peer := byKey[dirKey{s.key.conn, "s2c"}]; peer != nil {
			for i, k := range peer.kinds {
				if k == KindConnectReply {
					s.replyTag = peer.frames[i][0]
				}
			}
		}
	}
	return order
}
