package cephconf_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gomgr/internal/cephconf"
)

// lookupCase is a ceph.conf and one lookup in it. Every case also runs
// against Ceph's own ceph-conf in TestInteropCephConf (unless notCeph).
type lookupCase struct {
	name   string
	conf   string
	entity string // default mgr.x
	key    string
	want   string // the value, when found
	found  bool
	// errLine > 0: the file does not parse, and the error is on that line
	// (Ceph's line too). errLine < 0: it does not parse, and Ceph aborts
	// (a non-ASCII byte where it tests for a blank).
	errLine int
	notCeph bool // ceph-conf answers otherwise, on purpose (see the case)
}

func hostname() string {
	h, _ := os.Hostname()
	h, _, _ = strings.Cut(h, ".")
	return h
}

var lookupCases = []lookupCase{
	{name: "basic", conf: "[global]\nk = v\n", key: "k", want: "v", found: true},
	{name: "no spaces", conf: "[global]\nk=v\n", key: "k", want: "v", found: true},
	{name: "key with spaces", conf: "[global]\nmon host = 1.2.3.4\n", key: "mon_host", want: "1.2.3.4", found: true},
	{name: "asked with spaces", conf: "[global]\nmon_host = 1.2.3.4\n", key: "mon host", want: "1.2.3.4", found: true},
	{name: "runs of blanks", conf: "[global]\nsp    many \t words = v\n", key: "sp_many_words", want: "v", found: true},
	{name: "tab in key", conf: "[global]\nmon\thost = v\n", key: "mon_host", want: "v", found: true},
	{name: "dash in file is not an underscore", conf: "[global]\nlog-file = /x\n", key: "log_file"},
	{name: "keys are case-sensitive", conf: "[global]\nK = v\n", key: "k"},
	{name: "indented key", conf: "[global]\n    k = v\n", key: "k", want: "v", found: true},
	{name: "= in value", conf: "[global]\nk = b = c\n", key: "k", want: "b = c", found: true},
	{name: "brackets in value", conf: "[global]\nk = [v2:1.2.3.4:3300,v1:1.2.3.4:6789]\n", key: "k",
		want: "[v2:1.2.3.4:3300,v1:1.2.3.4:6789]", found: true},
	{name: "empty value", conf: "[global]\nk =\nj = 1\n", key: "k", want: "", found: true},
	{name: "value trimmed", conf: "[global]\nk =   a b   \n", key: "k", want: "a b", found: true},
	{name: "comment after value", conf: "[global]\nk = v  # c\n", key: "k", want: "v", found: true},
	{name: "semicolon comment", conf: "[global]\nk = v;x\n", key: "k", want: "v", found: true},
	{name: "comment lines", conf: "# top\n; top\n[global]\n# in\n  ; in\nk = v\n", key: "k", want: "v", found: true},
	{name: "double quotes", conf: "[global]\nk = \"a b c\"  ; c\n", key: "k", want: "a b c", found: true},
	{name: "single quotes", conf: "[global]\nk = 'q'\n", key: "k", want: "q", found: true},
	{name: "quotes trimmed", conf: "[global]\nk = \"  a  \"\n", key: "k", want: "a", found: true},
	{name: "empty quotes", conf: "[global]\nk = \"\"\n", key: "k", want: "", found: true},
	{name: "escaped quote", conf: "[global]\nk = \"a\\\"b\"\n", key: "k", want: "a\"b", found: true},
	{name: "quote inside unquoted", conf: "[global]\nk = a\"b\"\n", key: "k", want: "a\"b\"", found: true},
	{name: "escapes", conf: "[global]\nesc = a\\#b\\\\c\\d\n", key: "esc", want: "a#b\\cd", found: true},
	{name: "continuation", conf: "[global]\nmon host = 1.2.3.4, \\\n   5.6.7.8\n", key: "mon_host",
		want: "1.2.3.4,    5.6.7.8", found: true},
	{name: "continuation then empty line", conf: "[global]\nk = a\\\n\nj = 2\n", key: "k", want: "a", found: true},
	{name: "continuation in heading", conf: "[glo\\\nbal]\nk = v\n", key: "k", want: "v", found: true},
	{name: "continuation in key keeps it raw", conf: "[global]\nmon \\\nhost = v\n", key: "mon_host"},
	{name: "continuation before =", conf: "[global]\nk\\\n = v\n", key: "k", want: "v", found: true},
	{name: "CR line ends", conf: "[global]\rk = v\r", key: "k", want: "v", found: true},
	{name: "CRLF line ends", conf: "[global]\r\nk = v\r\n", key: "k", want: "v", found: true},
	{name: "blank lines", conf: "\n\n[global]\n\n  \n\t\nk = v\n\n\n", key: "k", want: "v", found: true},
	{name: "blank line after heading", conf: "[global]\n  \nk = v\n", key: "k", want: "v", found: true},
	{name: "comment after heading", conf: "[global] # c\nk = v\n", key: "k", want: "v", found: true},
	{name: "comment at the end without newline", conf: "[global]\nk = v\n# end", key: "k", want: "v", found: true},
	{name: "empty file", conf: "", key: "k"},
	{name: "only comments", conf: "# x\n; y\n", key: "k"},
	{name: "only a heading", conf: "[global]\n", key: "k"},
	{name: "a key alone is global", conf: "k = v\n", key: "k", want: "v", found: true},
	{name: "spaces in section name", conf: "[ global ]\nk = v\n", key: "k"},
	{name: "later line wins", conf: "[global]\nk = 1\nk = 2\n", key: "k", want: "2", found: true},
	{name: "sections merge", conf: "[global]\nk = 1\n[mgr]\nj = 2\n[global]\nk = 3\n", key: "k", want: "3", found: true},
	{name: "[name] first", conf: "[global]\nk = g\n[mgr]\nk = m\n[mgr.x]\nk = x\n", key: "k", want: "x", found: true},
	{name: "[type] second", conf: "[global]\nk = g\n[mgr]\nk = m\n[mgr.y]\nk = y\n", key: "k", want: "m", found: true},
	{name: "[global] last", conf: "[global]\nk = g\n[mgr]\nk = m\n", entity: "client.admin", key: "k", want: "g", found: true},
	{name: "other daemon's section", conf: "[mon.a]\nk = v\n", key: "k"},
	{name: "empty section", conf: "[global]\nk = v\n[mgr.x]\n[mgr]\nk = m\n", key: "k", want: "m", found: true},
	{name: "quoted non-ASCII", conf: "[global]\nk = \"\xc3\xa9\"\n", key: "k", want: "é", found: true},
	{name: "non-ASCII comment", conf: "# \xc3\xa9\n[global]\nk = v # \xc3\xa9\n", key: "k", want: "v", found: true},

	// Metavariables.
	{name: "$cluster-$id", conf: "[global]\nk = /x/$cluster-$id\n", key: "k", want: "/x/ceph-x", found: true},
	{name: "$name $type $num", conf: "[global]\nk = $name/$type/$num\n", key: "k", want: "mgr.x/mgr/x", found: true},
	{name: "client name", conf: "[global]\nk = $cluster.$name.keyring\n", entity: "client.admin", key: "k",
		want: "ceph.client.admin.keyring", found: true},
	{name: "${var}", conf: "[global]\nk = a${cluster}b\n", key: "k", want: "acephb", found: true},
	{name: "unknown variable", conf: "[global]\nk = $nope/x\n", key: "k", want: "$nope/x", found: true},
	{name: "$$", conf: "[global]\nk = $$\n", key: "k", want: "$$", found: true},
	{name: "$ at the end", conf: "[global]\nk = x$\n", key: "k", want: "x$", found: true},
	{name: "${} ", conf: "[global]\nk = a${}b\n", key: "k", want: "a$b", found: true},
	{name: "unclosed ${ drops the rest", conf: "[global]\nk = x${abc\n", key: "k", want: "x$", found: true},
	{name: "${ with a bad character", conf: "[global]\nk = x${AB}\n", key: "k", want: "x$AB}", found: true},
	{name: "capitals are not variables", conf: "[global]\nk = $ID\n", key: "k", want: "$ID", found: true},
	{name: "digits end a variable", conf: "[global]\nk = $id1\n", key: "k", want: "x1", found: true},
	{name: "$host", conf: "[global]\nk = $host\n", key: "k", want: hostname(), found: true},
	{name: "host option", conf: "[global]\nhost = h1\nk = $host\n", key: "k", want: "h1", found: true},
	{name: "$home", conf: "[global]\nk = $home/x\n", key: "k", want: os.Getenv("HOME") + "/x", found: true},
	{name: "$home drops what came before", conf: "[global]\nk = a/$home\n", key: "k", want: os.Getenv("HOME"), found: true},
	{name: "option reference", conf: "[global]\nrun_dir = /r\nk = $run_dir/$name.asok\n", key: "k", want: "/r/mgr.x.asok", found: true},
	{name: "reference to another section", conf: "[global]\nk = $mgr_data/keyring\n[mgr]\nmgr_data = /m/$id\n", key: "k",
		want: "/m/x/keyring", found: true},
	{name: "reference to a default", conf: "[global]\nk = $mgr_data\n", key: "k", want: "/var/lib/ceph/mgr/ceph-x", found: true},
	{name: "reference to run_dir's default", conf: "[global]\nk = $run_dir\n", key: "k", want: "/var/run/ceph", found: true},
	{name: "reference loop", conf: "[global]\nk = x$run_dir\nrun_dir = $admin_socket\nadmin_socket = $run_dir\n", key: "k",
		want: "x$run_dir", found: true},
	// ceph-conf is no daemon: it has no $data_dir. A mgr has mgr_data.
	{name: "$data_dir", conf: "[global]\nk = $data_dir/keyring\n", key: "k", want: "/var/lib/ceph/mgr/ceph-x/keyring", found: true, notCeph: true},

	// Files Ceph refuses.
	{name: "no newline at the end", conf: "[global]\nk = v", key: "k", errLine: 2},
	{name: "comment without newline after a value", conf: "[global]\nk = v # end", key: "k", errLine: 2},
	{name: "blanks before the first section", conf: "  \n[global]\nk = v\n", key: "k", errLine: 1},
	{name: "blanks at the end without newline", conf: "[global]\nk = v\n   ", key: "k", errLine: 3},
	{name: "two keys before a section", conf: "k = v\nj = w\n", key: "k", errLine: 2},
	{name: "a key before a section", conf: "k = v\n[global]\nj = w\n", key: "j", errLine: 2},
	{name: "comment before a lone key", conf: "# c\nk = v\n", key: "k", errLine: 2},
	{name: "line without =", conf: "[global]\nfoo\nk = v\n", key: "k", errLine: 2},
	{name: "empty key", conf: "[global]\n= v\nk = v\n", key: "k", errLine: 2},
	{name: "comment in a key", conf: "[global]\nk#x = v\n", key: "k", errLine: 2},
	{name: "; inside quotes", conf: "[global]\nk = \"a;b\"\n", key: "k", errLine: 2},
	{name: "# inside quotes", conf: "[global]\nk = 'a#b'\n", key: "k", errLine: 2},
	{name: "text after quotes", conf: "[global]\nk = \"a\" b\n", key: "k", errLine: 2},
	{name: "unterminated quote", conf: "[global]\nk = \"abc\n", key: "k", errLine: 2},
	{name: "text after heading", conf: "[global] foo\nk = v\n", key: "k", errLine: 1},
	{name: "indented heading", conf: "  [global]\nk = v\n", key: "k", errLine: 1},
	{name: "empty heading", conf: "[]\nk = v\n", key: "k", errLine: 1},
	{name: "unclosed heading", conf: "[global\nk = v\n", key: "k", errLine: 1},
	{name: "bad heading later", conf: "[global]\nk = v\n[mgr] x\n", key: "k", errLine: 3},
	{name: "continuation at the end", conf: "[global]\nk = a\\\n", key: "k", errLine: 3},
	{name: "invalid UTF-8", conf: "[global]\nk = \xff\n", key: "k", errLine: 2},
	{name: "surrogate in a comment", conf: "# \xed\xa0\x80\n[global]\nk = v\n", key: "k", errLine: 1},
	{name: "beyond U+10FFFF", conf: "# \xf4\x90\x80\x80\n[global]\nk = v\n", key: "k", errLine: 1},
	{name: "non-ASCII value", conf: "[global]\nk = \xc3\xa9\n", key: "k", errLine: -1},
	{name: "non-ASCII later in a value", conf: "[global]\nk = a\xc3\xa9\n", key: "k", errLine: -1},
	{name: "non-ASCII key", conf: "[global]\nk\xc3\xa9 = v\n", key: "k", errLine: -1},
	{name: "non-ASCII section", conf: "[gl\xc3\xa9]\nk = v\n", key: "k", errLine: -1},
	{name: "non-ASCII line", conf: "[global]\nk = v\n\xc3\xa9 = v\n", key: "k", errLine: -1},
}

