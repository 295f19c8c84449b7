package mon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gomgr/clustermap"
)

// A data directory is in one of four states, which OpenStore tells apart
// before it creates anything:
//
//   - new: missing, or holding nothing of a mon's: a new cluster may be
//     made in it (the first start, or Mkfs);
//   - initialised: it has an fsid, written last at mkfs: every file in
//     storeMandatory and the config-key directory must be there, and the
//     osdmap incrementals must follow the full map without a gap;
//   - unfinished: the mkfs marker, no fsid, and only files an mkfs
//     writes: an mkfs that crashed, which Mkfs starts over;
//   - orphaned: a mon's files without an fsid (and not an unfinished
//     mkfs): a store that lost its fsid, or someone else's files.
//
// Only a new directory opens without a word; the others are refused with
// ErrStoreCorrupt, naming what is missing and what to do, and left as they
// are. The cluster log (clog.jsonl) and logseq are not mandatory: without
// them the log starts over, no map is lost.
type dirState int

const (
	dirNew dirState = iota
	dirInitialised
	dirUnfinished
	dirOrphaned
)

// mkfsMarker marks an mkfs under way. OpenStore writes it into a new
// directory, and the fsid's write (Put), which completes an mkfs, removes
// it: a directory with the marker and no fsid is an mkfs that crashed, and
// nothing but that mkfs wrote there. Hidden, so List does not show it.
const mkfsMarker = ".mkfs"

// storeMandatory are the files an initialised store must have besides the
// fsid and the config-key directory.
var storeMandatory = []string{objMgrMap, objOSDMap, objMonMap, objFSMap, objServiceMap}

// layout is what a data directory holds of a mon's.
type layout struct {
	state  dirState
	files  []string // the mon's files (regular, not hidden), sorted
	keys   int      // config-keys
	keyDir bool     // the config-key directory exists
	marker bool     // mkfsMarker exists
}

// inspect reads dir without changing it. Hidden files, temp files and
// other subdirectories are not a mon's (lost+found, a .keep).
func inspect(dir string) (layout, error) {
	var l layout
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("mon: store: %w", err)
	}
	for _, e := range ents {
		switch {
		case e.Name() == mkfsMarker:
			l.marker = true
		case e.Name() == keyDir && e.IsDir():
			l.keyDir = true
		case e.Type().IsRegular() && validName(e.Name()):
			l.files = append(l.files, e.Name())
		}
	}
	if l.keyDir {
		kents, err := os.ReadDir(filepath.Join(dir, keyDir))
		if err != nil {
			return l, fmt.Errorf("mon: store: %w", err)
		}
		for _, e := range kents {
			if !strings.HasPrefix(e.Name(), tmpPrefix) && e.Type().IsRegular() {
				l.keys++
			}
		}
	}
	sort.Strings(l.files)
	switch {
	case slices.Contains(l.files, objFSID):
		l.state = dirInitialised
	case len(l.files) == 0 && l.keys == 0:
		l.state = dirNew
	case l.marker && l.keys == 0 && l.onlyMkfsFiles():
		l.state = dirUnfinished
	default:
		l.state = dirOrphaned
	}
	return l, nil
}

// onlyMkfsFiles reports whether every file is one an mkfs writes.
func (l layout) onlyMkfsFiles() bool {
	for _, f := range l.files {
		if !slices.Contains(storeMandatory, f) && f != objLogSeq && f != logFile {
			return false
		}
	}
	return true
}

// describe lists what the directory holds, briefly.
func (l layout) describe() string {
	const max = 8
	// The maps first: what makes it a mon's.
	names := slices.Clone(l.files)
	sort.SliceStable(names, func(i, j int) bool {
		return slices.Contains(storeMandatory, names[i]) && !slices.Contains(storeMandatory, names[j])
	})
	more := ""
	if len(names) > max {
		names, more = names[:max], fmt.Sprintf(" and %d more", len(l.files)-max)
	}
	s := strings.Join(names, ", ") + more
	if l.keys > 0 {
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("%d config-keys", l.keys)
	}
	return s
}

