package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gomgr/msgr/wire"
)

// ServiceMap is Ceph's ServiceMap (src/mgr/ServiceMap.h) as pacific encodes
// it: the daemons that registered with the active mgr as services (rgw,
// rbd-mirror, cephfs-mirror, ...), plus the entries the mgr keeps for the
// task status of mons and mgrs. The mon publishes it in MServiceMap; the
// active mgr sends its pending map to the mon in MMonMgrReport's
// service_map_bl.
//
// Wire form: ServiceMap struct v1 (epoch, modified, services), each
// ServiceInfo struct v1 (daemons, summary), each ServiceDaemon struct v2
// (gid, addr, start_epoch, start_stamp, metadata, and since v2
// task_status). Decoding honours every struct's version and skips what a
// newer encoder appended; encoding writes exactly pacific's versions, so a
// map from a pacific or later Ceph re-encodes byte for byte.
//
// A ServiceMap is plain data: safe to share once no one writes it.
type ServiceMap struct {
	Epoch    uint32
	Modified Utime
	Services map[string]ServiceInfo // by service name ("rgw")
}

// ServiceInfo is Ceph's ServiceMap::Service: a service's daemons by daemon
// name, and an optional summary for `ceph -s` (usually empty).
type ServiceInfo struct {
	Daemons map[string]ServiceDaemon
	Summary string
}

// ServiceDaemon is Ceph's ServiceMap::Daemon.
type ServiceDaemon struct {
	GID        uint64          // the daemon's global id (its client.N)
	Addr       wire.EntityAddr // the address its mgr session came from
	StartEpoch uint32          // map epoch it first registered in
	StartStamp Utime           // when it registered
	Metadata   map[string]string
	TaskStatus map[string]string // running tasks, e.g. "scrub status"
}

// Struct versions pacific writes.
const (
	serviceMapV    = 1
	serviceInfoV   = 1
	serviceDaemonV = 2
)

// Minimum encoded sizes of map entries: a string key and a struct header.
const serviceEntryMin = 4 + 6

// Encode appends sm as ServiceMap::encode does for any peer with
// MSG_ADDR2 (every nautilus-or-later mon and mgr).
func (sm *ServiceMap) Encode(e *Encoder) { sm.denc(e.Denc()) }

// Marshal returns sm's encoding: the bytes of MMonMgrReport's
// service_map_bl, or of MServiceMap's front.
func (sm *ServiceMap) Marshal() []byte {
	e := NewEncoder(nil)
	sm.Encode(e)
	return e.Bytes()
}

// DecodeServiceMap reads a binary ServiceMap; check d.Err afterwards. It
// never panics and allocates no more than the input holds.
func DecodeServiceMap(d *Decoder) *ServiceMap {
	sm := &ServiceMap{}
	sm.denc(d.Denc())
	return sm
}

func (sm *ServiceMap) denc(c Denc) {
	st := c.Start(serviceMapV, 1, "ServiceMap")
	c.U32(&sm.Epoch)
	c.Utime(&sm.Modified)
	DencMap(c, &sm.Services, serviceEntryMin, Denc.String, elem[ServiceInfo])
	c.Finish(st)
}

func (s *ServiceInfo) denc(c Denc) {
	st := c.Start(serviceInfoV, 1, "ServiceMap::Service")
	DencMap(c, &s.Daemons, serviceEntryMin, Denc.String, elem[ServiceDaemon])
	c.String(&s.Summary)
	c.Finish(st)
}

func (sd *ServiceDaemon) denc(c Denc) {
	st := c.Start(serviceDaemonV, 1, "ServiceMap::Daemon")
	c.U64(&sd.GID)
	dencDaemonAddr(c, &sd.Addr)
	c.U32(&sd.StartEpoch)
	c.Utime(&sd.StartStamp)
	c.StringMap(&sd.Metadata)
	if st.V >= 2 {
		c.StringMap(&sd.TaskStatus)
	}
	c.Finish(st)
}

