package cephconf

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
)

// fakeLookup resolves a few made-up names; anything else does not exist.
func fakeLookup(host string) ([]string, error) {
	switch host {
	case "mon1":
		return []string{"10.0.0.1", "fd00::1"}, nil
	case "mon2":
		return []string{"10.0.0.2"}, nil
	case "empty":
		return nil, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}

func TestMonAddrs(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
		err   error
	}{
		// A lone address: untyped, v1:, v2:, any:, with and without port.
		{"1.2.3.4", []string{"1.2.3.4:6789"}, nil},
		{"1.2.3.4:6789", []string{"1.2.3.4:6789"}, nil},
		{"1.2.3.4:3300", nil, ErrNoV1Addr}, // the IANA port means msgr2
		{"1.2.3.4:7000", []string{"1.2.3.4:7000"}, nil},
		{"1.2.3.4:", []string{"1.2.3.4:6789"}, nil},
		{"v1:1.2.3.4", []string{"1.2.3.4:6789"}, nil},
		{"v1:1.2.3.4:6789", []string{"1.2.3.4:6789"}, nil},
		{"v1:1.2.3.4:3300", []string{"1.2.3.4:3300"}, nil},
		{"v2:1.2.3.4", nil, ErrNoV1Addr},
		{"v2:1.2.3.4:6789", nil, ErrNoV1Addr},
		{"any:1.2.3.4", []string{"1.2.3.4:6789"}, nil},
		{"any:1.2.3.4:6789", []string{"1.2.3.4:6789"}, nil},
		{"v1:1.2.3.4:6789/5", []string{"1.2.3.4:6789"}, nil},
		{"[1.2.3.4]", []string{"1.2.3.4:6789"}, nil},
		{"[1.2.3.4]:6789", []string{"1.2.3.4:6789"}, nil},
		// IPv6.
		{"::1", []string{"[::1]:6789"}, nil},
		{"[::1]", []string{"[::1]:6789"}, nil},
		{"[::1]:6789", []string{"[::1]:6789"}, nil},
		{"[::1]:3300", nil, ErrNoV1Addr},
		{"v1:[::1]:6790", []string{"[::1]:6790"}, nil},
		{"[v1:[::1]:6789]", []string{"[::1]:6789"}, nil},
		{"[v2:[fd00::2]:3300,v1:[fd00::2]:6789]", []string{"[fd00::2]:6789"}, nil},
		{"::ffff:102:304", []string{"[::ffff:1.2.3.4]:6789"}, nil},
		// Address vectors: types as given; untyped means v2.
		{"[v2:1.2.3.4:3300,v1:1.2.3.4:6789]", []string{"1.2.3.4:6789"}, nil},
		{"[v1:1.2.3.4:6789,v2:1.2.3.4:3300]", []string{"1.2.3.4:6789"}, nil},
		{"[v2:1.2.3.4:3300]", nil, ErrNoV1Addr},
		{"[v1:1.2.3.4:3300]", []string{"1.2.3.4:3300"}, nil},
		{"[1.2.3.4:6789]", nil, ErrNoV1Addr},
		{"[v1:1.2.3.4:6789,1.2.3.4:7000]", []string{"1.2.3.4:6789"}, nil},
		{"[v1:1.2.3.4:6789][v2:1.2.3.4:3300]", []string{"1.2.3.4:6789"}, nil},
		{"[v1:1.2.3.4,v2:1.2.3.4]", nil, ErrInvalid}, // Ceph: port 0
		// Lists.
		{"1.2.3.4,5.6.7.8 9.9.9.9;[v1:1.1.1.1:1]", []string{"1.2.3.4:6789", "5.6.7.8:6789", "9.9.9.9:6789", "1.1.1.1:1"}, nil},
		{"[v2:10.0.0.1:3300,v1:10.0.0.1:6789],[v2:10.0.0.2:3300,v1:10.0.0.2:6789]", []string{"10.0.0.1:6789", "10.0.0.2:6789"}, nil},
		{"v2:10.0.0.1:3300,v1:10.0.0.2:6789", []string{"10.0.0.2:6789"}, nil},
		{"1.2.3.4 , 5.6.7.8", []string{"1.2.3.4:6789", "5.6.7.8:6789"}, nil}, // through the host-name path
		{"1.2.3.4,,5.6.7.8", []string{"1.2.3.4:6789", "5.6.7.8:6789"}, nil},
		{"  1.2.3.4  ", []string{"1.2.3.4:6789"}, nil},
		{"1.2.3.4:6789,1.2.3.4:6789,v1:1.2.3.4", []string{"1.2.3.4:6789"}, nil},
		{"1.2.3.4,-", []string{"1.2.3.4:6789"}, nil},
		{"-", nil, ErrNoV1Addr},
		{"", nil, ErrNoV1Addr},
		{"   ", nil, ErrNoV1Addr},
		// Host names.
		{"mon1", []string{"10.0.0.1:6789", "[fd00::1]:6789"}, nil},
		{"mon1:6790", []string{"10.0.0.1:6790", "[fd00::1]:6790"}, nil},
		{"mon1:3300", nil, ErrNoV1Addr},
		{"[mon2]:6790", []string{"10.0.0.2:6790"}, nil},
		{"mon1,mon2", []string{"10.0.0.1:6789", "[fd00::1]:6789", "10.0.0.2:6789"}, nil},
		{"mon2;1.2.3.4:7000", []string{"10.0.0.2:6789", "1.2.3.4:7000"}, nil},
		{"nosuchhost", nil, ErrInvalid},
		{"empty", nil, ErrInvalid},
		{"v1:mon1", nil, ErrInvalid},
		{"v1:mon1:6789", nil, ErrInvalid},
		{"mon1:abc", nil, ErrInvalid},
		{"1.2.3.4x", nil, ErrInvalid},
		{"[v2:1.2.3.4:3300,mon1]", nil, ErrInvalid},
		// Out of range.
		{"1.2.3.4:99999", nil, ErrInvalid},
		{"1.2.3.4:65535", []string{"1.2.3.4:65535"}, nil},
	} {
		got, err := monAddrs(tc.value, fakeLookup)
		if !reflect.DeepEqual(got, tc.want) || !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
			t.Errorf("MonAddrs(%q) = %q, %v, want %q, %v", tc.value, got, err, tc.want, tc.err)
		}
	}
}

// TestMonAddrsLocalhost resolves a real name.
func TestMonAddrsLocalhost(t *testing.T) {
	got, err := MonAddrs("localhost:6790")
	if err != nil {
		t.Fatal(err)
	}
	has := false
	for _, a := range got {
		ap, err := netip.ParseAddrPort(a)
		if err != nil || !ap.Addr().IsLoopback() || ap.Port() != 6790 {
			t.Errorf("localhost:6790 gave %q", a)
		}
		has = has || a == "127.0.0.1:6790"
	}
	if !has {
		t.Errorf("MonAddrs(localhost:6790) = %q, want 127.0.0.1:6790 among them", got)
	}
}