// check refuses a directory that is not new and not a whole store.
func (l layout) check(dir string) error {
	switch l.state {
	case dirUnfinished:
		return fmt.Errorf("%w: %s holds an mkfs that did not finish (%s, but no %s yet): no cluster ever ran from it; make it again with `gomgr mon --mkfs --data %s` (it starts over), or empty the directory",
			ErrStoreCorrupt, dir, l.describe(), objFSID, dir)
	case dirOrphaned:
		way := "if it is a store whose " + objFSID + " was lost, restore " + filepath.Join(dir, objFSID) + " from a backup"
		if id := fsidInMaps(dir); id != "" {
			way = fmt.Sprintf("if it is the store of cluster %s (as its maps say), restore its fsid: printf %s > %s", id, id, filepath.Join(dir, objFSID))
		}
		return fmt.Errorf("%w: %s holds a mon's files (%s) but no %s: refusing to start, or to make a new cluster over them; %s; for a new cluster, use an empty directory",
			ErrStoreCorrupt, dir, l.describe(), objFSID, way)
	case dirInitialised:
		if !l.keyDir {
			return fmt.Errorf("%w: %s has no %s directory (the module store): refusing to start without it; restore it from a backup (mkdir %s starts with no config-keys: every module setting lost)",
				ErrStoreCorrupt, dir, keyDir, filepath.Join(dir, keyDir))
		}
		var missing []string
		for _, name := range storeMandatory {
			if !slices.Contains(l.files, name) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: %s has no %s: refusing to start without it; restore it from a backup of this directory (a new cluster needs an empty directory)",
				ErrStoreCorrupt, dir, strings.Join(missing, ", "))
		}
		return checkIncs(dir, l.files)
	}
	return nil
}

// checkIncs refuses a gap in the osdmap incrementals: those after the full
// map must run from its epoch+1 without one, or a restart would stop at
// the gap, and later writes would land beside stale epochs. Older ones are
// leftovers of a compaction (removed without an fsync) and harmless.
func checkIncs(dir string, files []string) error {
	var epochs []uint64
	for _, f := range files {
		if s, ok := strings.CutPrefix(f, objOSDMapIncPrefix); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(s, ".json"), 10, 64); err == nil {
				epochs = append(epochs, n)
			}
		}
	}
	if len(epochs) == 0 {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, objOSDMap))
	if err != nil {
		return fmt.Errorf("mon: store: %w", err)
	}
	var full struct {
		Epoch uint64 `json:"epoch"`
	}
	if err := json.Unmarshal(b, &full); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStoreCorrupt, objOSDMap, err)
	}
	slices.Sort(epochs)
	next := full.Epoch + 1
	for _, e := range epochs {
		switch {
		case e < next:
		case e == next:
			next++
		default:
			return fmt.Errorf("%w: %s has no %s, yet the incrementals go on to epoch %d: refusing to start without it (a restart would stop at epoch %d); restore it from a backup of this directory",
				ErrStoreCorrupt, dir, objOSDMapInc(next), epochs[len(epochs)-1], next-1)
		}
	}
	return nil
}

// fsidInMaps is the fsid the osdmap or monmap of dir names, or "".
func fsidInMaps(dir string) string {
	for _, name := range []string{objOSDMap, objMonMap} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		var m struct {
			FSID string `json:"fsid"`
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if _, err := clustermap.ParseUUID(m.FSID); err == nil {
			return m.FSID
		}
	}
	return ""
}

// markMkfs writes the mkfs marker into a new directory.
func markMkfs(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, mkfsMarker), nil, 0o640); err != nil {
		return fmt.Errorf("mon: store: %w", err)
	}
	return syncDir(dir)
}

// unmarkMkfs removes the marker: the fsid is durable, the mkfs complete.
func unmarkMkfs(dir string) error {
	if err := os.Remove(filepath.Join(dir, mkfsMarker)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("mon: store: %w", err)
	}
	return syncDir(dir)
}

// Mkfs makes a new cluster in dir, as ceph-mon --mkfs, and returns its
// fsid (cfg.FSID, or a random one). dir must be missing or hold nothing of
// a mon's; an mkfs that did not finish is started over. Anything else is
// refused (ErrInvalid), naming what is there: Mkfs never writes over a
// store.
func Mkfs(now time.Time, dir string, cfg Config) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("%w: mkfs needs a data directory", ErrInvalid)
	}
	l, err := inspect(dir)
	if err != nil {
		return "", err
	}
	switch l.state {
	case dirNew:
	case dirUnfinished:
		// Only what the crashed mkfs wrote (inspect made sure); the
		// marker stays, as the new mkfs is under way at once.
		for _, f := range l.files {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("mon: mkfs: %w", err)
			}
		}
		if err := syncDir(dir); err != nil {
			return "", err
		}
	case dirInitialised:
		id, _ := os.ReadFile(filepath.Join(dir, objFSID))
		return "", fmt.Errorf("%w: mkfs: %s already holds cluster %q (%s): refusing to make a new one over it; use an empty directory",
			ErrInvalid, dir, strings.TrimSpace(string(id)), l.describe())
	default:
		return "", fmt.Errorf("%w: mkfs: %s is not empty (%s): refusing to make a new cluster over it; use an empty directory",
			ErrInvalid, dir, l.describe())
	}
	m, err := Open(now, dir, cfg)
	if err != nil {
		return "", err
	}
	return m.FSID(), nil
}
