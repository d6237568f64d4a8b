package vulndb

import (
	"archive/zip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)

func importTestdata(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	res, err := Import(dir, []Input{{Name: "testdata", Path: "testdata/osv"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Fatal(res.Problems)
	}
	if res.Read != 17 || res.Withdrawn != 1 || res.Meta.Advisories != 16 {
		t.Fatalf("read %d withdrawn %d stored %d, want 17 1 16", res.Read, res.Withdrawn, res.Meta.Advisories)
	}
	return dir
}

// TestMatch: each expected result below was worked out by hand from the
// ecosystem's version rules (see each record's summary in testdata/osv).
func TestMatch(t *testing.T) {
	db, err := Open(importTestdata(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := NewMatcher(db)
	for _, tc := range []struct {
		q    Query
		want []string // "ID fixed severity score"
	}{
		{Query{Ecosystem: "Debian:12", Name: "edge", Version: "1:2.0~rc1-1"}, nil},
		{Query{Ecosystem: "Debian:12", Name: "tilde", Version: "2.0~rc1-1"}, []string{"DEBIAN-CVE-2099-0002 2.0-1 CRITICAL 9.8"}},
		{Query{Ecosystem: "Debian:12", Name: "tilde", Version: "2.0-1"}, nil},
		{Query{Ecosystem: "Debian:12", Name: "openssl", Version: "3.0.11-1~deb12u2"}, []string{"DEBIAN-CVE-2099-0004 3.0.13-1~deb12u1 MEDIUM 5.9"}},
		{Query{Ecosystem: "Debian:11", Name: "openssl", Version: "3.0.11-1~deb11u1"}, []string{"DEBIAN-CVE-2099-0003 3.0.99-1  0"}},
		{Query{Ecosystem: "Debian:12", Name: "tiff", Version: "4.5.0-6+deb12u1"}, []string{"DEBIAN-CVE-2099-0017  CRITICAL 9.3"}},
		{Query{Ecosystem: "Alpine:v3.20", Name: "openssl", Version: "3.3.1_p1-r0"}, []string{"ALPINE-CVE-2099-0006 3.3.1_p2-r0  0"}},
		{Query{Ecosystem: "Alpine:v3.20", Name: "musl", Version: "1.2.5-r0"}, []string{"ALPINE-CVE-2099-0007 1.2.5-r1  0"}},
		{Query{Ecosystem: "Alpine:v3.20", Name: "musl", Version: "1.2.5-r1"}, nil},
		{Query{Ecosystem: "Alpine:v3.19", Name: "musl", Version: "1.2.5-r0"}, nil},
		{Query{Ecosystem: "AlmaLinux:9", Name: "openssl-libs", Version: "1:3.0.7-25.el9"}, []string{"ALSA-2099:0008 1:3.0.7-27.el9  0"}},
		{Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "0.3.5"}, []string{"GO-2099-0010 0.3.7  0"}},
		{Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.5"}, []string{"GO-2099-0010 0.3.7  0"}},
		{Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "0.3.7"}, nil},
		{Query{Ecosystem: "Go", Name: "example.com/pseudo", Version: "0.0.0-20210101000000-123456789abc"}, []string{"GO-2099-0011 0.0.0-20210601000000-abcdefabcdef  0"}},
		{Query{Ecosystem: "Go", Name: "example.com/pseudo", Version: "0.0.0-20220101000000-123456789abc"}, nil},
		{Query{Ecosystem: "PyPI", Name: "URLLib3", Version: "1.26.4"}, []string{"PYSEC-2099-0012 1.26.5 MEDIUM 4.3"}},
		{Query{Ecosystem: "npm", Name: "lodash", Version: "4.17.20"}, []string{"GHSA-2099-0013  HIGH 0"}},
		{Query{Ecosystem: "npm", Name: "lodash", Version: "4.17.21"}, nil},
		{Query{Ecosystem: "npm", Name: "lodash", Version: "3.10.1"}, nil},
		{Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1"}, []string{"GHSA-2099-0015 2.15.0 CRITICAL 10"}},
		{Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.3"}, []string{"GHSA-2099-0015 2.15.0 CRITICAL 10", "GHSA-2099-0016 2.3.1  0"}},
	} {
		ms, err := m.Match(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range ms {
			got = append(got, strings.Join([]string{x.Advisory.ID, x.Fixed, x.Advisory.Severity, ftoa(x.Advisory.Score)}, " "))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%+v:\n got %q\nwant %q", tc.q, got, tc.want)
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestOrdering checks the ecosystems' version rules directly.
func TestOrdering(t *testing.T) {
	for _, tc := range []struct {
		eco, v, fixed string
		affected      bool
	}{
		{"Debian:12", "1:2.0~rc1-1", "2.0-1", false},
		{"Debian:12", "2.0~rc1-1", "2.0-1", true},
		{"Debian:12", "2.0-1", "2.0-1+deb12u1", true},
		{"Debian:12", "2.0-1+b1", "2.0-1", false},
		{"Debian:12", "2.0-1~bpo12+1", "2.0-1", true},
		{"Alpine:v3.20", "1.2.3_p1-r0", "1.2.3-r5", false},
		{"Alpine:v3.20", "1.2.3_rc1-r0", "1.2.3-r0", true},
		{"Alpine:v3.20", "1.2.3-r9", "1.2.3-r10", true},
		{"AlmaLinux:9", "1:1.0-1.el9", "2.0-1.el9", false},
		{"AlmaLinux:9", "1.0-1.el9", "1.0-1.el9_1", true},
		{"Red Hat:enterprise_linux:9::baseos", "2:1.0-1", "2:1.0-2", true},
		{"PyPI", "2.0.0a1", "2.0.0rc1", true},
		{"PyPI", "2.0.0.post1", "2.0.0", false},
		{"PyPI", "1.0.dev1", "1.0", true},
		{"npm", "1.0.0-beta.2", "1.0.0-beta.11", true},
		{"Go", "0.0.0-20210101000000-aaaaaaaaaaaa", "0.1.0", true},
	} {
		af := &Affected{Ecosystem: tc.eco, Name: "p", Ranges: []Range{{Type: "ECOSYSTEM", Events: []osvEvent{{Introduced: "0"}, {Fixed: tc.fixed}}}}}
		got, _, err := Affects(af, tc.v)
		if err != nil {
			t.Errorf("%s %s: %v", tc.eco, tc.v, err)
			continue
		}
		if got != tc.affected {
			t.Errorf("%s: %s with fix %s: affected %v, want %v", tc.eco, tc.v, tc.fixed, got, tc.affected)
		}
	}
}

func TestEcosystemApplies(t *testing.T) {
	for _, tc := range []struct {
		adv, pkg string
		want     bool
	}{
		{"Debian:12", "Debian:12", true},
		{"Debian:12", "Debian:11", false},
		{"Debian", "Debian:11", true},
		{"Go", "Go", true},
		{"Alpine:v3.20", "Alpine", false},
	} {
		if got := EcosystemApplies(tc.adv, tc.pkg); got != tc.want {
			t.Errorf("EcosystemApplies(%q, %q) = %v", tc.adv, tc.pkg, got)
		}
	}
}

// TestWithdrawnLater: a withdrawn copy imported later removes the record.
func TestWithdrawnLater(t *testing.T) {
	dir := importTestdata(t)
	w := filepath.Join(t.TempDir(), "w.json")
	os.WriteFile(w, []byte(`{"id":"GO-2099-0010","modified":"2026-10-02T00:00:00Z","withdrawn":"2026-10-02T00:00:00Z","affected":[]}`), 0o644)
	res, err := Import(dir, []Input{{Name: "w", Path: w}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Advisories != 15 {
		t.Errorf("%d advisories after withdrawal, want 15", res.Meta.Advisories)
	}
	db, _ := Open(dir)
	defer db.Close()
	if ms, _ := NewMatcher(db).Match(Query{Ecosystem: "Go", Name: "golang.org/x/text", Version: "0.3.5"}); len(ms) != 0 {
		t.Errorf("withdrawn record still matches: %v", ms[0].Advisory.ID)
	}
}

func zipDir(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(src, e.Name()))
		w, _ := zw.Create(e.Name())
		w.Write(data)
	}
	zw.Close()
	f.Close()
}

// TestUpdate downloads zip exports from a local server laid out like
// OSV's (ECOSYSTEM/all.zip); a missing ecosystem is reported, the others
// imported.
func TestUpdate(t *testing.T) {
	exports := t.TempDir()
	os.MkdirAll(filepath.Join(exports, "Debian"), 0o755)
	zipDir(t, "testdata/osv", filepath.Join(exports, "Debian", "all.zip"))
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		http.FileServer(http.Dir(exports)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	res, err := Update(context.Background(), dir, UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Debian", "Red Hat"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Advisories != 16 {
		t.Errorf("%d advisories, want 16", res.Meta.Advisories)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "/Red%20Hat/all.zip: HTTP 404") {
		t.Errorf("problems: %v", res.Problems)
	}
	if strings.Join(paths, ",") != "/Debian/all.zip,/Red Hat/all.zip" {
		t.Errorf("requests: %v", paths)
	}
	if len(res.Meta.Sources) != 1 || res.Meta.Sources[0].Name != srv.URL+"/Debian/all.zip" || res.Meta.Sources[0].Advisories != 16 {
		t.Errorf("sources: %+v", res.Meta.Sources)
	}
	srv.Close()
	if _, err := Update(context.Background(), t.TempDir(), UpdateOptions{BaseURL: srv.URL, Ecosystems: []string{"Go"}}, now); err == nil || !strings.Contains(err.Error(), "offline?") {
		t.Errorf("unreachable: %v", err)
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"id": 3`), 0o644)
	junkZip := filepath.Join(dir, "x.zip")
	os.WriteFile(junkZip, []byte("PK not really"), 0o644)
	res, err := Import(filepath.Join(dir, "db"), []Input{{Name: "a", Path: "testdata/osv"}, {Name: "b", Path: bad}, {Name: "c", Path: junkZip}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Advisories != 16 || len(res.Problems) != 2 {
		t.Fatalf("advisories %d problems %v", res.Meta.Advisories, res.Problems)
	}
	if !strings.Contains(res.Problems[0].Error(), bad) || !strings.Contains(res.Problems[1].Error(), "x.zip: not a zip export") {
		t.Errorf("problems: %v", res.Problems)
	}
}

// TestCorruptStore: a damaged store is an error naming the file, at open
// or when the damaged advisory is read; never a panic.
func TestCorruptStore(t *testing.T) {
	dir := importTestdata(t)
	path := filepath.Join(dir, FileName)
	data, _ := os.ReadFile(path)
	for name, mutate := range map[string]func([]byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:len(b)/2] },
		"empty":       func([]byte) []byte { return nil },
		"bad trailer": func(b []byte) []byte { c := append([]byte(nil), b...); c[len(c)-20] ^= 0xff; return c },
	} {
		os.WriteFile(path, mutate(data), 0o644)
		_, err := Open(dir)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Damage inside the first advisory's JSON: open works, the lookup fails.
	c := append([]byte(nil), data...)
	copy(c[8:], "{{{{")
	os.WriteFile(path, c, 0o644)
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.All()
	if err == nil || !strings.Contains(err.Error(), "corrupt advisory") {
		t.Errorf("damaged advisory: %v", err)
	}
	// An import over a corrupt store refuses instead of dropping it.
	if _, err := Import(dir, []Input{{Name: "x", Path: "testdata/osv"}}, now); err == nil || !strings.Contains(err.Error(), "corrupt advisory") {
		t.Errorf("import over a damaged store: %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "db import") {
		t.Errorf("missing store: %v", err)
	}
}

func TestAge(t *testing.T) {
	db, _ := Open(importTestdata(t))
	defer db.Close()
	// The newest record was modified on 2026-10-01.
	if got := db.Meta().Age(now); got != 4*24*time.Hour {
		t.Errorf("age %v, want 96h", got)
	}
}
