package cephconf

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Address types, as entity_addr_t's.
const (
	addrNone   = 0 // "-": no address
	addrLegacy = 1 // v1:
	addrMsgr2  = 2 // v2:
	addrAny    = 3 // any: or no prefix in mon_host
	// addrDefault is the type of an untyped address inside an address
	// vector ("[1.2.3.4:6789]" is msgr2): entity_addr_t::TYPE_DEFAULT.
	addrDefault = addrMsgr2
)

// Ceph's mon ports.
const (
	monPortLegacy = 6789 // CEPH_MON_PORT_LEGACY, msgr v1
	monPortIANA   = 3300 // CEPH_MON_PORT_IANA, msgr v2
)

type addr struct {
	typ  int
	ip   netip.Addr
	port int
}

func (a addr) hostPort() string {
	return netip.AddrPortFrom(a.ip, uint16(a.port)).String()
}

// MonAddrs returns the msgr v1 addresses, as "host:port" ("[::1]:6789" for
// IPv6), of the mons that a Ceph client finds in mon_host's value, in
// order and without duplicates. It follows Ceph 16.2 (MonMap::build_initial
// for a client, entity_addr_t and entity_addrvec_t parsing):
//
//   - the value is a list separated by spaces, ';' and ',' of addresses
//     ("1.2.3.4", "1.2.3.4:6789", "[::1]:6789", "v1:1.2.3.4:6789",
//     "v2:...", "any:...", "-" for none) and address vectors
//     ("[v2:1.2.3.4:3300,v1:1.2.3.4:6789]");
//   - a typed address is what it says, with port 6789 (v1) or 3300 (v2) if
//     it has none; a v2-only mon has no v1 address and is left out;
//   - an untyped address is v1 on port 6789, v2 only on port 3300, and both
//     v1 and v2 on any other port, or on 6789 and 3300 if it has no port;
//   - in a vector, an untyped address is v2, and every address needs a port;
//   - if the value does not parse as addresses, it is a list of host names
//     (each "host" or "host:port" or "[v6addr]:port"), resolved with
//     net.LookupHost, every address of a host being a mon; names with a type
//     prefix do not resolve, as in Ceph.
//
// Unlike Ceph, a port above 65535 is an error (Ceph wraps it), and so is
// a v1 address without a port inside a vector (Ceph uses port 0). An
// empty value, or one that names no v1 address, is an error wrapping
// ErrNoV1Addr; one that does not parse or resolve wraps ErrInvalid.
func MonAddrs(value string) ([]string, error) {
	return monAddrs(value, net.LookupHost)
}

