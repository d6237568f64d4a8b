package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kguard/kguard/internal/images/access"
)

// Cache keeps inventories on disk by image ID (the config digest, which
// names every layer's content), so an image already read is not read
// again: only its manifest is fetched to learn the ID.
type Cache struct {
	// Dir is the cache directory; "" disables caching.
	Dir string
}

func (c Cache) path(configDigest string) string {
	return filepath.Join(c.Dir, "inventories", strings.ReplaceAll(configDigest, ":", "-")+".json")
}

// Get returns the cached inventory of the image with configDigest.
func (c Cache) Get(configDigest string) (*Inventory, bool) {
	if c.Dir == "" || configDigest == "" {
		return nil, false
	}
	data, err := os.ReadFile(c.path(configDigest))
	if err != nil {
		return nil, false
	}
	var inv Inventory
	// A damaged or older entry is a miss: the image is read again.
	if err := json.Unmarshal(data, &inv); err != nil || inv.Schema != SchemaVersion || inv.ConfigDigest != configDigest {
		return nil, false
	}
	return &inv, true
}

// Put stores inv. Inventories with problems are not cached, so the next
// scan tries again and reports them again.
func (c Cache) Put(inv *Inventory) error {
	if c.Dir == "" || len(inv.Problems) > 0 {
		return nil
	}
	p := c.path(inv.ConfigDigest)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("inventory cache: %w", err)
	}
	data, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("inventory cache: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("inventory cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("inventory cache: %w", err)
	}
	return os.Rename(tmp.Name(), p)
}

// Load opens ref and returns its inventory, from the cache when the image
// was read before. Cached is true when no layer was read.
func Load(ctx context.Context, ref string, ao access.Options, c Cache, o Options) (inv *Inventory, cached bool, err error) {
	img, err := access.Open(ctx, ref, ao)
	if err != nil {
		return nil, false, err
	}
	if got, ok := c.Get(img.ConfigDigest.String()); ok {
		// The same content may be known under another name.
		got.Image, got.Digest = img.Ref, img.Digest.String()
		if img.Platform != nil {
			got.Platform = img.Platform.String()
		}
		return got, true, nil
	}
	inv, err = Extract(ctx, img, o)
	if err != nil {
		return nil, false, err
	}
	if err := c.Put(inv); err != nil {
		return inv, false, err
	}
	return inv, false, nil
}
