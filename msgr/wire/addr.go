package wire

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Address families as sockaddr_storage carries them on the v1 wire: Linux
// values, big-endian (Ceph htons()es ss_family for the legacy encoding).
const (
	familyNone  = 0
	familyINET  = 2
	familyINET6 = 10
)

var be = binary.BigEndian

// AppendAddr appends the legacy 136-byte entity_addr_t: le32 type, le32
// nonce, then a 128-byte sockaddr_storage whose family and port are
// big-endian. A nil IP encodes family 0 (a blank address).
func AppendAddr(dst []byte, a *EntityAddr) []byte {
	// The legacy form starts with a zero u32 whatever the address type:
	// Ceph reads its first byte as the encoding marker (0 = legacy) and
	// refuses the banner otherwise ("decode peer_addr failed").
	dst = le.AppendUint32(dst, 0)
	dst = le.AppendUint32(dst, a.Nonce)
	var ss [AddrLen - 8]byte
	switch len(a.IP) {
	case 4:
		be.PutUint16(ss[0:], familyINET)
		copy(ss[4:8], a.IP)
	case 16:
		be.PutUint16(ss[0:], familyINET6)
		copy(ss[8:24], a.IP) // after port and sin6_flowinfo
	}
	be.PutUint16(ss[2:], a.Port)
	return append(dst, ss[:]...)
}

// DecodeAddr decodes the first 136 bytes of b. Families other than none,
// AF_INET and AF_INET6 are rejected with ErrBadAddr. IP is freshly allocated.
func DecodeAddr(b []byte) (EntityAddr, error) {
	if len(b) < AddrLen {
		return EntityAddr{}, fmt.Errorf("%w: entity_addr needs %d bytes, have %d", ErrShort, AddrLen, len(b))
	}
	a := EntityAddr{Type: le.Uint32(b), Nonce: le.Uint32(b[4:]), Port: be.Uint16(b[10:])}
	ss := b[8:AddrLen]
	switch fam := be.Uint16(ss); fam {
	case familyNone:
	case familyINET:
		a.IP = append(make([]byte, 0, 4), ss[4:8]...)
	case familyINET6:
		a.IP = append(make([]byte, 0, 16), ss[8:24]...)
	default:
		return EntityAddr{}, fmt.Errorf("%w: unknown family %d", ErrBadAddr, fam)
	}
	return a, nil
}

// AddrFromAddrPort returns the v1 address of ap (IPv4-mapped IPv6 becomes
// IPv4) with the given nonce.
func AddrFromAddrPort(ap netip.AddrPort, nonce uint32) EntityAddr {
	ip := ap.Addr().Unmap()
	a := EntityAddr{Nonce: nonce, Port: ap.Port()}
	if ip.IsValid() {
		a.IP = ip.AsSlice()
	}
	return a
}

// AddrFromTCP returns the v1 address of t with the given nonce.
func AddrFromTCP(t *net.TCPAddr, nonce uint32) EntityAddr {
	if t == nil {
		return EntityAddr{Nonce: nonce}
	}
	return AddrFromAddrPort(t.AddrPort(), nonce)
}

// AddrPort returns the IP and port; ok is false for a blank address.
func (a EntityAddr) AddrPort() (ap netip.AddrPort, ok bool) {
	ip, ok := netip.AddrFromSlice(a.IP)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, a.Port), true
}

// TCPAddr returns the address as a *net.TCPAddr (nil IP when blank).
func (a EntityAddr) TCPAddr() *net.TCPAddr {
	t := &net.TCPAddr{Port: int(a.Port)}
	if len(a.IP) == 4 || len(a.IP) == 16 {
		t.IP = append(net.IP(nil), a.IP...)
	}
	return t
}

// IsBlank reports whether the address has no IP (family 0).
func (a EntityAddr) IsBlank() bool { return len(a.IP) == 0 }

// String formats as Ceph does for a v1 address: "v1:127.0.0.1:6789/0",
// "v1:[::1]:6789/0", or "-" when blank.
func (a EntityAddr) String() string {
	ap, ok := a.AddrPort()
	if !ok {
		if a.Port == 0 {
			return "-"
		}
		return "v1::" + strconv.Itoa(int(a.Port)) + "/" + strconv.FormatUint(uint64(a.Nonce), 10)
	}
	return "v1:" + ap.String() + "/" + strconv.FormatUint(uint64(a.Nonce), 10)
}

// String formats as Ceph's entity_name_t: "mon.0", "client.4123", "mgr.?" for
// a negative (unassigned) number.
func (n EntityName) String() string {
	var t string
	switch n.Type {
	case EntityMon:
		t = "mon"
	case EntityMDS:
		t = "mds"
	case EntityOSD:
		t = "osd"
	case EntityClient:
		t = "client"
	case EntityMgr:
		t = "mgr"
	case EntityAuth:
		t = "auth"
	default:
		t = "type" + strconv.Itoa(int(n.Type))
	}
	if n.Num < 0 {
		return t + ".?"
	}
	return t + "." + strconv.FormatInt(n.Num, 10)
}