// dencDaemonAddr lists an entity_addr_t in its denc form as Ceph encodes
// it here, which for a blank address (family 0: the mon and mgr entries
// the mgr creates for task status) is a zeroed sockaddr of
// sizeof(sockaddr_in6) bytes, not the empty one Encoder.EntityAddr writes.
// Decoding reads either.
func dencDaemonAddr(c Denc, a *wire.EntityAddr) {
	if c.Decoding() || len(a.IP) == 4 || len(a.IP) == 16 {
		c.EntityAddr(a)
		return
	}
	e := c.e
	e.U8(1)
	st := e.StartStruct(1, 1)
	e.U32(a.Type)
	e.U32(a.Nonce)
	e.U32(28)
	e.Raw(make([]byte, 28))
	e.FinishStruct(st)
}

// isJSONStruct reports whether b starts with gomgr's JSON struct header.
func isJSONStruct(b []byte) bool {
	return len(b) >= 2 && b[0] == JSONStructVersion && b[1] == JSONStructVersion
}

// ParseServiceMap decodes a ServiceMap from the bytes of a bufferlist
// (MMonMgrReport.ServiceMap) in either form: Ceph's binary encoding, or
// gomgr's JSON struct form (EncodeJSONMap of `ceph service dump -f json`),
// read with ParseServiceMapJSON. Bytes after the map are ignored, as Ceph
// does. An empty b (a report that carries no map) is an error wrapping
// ErrTruncated: check for it first.
func ParseServiceMap(b []byte) (*ServiceMap, error) {
	if isJSONStruct(b) {
		js, err := DecodeJSONMap(b)
		if err != nil {
			return nil, fmt.Errorf("messages: service map: %w", err)
		}
		return ParseServiceMapJSON(js)
	}
	d := NewDecoder(b)
	sm := DecodeServiceMap(d)
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("messages: service map: %w", err)
	}
	return sm, nil
}

// NewServiceMapMsg wraps sm in an MServiceMap in Ceph's binary form, what
// a real ceph-mgr reads.
func NewServiceMapMsg(sm *ServiceMap) *ServiceMapMsg {
	b := sm.Marshal()
	return &ServiceMapMsg{Map: RawStruct{V: b[0], Compat: b[1], Body: b[6:]}}
}

// ServiceMap decodes the message's map in either form: Ceph's binary
// ServiceMap (from a real ceph-mon) or gomgr's JSON form (from gomgr's
// mon; see ParseServiceMapJSON for what that form cannot carry).
func (p *ServiceMapMsg) ServiceMap() (*ServiceMap, error) {
	if p.Map.IsJSON() {
		return ParseServiceMapJSON(p.Map.Body)
	}
	e := NewEncoder(make([]byte, 0, 6+len(p.Map.Body)))
	p.Map.Encode(e)
	return ParseServiceMap(e.Bytes())
}

// JSON returns the map in the shape of `ceph service dump -f json` in
// either form: gomgr's JSON body as it came, or Ceph's binary map through
// DumpJSON.
func (p *ServiceMapMsg) JSON() ([]byte, error) {
	if p.Map.IsJSON() {
		return p.Map.Body, nil
	}
	sm, err := p.ServiceMap()
	if err != nil {
		return nil, err
	}
	return sm.DumpJSON()
}

