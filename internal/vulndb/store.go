package vulndb

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// FileName is the store's file inside the database directory.
const FileName = "advisories.kgdb"

// formatVersion changes when the file layout changes; an older file is
// reported as such and must be imported again.
const formatVersion = 1

var (
	headMagic = [8]byte{'K', 'G', 'V', 'U', 'L', 'N', '0', '1'}
	tailMagic = [8]byte{'K', 'G', 'V', 'E', 'N', 'D', '0', '1'}
)

// trailerSize: index, offsets and meta section offsets, then the magic.
const trailerSize = 8 * 4

// Meta describes the store: where its advisories came from and when.
type Meta struct {
	Format     int       `json:"format"`
	Written    time.Time `json:"written"`
	Advisories int       `json:"advisories"`
	Packages   int       `json:"packages"`
	// Ecosystems counts advisories per ecosystem (without release).
	Ecosystems map[string]int `json:"ecosystems"`
	Sources    []Source       `json:"sources"`
}

// Source is one import: a file, directory, zip export or download.
type Source struct {
	Name     string    `json:"name"`
	Imported time.Time `json:"imported"`
	// Advisories is how many advisories the source holds now.
	Advisories int `json:"advisories"`
	// Newest is the latest "modified" time among them: how fresh the
	// data is, whenever it was imported.
	Newest time.Time `json:"newest"`
}

// DB is an open store. Advisories are read from disk when first looked
// up, so opening reads only the index. Safe for concurrent use.
type DB struct {
	path    string
	f       *os.File
	size    int64
	meta    Meta
	index   map[string][]uint32
	offsets []span

	mu    sync.Mutex
	cache map[uint32]*Advisory
}

type span struct {
	off uint64
	n   uint32
}

// ErrNoDatabase is returned by Open when the directory holds no store.
var ErrNoDatabase = errors.New("no vulnerability database (run `kguard db import` or `kguard db update`)")

