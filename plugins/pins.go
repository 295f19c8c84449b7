package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// PinKey is the key under which StorePins keeps plugin name's pin, as
// every gomgr mgr does in the mon's config-keys: "mgr/plugins/<name>/sha256",
// the SHA-256 in lowercase hex. gomgr's mon refuses any other value there
// and writes every change to the cluster log.
func PinKey(name string) string { return "mgr/plugins/" + name + "/sha256" }

// PinKV is the part of a registry.Store that StorePins uses.
type PinKV interface {
	Get(ctx context.Context, key string) (value string, ok bool, err error)
	// Set stores value, or deletes the key when value is nil.
	Set(ctx context.Context, key string, value *string) error
}

// pinTimeout bounds one pin read or write: a PinStore has no ctx, and a
// mon that does not answer must not hold a plugin start for ever.
const pinTimeout = 10 * time.Second

// StorePins is a PinStore in a store every manager of a cluster shares:
// the mgr's config-keys in the mon. The hash pinned when a plugin first
// starts is then the one every mgr checks, after a failover too, and
// enabling a module again changes nothing: an operator re-trusts a
// changed binary by removing the pin (`gomgr config-key rm
// mgr/plugins/NAME/sha256`: the next start pins the binary on disk) or by
// setting it to the hash to trust. Safe from any goroutine.
type StorePins struct {
	kv PinKV
}

// NewStorePins returns the PinStore over kv.
func NewStorePins(kv PinKV) *StorePins { return &StorePins{kv: kv} }

// LoadPin implements PinStore.
func (p *StorePins) LoadPin(name string) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), pinTimeout)
	defer cancel()
	v, ok, err := p.kv.Get(ctx, PinKey(name))
	if err != nil || !ok {
		return nil, false, err
	}
	sum, err := hex.DecodeString(v)
	if err == nil && len(sum) != sha256.Size {
		err = fmt.Errorf("%d bytes", len(sum))
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s holds %q, not a SHA-256 in hex: %w", PinKey(name), v, err)
	}
	return sum, true, nil
}

// StorePin implements PinStore.
func (p *StorePins) StorePin(name string, sum []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), pinTimeout)
	defer cancel()
	if sum == nil {
		return p.kv.Set(ctx, PinKey(name), nil)
	}
	v := hex.EncodeToString(sum)
	return p.kv.Set(ctx, PinKey(name), &v)
}

// RepinHint implements repinHinter.
func (p *StorePins) RepinHint(name string) string {
	return "to trust it, remove the pin (gomgr config-key rm " + PinKey(name) + ") or set it to the new hash"
}

// RepinHint implements repinHinter: an embedder re-pins with Source.Repin,
// which a manager calls when an operator enables the module.
func (p *MemPins) RepinHint(string) string {
	return "enable the module again to trust the new binary (Source.Repin)"
}

// repinHinter is a PinStore that tells an operator how to trust a changed
// binary; ErrChecksum's message carries the hint.
type repinHinter interface {
	RepinHint(name string) string
}

var (
	_ PinStore    = (*StorePins)(nil)
	_ repinHinter = (*StorePins)(nil)
	_ repinHinter = (*MemPins)(nil)
)

// fileSums caches the SHA-256 of plugin binaries by file identity
// (device, inode, size, modification and change times), so the check
// before each start costs an open and a stat unless the file changed. It
// only words a refusal early: go-plugin hashes the file again as it starts
// the process (SecureConfig), and that check is the one enforced.
type fileSums struct {
	mu sync.Mutex
	m  map[string]fileSum // by path
}

type fileSum struct {
	dev, ino     uint64
	size         int64
	mtime, ctime syscall.Timespec
	sum          []byte
}

// hash returns the SHA-256 of the file at path.
func (c *fileSums) hash(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The identity of what is read (fstat of the open file), not of what
	// the path names a moment later.
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return hashReader(f)
	}
	id := fileSum{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim, ctime: st.Ctim}
	c.mu.Lock()
	cached, hit := c.m[path]
	c.mu.Unlock()
	if hit && cached.dev == id.dev && cached.ino == id.ino && cached.size == id.size && cached.mtime == id.mtime && cached.ctime == id.ctime {
		return cached.sum, nil
	}
	sum, err := hashReader(f)
	if err != nil {
		return nil, err
	}
	id.sum = sum
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]fileSum)
	}
	c.m[path] = id
	c.mu.Unlock()
	return sum, nil
}

func hashReader(r io.Reader) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
