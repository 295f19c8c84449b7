package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gomgr/internal/cephconf"
	"gomgr/plugins"
)

// defaultMon is where the CLI looks when neither --mon nor $GOMGR_MON says.
const defaultMon = "127.0.0.1:6789"

// demoAddrFile is where `gomgr demo` writes its mon address, so the CLI on
// the same machine finds it without flags.
func demoAddrFile() string { return filepath.Join(os.TempDir(), "gomgr-demo", "mon.addr") }

// monAddress resolves the mon: the flag, then $GOMGR_MON, then a running
// demo's address file, then the default port.
func monAddress(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("GOMGR_MON"); env != "" {
		return env
	}
	if b, err := os.ReadFile(demoAddrFile()); err == nil {
		if a := strings.TrimSpace(string(b)); a != "" {
			return a
		}
	}
	return defaultMon
}

// repinner re-pins a Go plugin's binary when its module is enabled.
func repinner(ps *plugins.Source) func(string) {
	if ps == nil {
		return nil
	}
	return func(name string) {
		_, _ = ps.Repin(name) // not a plugin of this source: nothing to pin
	}
}

// cephCluster reads what mgr.NAME needs of a real cluster's ceph.conf: the
// mons' v1 addresses and where to listen for daemons (public_addr's host,
// any port).
func cephCluster(path, name string) (mons []string, bind string, err error) {
	c, err := cephconf.Load(path)
	if err != nil {
		return nil, "", err
	}
	who := "mgr." + name
	if !slices.Contains(c.Auth(who).Cluster, "none") {
		return nil, "", fmt.Errorf("%s: %s requires cephx (auth_cluster_required), which gomgr does not speak yet; use auth none", path, who)
	}
	if mons, err = c.MonAddrs(who); err != nil {
		return nil, "", err
	}
	bind = "127.0.0.1:0"
	if pa, ok := c.Get(who, "public_addr"); ok && pa != "" {
		if pub, err := cephconf.MonAddrs(pa); err == nil && len(pub) > 0 {
			host, _, _ := net.SplitHostPort(pub[0])
			bind = net.JoinHostPort(host, "0")
		}
	}
	return mons, bind, nil
}
