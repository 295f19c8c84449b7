package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var pcapPath = filepath.Join("..", "..", "..", "shared", "ceph-wire", "pacific-v1-session.pcap.gz")

// pcapStreams reassembles each TCP direction of the capture's pcap (IPv4 over
// Ethernet or Linux cooked, loopback, no loss) the way parse_v1.py does: by
// sequence number from the SYN, stopping at a gap.
func pcapStreams(tb testing.TB) map[dirKey][]byte {
	tb.Helper()
	f, err := os.Open(pcapPath)
	if err != nil {
		tb.Fatalf("pcap: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("pcap: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) < 24 {
		tb.Fatalf("pcap: %v (%d bytes)", err, len(raw))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.LittleEndian.Uint32(raw) != 0xa1b2c3d4 && binary.LittleEndian.Uint32(raw) != 0xa1b23c4d {
		bo = binary.BigEndian
	}
	link := bo.Uint32(raw[20:])
	type seg struct {
		seq  uint32
		data []byte
	}
	syn := map[[2]string]uint32{}
	segs := map[[2]string][]seg{}
	for p := 24; p+16 <= len(raw); {
		incl := int(bo.Uint32(raw[p+8:]))
		pkt := raw[p+16 : min(len(raw), p+16+incl)]
		p += 16 + incl
		var ip []byte
		switch link {
		case 1:
			if len(pkt) < 14 || binary.BigEndian.Uint16(pkt[12:]) != 0x0800 {
				continue
			}
			ip = pkt[14:]
		case 113:
			ip = pkt[16:]
		default:
			ip = pkt
		}
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
			continue
		}
		ihl := int(ip[0]&15) * 4
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		tcp := ip[ihl:min(tot, len(ip))]
		sport, dport := binary.BigEndian.Uint16(tcp), binary.BigEndian.Uint16(tcp[2:])
		seq := binary.BigEndian.Uint32(tcp[4:])
		key := [2]string{
			fmt.Sprintf("%d.%d.%d.%d:%d", ip[12], ip[13], ip[14], ip[15], sport),
			fmt.Sprintf("%d.%d.%d.%d:%d", ip[16], ip[17], ip[18], ip[19], dport),
		}
		if tcp[13]&0x02 != 0 {
			syn[key] = seq + 1
			continue
		}
		if payload := tcp[int(tcp[12]>>4)*4:]; len(payload) > 0 {
			segs[key] = append(segs[key], seg{seq, payload})
		}
	}
	listen := map[string]bool{"6789": true, "6800": true, "6801": true, "6802": true, "6803": true, "6804": true}
	port := func(a string) string { return a[bytes.LastIndexByte([]byte(a), ':')+1:] }
	out := map[dirKey][]byte{}
	for key, ss := range segs {
		start, ok := syn[key]
		if !ok {
			continue
		}
		slices.SortStableFunc(ss, func(a, b seg) int { return int(int64(a.seq-start) - int64(b.seq-start)) })
		var buf []byte
		next := start
		for _, s := range ss {
			d := s.data
			if rel := s.seq - next; rel > 0x7fffffff { // retransmitted overlap
				skip := next - s.seq
				if int(skip) >= len(d) {
					continue
				}
				d = d[skip:]
			} else if rel != 0 {
				break // gap
			}
			buf = append(buf, d...)
			next += uint32(len(d))
		}
		if !bytes.HasPrefix(buf, []byte(Banner)) {
			continue
		}
		src, dst := key[0], key[1]
		// parse_v1.py's rule: the side on a listening port is the server.
		sp, dp := port(src), port(dst)
		isClient := listen[dp]
		if !listen[sp] && !listen[dp] {
			a, _ := strconv.Atoi(sp)
			b, _ := strconv.Atoi(dp)
			isClient = a > b
		}
		if isClient {
			out[dirKey{src + ">" + dst, "c2s"}] = buf
		} else {
			out[dirKey{dst + ">" + src, "s2c"}] = buf
		}
	}
	return out
}

// TestPcapStreams parses the raw TCP streams of the capture, uncut: every
// message's every segment crc (including the data the JSON events truncate)
// is checked, and each stream's frames must match the capture's events, with
// no stream ending mid-frame.
func TestPcapStreams(t *testing.T) {
	want := map[dirKey]*stream{}
	for _, s := range buildStreams(t, loadCapture(t)) {
		want[s.key] = s
	}
	streams := pcapStreams(t)
	// The README says the OSD's bulk data stream (port 6801) was dropped
	// from the pcap; every other stream must be there.
	for k := range want {
		if streams[k] == nil && !strings.HasSuffix(k.conn, ":6801") {
			t.Errorf("%v: in the events, not in the pcap", k)
		}
	}
	var nframes, nmsgs, nbytes, nbig int
	for key, data := range streams {
		s := want[key]
		if s == nil {
			t.Fatalf("%v: in the pcap, not in the events", key)
		}
		c := newConn(t, s)
		var hdrs []Header
		var msgs int
		_, err := c.p.Feed(data, func(f *Frame) error {
			if f.Kind == KindMsg {
				msgs++
				hdrs = append(hdrs, f.Header)
				if len(f.Data) > 256 || len(f.Front) > 65536 {
					nbig++
				}
			}
			return c.frame(f)
		})
		if err != nil {
			t.Fatalf("%v: %v", key, err)
		}
		if len(c.got) != len(s.frames) {
			t.Fatalf("%v: %d frames from the pcap, %d events", key, len(c.got), len(s.frames))
		}
		mi := 0
		for i := range c.got {
			if c.kinds[i] != s.kinds[i] {
				t.Fatalf("%v: frame %d is %v, event is %v", key, i, c.kinds[i], s.kinds[i])
			}
			if c.kinds[i] == KindMsg {
				// The events keep the header verbatim (with cut segments).
				if !bytes.Equal(c.got[i][:MsgHeadLen], AppendMessageHead(nil, &hdrs[mi])) {
					t.Fatalf("%v: frame %d header differs", key, i)
				}
				mi++
				if !bytes.Equal(c.got[i], s.frames[i]) && s.synthesized == 0 {
					t.Fatalf("%v: frame %d differs from its event", key, i)
				}
			} else if !bytes.Equal(c.got[i], s.frames[i]) {
				t.Fatalf("%v: frame %d differs from its event", key, i)
			}
		}
		if c.p.Partial() {
			t.Errorf("%v: stream ends mid-frame at %d", key, c.p.Offset())
		}
		nframes += len(c.got)
		nmsgs += msgs
		nbytes += len(data)
	}
	t.Logf("pcap: %d streams, %d bytes, %d frames, %d messages all crc-checked (%d with segments the events cut)",
		len(streams), nbytes, nframes, nmsgs, nbig)
}
