package msgr

import (
	"fmt"
	"testing"
)

func dumpConns(t *testing.T, m *Messenger) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.conns {
		c.outMu.Lock()
		n := c.outN
		c.outMu.Unlock()
		t.Logf("%s %s: %v outN=%d", m.cfg.Name, k, c.State(), n)
	}
	t.Log(fmt.Sprintf("%+v", m.Stats().Snapshot()))
}
