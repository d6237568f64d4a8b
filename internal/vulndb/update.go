package vulndb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultExportURL is where OSV publishes its per-ecosystem exports
// (ECOSYSTEM/all.zip).
const DefaultExportURL = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultEcosystems are the exports `kguard db update` downloads: the
// distributions and language ecosystems kguard finds in images.
var DefaultEcosystems = []string{
	"Debian", "Ubuntu", "Alpine", "Red Hat", "AlmaLinux", "Rocky Linux",
	"Go", "npm", "PyPI", "Maven",
}

// maxExportBytes bounds one download (the largest export is a few
// hundred megabytes).
const maxExportBytes = 2 << 30

// UpdateOptions configure a download.
type UpdateOptions struct {
	// BaseURL is the export location (default DefaultExportURL).
	BaseURL    string
	Ecosystems []string
	Client     *http.Client
	// Progress, when set, is told about each export.
	Progress func(ecosystem string, bytes int64)
}

// Update downloads each ecosystem's export and imports it into dir. An
// ecosystem that fails to download is reported and the others are still
// imported.
func Update(ctx context.Context, dir string, o UpdateOptions, now time.Time) (*ImportResult, error) {
	base := strings.TrimSuffix(o.BaseURL, "/")
	if base == "" {
		base = DefaultExportURL
	}
	ecos := o.Ecosystems
	if len(ecos) == 0 {
		ecos = DefaultEcosystems
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	tmp, err := os.MkdirTemp("", "kguard-osv-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var inputs []Input
	var problems []error
	for _, eco := range ecos {
		u := base + "/" + url.PathEscape(eco) + "/all.zip"
		path := filepath.Join(tmp, strings.ReplaceAll(eco, " ", "_")+".zip")
		n, err := download(ctx, client, u, path)
		if err != nil {
			problems = append(problems, fmt.Errorf("download %s: %w", u, err))
			continue
		}
		if o.Progress != nil {
			o.Progress(eco, n)
		}
		inputs = append(inputs, Input{Name: u, Path: path})
	}
	if len(inputs) == 0 {
		return nil, errors.Join(append([]error{errors.New("no export could be downloaded (offline? use `kguard db import` with exports copied here)")}, problems...)...)
	}
	res, err := Import(dir, inputs, now)
	if err != nil {
		return nil, err
	}
	res.Problems = append(problems, res.Problems...)
	return res, nil
}

func download(ctx context.Context, client *http.Client, u, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxExportBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if n > maxExportBytes {
		return n, fmt.Errorf("larger than %d bytes", int64(maxExportBytes))
	}
	return n, nil
}

// DefaultDir is the store's default location: kguard/vulndb in the
// user's cache directory.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (give --db): %w", err)
	}
	return filepath.Join(d, "kguard", "vulndb"), nil
}

// StaleAfter is the age past which `kguard db info` and scans warn.
const StaleAfter = 7 * 24 * time.Hour

// Age is how old the data is: the time since the newest advisory's
// modification across sources, or since the last import when records
// carry no times.
func (m Meta) Age(now time.Time) time.Duration {
	var newest time.Time
	for _, s := range m.Sources {
		if s.Newest.After(newest) {
			newest = s.Newest
		}
	}
	if newest.IsZero() {
		newest = m.Written
	}
	return now.Sub(newest)
}
