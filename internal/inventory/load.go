package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// DefaultMaxFileSize bounds how much of one input kguard reads. Real
// manifest files (even large CRD bundles) are far smaller; the bound keeps a
// stray or hostile input from using unbounded memory.
const DefaultMaxFileSize = 32 << 20

// LoadOptions tune Load. The zero value is usable.
type LoadOptions struct {
	// MaxFileSize is the largest input accepted, in bytes.
	MaxFileSize int64
	// Workers is how many files are decoded at once (default GOMAXPROCS).
	Workers int
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Renderers build directories that are not plain manifests (Helm
	// charts, Kustomize overlays). A directory one of them detects is
	// rendered instead of walked, wherever it appears in the tree.
	Renderers []Renderer
	// Ignore, when set, leaves out paths met while walking a directory
	// (--exclude, .kguardignore). Paths named explicitly are always read.
	Ignore func(path string, isDir bool) bool
}

// Result is what Load produced: the objects, plus every input problem met
// on the way (loading never stops at the first bad file).
type Result struct {
	Inventory *Inventory
	Errors    []*InputError
	// Files is how many files were read.
	Files int
	// Skipped are files met while walking a directory that hold no
	// Kubernetes object (Helm values, CI workflows, kguard's own config),
	// in path order. They are not errors: real repositories hold such
	// files. A file named explicitly is always an error instead.
	Skipped []string
	// Included are directories not rendered on their own because another
	// input includes them (Kustomize bases of a scanned overlay).
	Included []string
}

// Load reads manifests from paths: files, directories (recursively, files
// ending in .yaml, .yml or .json) and "-" for standard input. Files are
// decoded in parallel, and the result is in a stable order: files sorted by
// path, documents in file order.
func Load(ctx context.Context, paths []string, opts LoadOptions) (*Result, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	files, included, inputErrs := expand(paths, opts.Renderers, opts.Ignore)
	type out struct {
		objs []*Object
		errs []*InputError
	}
	results := make([]out, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if r := files[i].renderer; r != nil {
					results[i].objs, results[i].errs = r.Render(ctx, files[i].path)
					continue
				}
				data, err := readInput(files[i].path, opts)
				if err != nil {
					results[i].errs = []*InputError{{File: files[i].path, Err: err}}
					continue
				}
				results[i].objs, results[i].errs = DecodeFile(files[i].path, data)
			}
		}()
	}
	var cancelled error
	for i := range files {
		if err := ctx.Err(); err != nil {
			cancelled = err
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("load manifests: %w", cancelled)
	}
	n := 0
	for _, r := range results {
		n += len(r.objs)
	}
	objs := make([]*Object, 0, n)
	var skipped []string
	for i, r := range results {
		if len(r.objs) == 0 && !files[i].explicit && files[i].renderer == nil && onlyNotObjects(r.errs) {
			skipped = append(skipped, files[i].path)
			continue
		}
		objs = append(objs, r.objs...)
		inputErrs = append(inputErrs, r.errs...)
	}
	return &Result{Inventory: New(objs), Errors: inputErrs, Files: len(files), Skipped: skipped, Included: included}, nil
}

// onlyNotObjects reports whether every error (possibly none) says a
// document is not a Kubernetes object.
func onlyNotObjects(errs []*InputError) bool {
	for _, e := range errs {
		if !errors.Is(e.Err, ErrNotObject) {
			return false
		}
	}
	return true
}

// unit is one thing to load: a file, or a directory a renderer builds.
type unit struct {
	path     string
	renderer Renderer
	// explicit units were named by the user, not met in a walk: a file
	// named on purpose that holds no object is an error, not skipped.
	explicit bool
}

// expand turns the user's paths into a sorted list of units. Paths that do
// not exist become input errors. Directories that another unit includes
// are dropped and returned as included.
func expand(paths []string, renderers []Renderer, ignore func(string, bool) bool) ([]unit, []string, []*InputError) {
	var units []unit
	var errs []*InputError
	seen := map[string]bool{}
	add := func(u unit) {
		if !seen[u.path] {
			seen[u.path] = true
			units = append(units, u)
		}
	}
	detect := func(dir string) Renderer {
		for _, r := range renderers {
			if r.Detect(dir) {
				return r
			}
		}
		return nil
	}
	for _, p := range paths {
		if p == "-" {
			add(unit{path: p, explicit: true})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &InputError{File: p, Err: cleanPathError(err)})
			continue
		}
		if !info.IsDir() {
			add(unit{path: p, explicit: true})
			continue
		}
		var found []unit
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &InputError{File: path, Err: cleanPathError(err)})
				return nil
			}
			if path != p && ignore != nil && ignore(path, d.IsDir()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir // .git and friends
				}
				if r := detect(path); r != nil {
					found = append(found, unit{path: path, renderer: r})
					return filepath.SkipDir
				}
				return nil
			}
			if isManifestName(d.Name()) && d.Type().IsRegular() {
				found = append(found, unit{path: path})
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &InputError{File: p, Err: err})
		}
		slices.SortFunc(found, func(a, b unit) int { return strings.Compare(a.path, b.path) })
		for _, u := range found {
			add(u)
		}
	}
	units, included := dropIncluded(units)
	return units, included, errs
}

