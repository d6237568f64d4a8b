package imagescmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/inventory"
	"github.com/kguard/kguard/internal/images/vulnscan"
	"github.com/kguard/kguard/internal/vulndb"
)

// AccessFlags are the flags that say how images are reached and cached;
// `kguard images` and `kguard scan --images` share them.
type AccessFlags struct {
	Platform         string
	InsecureRegistry []string
	CacheDir         string
	NoCache          bool
	DB               string
	IgnoreUnfixed    bool
}

// AddFlags registers the flags on fs.
func (f *AccessFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Platform, "platform", "linux/amd64", "platform to pick from multi-platform images (os/arch[/variant])")
	fs.StringArrayVar(&f.InsecureRegistry, "insecure-registry", nil, "registry host:port to reach over plain HTTP (repeatable; loopback registries always are)")
	fs.StringVar(&f.CacheDir, "cache-dir", "", "image cache directory: layers and inventories by digest (default: kguard/images in the user cache directory)")
	fs.BoolVar(&f.NoCache, "no-cache", false, "read every image again, ignoring and not filling the cache")
	fs.StringVar(&f.DB, "db", "", "vulnerability database directory (default: images.vulnerabilities.db in the config, else kguard/vulndb in the user cache directory)")
	fs.BoolVar(&f.IgnoreUnfixed, "ignore-unfixed", false, "do not report vulnerabilities that have no fixed version yet")
}

// Access returns the image access options.
func (f *AccessFlags) Access() (access.Options, error) {
	p, err := access.ParsePlatform(f.Platform)
	if err != nil {
		return access.Options{}, err
	}
	o := access.Options{Platform: p, InsecureRegistries: f.InsecureRegistry}
	dir, err := f.cacheDir()
	if err != nil {
		return o, err
	}
	o.CacheDir = dir
	return o, nil
}

func (f *AccessFlags) cacheDir() (string, error) {
	if f.NoCache {
		return "", nil
	}
	if f.CacheDir != "" {
		return f.CacheDir, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (give --cache-dir or --no-cache): %w", err)
	}
	return filepath.Join(d, "kguard", "images"), nil
}

// ScanOptions builds the vulnerability scan options from the flags and the
// config.
func (f *AccessFlags) ScanOptions(cfg *config.Config) (vulnscan.Options, error) {
	ao, err := f.Access()
	if err != nil {
		return vulnscan.Options{}, err
	}
	vc := cfg.Images.Vulnerabilities
	o := vulnscan.Options{
		Access:        ao,
		Cache:         inventory.Cache{Dir: ao.CacheDir},
		IgnoreUnfixed: f.IgnoreUnfixed || vc.IgnoreUnfixed,
	}
	for _, ig := range vc.Ignore {
		o.Ignores = append(o.Ignores, vulnscan.Ignore{
			ID: ig.ID, Packages: ig.Packages, Images: ig.Images, Status: ig.Status, Reason: ig.Reason, Expires: ig.ExpiresAt(),
		})
	}
	return o, nil
}

// OpenDB opens the database named by --db, the config, or the default.
func (f *AccessFlags) OpenDB(cfg *config.Config) (*vulndb.DB, error) {
	dir := f.DB
	if dir == "" {
		dir = cfg.Images.Vulnerabilities.DB
	}
	if dir == "" {
		var err error
		if dir, err = vulndb.DefaultDir(); err != nil {
			return nil, err
		}
	}
	return vulndb.Open(dir)
}

// LoadConfig reads --config or ./.kguard.yaml.
func LoadConfig(file string) (*config.Config, error) {
	if file != "" {
		return config.Load(file)
	}
	c, _, err := config.Find()
	return c, err
}
