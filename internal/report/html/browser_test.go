package html

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/testutil/browser"
)

// layout is what the page reports about its own layout.
type layout struct {
	Width, ScrollWidth int
	Sections           []struct {
		ID            string
		Height, Right float64
	}
	// Overflowing lists elements wider than the viewport outside the
	// horizontally scrolling containers (tables, the matrix, the paths).
	Overflowing []string
	Rows        int
	Count       string
	SVGNodes    int
	MatrixCells int
}

const layoutJS = `(() => {
  const w = window.innerWidth;
  const out = {Width: w, ScrollWidth: document.documentElement.scrollWidth, Sections: [], Overflowing: []};
  for (const s of document.querySelectorAll('section.part')) {
    const r = s.getBoundingClientRect();
    out.Sections.push({ID: s.id, Height: r.height, Right: r.right});
  }
  for (const e of document.querySelectorAll('body *')) {
    if (e.parentElement && e.parentElement.closest('.scroll, .wrap')) continue;
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) out.Overflowing.push(e.tagName + '#' + e.id + '.' + e.className);
  }
  out.Rows = document.querySelectorAll('#kg-rows tr').length;
  out.Count = document.getElementById('kg-count').textContent;
  out.SVGNodes = document.querySelectorAll('svg.paths g.node').length;
  out.MatrixCells = document.querySelectorAll('table.matrix td').length;
  return out;
})()`

// ready waits until the findings list has rendered (after the data block
// is inflated), then returns the number of matching findings.
const readyJS = `new Promise((resolve, reject) => {
  const t0 = Date.now();
  (function poll() {
    const v = document.body.getAttribute('data-matching');
    if (v !== null && v !== window.__kgSeen) { window.__kgSeen = v; resolve(Number(v)); }
    else if (Date.now() - t0 > 60000) reject(new Error('the findings list did not render'));
    else setTimeout(poll, 10);
  })();
})`

func checkLayout(t *testing.T, s *browser.Session, width int, wantSections []string) layout {
	t.Helper()
	var l layout
	s.Eval(layoutJS, &l)
	if l.Width != width || l.ScrollWidth > l.Width {
		t.Errorf("width %d: the page is %d pixels wide: it overflows", width, l.ScrollWidth)
	}
	if len(l.Overflowing) > 0 {
		t.Errorf("width %d: elements stick out of the viewport: %v", width, l.Overflowing)
	}
	got := map[string]bool{}
	for _, sec := range l.Sections {
		got[sec.ID] = true
		if sec.Height < 40 || sec.Right > float64(width)+1 {
			t.Errorf("width %d: section %s is %.0f high, right edge %.0f", width, sec.ID, sec.Height, sec.Right)
		}
	}
	for _, id := range wantSections {
		if !got[id] {
			t.Errorf("width %d: section %s not rendered", width, id)
		}
	}
	png1 := s.Screenshot()
	img, err := png.Decode(bytes.NewReader(png1))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() < 800 {
		t.Errorf("width %d: screenshot is %v", width, b)
	}
	if dir := os.Getenv("KGUARD_SCREENSHOTS"); dir != "" { // for a look by hand
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("report-%d.png", width)), png1, 0o644)
	}
	return l
}