// DumpJSON renders sm exactly as pacific's `ceph service dump -f json`
// (ServiceMap::dump with Ceph's JSONFormatter), which is also the shape of
// a module's get('service_map'):
//
//	{"epoch":5,"modified":"2026-12-05T16:56:23.541312+0000","services":{
//	  "rgw":{"daemons":{"summary":"","gw1":{"start_epoch":2,
//	  "start_stamp":"...","gid":4112,"addr":"127.0.0.1:0/1933087321",
//	  "metadata":{...},"task_status":{}}}}}}
//
// Services and daemons come in key order, each service's summary first
// inside its "daemons" object, as Ceph prints it. Stamps are utime_t's
// print form in UTC ("0.000000" when unset, seconds for values under ten
// years); addr is entity_addr_t::get_legacy_str() ("127.0.0.1:0/1933087321",
// "(unrecognized address family 0)/0" when blank). Strings are escaped as
// Ceph's JSON escaper does; where Ceph would print invalid JSON (unescaped
// keys, bytes that are not UTF-8) DumpJSON escapes keys too and puts U+FFFD
// for invalid bytes. The error is non-nil only for a nil map.
func (sm *ServiceMap) DumpJSON() ([]byte, error) {
	if sm == nil {
		return nil, fmt.Errorf("%w: nil service map", ErrMalformed)
	}
	b := make([]byte, 0, 256)
	b = append(b, `{"epoch":`...)
	b = strconv.AppendUint(b, uint64(sm.Epoch), 10)
	b = append(b, `,"modified":`...)
	b = appendCephJSONString(b, CephStamp(sm.Modified))
	b = append(b, `,"services":{`...)
	for i, name := range sortedKeys(sm.Services) {
		if i > 0 {
			b = append(b, ',')
		}
		s := sm.Services[name]
		b = appendCephJSONString(b, name)
		b = append(b, `:{"daemons":{"summary":`...)
		b = appendCephJSONString(b, s.Summary)
		for _, dn := range sortedKeys(s.Daemons) {
			b = append(b, ',')
			b = appendCephJSONString(b, dn)
			b = append(b, ':')
			b = s.Daemons[dn].appendJSON(b)
		}
		b = append(b, "}}"...)
	}
	b = append(b, "}}"...)
	return b, nil
}

func (sd ServiceDaemon) appendJSON(b []byte) []byte {
	b = append(b, `{"start_epoch":`...)
	b = strconv.AppendUint(b, uint64(sd.StartEpoch), 10)
	b = append(b, `,"start_stamp":`...)
	b = appendCephJSONString(b, CephStamp(sd.StartStamp))
	b = append(b, `,"gid":`...)
	b = strconv.AppendUint(b, sd.GID, 10)
	b = append(b, `,"addr":`...)
	b = appendCephJSONString(b, LegacyAddrString(sd.Addr))
	b = append(b, `,"metadata":`...)
	b = appendStringMapJSON(b, sd.Metadata)
	b = append(b, `,"task_status":`...)
	b = appendStringMapJSON(b, sd.TaskStatus)
	return append(b, '}')
}

func appendStringMapJSON(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCephJSONString(b, k)
		b = append(b, ':')
		b = appendCephJSONString(b, m[k])
	}
	return append(b, '}')
}

// sortedKeys returns m's keys in std::map<std::string> order (bytewise).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendCephJSONString appends s quoted as Ceph's json_stream_escaper
// does: \" \\ \t \n, other control characters and DEL as \u00xx, every
// other byte as is; bytes that are not UTF-8 become U+FFFD.
func appendCephJSONString(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '"':
			b = append(b, '\\', '"')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&15])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}

// tenYears is where utime_t's print form switches from raw seconds to a
// date (utime_t::localtime).
const tenYears = 60 * 60 * 24 * 365 * 10

// CephStamp formats u as utime_t prints itself in Ceph's JSON dumps, in
// UTC: "2026-12-05T16:54:23.517402+0000", or "seconds.micros" for values
// under ten years ("0.000000" when unset). Microseconds are truncated.
func CephStamp(u Utime) string {
	usec := u.Nsec / 1000
	if u.Sec < tenYears {
		return fmt.Sprintf("%d.%06d", u.Sec, usec)
	}
	t := time.Unix(int64(u.Sec), 0).UTC()
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000",
		t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), usec)
}

