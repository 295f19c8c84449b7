package mon

import (
	"fmt"
	"sort"

	"gomgr/clustermap"
)

// Loaded maps are checked before use: the store never tears a file, but a
// damaged or hand-edited data directory must fail loudly, not panic later.

func corrupt(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrStoreCorrupt, name, fmt.Sprintf(format, args...))
}

func validateMgrMap(m *clustermap.MgrMap) error {
	if m.Epoch == 0 {
		return corrupt(objMgrMap, "epoch 0")
	}
	sort.Slice(m.Standbys, func(i, j int) bool { return m.Standbys[i].GID < m.Standbys[j].GID })
	for i, s := range m.Standbys {
		if s.GID == 0 || s.GID == m.ActiveGID || (i > 0 && m.Standbys[i-1].GID == s.GID) {
			return corrupt(objMgrMap, "bad standby gid %d", s.GID)
		}
	}
	if (m.ActiveGID == 0) != (m.ActiveName == "") {
		return corrupt(objMgrMap, "active gid %d with name %q", m.ActiveGID, m.ActiveName)
	}
	return nil
}

func validateOSDMap(m *clustermap.OSDMap, fsid string, maxID int) error {
	if m.Epoch == 0 {
		return corrupt(objOSDMap, "epoch 0")
	}
	if m.FSID != fsid {
		return corrupt(objOSDMap, "fsid %q, cluster is %q", m.FSID, fsid)
	}
	for i, o := range m.OSDs {
		if o == nil || o.OSD < 0 || o.OSD > maxID || (i > 0 && m.OSDs[i-1].OSD >= o.OSD) {
			return corrupt(objOSDMap, "osds not a sorted list of valid ids (entry %d)", i)
		}
		if o.Up < 0 || o.Up > 1 || o.In < 0 || o.In > 1 {
			return corrupt(objOSDMap, "osd.%d has up=%d in=%d", o.OSD, o.Up, o.In)
		}
	}
	return nil
}

func validateMonMap(m *clustermap.MonMap, fsid string) error {
	if m.Epoch == 0 || len(m.Mons) == 0 {
		return corrupt(objMonMap, "epoch %d with %d mons", m.Epoch, len(m.Mons))
	}
	if m.FSID != fsid {
		return corrupt(objMonMap, "fsid %q, cluster is %q", m.FSID, fsid)
	}
	return nil
}

func validateFSMap(m *clustermap.FSMap) error {
	if m.Epoch == 0 {
		return corrupt(objFSMap, "epoch 0")
	}
	if len(m.Compat) == 0 {
		m.Compat = newFSMap().Compat
	}
	if m.Standbys == nil {
		m.Standbys = []any{}
	}
	if m.Filesystems == nil {
		m.Filesystems = []any{}
	}
	return nil
}

func validateServiceMap(m *clustermap.ServiceMap) error {
	if m.Epoch == 0 {
		return corrupt(objServiceMap, "epoch 0")
	}
	if m.Services == nil {
		m.Services = map[string]any{}
	}
	return nil
}