// Open opens the store in dir.
func Open(dir string) (*DB, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoDatabase)
	}
	if err != nil {
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	db, err := openFile(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	return db, nil
}

func openFile(path string, f *os.File) (*DB, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size < int64(len(headMagic))+trailerSize {
		return nil, errors.New("corrupt: too short (import the data again)")
	}
	var head [8]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	var tail [trailerSize]byte
	if _, err := f.ReadAt(tail[:], size-trailerSize); err != nil {
		return nil, err
	}
	if head != headMagic || [8]byte(tail[24:]) != tailMagic {
		return nil, errors.New("corrupt: not a kguard vulnerability database or cut short (import the data again)")
	}
	indexOff := binary.LittleEndian.Uint64(tail[0:])
	offsetsOff := binary.LittleEndian.Uint64(tail[8:])
	metaOff := binary.LittleEndian.Uint64(tail[16:])
	end := uint64(size - trailerSize)
	if indexOff < 8 || indexOff > offsetsOff || offsetsOff > metaOff || metaOff > end {
		return nil, errors.New("corrupt: bad section offsets (import the data again)")
	}
	rest := make([]byte, end-indexOff)
	if _, err := f.ReadAt(rest, int64(indexOff)); err != nil {
		return nil, err
	}
	db := &DB{path: path, f: f, size: size, cache: map[uint32]*Advisory{}}
	if err := json.Unmarshal(rest[metaOff-indexOff:], &db.meta); err != nil {
		return nil, fmt.Errorf("corrupt: metadata: %v", err)
	}
	if db.meta.Format != formatVersion {
		return nil, fmt.Errorf("written by another kguard (format %d, want %d): import the data again", db.meta.Format, formatVersion)
	}
	if err := db.readOffsets(rest[offsetsOff-indexOff : metaOff-indexOff]); err != nil {
		return nil, err
	}
	if err := db.readIndex(rest[:offsetsOff-indexOff]); err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) readOffsets(b []byte) error {
	if len(b) < 4 {
		return errors.New("corrupt: offsets")
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if uint64(len(b)) != uint64(n)*12 {
		return errors.New("corrupt: offsets table size")
	}
	db.offsets = make([]span, n)
	for i := range db.offsets {
		s := span{off: binary.LittleEndian.Uint64(b[i*12:]), n: binary.LittleEndian.Uint32(b[i*12+8:])}
		if s.off < 8 || s.off+uint64(s.n) > uint64(db.size) {
			return fmt.Errorf("corrupt: advisory %d lies outside the file", i)
		}
		db.offsets[i] = s
	}
	return nil
}

func (db *DB) readIndex(b []byte) error {
	bad := errors.New("corrupt: index")
	if len(b) < 4 {
		return bad
	}
	n := binary.LittleEndian.Uint32(b)
	b = b[4:]
	db.index = make(map[string][]uint32, n)
	// One backing array for every posting list.
	refs := make([]uint32, 0, len(b)/4)
	for i := uint32(0); i < n; i++ {
		if len(b) < 2 {
			return bad
		}
		kl := int(binary.LittleEndian.Uint16(b))
		if len(b) < 2+kl+4 {
			return bad
		}
		key := string(b[2 : 2+kl])
		b = b[2+kl:]
		m := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if len(b) < 4*m {
			return bad
		}
		start := len(refs)
		for j := 0; j < m; j++ {
			r := binary.LittleEndian.Uint32(b[4*j:])
			if int(r) >= len(db.offsets) {
				return bad
			}
			refs = append(refs, r)
		}
		b = b[4*m:]
		db.index[key] = refs[start:len(refs):len(refs)]
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}

// Close releases the file.
func (db *DB) Close() error { return db.f.Close() }

// Meta returns the store's description.
func (db *DB) Meta() Meta { return db.meta }

// Path is the store's file.
func (db *DB) Path() string { return db.path }

// Lookup returns the advisories that name package name in ecosystem (any
// release: the caller checks Affected entries).
func (db *DB) Lookup(ecosystem, name string) ([]*Advisory, error) {
	refs := db.index[indexKey(ecosystem, name)]
	if len(refs) == 0 {
		return nil, nil
	}
	out := make([]*Advisory, 0, len(refs))
	for _, r := range refs {
		a, err := db.advisory(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (db *DB) advisory(i uint32) (*Advisory, error) {
	db.mu.Lock()
	a, ok := db.cache[i]
	db.mu.Unlock()
	if ok {
		return a, nil
	}
	s := db.offsets[i]
	buf := make([]byte, s.n)
	if _, err := db.f.ReadAt(buf, int64(s.off)); err != nil {
		return nil, fmt.Errorf("vulnerability database %s: advisory %d: %w", db.path, i, err)
	}
	a = &Advisory{}
	if err := json.Unmarshal(buf, a); err != nil {
		return nil, fmt.Errorf("vulnerability database %s: corrupt advisory %d (import the data again): %v", db.path, i, err)
	}
	db.mu.Lock()
	db.cache[i] = a
	db.mu.Unlock()
	return a, nil
}

// All returns every advisory (imports use it to merge).
func (db *DB) All() ([]*Advisory, error) {
	out := make([]*Advisory, len(db.offsets))
	for i := range db.offsets {
		a, err := db.advisory(uint32(i))
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// baseEcosystem drops the release: "Debian:12" -> "Debian".
func baseEcosystem(e string) string {
	b, _, _ := strings.Cut(e, ":")
	return b
}

// indexKey is the lookup key of a package: its ecosystem without release
// and its name as the ecosystem compares names.
func indexKey(ecosystem, name string) string {
	return baseEcosystem(ecosystem) + "\x00" + NormalizeName(ecosystem, name)
}

// NormalizeName folds a package name the way its ecosystem compares
// names: PyPI names per PEP 503, everything else as is.
func NormalizeName(ecosystem, name string) string {
	if baseEcosystem(ecosystem) == "PyPI" {
		name = strings.ToLower(name)
		return strings.NewReplacer("_", "-", ".", "-").Replace(name)
	}
	return name
}

// write stores advisories (sorted by ID) with meta into dir, replacing the
// store atomically.
func write(dir string, advs []*Advisory, meta Meta) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("vulnerability database: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".advisories-*")
	if err != nil {
		return fmt.Errorf("vulnerability database: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := writeTo(tmp, advs, meta); err != nil {
		tmp.Close()
		return fmt.Errorf("vulnerability database: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("vulnerability database: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, FileName))
}

func writeTo(f io.Writer, advs []*Advisory, meta Meta) error {
	w := bufio.NewWriterSize(f, 1<<20)
	var off uint64
	put := func(b []byte) {
		w.Write(b)
		off += uint64(len(b))
	}
	u32 := func(v uint32) { put(binary.LittleEndian.AppendUint32(nil, v)) }
	put(headMagic[:])

	index := map[string][]uint32{}
	offsets := make([]span, len(advs))
	meta.Ecosystems = map[string]int{}
	for i, a := range advs {
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		offsets[i] = span{off: off, n: uint32(len(data))}
		put(data)
		seen := map[string]bool{}
		ecos := map[string]bool{}
		for _, af := range a.Affected {
			k := indexKey(af.Ecosystem, af.Name)
			if !seen[k] {
				seen[k] = true
				index[k] = append(index[k], uint32(i))
			}
			ecos[baseEcosystem(af.Ecosystem)] = true
		}
		for e := range ecos {
			meta.Ecosystems[e]++
		}
	}

	indexOff := off
	keys := make([]string, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	u32(uint32(len(keys)))
	for _, k := range keys {
		if len(k) > 0xffff {
			return fmt.Errorf("package key too long: %.60s", k)
		}
		put(binary.LittleEndian.AppendUint16(nil, uint16(len(k))))
		put([]byte(k))
		refs := index[k]
		u32(uint32(len(refs)))
		for _, r := range refs {
			u32(r)
		}
	}

	offsetsOff := off
	u32(uint32(len(offsets)))
	for _, s := range offsets {
		put(binary.LittleEndian.AppendUint64(nil, s.off))
		u32(s.n)
	}

	metaOff := off
	meta.Format = formatVersion
	meta.Advisories = len(advs)
	meta.Packages = len(keys)
	mj, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	put(mj)
	var tail [trailerSize]byte
	binary.LittleEndian.PutUint64(tail[0:], indexOff)
	binary.LittleEndian.PutUint64(tail[8:], offsetsOff)
	binary.LittleEndian.PutUint64(tail[16:], metaOff)
	copy(tail[24:], tailMagic[:])
	put(tail[:])
	return w.Flush()
}
