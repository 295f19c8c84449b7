package cephconf

import (
	"bytes"
	"errors"
	"maps"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; a SyntaxError points inside the input;
// a file that parses, written back out (canonical form), parses to the
// same sections, keys and values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[global]\nk = v\n", "k = v\n", "", "# c\n", "[global]\nmon host = 1.2.3.4, \\\n 5.6.7.8\n",
		"[global]\nk = \"a\\\"b\" ; c\n[mgr.x]\nk='q'\n", "[glo\\\nbal]\r\nk=v\r", "[ g ]\nk = \xc3\xa9\n",
		"[global]\nk = \"\xc3\xa9\"\n", "[a\\]b]\nk\\=x = \\#\n", "[global]\nk = v", "  \n[global]\n",
	} {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile("testdata/upsh/ceph.conf"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse: %v is not a SyntaxError", err)
			}
			if lines := 1 + bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")); se.Line < 1 || se.Line > lines || se.Col < 1 {
				t.Fatalf("Parse(%q): %v: line %d column %d outside the input", data, err, se.Line, se.Col)
			}
			return
		}
		var out strings.Builder
		want := map[string]map[string]string{}
		for _, name := range c.Sections() {
			sec := c.Section(name)
			want[name] = sec
			out.WriteString("[" + escapeName(name) + "]\n")
			for k, v := range sec {
				if k == "" || k != trimSpace(k) || v != trimSpace(v) {
					t.Fatalf("Parse(%q): key %q value %q not normalised", data, k, v)
				}
				out.WriteString(k + " = " + encodeValue(v) + "\n")
			}
		}
		c2, err := Parse(strings.NewReader(out.String()))
		if err != nil {
			t.Fatalf("Parse(%q) wrote %q, which does not parse: %v", data, out.String(), err)
		}
		for _, name := range c2.Sections() {
			if got := c2.Section(name); !maps.Equal(got, want[name]) {
				t.Fatalf("Parse(%q): [%s] = %q; written as %q it reads back as %q", data, name, want[name], out.String(), got)
			}
		}
		if len(c2.Sections()) != len(want) {
			t.Fatalf("Parse(%q): sections %q; written as %q they read back as %q", data, c.Sections(), out.String(), c2.Sections())
		}
	})
}

// escapeName writes a section name back: a backslash before what would
// otherwise end it or start a comment.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', ']', '#', ';':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// encodeValue writes a value back: in double quotes if it has non-ASCII
// bytes (allowed only there), with a backslash before what would end it,
// start a comment or a quoted value, or escape.
func encodeValue(s string) string {
	quote := false
	for i := 0; i < len(s); i++ {
		quote = quote || s[i] >= 0x80
	}
	var b strings.Builder
	if quote {
		b.WriteByte('"')
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '#', ';', '"', '\'':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	if quote {
		b.WriteByte('"')
	}
	return b.String()
}

// FuzzMonAddrs: MonAddrs never panics, and what it returns are distinct
// "host:port" addresses.
func FuzzMonAddrs(f *testing.F) {
	for _, s := range []string{
		"1.2.3.4", "1.2.3.4:6789", "v1:1.2.3.4:6789", "[v2:1.2.3.4:3300,v1:1.2.3.4:6789]", "[::1]:6789",
		"[v1:[::1]:6789]", "1.2.3.4,5.6.7.8 9.9.9.9;[v1:1.1.1.1:1]", "mon1:6790", "[mon2]:6790", "-",
		"1.2.3.4:99999", "[v1:1.2.3.4,v2:1.2.3.4]", "v1:1.2.3.4:6789/5", "::ffff:102:304",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		addrs, err := monAddrs(value, fakeLookup)
		if err != nil {
			if len(addrs) != 0 {
				t.Fatalf("MonAddrs(%q) = %q and %v", value, addrs, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, a := range addrs {
			ap, perr := netip.ParseAddrPort(a)
			if perr != nil || ap.String() != a || seen[a] {
				t.Fatalf("MonAddrs(%q) = %q: %q is not a distinct host:port (%v)", value, addrs, a, perr)
			}
			seen[a] = true
		}
	})
}
