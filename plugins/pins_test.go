package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"gomgr/registry"
)

// swapBinary replaces the plugin at p as an operator would (a running
// executable cannot be written in place): a copy with one more byte,
// renamed over. It returns the new binary's SHA-256 in hex.
func swapBinary(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, 0)
	if err := os.WriteFile(p+".new", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".new", p); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func fileSHA(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestStorePinsAcrossManagers: two managers (two Sources over their own
// plugin directories) share one store, as gomgr's mgrs share the mon's
// config-keys. The pin the first one took holds for the second after a
// failover: a swapped binary there is refused, naming both hashes, also
// when opened again (a disable and enable), until the operator removes
// the pin; then the binary on disk is pinned, for every manager.
func TestStorePinsAcrossManagers(t *testing.T) {
	kv := registry.NewMemStore() // the mon's config-keys
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	x, y := newEnv(t, Config{}), newEnv(t, Config{})
	x.src.UseStore(kv)
	y.src.UseStore(kv)
	px, py := copyPlugin(t, x.dir, "good"), copyPlugin(t, y.dir, "good")
	orig := fileSHA(t, px)

	x.start(t, "good") // the first enable pins the binary
	if v, ok, _ := kv.Get(ctx, PinKey("good")); !ok || v != orig {
		t.Fatalf("pin in the store = %q, %v; want %s", v, ok, orig)
	}

	// The standby's binary is replaced; the active fails over to it.
	swapped := swapBinary(t, py)
	for i := range 2 { // the first start, then a disable and enable
		_, err := y.src.Open(ctx, "good")
		if !errors.Is(err, ErrChecksum) {
			t.Fatalf("open %d of a swapped binary = %v", i, err)
		}
		for _, want := range []string{swapped, orig, "gomgr config-key rm mgr/plugins/good/sha256"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("refusal %q does not name %q", err, want)
			}
		}
	}
	if v, _, _ := kv.Get(ctx, PinKey("good")); v != orig {
		t.Fatalf("refused starts changed the pin to %q", v)
	}

	// The operator trusts the new binary: config-key rm of the pin.
	if err := kv.Set(ctx, PinKey("good"), nil); err != nil {
		t.Fatal(err)
	}
	m, err := y.src.Open(ctx, "good")
	if err != nil {
		t.Fatalf("open after the pin was removed: %v", err)
	}
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := kv.Get(ctx, PinKey("good")); v != swapped {
		t.Fatalf("pin after re-trust = %q, want %s", v, swapped)
	}
	// One pin for all: x's old binary is now the stranger.
	if _, err := x.src.Open(ctx, "good"); !errors.Is(err, ErrChecksum) {
		t.Fatalf("x's old binary after the re-pin: %v", err)
	}
}

// TestStorePinsBadValue: a pin that is not a SHA-256 refuses the start.
func TestStorePinsBadValue(t *testing.T) {
	kv := registry.NewMemStore()
	e := newEnv(t, Config{}, "good")
	e.src.UseStore(kv)
	junk := "0123"
	if err := kv.Set(context.Background(), PinKey("good"), &junk); err != nil {
		t.Fatal(err)
	}
	if _, err := e.src.Open(context.Background(), "good"); err == nil || !strings.Contains(err.Error(), "not a SHA-256") {
		t.Fatalf("Open with a junk pin = %v", err)
	}
}

// TestUseStoreKeepsConfigPins: pins an embedder gave in Config stay.
func TestUseStoreKeepsConfigPins(t *testing.T) {
	own := NewMemPins()
	e := newEnv(t, Config{Pins: own}, "good")
	e.src.UseStore(registry.NewMemStore())
	if e.src.pinStore() != PinStore(own) {
		t.Fatal("UseStore replaced Config.Pins")
	}
	d := newEnv(t, Config{}, "good")
	d.src.UseStore(registry.NewMemStore())
	if _, ok := d.src.pinStore().(*StorePins); !ok {
		t.Fatalf("default pins after UseStore: %T", d.src.pinStore())
	}
}