// ParseCephStamp reads what CephStamp writes, with any "+hhmm"/"-hhmm"
// zone. The result has microsecond precision.
func ParseCephStamp(s string) (Utime, error) {
	bad := func() (Utime, error) { return Utime{}, fmt.Errorf("%w: stamp %q", ErrMalformed, s) }
	date, frac, ok := strings.Cut(s, ".")
	if !ok {
		return bad()
	}
	if !strings.Contains(date, "T") {
		sec, err1 := strconv.ParseUint(date, 10, 32)
		usec, err2 := strconv.ParseUint(frac, 10, 32)
		if err1 != nil || err2 != nil || usec > (1<<32-1)/1000 {
			return bad()
		}
		return Utime{Sec: uint32(sec), Nsec: uint32(usec * 1000)}, nil
	}
	zi := strings.IndexAny(frac, "+-")
	if zi < 0 || len(frac) != zi+5 {
		return bad()
	}
	usec, err := strconv.ParseUint(frac[:zi], 10, 32)
	if err != nil || usec > (1<<32-1)/1000 {
		return bad()
	}
	t, err := time.Parse("2006-01-02T15:04:05-0700", date+frac[zi:])
	if err != nil || t.Unix() < 0 || t.Unix() > 1<<32-1 {
		return bad()
	}
	return Utime{Sec: uint32(t.Unix()), Nsec: uint32(usec * 1000)}, nil
}

// LegacyAddrString formats a as entity_addr_t::get_legacy_str() does:
// "127.0.0.1:6800/1234", "[::1]:6800/1234" (IPv6 as glibc's inet_ntop
// prints it), and "(unrecognized address family 0)/0" for a blank
// address. The address type is not shown.
func LegacyAddrString(a wire.EntityAddr) string {
	nonce := strconv.FormatUint(uint64(a.Nonce), 10)
	port := strconv.FormatUint(uint64(a.Port), 10)
	switch len(a.IP) {
	case 4:
		return netip.AddrFrom4([4]byte(a.IP)).String() + ":" + port + "/" + nonce
	case 16:
		return "[" + inetNtop6([16]byte(a.IP)) + "]:" + port + "/" + nonce
	default:
		return "(unrecognized address family 0)/" + nonce
	}
}

// inetNtop6 is glibc's inet_ntop(AF_INET6): the longest run of two or more
// zero groups (the first of equal runs) becomes "::", groups in lower-case
// hex, and an address whose first 96 bits are zero (other than :: and ::1
// style ones) or an IPv4-mapped one ends in dotted IPv4.
func inetNtop6(ip [16]byte) string {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(ip[2*i])<<8 | uint16(ip[2*i+1])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if cur < 0 {
				cur, curLen = i, 1
			} else {
				curLen++
			}
			if curLen > bestLen {
				best, bestLen = cur, curLen
			}
		} else {
			cur = -1
		}
	}
	if bestLen < 2 {
		best = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			sb.WriteString(netip.AddrFrom4([4]byte(ip[12:])).String())
			return sb.String()
		}
		sb.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if best >= 0 && best+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// LegacyAddrType is the entity_addr_t type ParseLegacyAddr gives a
// non-blank address, whose printed form does not carry one: TYPE_LEGACY,
// what a msgr v1 session's source address has.
const LegacyAddrType = 1

// ParseLegacyAddr reads what LegacyAddrString writes. The type is
// LegacyAddrType for a non-blank address and 0 for a blank one.
func ParseLegacyAddr(s string) (wire.EntityAddr, error) {
	bad := func() (wire.EntityAddr, error) {
		return wire.EntityAddr{}, fmt.Errorf("%w: address %q", ErrMalformed, s)
	}
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return bad()
	}
	nonce, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return bad()
	}
	host := s[:i]
	if strings.HasPrefix(host, "(unrecognized address family ") {
		return wire.EntityAddr{Nonce: uint32(nonce)}, nil
	}
	ap, err := netip.ParseAddrPort(host)
	if err != nil || ap.Addr().Zone() != "" {
		return bad()
	}
	a := wire.EntityAddr{Type: LegacyAddrType, Nonce: uint32(nonce), Port: ap.Port()}
	switch {
	case strings.HasPrefix(host, "["):
		ip := ap.Addr().As16()
		a.IP = ip[:]
	case ap.Addr().Is4():
		ip := ap.Addr().As4()
		a.IP = ip[:]
	default:
		return bad()
	}
	return a, nil
}

