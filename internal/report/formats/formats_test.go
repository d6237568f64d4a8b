package formats

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/report/reporttest"
)

func TestNamesAndLookup(t *testing.T) {
	if got, want := Names(), []string{"table", "json", "sarif", "junit", "policyreport", "cis", "html", "ecs"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v (table first: it is the default)", got, want)
	}
	for _, name := range []string{"table", "JSON", "Sarif", "junit"} {
		if w, ok := Lookup(name); !ok || w == nil {
			t.Errorf("Lookup(%q) found nothing", name)
		}
	}
	for _, name := range []string{"", "yaml", "html "} { // "html " with a space: no trimming
		if _, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) found a format", name)
		}
	}
	for _, f := range All() {
		if f.Name == "" || f.Description == "" || f.Write == nil {
			t.Errorf("incomplete format %+v", f)
		}
	}
}

// TestEveryFormatIsDeterministic: the same result renders to the same
// bytes every time (no map order, no clock), ends with a newline, and
// writing does not modify the result.
func TestEveryFormatIsDeterministic(t *testing.T) {
	for _, f := range All() {
		t.Run(f.Name, func(t *testing.T) {
			res, opts := reporttest.Result(t), reporttest.Options(t)
			opts.ShowSuppressed = true
			opts.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // formats that stamp records take the time from here
			var first []byte
			for i := 0; i < 5; i++ {
				var b bytes.Buffer
				if err := f.Write(&b, res, opts); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = b.Bytes()
					continue
				}
				if !bytes.Equal(first, b.Bytes()) {
					t.Fatalf("render %d differs from the first", i)
				}
			}
			if len(first) == 0 || first[len(first)-1] != '\n' {
				t.Error("output does not end with a newline")
			}
			if fresh := reporttest.Result(t); len(fresh.Findings) != len(res.Findings) || res.Findings[0].Message != fresh.Findings[0].Message {
				t.Error("writing changed the result")
			}
		})
	}
}