// dropIncluded removes the directories that other units include.
func dropIncluded(units []unit) ([]unit, []string) {
	inc := map[string]bool{}
	for _, u := range units {
		if i, ok := u.renderer.(Includer); ok {
			for _, d := range i.Includes(u.path) {
				inc[filepath.Clean(d)] = true
			}
		}
	}
	if len(inc) == 0 {
		return units, nil
	}
	var included []string
	kept := units[:0]
	for _, u := range units {
		if u.renderer != nil && inc[filepath.Clean(u.path)] {
			included = append(included, u.path)
			continue
		}
		kept = append(kept, u)
	}
	return kept, included
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// cleanPathError drops the path from an *fs.PathError, which InputError
// already names.
func cleanPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readInput(path string, opts LoadOptions) ([]byte, error) {
	var r io.Reader
	size := 0
	if path == "-" {
		if opts.Stdin == nil {
			return nil, errors.New("no standard input")
		}
		r = opts.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, cleanPathError(err)
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil {
			if info.Size() > opts.MaxFileSize {
				return nil, fmt.Errorf("file is %d bytes, larger than the %d-byte limit (see --max-file-size)", info.Size(), opts.MaxFileSize)
			}
			size = int(info.Size())
		}
		r = f
	}
	// Size the buffer from Stat (plus one byte to see EOF), as os.ReadFile
	// does: growing it from 512 bytes costs a copy per doubling.
	data := make([]byte, 0, size+1)
	lr := io.LimitReader(r, opts.MaxFileSize+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, cleanPathError(err)
		}
	}
	if int64(len(data)) > opts.MaxFileSize {
		return nil, fmt.Errorf("input is larger than the %d-byte limit (see --max-file-size)", opts.MaxFileSize)
	}
	return data, nil
}

// scratch is what decoding a file reuses from one document to the next and,
// through scratchPool, from one file to the next: the JSON buffer and the
// fast converter's slices. Nothing decoded points into it (the JSON
// decoder copies what it keeps).
type scratch struct {
	buf    []byte
	parser fastParser
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// DecodeFile decodes every document of one file's contents. name is used in
// sources and errors. A bad document is reported and skipped; the others
// are still decoded.
func DecodeFile(name string, data []byte) ([]*Object, []*InputError) {
	var objs []*Object
	if isJSONStream(data) && json.Valid(data) {
		line := 1 + bytes.Count(data[:len(data)-len(bytes.TrimLeft(data, " \t\r\n"))], []byte{'\n'})
		got, err := DecodeJSON(data, Source{File: name, Line: line})
		if err != nil {
			return got, []*InputError{{File: name, Line: line, Err: err}}
		}
		return got, nil
	}
	var errs []*InputError
	readDocuments(name, data, func(line int, js []byte, apiVersion, kind string) error {
		src := Source{File: name, Line: line}
		var got []*Object
		var err error
		if apiVersion != "" && kind != "" {
			got, err = decodeKnown(js, typeMeta{APIVersion: apiVersion, Kind: kind}, src)
		} else {
			got, err = DecodeJSON(js, src)
		}
		objs = append(objs, got...)
		return err
	}, func(e *InputError) { errs = append(errs, e) })
	return objs, errs
}

// readDocuments converts each document of a YAML stream to JSON as kubectl
// does (see splitDocuments and convertDocument), calling fn in file order
// with the document's first content line, its JSON (valid only until fn
// returns) and its apiVersion and kind when the fast path saw them as plain
// strings. Null documents are skipped, as kubectl skips them. Problems go
// to fail in file order, fn's own (placed at the document's line) among
// them.
func readDocuments(name string, data []byte, fn func(line int, js []byte, apiVersion, kind string) error, fail func(*InputError)) {
	st := scratchPool.Get().(*scratch)
	defer scratchPool.Put(st)
	splitDocuments(data, func(doc []byte, line, base int) {
		doc = kubectlLines(doc)
		out, apiVersion, kind, err := st.parser.convert(st.buf[:0], doc)
		if err == errFallback {
			out, err = convertDocument(st.buf[:0], doc)
			apiVersion, kind = "", ""
		}
		if err != nil {
			fail(docError(name, line, base, doc, err))
			return
		}
		st.buf = out
		if string(out) == "null" {
			return
		}
		if err := fn(line, out, apiVersion, kind); err != nil {
			fail(&InputError{File: name, Line: line, Err: err})
		}
	}, func(line int, err error) {
		fail(&InputError{File: name, Line: line, Err: err})
	})
}

// kubectlLines returns doc as kubectl's line reader hands it on: every
// line, the last one included, ends with "\n" (it matters to a trailing
// block scalar), and "\r\n" becomes "\n" (it matters where another "\r"
// comes before it: "\r\r\n" is two line breaks to YAML, one to kubectl).
// doc is copied only when it changes.
func kubectlLines(doc []byte) []byte {
	if bytes.IndexByte(doc, '\r') >= 0 {
		doc = bytes.ReplaceAll(doc, []byte("\r\n"), []byte("\n"))
	}
	if len(doc) > 0 && doc[len(doc)-1] != '\n' {
		doc = append(doc[:len(doc):len(doc)], '\n')
	}
	return doc
}

// isJSONStream reports whether data starts as JSON does. kubectl tries
// such a stream as JSON first and reads it as YAML when that fails (a YAML
// flow mapping starts with "{" too); DecodeFile does the same for a file
// that is not one valid JSON document.
func isJSONStream(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}