// ParseServiceMapJSON reads a ServiceMap from the shape DumpJSON writes
// (gomgr's JSON form, or `ceph service dump -f json`). That shape carries
// less than the binary map: stamps to the microsecond, and no address
// type (see ParseLegacyAddr).
func ParseServiceMapJSON(js []byte) (*ServiceMap, error) {
	var top struct {
		Epoch    uint32                     `json:"epoch"`
		Modified string                     `json:"modified"`
		Services map[string]json.RawMessage `json:"services"`
	}
	if err := json.Unmarshal(js, &top); err != nil {
		return nil, fmt.Errorf("%w: service map json: %w", ErrMalformed, err)
	}
	sm := &ServiceMap{Epoch: top.Epoch}
	var err error
	if top.Modified != "" {
		if sm.Modified, err = ParseCephStamp(top.Modified); err != nil {
			return nil, fmt.Errorf("messages: service map json: modified: %w", err)
		}
	}
	for name, raw := range top.Services {
		s, err := parseServiceInfoJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("messages: service map json: service %q: %w", name, err)
		}
		if sm.Services == nil {
			sm.Services = make(map[string]ServiceInfo, len(top.Services))
		}
		sm.Services[name] = s
	}
	return sm, nil
}

func parseServiceInfoJSON(raw json.RawMessage) (ServiceInfo, error) {
	var s ServiceInfo
	var v struct {
		Daemons json.RawMessage `json:"daemons"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return s, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(v.Daemons) == 0 || string(v.Daemons) == "null" {
		return s, nil
	}
	// "summary" shares the object with the daemons: walk it in order, so a
	// daemon named "summary" (an object) is told from the summary (a string).
	dec := json.NewDecoder(bytes.NewReader(v.Daemons))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return s, fmt.Errorf("%w: daemons is not an object", ErrMalformed)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return s, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		key, _ := t.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return s, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if key == "summary" && len(val) > 0 && val[0] == '"' {
			if err := json.Unmarshal(val, &s.Summary); err != nil {
				return s, fmt.Errorf("%w: summary: %w", ErrMalformed, err)
			}
			continue
		}
		d, err := parseServiceDaemonJSON(val)
		if err != nil {
			return s, fmt.Errorf("daemon %q: %w", key, err)
		}
		if s.Daemons == nil {
			s.Daemons = map[string]ServiceDaemon{}
		}
		s.Daemons[key] = d
	}
	return s, nil
}

func parseServiceDaemonJSON(raw json.RawMessage) (ServiceDaemon, error) {
	var v struct {
		StartEpoch uint32            `json:"start_epoch"`
		StartStamp string            `json:"start_stamp"`
		GID        uint64            `json:"gid"`
		Addr       string            `json:"addr"`
		Metadata   map[string]string `json:"metadata"`
		TaskStatus map[string]string `json:"task_status"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return ServiceDaemon{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	d := ServiceDaemon{GID: v.GID, StartEpoch: v.StartEpoch, Metadata: v.Metadata, TaskStatus: v.TaskStatus}
	var err error
	if v.StartStamp != "" {
		if d.StartStamp, err = ParseCephStamp(v.StartStamp); err != nil {
			return d, err
		}
	}
	if v.Addr != "" {
		if d.Addr, err = ParseLegacyAddr(v.Addr); err != nil {
			return d, err
		}
	}
	if len(d.Metadata) == 0 {
		d.Metadata = nil
	}
	if len(d.TaskStatus) == 0 {
		d.TaskStatus = nil
	}
	return d, nil
}