// TestReportInBrowser opens the report of the bundled example at desktop
// and phone widths: every section renders, nothing overflows, the RBAC
// paths and the matrix are drawn, the filters work as a reader uses them,
// and the page logs no error (its Content-Security-Policy would report
// any attempt to load something).
func TestReportInBrowser(t *testing.T) {
	res, opts := exampleScan(t)
	file := writeFile(t, "report.html", render(t, res, opts))
	// Expected counts, from the result itself.
	critical, netshoot, legacy := 0, 0, 0
	for _, f := range res.Findings {
		if f.Severity == finding.SeverityCritical {
			critical++
		}
		if strings.Contains(strings.ToLower(f.Message+" "+f.Resource.Name), "netshoot") {
			netshoot++
		}
		if f.Resource.Namespace == "legacy" {
			legacy++
		}
	}
	if critical == 0 || netshoot == 0 || legacy == 0 {
		t.Fatalf("the example lost the findings this test filters on (%d, %d, %d)", critical, netshoot, legacy)
	}
	sections := []string{"overview", "findings", "frameworks", "rbac", "network", "problems"}

	s := browser.Start(t)
	for _, vp := range []struct {
		w, h   int
		mobile bool
	}{{1280, 900, false}, {390, 844, true}} {
		s.Viewport(vp.w, vp.h, vp.mobile)
		s.Open("file://" + file)
		var n int
		s.Eval(readyJS, &n)
		if n != len(res.Findings) {
			t.Errorf("width %d: %d findings listed, want %d", vp.w, n, len(res.Findings))
		}
		l := checkLayout(t, s, vp.w, sections)
		if l.Rows != min(50, len(res.Findings)) || l.SVGNodes < 2 || l.MatrixCells == 0 {
			t.Errorf("width %d: %d rows, %d path boxes, %d matrix cells", vp.w, l.Rows, l.SVGNodes, l.MatrixCells)
		}
	}

	// Type into the search box, as a reader does.
	var n int
	s.Eval(`(() => { const q = document.getElementById('kg-q'); q.value = 'netshoot'; q.dispatchEvent(new Event('input')); })()`, nil)
	s.Eval(readyJS, &n)
	if n != netshoot {
		t.Errorf("search netshoot: %d findings, want %d", n, netshoot)
	}
	// Clear it and keep only critical.
	s.Eval(`(() => { const q = document.getElementById('kg-q'); q.value = ''; q.dispatchEvent(new Event('change'));
	  for (const s of ['high','medium','low','info']) { const c = document.getElementById('kg-sev-' + s); c.checked = false; c.dispatchEvent(new Event('change')); } })()`, nil)
	s.Eval(readyJS, &n)
	if n != critical {
		t.Errorf("critical only: %d findings, want %d", n, critical)
	}
	var sevs []string
	s.Eval(`[...document.querySelectorAll('#kg-rows .pill')].map(e => e.textContent)`, &sevs)
	for _, sv := range sevs {
		if sv != "critical" {
			t.Errorf("critical only, but a %s finding is listed", sv)
		}
	}
	// A namespace from the heat map opens the list filtered by it.
	s.Eval(`(() => { for (const c of document.querySelectorAll('[id^=kg-sev-]')) { c.checked = true; } 
	  document.querySelector('#heatmap a[data-value="legacy"]').click(); })()`, nil)
	s.Eval(readyJS, &n)
	if n != legacy {
		t.Errorf("namespace legacy from the heat map: %d findings, want %d", n, legacy)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %q", errs)
	}
}

// TestReportInBrowserAt100k: the list of 100,000 findings renders a page
// at a time, searches and pages, without errors.
func TestReportInBrowserAt100k(t *testing.T) {
	res := bigResult(t, 100_000)
	file := writeFile(t, "big.html", render(t, res, reporttest.Options(t)))
	s := browser.Start(t)
	s.Viewport(1280, 900, false)
	s.Open("file://" + file)
	var n int
	s.Eval(readyJS, &n)
	if n != 100_000 {
		t.Fatalf("%d findings listed, want 100000", n)
	}
	var rows int
	s.Eval(`document.querySelectorAll('#kg-rows tr').length`, &rows)
	if rows != 50 {
		t.Errorf("%d rows on the first page, want 50", rows)
	}
	s.Eval(`(() => { const q = document.getElementById('kg-q'); q.value = 'needle'; q.dispatchEvent(new Event('input')); })()`, nil)
	s.Eval(readyJS, &n)
	if n != 100 { // every 1000th finding
		t.Errorf("search needle: %d findings, want 100", n)
	}
	var count string
	s.Eval(`(() => { document.getElementById('kg-next').click(); return document.getElementById('kg-count').textContent; })()`, &count)
	if count != "Showing 51–100 of 100 findings (page 2 of 2)" {
		t.Errorf("page 2: %q", count)
	}
	if errs := s.Errors(); len(errs) > 0 {
		t.Errorf("the page logged errors: %q", errs)
	}
}

// TestReportScreenshot writes the README's picture of the example report
// (docs/report-html.png) when run with -update: the overview at desktop
// width. Without -update it checks the file is there and is such a PNG.
func TestReportScreenshot(t *testing.T) {
	const out = "../../../docs/report-html.png"
	if !*reporttest.Update {
		f, err := os.Open(out)
		if err != nil {
			t.Fatalf("%v (generate it with go test ./internal/report/html -run TestReportScreenshot -update)", err)
		}
		defer f.Close()
		cfg, err := png.DecodeConfig(f)
		if err != nil || cfg.Width != 1280 {
			t.Errorf("%s: %v, width %d, want a 1280-pixel-wide PNG", out, err, cfg.Width)
		}
		return
	}
	res, opts := exampleScan(t)
	file := writeFile(t, "report.html", render(t, res, opts))
	s := browser.Start(t)
	s.Viewport(1280, 900, false)
	s.Open("file://" + file)
	s.Eval(readyJS, nil)
	if err := os.WriteFile(out, s.ScreenshotClip(0, 0, 1280, 1500), 0o644); err != nil {
		t.Fatal(err)
	}
}
