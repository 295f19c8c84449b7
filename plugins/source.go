package plugins

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"gomgr/registry"
)

// Kind is the registry.Source kind of Go plugins.
const Kind = "go"

// Config configures a Source. Zero values take the defaults noted.
type Config struct {
	// Dir holds the plugin executables; each one is a candidate module
	// named by its file name.
	Dir string
	// DisableAutoMTLS turns off go-plugin's automatic mutual TLS between
	// the manager and its plugins (on by default; it costs one ECDSA key
	// pair and certificate per start, see Bench).
	DisableAutoMTLS bool
	// Logger receives plugin output with the field module=<name>
	// (default logrus.StandardLogger()).
	Logger logrus.FieldLogger
	// CrashLimit is K: after K failures (crash, hang, unresponsive, failed
	// restart) within CrashWindow the module stays failed (default 5).
	CrashLimit int
	// CrashWindow (default 10m).
	CrashWindow time.Duration
	// BackoffBase and BackoffCap bound the restart delay, base*2^(n-1)
	// after the n-th failure in the window (defaults 200ms and 30s).
	BackoffBase time.Duration
	BackoffCap  time.Duration
	// KillTimeout bounds each step of stopping a process: the graceful
	// go-plugin Kill, then the wait after SIGKILL (default 5s).
	KillTimeout time.Duration
	// StartTimeout bounds go-plugin's handshake (default 20s).
	StartTimeout time.Duration
	// PingInterval and PingTimeout drive the liveness check on the notify
	// stream: a process that does not ack a ping within PingTimeout (a
	// SIGSTOP'd one) is killed and restarted (defaults 1s and 3s).
	PingInterval time.Duration
	PingTimeout  time.Duration
	// OpenIdle is how long the process started by Open waits for Start
	// before it is stopped (Start then starts a new one) (default 30s).
	OpenIdle time.Duration
	// Pins stores the pinned SHA-256 of each plugin. Default: in memory,
	// until a manager hands the Source its store (UseStore: gomgr's mgr
	// keeps pins in the mon, see StorePins).
	Pins PinStore
	// SocketDir is where plugin processes put their unix sockets, in a
	// subdirectory per manager process; subdirectories of dead managers
	// are removed by NewSource (default $TMPDIR/gomgr-plugins).
	SocketDir string
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = logrus.StandardLogger()
	}
	if c.CrashLimit <= 0 {
		c.CrashLimit = 5
	}
	if c.CrashWindow <= 0 {
		c.CrashWindow = 10 * time.Minute
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = 200 * time.Millisecond
	}
	if c.BackoffCap <= 0 {
		c.BackoffCap = 30 * time.Second
	}
	if c.KillTimeout <= 0 {
		c.KillTimeout = 5 * time.Second
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 20 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = time.Second
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 3 * time.Second
	}
	if c.OpenIdle <= 0 {
		c.OpenIdle = 30 * time.Second
	}
	if c.Pins == nil {
		c.Pins = NewMemPins()
	}
	if c.SocketDir == "" {
		c.SocketDir = filepath.Join(os.TempDir(), "gomgr-plugins")
	}
}

// PinStore keeps the SHA-256 pinned for each plugin. The mgr may back it
// with its durable store so pins survive restarts. Safe from any goroutine.
type PinStore interface {
	LoadPin(name string) (sum []byte, ok bool, err error)
	// StorePin pins sum; a nil sum removes the pin.
	StorePin(name string, sum []byte) error
}

// MemPins is an in-memory PinStore.
type MemPins struct {
	mu   sync.Mutex
	pins map[string][]byte
}

// NewMemPins returns an empty MemPins.
func NewMemPins() *MemPins { return &MemPins{pins: make(map[string][]byte)} }

// LoadPin implements PinStore.
func (p *MemPins) LoadPin(name string) ([]byte, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.pins[name]
	return s, ok, nil
}

// StorePin implements PinStore.
func (p *MemPins) StorePin(name string, sum []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sum == nil {
		delete(p.pins, name)
	} else {
		p.pins[name] = append([]byte(nil), sum...)
	}
	return nil
}

var _ PinStore = (*MemPins)(nil)

// Source finds Go plugins in a directory and opens them.
//
// Trust: a plugin's SHA-256 is pinned the first time it is opened (when
// it has no pin yet: trust on first use) and by Repin. Every process
// start (Open, Start, each restart) checks the file's hash against the pin
// and refuses a binary whose hash differs with ErrChecksum, naming both
// hashes, until the pin changes (Repin; with StorePins, an operator's
// config-key rm); go-plugin's SecureConfig hashes the file again as it
// starts the process.
type Source struct {
	cfg     Config
	sockDir string // <SocketDir>/<pid>/<n>: this Source's, under this process's
	sums    fileSums

	pinsMu  sync.Mutex
	pins    PinStore
	ownPins bool // Config.Pins was given: UseStore keeps it
}

// sources numbers the Sources of this process (a demo runs two managers).
var sources atomic.Int64

var _ registry.Source = (*Source)(nil)

// NewSource returns a Source for cfg.Dir. It removes the socket
// directories that managers killed without cleaning up left behind.
func NewSource(cfg Config) *Source {
	own := cfg.Pins != nil
	cfg.defaults()
	s := &Source{cfg: cfg, sockDir: filepath.Join(cfg.SocketDir, strconv.Itoa(os.Getpid()), strconv.FormatInt(sources.Add(1), 10)),
		pins: cfg.Pins, ownPins: own}
	sweepSocketDirs(cfg.SocketDir, cfg.Logger)
	return s
}

