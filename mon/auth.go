package mon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gomgr/cephx"
	"gomgr/messages"
	"gomgr/msgr"
)

// KeyringFile is the mon's auth database in its data dir: every entity's
// key and caps, in Ceph's keyring format. client.admin's entry is what
// the CLI needs (`--keyring DATA/keyring`).
const KeyringFile = "keyring"

// ErrNoKeyring is a data dir of a cephx mon that lost its keyring.
var ErrNoKeyring = errors.New("mon: keyring missing")

// LoadKeyring reads dir's keyring; with create, a dir without one gets a
// new one (a mon key and client.admin with every cap), as a cluster's
// bootstrap makes them. The keyring is written 0600.
func LoadKeyring(dir string, create bool) (cephx.Keyring, error) {
	path := filepath.Join(dir, KeyringFile)
	kr, err := cephx.LoadKeyring(path)
	if err == nil {
		return kr, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: this mon requires cephx and its keys are gone; restore the file (or start with --auth none)", ErrNoKeyring, path)
		}
		return nil, err
	}
	if kr, err = cephx.AdminKeyring(); err != nil {
		return nil, err
	}
	return kr, writeKeyring(path, kr)
}

func writeKeyring(path string, kr cephx.Keyring) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("mon: keyring: %w", err)
	}
	if _, err := f.Write(kr.Marshal()); err != nil {
		f.Close()
		return fmt.Errorf("mon: keyring: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("mon: keyring: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mon: keyring: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("mon: keyring: %w", err)
	}
	return nil
}

// monAuth is the daemon's cephx: the key server and each session's
// exchange. Owned by the run goroutine.
type monAuth struct {
	ks       *cephx.KeyServer
	path     string
	sessions map[*msgr.Connection]*cephx.Session
}

// auth answers an MAuth: with cephx off, auth none for everyone; with it
// on, the cephx exchange, and a hello that does not offer cephx refused.
func (d *Daemon) auth(c *msgr.Connection, p *messages.Auth) {
	a := d.cephx
	if a == nil {
		d.nextGID++
		d.send(c, 0, &messages.AuthReply{Protocol: messages.AuthNone, GlobalID: d.nextGID})
		return
	}
	if p.Protocol == 0 {
		h, err := messages.DecodeAuthHello(p.AuthPayload)
		if err != nil || !offers(h.Protocols, messages.AuthCephX) {
			d.log.WithField("peer", c.String()).Warn("client without cephx refused")
			d.send(c, 0, &messages.AuthReply{Protocol: messages.AuthNone, Result: EACCESS,
				ResultMsg: "this cluster requires cephx (a keyring with the client's key)"})
			return
		}
		d.nextGID++
		s, bl := a.ks.Start(h.Name, d.nextGID)
		a.sessions[c] = s
		d.send(c, 0, &messages.AuthReply{Protocol: messages.AuthCephX, GlobalID: d.nextGID, ResultBL: bl})
		return
	}
	s := a.sessions[c]
	if s == nil || p.Protocol != messages.AuthCephX {
		d.send(c, 0, &messages.AuthReply{Protocol: messages.AuthCephX, Result: EINVAL, ResultMsg: "cephx request before the hello"})
		return
	}
	result, bl, err := s.Handle(p.AuthPayload)
	if err != nil {
		d.log.WithError(err).WithField("peer", c.String()).WithField("entity", s.Name().String()).Warn("cephx refused")
		d.send(c, 0, &messages.AuthReply{Protocol: messages.AuthCephX, Result: result, ResultMsg: err.Error()})
		return
	}
	d.send(c, 0, &messages.AuthReply{Protocol: messages.AuthCephX, GlobalID: s.GlobalID(), ResultBL: bl})
}

func offers(ps []uint32, p int) bool {
	for _, x := range ps {
		if x == uint32(p) {
			return true
		}
	}
	return false
}