// monAddrs is MonAddrs with the resolver as a parameter (tests and fuzzing
// use a fake one).
func monAddrs(value string, lookup func(string) ([]string, error)) ([]string, error) {
	vecs, err := parseIPPortVec(value, addrAny)
	if err != nil {
		return nil, err
	}
	if vecs == nil { // MonMap::init_with_ips: -EINVAL, try host names
		resolved, err := resolveAddrs(value, lookup)
		if err != nil {
			return nil, err
		}
		if vecs, err = parseIPPortVec(resolved, addrAny); err != nil {
			return nil, err
		}
		if vecs == nil {
			return nil, fmt.Errorf("%w: mon_host %q: resolved to %q, which does not parse", ErrInvalid, value, resolved)
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(a addr) {
		if s := a.hostPort(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, v := range vecs {
		if len(v) == 1 {
			if a, ok := v1OfAmbiguous(v[0]); ok {
				add(a)
			}
			continue
		}
		for _, a := range v {
			if a.typ != addrLegacy {
				continue
			}
			if a.port == 0 {
				return nil, fmt.Errorf("%w: mon_host %q: v1:%s in an address vector has no port (Ceph would use port 0)", ErrInvalid, value, a.ip)
			}
			add(a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: mon_host %q", ErrNoV1Addr, value)
	}
	return out, nil
}

// v1OfAmbiguous is the v1 part of MonMap::_add_ambiguous_addr for a client
// (for_mkfs false): the v1 address a lone address in mon_host stands for.
func v1OfAmbiguous(a addr) (addr, bool) {
	switch a.typ {
	case addrLegacy:
		if a.port == 0 {
			a.port = monPortLegacy
		}
		return a, true
	case addrAny:
		switch a.port {
		case monPortIANA: // v2 only
			return addr{}, false
		case 0:
			a.port = monPortLegacy
		}
		a.typ = addrLegacy
		return a, true
	default: // v2, or "-"
		return addr{}, false
	}
}

// parseIPPortVec is Ceph's parse_ip_port_vec: the value split on spaces
// and ';', each item a run of addresses and address vectors separated by
// ','. It returns nil, nil where Ceph returns false (not addresses).
func parseIPPortVec(s string, typ int) ([][]addr, error) {
	var vecs [][]addr
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ';' }) {
		for item != "" {
			a, rest, ok, err := parseAddr(item, typ)
			if err != nil {
				return nil, err
			}
			if ok {
				vecs = append(vecs, []addr{a})
			} else {
				var v []addr
				if v, rest, ok, err = parseAddrVec(item); err != nil {
					return nil, err
				} else if !ok {
					return nil, nil
				}
				vecs = append(vecs, v)
			}
			item = strings.TrimPrefix(rest, ",")
		}
	}
	if vecs == nil {
		return [][]addr{}, nil
	}
	return vecs, nil
}

// parseAddr is entity_addr_t::parse: a type prefix, an IPv4 address or an
// IPv6 one (in brackets if a port follows), ":port", "/nonce". It returns
// what follows the address. err is set only for a port out of range.
func parseAddr(s string, typ int) (a addr, rest string, ok bool, err error) {
	switch {
	case strings.HasPrefix(s, "v1:"):
		s, typ = s[3:], addrLegacy
	case strings.HasPrefix(s, "v2:"):
		s, typ = s[3:], addrMsgr2
	case strings.HasPrefix(s, "any:"):
		s, typ = s[4:], addrAny
	case strings.HasPrefix(s, "-"):
		return addr{typ: addrNone}, s[1:], true, nil
	}
	brackets := strings.HasPrefix(s, "[")
	if brackets {
		s = s[1:]
	}
	// Like Ceph: the longest run of IPv4 characters if it is an IPv4
	// address, else the longest run of IPv6 characters.
	n4 := span(s, 39, func(c byte) bool { return c == '.' || isDigit(c) })
	n6 := span(s, 63, func(c byte) bool { return c == ':' || isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' })
	if ip, perr := netip.ParseAddr(s[:n4]); perr == nil && ip.Is4() {
		a.ip, s = ip, s[n4:]
	} else if ip, perr := netip.ParseAddr(s[:n6]); perr == nil && ip.Is6() {
		a.ip, s = ip, s[n6:]
	} else {
		return addr{}, "", false, nil
	}
	if brackets {
		if !strings.HasPrefix(s, "]") {
			return addr{}, "", false, nil
		}
		s = s[1:]
	}
	if strings.HasPrefix(s, ":") {
		s = s[1:]
		d := span(s, len(s), isDigit)
		if d > 0 {
			port, perr := strconv.Atoi(s[:d])
			if perr != nil || port > 65535 {
				return addr{}, "", false, fmt.Errorf("%w: mon_host: port %s out of range", ErrInvalid, s[:d])
			}
			a.port = port
		}
		s = s[d:]
	}
	if strings.HasPrefix(s, "/") { // a nonce: not part of "host:port"
		s = s[1:]
		s = s[span(s, len(s), isDigit):]
	}
	a.typ = typ
	return a, s, true, nil
}

// parseAddrVec is entity_addrvec_t::parse: "[addr,addr,...]" (untyped
// addresses in it are v2), or a single address.
func parseAddrVec(s string) (v []addr, rest string, ok bool, err error) {
	orig := s
	brackets := false
	if strings.HasPrefix(s, "[") {
		// Make sure this is not an IPv6 address in brackets.
		if a, _, ok, err := parseAddr(s, addrDefault); err != nil {
			return nil, "", false, err
		} else if !ok || !a.ip.Is6() {
			brackets, s = true, s[1:]
		}
	}
	for s != "" {
		a, r, ok, err := parseAddr(s, addrDefault)
		if err != nil {
			return nil, "", false, err
		}
		if !ok {
			if brackets {
				return nil, orig, false, nil
			}
			break
		}
		v, s = append(v, a), r
		if !brackets || !strings.HasPrefix(s, ",") {
			break
		}
		s = s[1:]
	}
	if brackets {
		if !strings.HasPrefix(s, "]") {
			return nil, orig, false, nil
		}
		s = s[1:]
	}
	return v, s, len(v) > 0, nil
}

// resolveAddrs is Ceph's resolve_addrs: every item (split on ',', ';' and
// spaces) is "host", "host:port" or "[host]:port"; each resolves to all of
// its addresses, each written back with the item's port.
func resolveAddrs(s string, lookup func(string) ([]string, error)) (string, error) {
	var out []string
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		host, port := tok, ""
		if first, last := strings.IndexByte(tok, ':'), strings.LastIndexByte(tok, ':'); first >= 0 && first == last {
			host, port = tok[:first], tok[first+1:]
		} else if i := strings.Index(tok, "]:"); i >= 0 {
			host, port = tok[:i+1], tok[i+2:]
		}
		if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		if port != "" {
			n, err := strconv.Atoi(port)
			if err != nil || n < 0 || n > 65535 {
				return "", fmt.Errorf("%w: mon_host %q: %q is neither an address nor host[:port]", ErrInvalid, s, tok)
			}
			port = strconv.Itoa(n)
		}
		var ips []string
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []string{ip.String()}
		} else {
			if host == "" || strings.ContainsAny(host, ":[]") {
				return "", fmt.Errorf("%w: mon_host %q: %q is neither an address nor host[:port]", ErrInvalid, s, tok)
			}
			if ips, err = lookup(host); err != nil {
				return "", fmt.Errorf("%w: mon_host %q: %v", ErrInvalid, s, err)
			}
			if len(ips) == 0 {
				return "", fmt.Errorf("%w: mon_host %q: %s has no address", ErrInvalid, s, host)
			}
		}
		for _, ip := range ips {
			if strings.Contains(ip, ":") {
				ip = "[" + ip + "]"
			}
			if port != "" {
				ip += ":" + port
			}
			out = append(out, ip)
		}
	}
	return strings.Join(out, ","), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// span is the length of the longest prefix of s, at most max bytes, of
// bytes for which ok holds.
func span(s string, max int, ok func(byte) bool) int {
	i := 0
	for i < len(s) && i < max && ok(s[i]) {
		i++
	}
	return i
}