func TestGet(t *testing.T) {
	for _, tc := range lookupCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := cephconf.Parse(strings.NewReader(tc.conf))
			if tc.errLine != 0 {
				var se *cephconf.SyntaxError
				if !errors.As(err, &se) || !errors.Is(err, cephconf.ErrSyntax) {
					t.Fatalf("Parse(%q) = %v, want a SyntaxError", tc.conf, err)
				}
				if tc.errLine > 0 && se.Line != tc.errLine {
					t.Fatalf("Parse(%q): %v, want line %d", tc.conf, err, tc.errLine)
				}
				t.Logf("%v", err)
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.conf, err)
			}
			got, found := c.Get(entity(tc), tc.key)
			if got != tc.want || found != tc.found {
				t.Fatalf("Get(%s, %q) in %q = %q, %v, want %q, %v", entity(tc), tc.key, tc.conf, got, found, tc.want, tc.found)
			}
		})
	}
}

func entity(tc lookupCase) string {
	if tc.entity == "" {
		return "mgr.x"
	}
	return tc.entity
}

// TestGetAskedWithDashes: an option asked for with dashes or spaces is the
// one with underscores, as on Ceph's command line.
func TestGetAskedWithDashes(t *testing.T) {
	c, err := cephconf.Parse(strings.NewReader("[global]\nmon_host = a\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"mon_host", "mon host", "mon-host", "  mon  host  "} {
		if v, ok := c.Get("mgr.x", k); v != "a" || !ok {
			t.Errorf("Get(mgr.x, %q) = %q, %v", k, v, ok)
		}
	}
}

func TestWarnings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ceph.conf")
	if err := os.WriteFile(path, []byte("[global]\nmon-host = a\nk = v\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := cephconf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], path+":2: [global] mon-host:") || !strings.Contains(w[0], "mon_host") {
		t.Fatalf("Warnings() = %q", w)
	}
	if _, ok := c.Get("mgr.x", "mon_host"); ok {
		t.Fatal("mon-host in the file counts as mon_host; Ceph ignores it")
	}
}

// TestUpSh parses the ceph.conf that ../shared/ceph-cluster/up.sh writes
// (testdata/upsh/ceph.conf, with fake values).
func TestUpSh(t *testing.T) {
	c, err := cephconf.Load("testdata/upsh/ceph.conf")
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "ceph" || c.Path != "testdata/upsh/ceph.conf" {
		t.Errorf("Cluster %q, Path %q", c.Cluster, c.Path)
	}
	if got := c.Sections(); !reflect.DeepEqual(got, []string{"global", "mon.a"}) {
		t.Errorf("Sections() = %q", got)
	}
	if len(c.Warnings()) != 0 {
		t.Errorf("Warnings() = %q", c.Warnings())
	}
	fsid, err := c.FSID("mgr.x")
	if err != nil || fsid != "3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab" {
		t.Errorf("FSID = %q, %v", fsid, err)
	}
	mons, err := c.MonAddrs("mgr.x")
	if err != nil || !reflect.DeepEqual(mons, []string{"127.0.0.1:40000"}) {
		t.Errorf("MonAddrs = %q, %v", mons, err)
	}
	none := []string{"none"}
	if a := c.Auth("mgr.x"); !reflect.DeepEqual(a, cephconf.Auth{Cluster: none, Service: none, Client: none}) {
		t.Errorf("Auth = %+v", a)
	}
	if k := c.KeyringPaths("mgr.x"); !reflect.DeepEqual(k, []string{"/tmp/cluster/ceph.mgr.x.keyring"}) {
		t.Errorf("KeyringPaths = %q", k)
	}
	for _, tc := range []struct{ entity, key, want string }{
		{"mgr.x", "mgr_data", "/tmp/cluster/mgr/ceph-x"},
		{"mon.a", "mon_data", "/tmp/cluster/mon/ceph-a"},
		{"osd.0", "osd_data", "/tmp/cluster/osd/ceph-0"},
		{"osd.0", "log_file", "/tmp/cluster/log/osd.0.log"},
		{"client.admin", "admin_socket", "/tmp/cluster/run/client.admin.asok"},
		{"mon.a", "public_addr", "127.0.0.1:40000"},
		{"mgr.x", "ms_bind_port_max", "40199"},
		{"mgr.x", "ms bind msgr2", "false"},
		{"mgr.x", "mgr_initial_modules", ""},
		{"mgr.x", "osd_objectstore", "memstore"},
	} {
		if got, ok := c.Get(tc.entity, tc.key); got != tc.want || !ok {
			t.Errorf("Get(%s, %s) = %q, %v, want %q", tc.entity, tc.key, got, ok, tc.want)
		}
	}
	if v, ok := c.Get("mgr.x", "public_addr"); ok {
		t.Errorf("mgr.x has public_addr %q: it is only in [mon.a]", v)
	}
}

func TestLoadErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(path, []byte("[global]\nk = v\nfoo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := cephconf.Load(path)
	if !errors.Is(err, cephconf.ErrSyntax) || !strings.Contains(err.Error(), path+":3:1: ") {
		t.Fatalf("Load: %v, want a syntax error at %s:3:1", err, path)
	}
	if _, err := cephconf.Load(filepath.Join(t.TempDir(), "missing.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing): %v", err)
	}
}

// TestCluster: $cluster is the conf file's name up to ".conf", as Ceph
// derives it.
func TestCluster(t *testing.T) {
	dir := t.TempDir()
	for file, want := range map[string]string{
		"ceph.conf":    "ceph",
		"prod.conf":    "prod",
		"a.conf.d":     "a",
		"cephconf":     "ceph",
		"settings.ini": "ceph",
	} {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte("[global]\nk = $cluster\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := cephconf.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := c.Get("client.admin", "k"); c.Cluster != want || v != want {
			t.Errorf("%s: Cluster %q, $cluster %q, want %q", file, c.Cluster, v, want)
		}
	}
}

func TestFSID(t *testing.T) {
	for _, tc := range []struct {
		value, want string
		err         error
	}{
		{"3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab", "3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab", nil},
		{"3F1C2C1E-5A7B-4C1D-9E2F-0123456789AB", "3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab", nil},
		{"3f1c2c1e5a7b4c1d9e2f0123456789ab", "3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab", nil},
		{"{3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab}", "3f1c2c1e-5a7b-4c1d-9e2f-0123456789ab", nil},
		{"3f1c2c1e-5a7b-4c1d-9e2f-0123456789a", "", cephconf.ErrInvalid},
		{"3f1c2c1e-5a7b4-c1d-9e2f-0123456789ab", "", cephconf.ErrInvalid},
		{"abc", "", cephconf.ErrInvalid},
		{"", "", cephconf.ErrInvalid},
	} {
		c, err := cephconf.Parse(strings.NewReader("[global]\nx = 1\nfsid = " + tc.value + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.FSID("mgr.x")
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("fsid %q: %q, %v, want %q, %v", tc.value, got, err, tc.want, tc.err)
		}
		if tc.err != nil && !strings.Contains(err.Error(), "line 3") {
			t.Errorf("fsid %q: error %q does not name the line", tc.value, err)
		}
	}
	c, _ := cephconf.Parse(strings.NewReader("[global]\nk = v\n"))
	if _, err := c.FSID("mgr.x"); !errors.Is(err, cephconf.ErrNotSet) {
		t.Errorf("no fsid: %v", err)
	}
}

func TestKeyring(t *testing.T) {
	c, err := cephconf.Parse(strings.NewReader("[global]\nmgr_data = /m/$cluster-$id\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		entity string
		want   []string
	}{
		{"mgr.x", []string{"/m/ceph-x/keyring"}},
		{"osd.3", []string{"/var/lib/ceph/osd/ceph-3/keyring"}},
		{"client.admin", []string{"/etc/ceph/ceph.client.admin.keyring", "/etc/ceph/ceph.keyring", "/etc/ceph/keyring", "/etc/ceph/keyring.bin"}},
	} {
		if got := c.KeyringPaths(tc.entity); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("KeyringPaths(%s) = %q, want %q", tc.entity, got, tc.want)
		}
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ceph.mgr.x.keyring"), []byte("[mgr.x]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = cephconf.Parse(strings.NewReader("[global]\nkeyring = " + dir + "/none, " + dir + "/$cluster.$name.keyring\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Keyring("mgr.x"); err != nil || got != filepath.Join(dir, "ceph.mgr.x.keyring") {
		t.Errorf("Keyring(mgr.x) = %q, %v", got, err)
	}
	if got, err := c.Keyring("mgr.y"); !errors.Is(err, cephconf.ErrNoKeyring) {
		t.Errorf("Keyring(mgr.y) = %q, %v, want ErrNoKeyring", got, err)
	}
}

func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want cephconf.Auth
	}{
		{"[global]\nk = v\n", cephconf.Auth{Cluster: []string{"cephx"}, Service: []string{"cephx"}, Client: []string{"cephx", "none"}}},
		{"[global]\nauth_cluster_required = none\nauth service required = cephx\n[mgr]\nauth_client_required = none, cephx\n",
			cephconf.Auth{Cluster: []string{"none"}, Service: []string{"cephx"}, Client: []string{"none", "cephx"}}},
		{"[global]\nauth_cluster_required = cephx\nauth_supported = none\n",
			cephconf.Auth{Cluster: []string{"none"}, Service: []string{"none"}, Client: []string{"none"}}},
	} {
		c, err := cephconf.Parse(strings.NewReader(tc.conf))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Auth("mgr.x"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Auth in %q = %+v, want %+v", tc.conf, got, tc.want)
		}
	}
}

func TestConfMonAddrs(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want []string
		err  error
	}{
		{"[global]\nmon host = 127.0.0.1:6789,[v2:127.0.0.2:3300,v1:127.0.0.2:6789]\n", []string{"127.0.0.1:6789", "127.0.0.2:6789"}, nil},
		{"[global]\nmon_host = \n[mon.a]\nmon addr = 10.0.0.1\n[mon.b]\nmon_addr = 10.0.0.2:7000\n[mon.c]\nmon_addr = v2:10.0.0.3\n",
			[]string{"10.0.0.1:6789", "10.0.0.2:7000"}, nil},
		{"[mon]\nmon addr = 10.0.0.9:6790\n[mon.a]\nk = v\n[mon.b]\nk = v\n", []string{"10.0.0.9:6790"}, nil},
		{"[global]\nk = v\n", nil, cephconf.ErrNoV1Addr},
		{"[global]\nx = 1\nmon_host = v2:1.2.3.4\n", nil, cephconf.ErrNoV1Addr},
		{"[global]\nx = 1\nmon_host = 1.2.3.4:99999\n", nil, cephconf.ErrInvalid},
		{"[mon.a]\nmon addr = nonsense\n", nil, cephconf.ErrInvalid},
	} {
		c, err := cephconf.Parse(strings.NewReader(tc.conf))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.MonAddrs("mgr.x")
		if !reflect.DeepEqual(got, tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("MonAddrs in %q = %q, %v, want %q, %v", tc.conf, got, err, tc.want, tc.err)
		}
		if strings.Contains(tc.conf, "x = 1\nmon_host") && (err == nil || !strings.Contains(err.Error(), "line 3")) {
			t.Errorf("MonAddrs in %q: error %v does not name line 3", tc.conf, err)
		}
	}
}

func TestSection(t *testing.T) {
	c, err := cephconf.Parse(strings.NewReader("[mgr]\na b = $id\nc = 'q'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Section("mgr"); !reflect.DeepEqual(got, map[string]string{"a_b": "$id", "c": "q"}) {
		t.Errorf("Section(mgr) = %q", got)
	}
	if got := c.Section("nope"); len(got) != 0 {
		t.Errorf("Section(nope) = %q", got)
	}
}
