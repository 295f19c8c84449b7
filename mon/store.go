package mon

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gomgr/clustermap"
)

// Store is the mon's durable state: one small file per map (its latest
// epoch, as JSON; the osdmap as a full map plus the incrementals since), one file per config-key, and the fsid, in a data
// directory. Every write is atomic: a temp file is written and fsynced,
// renamed over the old file, and the directory fsynced, so a crash leaves
// the old or the new version, never a torn one; a leftover temp file is
// ignored (and removed on open). Owned by the Mon's goroutine.
type Store struct {
	dir      string
	logLines int // lines in the log file, for compaction
}

const (
	keyDir    = "config-key"
	tmpPrefix = ".tmp-"
)

// OpenStore opens the data directory dir, creating it if needed. A
// directory that is neither new nor a whole store (see dirState) is
// refused with ErrStoreCorrupt, naming what is missing, and left as it is.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: empty data directory", ErrInvalid)
	}
	l, err := inspect(dir)
	if err != nil {
		return nil, err
	}
	if err := l.check(dir); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, filepath.Join(dir, keyDir)} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("mon: store: %w", err)
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			return nil, fmt.Errorf("mon: store: %w", err)
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), tmpPrefix) {
				_ = os.Remove(filepath.Join(d, e.Name())) // an interrupted write
			}
		}
	}
	switch {
	case l.state == dirNew && !l.marker:
		// Before the first map: a crash from here on leaves an mkfs
		// that Mkfs knows it may start over.
		if err := markMkfs(dir); err != nil {
			return nil, err
		}
	case l.state == dirInitialised && l.marker:
		// The crash came between the fsid and the marker's removal.
		if err := unmarkMkfs(dir); err != nil {
			return nil, err
		}
	}
	return &Store{dir: dir}, nil
}

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "/\\") && !strings.HasPrefix(name, ".")
}

// Get reads the object name; a missing one is ErrNotFound.
func (s *Store) Get(name string) ([]byte, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: store object %q", ErrInvalid, name)
	}
	b, err := os.ReadFile(filepath.Join(s.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: store object %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("mon: store: %w", err)
	}
	return b, nil
}

// Put replaces the object name atomically.
func (s *Store) Put(name string, data []byte) error {
	if !validName(name) {
		return fmt.Errorf("%w: store object %q", ErrInvalid, name)
	}
	if err := writeAtomic(s.dir, name, data); err != nil {
		return err
	}
	if name == objFSID {
		return unmarkMkfs(s.dir) // the fsid, written last, completes an mkfs
	}
	return nil
}

// GetJSON decodes the object name into v.
func (s *Store) GetJSON(name string, v any) error {
	b, err := s.Get(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStoreCorrupt, name, err)
	}
	return nil
}

// PutJSON encodes v into the object name.
func (s *Store) PutJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("mon: store: encode %s: %w", name, err)
	}
	return s.Put(name, b)
}

// List returns the names of the objects that start with prefix, sorted.
func (s *Store) List(prefix string) ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("mon: store: %w", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && validName(e.Name()) && e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Remove deletes the object name (absent is fine). The directory is not
// fsynced: callers remove only objects a newer one has superseded, which
// a load ignores should they come back after a crash.
func (s *Store) Remove(name string) error {
	if !validName(name) {
		return fmt.Errorf("%w: store object %q", ErrInvalid, name)
	}
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mon: store: %w", err)
	}
	return nil
}

// logFile holds the cluster log: one JSON entry a line, appended and
// fsynced per batch, rewritten (atomically) to the newest entries when it
// grows past twice what is kept.
const logFile = "clog.jsonl"

// AppendLog makes entries durable. keep is how many the log holds; the
// file is compacted to the newest keep once it has 2*keep lines.
func (s *Store) AppendLog(entries []clustermap.LogEntry, keep int) error {
	if len(entries) == 0 {
		return nil
	}
	buf, err := encodeLog(entries)
	if err != nil {
		return err
	}
	path := filepath.Join(s.dir, logFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("mon: store: %w", err)
	}
	_, werr := f.Write(buf)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("mon: store: append log: %w", werr)
	}
	s.logLines += len(entries)
	if keep > 0 && s.logLines >= 2*keep {
		all, err := s.LoadLog()
		if err != nil {
			return err
		}
		if len(all) > keep {
			all = all[len(all)-keep:]
		}
		out, err := encodeLog(all)
		if err != nil {
			return err
		}
		if err := writeAtomic(s.dir, logFile, out); err != nil {
			return err
		}
		s.logLines = len(all)
	}
	return nil
}

