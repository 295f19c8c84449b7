package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gomgr/cephx"
	"gomgr/internal/cephconf"
	"gomgr/messages"
	"gomgr/monclient"
	"gomgr/msgr/wire"
)

// defaultMon is where the CLI looks when neither --mon nor $GOMGR_MON says.
const defaultMon = "127.0.0.1:6789"

// demoAddrFile is where `gomgr demo` writes its mon address, so the CLI on
// the same machine finds it without flags.
func demoAddrFile() string { return filepath.Join(os.TempDir(), "gomgr-demo", "mon.addr") }

// demoKeyringFile is where a running demo leaves client.admin's keyring
// for the CLI.
func demoKeyringFile() string { return filepath.Join(os.TempDir(), "gomgr-demo", "keyring") }

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

// cephCluster reads what mgr.NAME needs of a real cluster's ceph.conf:
// the mons' v1 addresses, where to listen for daemons (public_addr's
// host, any port) and, when the cluster requires cephx, mgr.NAME's key
// from its keyring.
type cephClusterConf struct {
	mons         []string
	bind         string
	cephx        *cephx.Client
	authOptional bool // auth none allowed beside cephx for daemons and clients
}

func cephCluster(path, name string) (cephClusterConf, error) {
	var cc cephClusterConf
	c, err := cephconf.Load(path)
	if err != nil {
		return cc, err
	}
	who := "mgr." + name
	auth := c.Auth(who)
	if len(auth.Cluster) > 0 && auth.Cluster[0] == "cephx" {
		kpath, err := c.Keyring(who)
		if err != nil {
			return cc, fmt.Errorf("%s: %s: the cluster requires cephx: %w", path, who, err)
		}
		kr, err := cephx.LoadKeyring(kpath)
		if err != nil {
			return cc, err
		}
		e, ok := kr[who]
		if !ok {
			return cc, fmt.Errorf("%s has no key for %s (ceph auth get-or-create %s mon 'allow profile mgr' osd 'allow *' mds 'allow *')", kpath, who, who)
		}
		cc.cephx = cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityMgr), ID: name}, e.Key,
			cephx.ServiceMon|cephx.ServiceOSD|cephx.ServiceMDS|cephx.ServiceMgr)
		cc.authOptional = slices.Contains(auth.Service, "none") && slices.Contains(auth.Cluster, "none")
	} else if !slices.Contains(auth.Cluster, "none") {
		return cc, fmt.Errorf("%s: %s requires auth %v; gomgr speaks cephx and none", path, who, auth.Cluster)
	}
	if cc.mons, err = c.MonAddrs(who); err != nil {
		return cc, err
	}
	cc.bind = "127.0.0.1:0"
	if pa, ok := c.Get(who, "public_addr"); ok && pa != "" {
		if pub, err := cephconf.MonAddrs(pa); err == nil && len(pub) > 0 {
			host, _, _ := net.SplitHostPort(pub[0])
			cc.bind = net.JoinHostPort(host, "0")
		}
	}
	return cc, nil
}

// mgrCephx is mgr.NAME's principal for gomgr's mon, from the keyring (the
// flag, else $GOMGR_KEYRING; none: auth none). A keyring with only
// client.admin's key makes mgr.NAME's key with it first, as a deployment
// tool would (`auth get-or-create mgr.NAME mon 'allow profile mgr' ...`).
func mgrCephx(mons []string, path, name string) (*cephx.Client, error) {
	if path == "" {
		path = os.Getenv("GOMGR_KEYRING")
	}
	if path == "" {
		return nil, nil
	}
	kr, err := cephx.LoadKeyring(path)
	if err != nil {
		return nil, err
	}
	who := "mgr." + name
	e, ok := kr[who]
	if !ok {
		admin, ok := kr["client.admin"]
		if !ok {
			return nil, fmt.Errorf("%s has no key for %s or client.admin", path, who)
		}
		if e, err = makeKey(mons, admin.Key, who, "mon", "allow profile mgr", "osd", "allow *", "mds", "allow *"); err != nil {
			return nil, err
		}
	}
	return cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityMgr), ID: name}, e.Key,
		cephx.ServiceMon|cephx.ServiceOSD|cephx.ServiceMDS|cephx.ServiceMgr), nil
}

// makeKey runs `auth get-or-create who CAPS...` as client.admin.
func makeKey(mons []string, adminKey cephx.Key, who string, caps ...string) (cephx.Entity, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := cephx.NewClient(messages.AuthName{Type: uint32(wire.EntityClient), ID: "admin"}, adminKey, cephx.ServiceMon)
	monc, err := monclient.Dial(ctx, monclient.Config{MonAddrs: mons, Name: wire.EntityName{Type: wire.EntityClient, Num: -1}, Cephx: admin})
	if err != nil {
		return cephx.Entity{}, fmt.Errorf("make %s's key as client.admin: %w", who, err)
	}
	defer monc.Close()
	capsArg := make([]any, len(caps))
	for i, c := range caps {
		capsArg[i] = c
	}
	res, err := monc.Command(ctx, map[string]any{"prefix": "auth get-or-create", "entity": who, "caps": capsArg}, nil)
	if err == nil && res.Retval != 0 {
		err = fmt.Errorf("%d %s", res.Retval, res.Status)
	}
	if err != nil {
		return cephx.Entity{}, fmt.Errorf("make %s's key: %w", who, err)
	}
	kr, err := cephx.ParseKeyring(res.Out)
	if err != nil {
		return cephx.Entity{}, fmt.Errorf("make %s's key: %w", who, err)
	}
	return kr[who], nil
}
