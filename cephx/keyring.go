package cephx

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Entity is one keyring entry: a key and the caps by service ("mon",
// "mgr", "osd").
type Entity struct {
	Key  Key
	Caps map[string]string
}

// Keyring is Ceph's keyring file: entities by name ("client.admin",
// "mgr.x", "mon.").
type Keyring map[string]Entity

// LoadKeyring reads a keyring file.
func LoadKeyring(path string) (Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyring, err)
	}
	k, err := ParseKeyring(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKeyring reads the text form ceph-authtool writes:
//
//	[client.admin]
//		key = AQ...==
//		caps mon = "allow *"
func ParseKeyring(b []byte) (Keyring, error) {
	k := Keyring{}
	name := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%w: line %d: unterminated section %q", ErrKeyring, n, line)
			}
			name = strings.TrimSpace(line[1 : len(line)-1])
			if _, ok := k[name]; !ok {
				k[name] = Entity{Caps: map[string]string{}}
			}
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: line %d: want `key = value` under a [name]", ErrKeyring, n)
		}
		key, val = strings.Join(strings.Fields(key), " "), strings.TrimSpace(val)
		if uq, err := strconv.Unquote(val); err == nil {
			val = uq
		}
		e := k[name]
		switch {
		case key == "key":
			kk, err := ParseKey(val)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d (%s): %w", ErrKeyring, n, name, err)
			}
			e.Key = kk
		case strings.HasPrefix(key, "caps "):
			e.Caps[strings.TrimPrefix(key, "caps ")] = val
		}
		k[name] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyring, err)
	}
	for name, e := range k {
		if !e.Key.Valid() {
			return nil, fmt.Errorf("%w: [%s] has no key", ErrKeyring, name)
		}
	}
	return k, nil
}

// Marshal is the keyring in the text form, entities and caps sorted.
func (k Keyring) Marshal() []byte {
	var b bytes.Buffer
	for _, name := range slices.Sorted(maps.Keys(k)) {
		e := k[name]
		fmt.Fprintf(&b, "[%s]\n\tkey = %s\n", name, e.Key)
		for _, svc := range slices.Sorted(maps.Keys(e.Caps)) {
			fmt.Fprintf(&b, "\tcaps %s = %q\n", svc, e.Caps[svc])
		}
	}
	return b.Bytes()
}