// encodeLog encodes entries one JSON object a line.
func encodeLog(entries []clustermap.LogEntry) ([]byte, error) {
	var buf []byte
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("mon: store: encode log entry: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	return buf, nil
}

// LoadLog reads the cluster log, oldest first. A torn last line (a crash
// mid-append) is dropped from the file; damage before it is
// ErrStoreCorrupt.
func (s *Store) LoadLog() ([]clustermap.LogEntry, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, logFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mon: store: %w", err)
	}
	var out []clustermap.LogEntry
	lines := bytes.Split(b, []byte{'\n'})
	for i, line := range lines {
		if len(line) == 0 {
			continue
		}
		var e clustermap.LogEntry
		if err := json.Unmarshal(line, &e); err != nil {
			if i == len(lines)-1 {
				// Torn: the append never completed. Cut it off so the
				// next append starts on a line of its own.
				if err := os.Truncate(filepath.Join(s.dir, logFile), int64(len(b)-len(line))); err != nil {
					return nil, fmt.Errorf("mon: store: %w", err)
				}
				break
			}
			return nil, fmt.Errorf("%w: %s line %d: %w", ErrStoreCorrupt, logFile, i+1, err)
		}
		if len(out) > 0 && e.Seq <= out[len(out)-1].Seq {
			return nil, fmt.Errorf("%w: %s line %d: seq %d after %d", ErrStoreCorrupt, logFile, i+1, e.Seq, out[len(out)-1].Seq)
		}
		out = append(out, e)
	}
	s.logLines = len(out)
	return out, nil
}

type keyFile struct {
	Key string `json:"key"`
	Val []byte `json:"val"`
}

// keyFileName maps any key to a safe, unique file name.
func keyFileName(key string) string {
	if len(key) <= 150 {
		return "k" + base64.RawURLEncoding.EncodeToString([]byte(key))
	}
	h := sha256.Sum256([]byte(key))
	return "h" + hex.EncodeToString(h[:])
}

// PutKey stores one config-key.
func (s *Store) PutKey(key string, val []byte) error {
	b, err := json.Marshal(keyFile{Key: key, Val: val})
	if err != nil {
		return fmt.Errorf("mon: store: %w", err)
	}
	return writeAtomic(filepath.Join(s.dir, keyDir), keyFileName(key), b)
}

// DeleteKey removes one config-key (absent is fine).
func (s *Store) DeleteKey(key string) error {
	d := filepath.Join(s.dir, keyDir)
	if err := os.Remove(filepath.Join(d, keyFileName(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mon: store: %w", err)
	}
	return syncDir(d)
}

// Keys loads every config-key.
func (s *Store) Keys() (map[string][]byte, error) {
	d := filepath.Join(s.dir, keyDir)
	ents, err := os.ReadDir(d)
	if err != nil {
		return nil, fmt.Errorf("mon: store: %w", err)
	}
	out := make(map[string][]byte, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("mon: store: %w", err)
		}
		var kf keyFile
		if err := json.Unmarshal(b, &kf); err != nil || keyFileName(kf.Key) != e.Name() {
			return nil, fmt.Errorf("%w: config-key file %s", ErrStoreCorrupt, e.Name())
		}
		out[kf.Key] = kf.Val
	}
	return out, nil
}

func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("mon: store: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, filepath.Join(dir, name))
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("mon: store: write %s: %w", name, werr)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mon: store: %w", err)
	}
	serr := d.Sync()
	if cerr := d.Close(); serr == nil {
		serr = cerr
	}
	if serr != nil {
		return fmt.Errorf("mon: store: fsync %s: %w", dir, serr)
	}
	return nil
}
