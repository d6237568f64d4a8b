package vulndb

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// maxRecordBytes bounds one OSV record; real records are kilobytes.
const maxRecordBytes = 16 << 20

// ImportResult says what an import changed.
type ImportResult struct {
	// Read is how many records were read; Withdrawn how many of them were
	// withdrawn (and so removed from the store).
	Read, Withdrawn int
	// Problems are records that could not be read, naming the file (and
	// the zip entry). The other records were imported.
	Problems []error
	Meta     Meta
}

// Input is one source of OSV records for Import.
type Input struct {
	// Name names the source in `kguard db info` (a path or a URL).
	Name string
	// Path is a JSON file, a directory of JSON files (searched
	// recursively, zip exports inside included) or a zip export.
	Path string
}

// Import reads OSV records from inputs into the store in dir, merging
// with what it holds: a record replaces an older copy with the same ID,
// and a withdrawn record removes it. The store is replaced atomically.
func Import(dir string, inputs []Input, now time.Time) (*ImportResult, error) {
	byID := map[string]*Advisory{}
	var sources []Source
	if db, err := Open(dir); err == nil {
		all, err := db.All()
		meta := db.Meta()
		db.Close()
		if err != nil {
			return nil, err
		}
		for _, a := range all {
			byID[a.ID] = a
		}
		sources = meta.Sources
	} else if !errors.Is(err, ErrNoDatabase) {
		// A corrupt store is replaced only by an explicit new import of
		// everything: say so instead of silently dropping its content.
		return nil, fmt.Errorf("%w (remove %s to start afresh)", err, filepath.Join(dir, FileName))
	}

	res := &ImportResult{}
	for _, in := range inputs {
		err := readInput(in.Path, func(where string, data []byte) {
			res.Read++
			adv, withdrawn, err := parseRecord(data)
			if err != nil {
				res.Problems = append(res.Problems, fmt.Errorf("%s: not an OSV record: %v", where, err))
				return
			}
			if withdrawn {
				res.Withdrawn++
				delete(byID, adv.ID)
				return
			}
			if old, ok := byID[adv.ID]; ok && old.Modified.After(adv.Modified) {
				return
			}
			adv.Source = in.Name
			byID[adv.ID] = adv
		})
		if err != nil {
			res.Problems = append(res.Problems, err)
			continue
		}
		i := slices.IndexFunc(sources, func(s Source) bool { return s.Name == in.Name })
		if i < 0 {
			sources = append(sources, Source{Name: in.Name})
			i = len(sources) - 1
		}
		sources[i].Imported = now
	}

	advs := make([]*Advisory, 0, len(byID))
	for _, a := range byID {
		advs = append(advs, a)
	}
	slices.SortFunc(advs, func(a, b *Advisory) int { return strings.Compare(a.ID, b.ID) })
	// Recount the sources: a later import may have replaced records.
	counts := map[string]*Source{}
	for i := range sources {
		sources[i].Advisories, sources[i].Newest = 0, time.Time{}
		counts[sources[i].Name] = &sources[i]
	}
	for _, a := range advs {
		if s := counts[a.Source]; s != nil {
			s.Advisories++
			if a.Modified.After(s.Newest) {
				s.Newest = a.Modified
			}
		}
	}
	sources = slices.DeleteFunc(sources, func(s Source) bool { return s.Advisories == 0 && s.Imported.Before(now) })
	meta := Meta{Written: now, Sources: sources}
	if err := write(dir, advs, meta); err != nil {
		return nil, err
	}
	db, err := Open(dir)
	if err != nil {
		return nil, err
	}
	res.Meta = db.Meta()
	db.Close()
	return res, nil
}

// readInput calls fn with every record in path: a JSON file, a zip export
// or a directory of those.
func readInput(path string, fn func(where string, data []byte)) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return readFile(path, fn)
	}
	var errs []error
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext == ".json" || ext == ".zip" {
			if err := readFile(p, fn); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func readFile(path string, fn func(where string, data []byte)) error {
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		return readZip(path, fn)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecordBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxRecordBytes {
		return fmt.Errorf("%s: larger than %d bytes: not an OSV record", path, maxRecordBytes)
	}
	fn(path, data)
	return nil
}

// readZip reads an OSV export (ECOSYSTEM/all.zip: one record per entry).
func readZip(path string, fn func(where string, data []byte)) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("%s: not a zip export: %w", path, err)
	}
	defer zr.Close()
	var errs []error
	for _, e := range zr.File {
		if e.FileInfo().IsDir() || !strings.EqualFold(filepath.Ext(e.Name), ".json") {
			continue
		}
		where := path + ":" + e.Name
		if e.UncompressedSize64 > maxRecordBytes {
			errs = append(errs, fmt.Errorf("%s: larger than %d bytes: not an OSV record", where, maxRecordBytes))
			continue
		}
		rc, err := e.Open()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxRecordBytes+1))
		rc.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		fn(where, data)
	}
	return errors.Join(errs...)
}
