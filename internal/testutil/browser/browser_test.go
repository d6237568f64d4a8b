package browser

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSession: the session reads the DOM, resizes the viewport, takes a
// screenshot of the whole page and catches what a page must not do: a
// console error, an uncaught exception and a blocked network request (the
// negative control for every "no console errors" check built on it).
func TestSession(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	clean := write("clean.html", `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width"></head>
<body style="margin:0"><div id="x" style="height:3000px">hello</div></body></html>`)
	bad := write("bad.html", `<!DOCTYPE html><html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'">
</head><body><img src="https://example.com/x.png"><script>console.error("boom"); undefinedFunction();</script></body></html>`)

	s := Start(t)
	s.Viewport(390, 800, true)
	s.Open(clean)
	var w int
	s.Eval("window.innerWidth", &w)
	var text string
	s.Eval("document.getElementById('x').textContent", &text)
	if w != 390 || text != "hello" {
		t.Errorf("innerWidth %d, text %q", w, text)
	}
	img, err := png.Decode(bytes.NewReader(s.Screenshot()))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 390 || b.Dy() < 3000 {
		t.Errorf("screenshot is %v, want the whole 390×3000 page", b)
	}
	if errs := s.Errors(); len(errs) != 0 {
		t.Errorf("a clean page caused errors: %q", errs)
	}

	s.Open(bad)
	s.Eval("new Promise(r => setTimeout(r, 100))", nil) // let the log events arrive
	all := strings.Join(s.Errors(), "\n")
	for _, want := range []string{"console.error: boom", "undefinedFunction", "example.com"} {
		if !strings.Contains(all, want) {
			t.Errorf("errors lack %q:\n%s", want, all)
		}
	}
}
