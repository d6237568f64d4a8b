package netpolcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/netpol/matrixhtml"
	"github.com/kguard/kguard/internal/testutil/browser"
)

func renderFixtureHTML(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, append([]string{"matrix", "-o", "html", "-f", fixture}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	return out
}

// TestMatrixHTML checks the page is self-contained and complete.
func TestMatrixHTML(t *testing.T) {
	page := renderFixtureHTML(t)
	for _, banned := range []string{"<script", "src=", "href=", "http://", "https://", "@import", "url("} {
		if strings.Contains(page, banned) {
			t.Errorf("page has %q: it must load nothing and run nothing", banned)
		}
	}
	for _, want := range []string{
		"<title>kguard network policy matrix</title>",
		"<style>",
		`class="legend"`,
		"All namespaces: 4 workloads; 12 of 24 source–destination pairs reachable.",
		`<th class="row" scope="row">shop/frontend</th>`,
		`<th class="col" scope="col" title="shop/api on 8080/TCP, 9090/TCP"><span>shop/api</span></th>`,
		`<td class="y" title="shop/frontend → shop/api: allowed on 8080/TCP">X</td>`,
		`<td class="y" title="monitoring/prometheus → shop/api: allowed on 9090/TCP">X</td>`,
		`<td class="n" title="shop/frontend → shop/db: blocked on 5432/TCP">.</td>`,
		`<td class="na" title="external → external: not applicable"></td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if n := strings.Count(page, "<td "); n != 25 {
		t.Errorf("%d cells, want 5×5", n)
	}
	if page := renderFixtureHTML(t, "-n", "shop"); !strings.Contains(page, "Namespace shop: 3 workloads; 6 of 15") || strings.Count(page, "<td ") != 16 {
		t.Errorf("-n shop page:\n%s", page)
	}
}

// TestMatrixHTMLEscapes renders names that would break the markup.
func TestMatrixHTMLEscapes(t *testing.T) {
	const manifests = `apiVersion: v1
kind: Pod
metadata: {name: "<img onerror=alert(1)>", namespace: "a&b"}
spec:
  containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: "x\" onmouseover=\"alert(2)", namespace: "a&b"}
spec:
  containers: [{name: c, image: x}]
`
	objs, errs := inventory.DecodeFile("evil.yaml", []byte(manifests))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var buf bytes.Buffer
	if err := matrixhtml.WritePage(&buf, netpol.Build(inventory.New(objs), netpol.Options{}).Matrix("")); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<img", `" onmouseover="`, "a&b/"} {
		if strings.Contains(page, bad) {
			t.Errorf("page has unescaped %q", bad)
		}
	}
	if !strings.Contains(page, "a&amp;b/&lt;img onerror=alert(1)&gt;") || !strings.Contains(page, "a&amp;b/x&#34; onmouseover=&#34;alert(2)") {
		t.Errorf("escaped names missing:\n%s", page)
	}
}

// TestMatrixHTMLInBrowser loads the page in headless Chromium and reads
// the DOM it built. Without a chromium binary the test is skipped, unless
// KGUARD_REQUIRE_BROWSER=1 (as in CI).
func TestMatrixHTMLInBrowser(t *testing.T) {
	file := filepath.Join(t.TempDir(), "matrix.html")
	if err := os.WriteFile(file, []byte(renderFixtureHTML(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := browser.DumpDOM(t, file)
	tables := regexp.MustCompile(`(?s)<table class="matrix">.*?</table>`).FindAllString(dom, -1)
	if len(tables) != 1 {
		t.Fatalf("DOM has %d matrix tables:\n%s", len(tables), dom)
	}
	table := tables[0]
	if n := strings.Count(table, "<td "); n != 25 {
		t.Errorf("DOM table has %d cells, want 25", n)
	}
	if n := strings.Count(table, `<td class="y"`); n != 12 {
		t.Errorf("DOM table has %d reachable cells, want 12", n)
	}
	if n := strings.Count(table, `scope="row"`); n != 5 {
		t.Errorf("DOM table has %d row headers, want 5", n)
	}
	if n := strings.Count(table, `scope="col"`); n != 6 { // the corner and 5 columns
		t.Errorf("DOM table has %d column headers, want 6", n)
	}
	for _, name := range []string{"monitoring/prometheus", "shop/api", "shop/db", "shop/frontend", "external"} {
		if !strings.Contains(table, ">"+name+"</th>") || !strings.Contains(table, "<span>"+name+"</span>") {
			t.Errorf("DOM table lacks the row or column of %s", name)
		}
	}
	if !strings.Contains(table, `title="shop/frontend → shop/api: allowed on 8080/TCP"`) {
		t.Errorf("DOM lacks the cell title of shop/frontend → shop/api")
	}
	if !strings.Contains(dom, "<title>kguard network policy matrix</title>") {
		t.Errorf("DOM lacks the title")
	}
}