// sweepSocketDirs removes <base>/<pid> for every pid no longer alive.
func sweepSocketDirs(base string, log logrus.FieldLogger) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || pidAlive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(base, e.Name())); err != nil {
			log.WithError(err).Warn("plugins: removing stale socket directory")
		}
	}
}

func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Kind implements registry.Source.
func (s *Source) Kind() string { return Kind }

// Scan lists the executables in Dir, sorted. Hidden files are skipped.
func (s *Source) Scan() ([]string, error) {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("plugins: scan %s: %w", s.cfg.Dir, err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := os.Stat(filepath.Join(s.cfg.Dir, e.Name()))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func (s *Source) path(name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	p := filepath.Join(s.cfg.Dir, name)
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrNotFound, name, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s is not an executable file", ErrNotFound, p)
	}
	return p, nil
}

func hashFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hashReader(f)
}

// UseStore keeps the pins in st, the manager's store (gomgr's mgr: its
// config-keys in the mon, shared by every mgr), instead of in memory, so
// that the binary pinned first is the one every mgr trusts, across
// failover. A Config.Pins given to NewSource is kept. Call it before the
// first Open.
func (s *Source) UseStore(st registry.Store) {
	s.pinsMu.Lock()
	defer s.pinsMu.Unlock()
	if !s.ownPins {
		s.pins = NewStorePins(st)
	}
}

func (s *Source) pinStore() PinStore {
	s.pinsMu.Lock()
	defer s.pinsMu.Unlock()
	return s.pins
}

// Repin hashes the plugin's binary now and pins that hash, so a changed
// binary is trusted again. It returns the new pin.
func (s *Source) Repin(name string) ([]byte, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	sum, err := hashFile(p)
	if err != nil {
		return nil, fmt.Errorf("plugins: hash %s: %w", p, err)
	}
	if err := s.pinStore().StorePin(name, sum); err != nil {
		return nil, fmt.Errorf("plugins: pin %s: %w", name, err)
	}
	s.cfg.Logger.WithField("module", name).WithField("sha256", hex.EncodeToString(sum)).Info("plugins: binary pinned")
	return sum, nil
}

// Unpin forgets the plugin's pin: the next Open pins whatever binary is
// there then.
func (s *Source) Unpin(name string) error {
	if err := s.pinStore().StorePin(name, nil); err != nil {
		return fmt.Errorf("plugins: unpin %s: %w", name, err)
	}
	return nil
}

// pin returns the plugin's pin, pinning the binary on disk if there is
// none, and refuses with ErrChecksum a binary whose hash is not the pin.
// It runs before every process start.
func (s *Source) pin(name string) ([]byte, error) {
	path, err := s.path(name)
	if err != nil {
		return nil, err
	}
	ps := s.pinStore()
	sum, ok, err := ps.LoadPin(name)
	if err != nil {
		return nil, fmt.Errorf("plugins: load pin of %s: %w", name, err)
	}
	if !ok {
		if sum, err = s.Repin(name); err != nil {
			return nil, err
		}
		// Another mgr may have pinned another binary at the same moment:
		// the pin that stayed in the store is the one that counts.
		if got, ok, err := ps.LoadPin(name); err == nil && ok && !bytes.Equal(got, sum) {
			return nil, s.checksumError(ps, name, path, sum, got)
		}
		return sum, nil
	}
	now, err := s.sums.hash(path)
	if err != nil {
		return nil, fmt.Errorf("plugins: hash %s: %w", path, err)
	}
	if !bytes.Equal(now, sum) {
		return nil, s.checksumError(ps, name, path, now, sum)
	}
	return sum, nil
}

// checksumError names both hashes and how to trust the binary on disk.
func (s *Source) checksumError(ps PinStore, name, path string, now, pinned []byte) error {
	hint := "re-pin it to trust the new binary (Source.Repin)"
	if h, ok := ps.(repinHinter); ok {
		hint = h.RepinHint(name)
	}
	return fmt.Errorf("%w: %s has sha256 %x, but %x is pinned; %s", ErrChecksum, path, now, pinned, hint)
}

// Open starts the plugin's process, performs the handshake and reads its
// declaration. The process is kept for Start (for up to Config.OpenIdle).
func (s *Source) Open(ctx context.Context, name string) (registry.Module, error) {
	path, err := s.path(name)
	if err != nil {
		return nil, err
	}
	m := &module{src: s, name: name, path: path, log: s.cfg.Logger.WithField("module", name)}
	p, info, err := m.launch(ctx)
	if err != nil {
		return nil, err
	}
	m.info = info
	m.cur = p
	m.idle = time.AfterFunc(s.cfg.OpenIdle, m.idleStop)
	return m, nil
}

// processSocketDir makes the socket directory of one plugin process. The
// shared parents may vanish under it (another Source's Close removes them
// once empty), hence a second try.
func (s *Source) processSocketDir() (string, error) {
	var err error
	for range 2 {
		if err = os.MkdirAll(s.sockDir, 0o700); err != nil {
			continue
		}
		var dir string
		if dir, err = os.MkdirTemp(s.sockDir, "p"); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("plugins: socket dir: %w", err)
}

// Close removes this Source's socket directory, and this process's once
// no other Source uses it. The registry calls it after every module has
// been stopped.
func (s *Source) Close() error {
	if err := os.RemoveAll(s.sockDir); err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	// This process's directory, then the shared one, once empty: another
	// Source or manager may still hold them.
	for _, dir := range []string{filepath.Dir(s.sockDir), s.cfg.SocketDir} {
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("plugins: %w", err)
		}
	}
	return nil
}