// authorized reports whether a message may be acted on: with cephx, only
// MAuth before the session proved its key.
func (d *Daemon) authorized(c *msgr.Connection, p messages.Payload) bool {
	if d.cephx == nil {
		return true
	}
	if _, ok := p.(*messages.Auth); ok {
		return true
	}
	if s := d.cephx.sessions[c]; s != nil && s.Authenticated() {
		return true
	}
	d.log.WithField("peer", c.String()).WithField("type", fmt.Sprintf("%T", p)).Warn("message from an unauthenticated session dropped")
	return false
}

// denied says why a session's mon caps do not allow a command (its perm
// in monCommands against MonCap), or "" when they do.
func (d *Daemon) denied(c *msgr.Connection, prefix string) string {
	if d.cephx == nil {
		return ""
	}
	s := d.cephx.sessions[c]
	if s == nil {
		return "access denied: not authenticated"
	}
	perm := commandPerm(prefix)
	caps, err := cephx.ParseCaps(s.Caps("mon"))
	if err != nil {
		return fmt.Sprintf("access denied: %s's mon caps do not parse: %v", s.Name(), err)
	}
	if !caps.Allows(prefix, perm) {
		return fmt.Sprintf("access denied: %s's mon caps %q do not allow %q (perm %s)", s.Name(), s.Caps("mon"), prefix, perm)
	}
	return ""
}

// authCommand runs the key server's commands (the auth entries of
// monCommands); ok is false for any other prefix.
func (d *Daemon) authCommand(args cmdArgs, format string) (CommandResult, bool) {
	prefix, _, _ := args.str("prefix")
	c := commandByPrefix[prefix]
	if c == nil || c.keys == nil {
		return CommandResult{}, false
	}
	if d.cephx == nil {
		return status(EINVAL, "auth commands need cephx (this mon runs auth none)"), true
	}
	return c.keys(d.cephx, cmdCall{prefix: prefix, format: format, args: args}), true
}

// showKeys prints a keyring as `ceph auth get|ls` do.
func showKeys(kr cephx.Keyring, format string) CommandResult {
	if format == "" || format == "plain" {
		return CommandResult{Out: kr.Marshal()}
	}
	var out []map[string]any
	for name, e := range kr {
		out = append(out, map[string]any{"entity": name, "key": e.Key.String(), "caps": e.Caps})
	}
	return ok(format, out)
}

func authGetOrCreate(a *monAuth, c cmdCall) CommandResult {
	entity, _, err := c.args.str("entity")
	if err != nil {
		return status(EINVAL, err.Error())
	}
	capList, _ := c.args["caps"].([]any)
	caps := map[string]string{}
	for i := 0; i+1 < len(capList); i += 2 {
		svc, _ := capList[i].(string)
		cp, _ := capList[i+1].(string)
		caps[svc] = cp
	}
	e, err := a.ks.Add(entity, caps)
	if err != nil {
		return status(EINVAL, err.Error())
	}
	if err := writeKeyring(a.path, a.ks.Keyring()); err != nil {
		return status(EIO, err.Error())
	}
	return showKeys(cephx.Keyring{entity: e}, c.format)
}

func authGet(a *monAuth, c cmdCall) CommandResult {
	entity, _, err := c.args.str("entity")
	if err != nil {
		return status(EINVAL, err.Error())
	}
	e, found := a.ks.Entity(entity)
	if !found {
		return status(ENOENT, "failed to find "+entity+" in keyring")
	}
	return showKeys(cephx.Keyring{entity: e}, c.format)
}

func authLs(a *monAuth, c cmdCall) CommandResult {
	return showKeys(a.ks.Keyring(), c.format)
}

// argOf is a cmdmap's string argument key ("prefix", "format"), or "",
// read as the dispatch reads it (a one-element list is its string), so
// that the caps are checked for the command that runs.
func argOf(args map[string]any, key string) string {
	f, _, _ := cmdArgs(args).str(key)
	return f
}

// emptyDir reports whether dir holds no mon yet (or an mkfs that
// crashed): a cephx mon then makes its keyring.
func emptyDir(dir string) bool {
	l, err := inspect(dir)
	return err == nil && (l.state == dirNew || l.state == dirUnfinished)
}
