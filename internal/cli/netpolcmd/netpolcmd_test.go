package netpolcmd

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/netpol"
)

const fixture = "testdata/app.yaml"

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, NewCmd, args...)
}

func TestCanAllowed(t *testing.T) {
	out, errOut, code := run(t, "can", "shop/frontend", "shop/api", "-f", fixture)
	want := `allowed: shop/frontend -> shop/api on 8080/TCP (denied on 9090/TCP)
  8080/TCP: allowed
    egress  (shop/frontend): not isolated
    ingress (shop/api): allowed by shop/api-from-frontend
  9090/TCP: denied
    egress  (shop/frontend): not isolated
    ingress (shop/api): denied: selected by shop/default-deny-ingress, shop/api-from-frontend, shop/api-metrics-from-monitoring, none allows
`
	if code != 0 || out != want {
		t.Errorf("exit %d (%s):\n%s\nwant:\n%s", code, errOut, out, want)
	}
	// Both sides decided by policies; a port by name; a port by number.
	for _, args := range [][]string{
		{"monitoring/prometheus", "shop/api", "--port", "metrics"},
		{"monitoring/prometheus", "shop/api", "--port", "9090/tcp"},
	} {
		out, _, code := run(t, append([]string{"can", "-f", fixture}, args...)...)
		if code != 0 || !strings.HasPrefix(out, "allowed: monitoring/prometheus -> shop/api on 9090/TCP\n") ||
			!strings.Contains(out, "egress  (monitoring/prometheus): allowed by monitoring/prometheus-egress") ||
			!strings.Contains(out, "ingress (shop/api): allowed by shop/api-metrics-from-monitoring") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}

func TestCanDenied(t *testing.T) {
	out, _, code := run(t, "can", "shop/frontend", "shop/db", "-f", fixture)
	want := `denied: shop/frontend -> shop/db on 5432/TCP
  5432/TCP: denied
    egress  (shop/frontend): not isolated
    ingress (shop/db): denied: selected by shop/default-deny-ingress, shop/db-from-api, none allows
`
	if code != cmdutil.ExitFindings || out != want {
		t.Errorf("exit %d:\n%s\nwant:\n%s", code, out, want)
	}
	// Denied at the source: Prometheus may only scrape 9090 and resolve names.
	out, _, code = run(t, "can", "monitoring/prometheus", "shop/db", "-f", fixture)
	if code != cmdutil.ExitFindings || !strings.Contains(out, "egress  (monitoring/prometheus): denied: selected by monitoring/prometheus-egress, none allows") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestCanExternal(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"203.0.113.7", "shop/frontend"}, 0, "allowed: 203.0.113.7 -> shop/frontend on 8080/TCP\n"},
		{[]string{"10.1.2.3", "shop/frontend"}, 1, "denied: 10.1.2.3 -> shop/frontend on 8080/TCP\n"},
		{[]string{"11.0.0.0/8", "shop/frontend"}, 0, "8080/TCP: allowed for every address of 11.0.0.0/8"},
		{[]string{"0.0.0.0/0", "shop/frontend"}, 1, "8080/TCP: denied for 10.0.0.0\n"},
		{[]string{"10.255.255.255/7", "shop/frontend"}, 1, "denied for 10.0.0.0"}, // 10.0.0.0/7: 10/8 and 11/8
		{[]string{"203.0.113.7", "shop/api"}, 1, "denied: 203.0.113.7 -> shop/api on 8080/TCP, 9090/TCP\n"},
		{[]string{"monitoring/prometheus", "8.8.8.8", "--port", "53/udp"}, 0, "ingress (8.8.8.8): outside the cluster, no policy applies"},
		{[]string{"monitoring/prometheus", "2001:db8::1"}, 1, "denied: monitoring/prometheus -> 2001:db8::1 on 80/TCP\n"},
		{[]string{"shop/db", "2001:db8::/32", "--port", "443"}, 0, "443/TCP: allowed for every address of 2001:db8::/32"},
	} {
		out, errOut, code := run(t, append([]string{"can", "-f", fixture}, c.args...)...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %d; output lacks %q:\n%s%s", c.args, code, c.code, c.want, out, errOut)
		}
	}
}

func TestCanUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"can", "shop/frontend", "shop/api"}, "no input"},
		{[]string{"can", "shop/frontend", "shop/api", "-f", fixture, "--cluster"}, "give no paths"},
		{[]string{"can", "shop/frontend", "-f", fixture}, "requires at least 2 arg(s)"},
		{[]string{"can", "frontend", "shop/api", "-f", fixture}, `default/frontend: no workload in namespace "default"`},
		{[]string{"can", "shop/nope", "shop/api", "-f", fixture}, "namespace shop has: api, db, frontend"},
		{[]string{"can", "nowhere/x", "shop/api", "-f", fixture}, `no workload in namespace "nowhere"`},
		{[]string{"can", "1.2.3.4", "10.0.0.0/8", "-f", fixture}, "one must be a workload"},
		{[]string{"can", "shop/frontend", "shop/api", "--port", "70000", "-f", fixture}, "out of range"},
		{[]string{"can", "shop/frontend", "shop/api", "--port", "80/icmp", "-f", fixture}, "TCP, UDP or SCTP"},
		{[]string{"can", "shop/frontend", "shop/api", "--port", "grpc", "-f", fixture}, "no container port of that name"},
		{[]string{"can", "shop/frontend", "shop/api", "--port", "http/udp", "-f", fixture}, "no container port of that name"},
		{[]string{"can", "shop/frontend", "1.1.1.1", "--port", "http", "-f", fixture}, "needs a workload"},
		{[]string{"can", "shop/frontend", "shop/api", "-f", "testdata/missing.yaml"}, ""},
	} {
		out, errOut, code := run(t, c.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, want %d; message %q lacks %q (out %q)", c.args, code, cmdutil.ExitUsage, errOut, c.msg, out)
		}
	}
}

func TestMatrixTable(t *testing.T) {
	out, errOut, code := run(t, "matrix", "-f", fixture)
	want := `FROM \ TO              monitoring/prometheus  shop/api  shop/db  shop/frontend  external
monitoring/prometheus  X                      X         .        .              .
shop/api               X                      .         X        .              X
shop/db                X                      .         .        .              X
shop/frontend          X                      X         .        .              X
external               X                      .         .        X              -
`
	if code != 0 || out != want {
		t.Errorf("exit %d (%s):\n%s\nwant:\n%s", code, errOut, out, want)
	}
	out, _, code = run(t, "matrix", "-n", "shop", "-f", fixture)
	want = `FROM \ TO      shop/api  shop/db  shop/frontend  external
shop/api       .         X        .              X
shop/db        .         .        .              X
shop/frontend  X         .        .              X
external       .         .        X              -
`
	if code != 0 || out != want {
		t.Errorf("-n shop: exit %d:\n%s\nwant:\n%s", code, out, want)
	}
}

func TestMatrixJSON(t *testing.T) {
	out, errOut, code := run(t, "matrix", "-n", "shop", "-o", "json", "-f", fixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Namespace       string
		ExternalAddress string
		Sources         []string
		Destinations    []struct {
			Name, Kind, Namespace string
			Ports                 []string
		}
		Reachable [][]bool
		Allowed   []struct {
			From, To string
			Ports    []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if doc.Namespace != "shop" || doc.ExternalAddress != "203.0.113.10" || strings.Join(doc.Sources, " ") != "shop/api shop/db shop/frontend external" {
		t.Errorf("header: %+v", doc)
	}
	if len(doc.Destinations) != 4 || doc.Destinations[0].Kind != "Deployment" || strings.Join(doc.Destinations[0].Ports, " ") != "8080/TCP 9090/TCP" ||
		doc.Destinations[1].Kind != "StatefulSet" || doc.Destinations[3].Name != "external" || strings.Join(doc.Destinations[3].Ports, " ") != "80/TCP" {
		t.Errorf("destinations: %+v", doc.Destinations)
	}
	var got []string
	for _, c := range doc.Allowed {
		got = append(got, c.From+">"+c.To+":"+strings.Join(c.Ports, ","))
	}
	want := "shop/api>shop/db:5432/TCP shop/api>external:80/TCP shop/db>external:80/TCP shop/frontend>shop/api:8080/TCP shop/frontend>external:80/TCP external>shop/frontend:8080/TCP"
	if strings.Join(got, " ") != want {
		t.Errorf("allowed cells:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
	n := 0
	for r, row := range doc.Reachable {
		for _, v := range row {
			if v {
				n++
			}
		}
		if len(row) != 4 || r > 3 {
			t.Errorf("reachable row %d: %v", r, row)
		}
	}
	if n != len(doc.Allowed) {
		t.Errorf("%d reachable cells, %d allowed entries", n, len(doc.Allowed))
	}
}

func TestMatrixUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"matrix", "-f", fixture, "-o", "yaml"},
		{"matrix", "-f", fixture, "-n", "nowhere"},
		{"matrix"},
		{"matrix", "extra", "-f", fixture},
	} {
		if _, errOut, code := run(t, args...); code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, cmdutil.ExitUsage, errOut)
		}
	}
}

func TestGenerate(t *testing.T) {
	out, errOut, code := run(t, "generate", "-f", fixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "# Generated by kguard netpol generate: 8 NetworkPolicies for namespace(s) monitoring, shop.\n") {
		t.Errorf("header:\n%s", out)
	}
	objs, errs := inventory.DecodeFile("generated.yaml", []byte(out))
	if len(errs) > 0 {
		t.Fatalf("output does not decode: %v", errs)
	}
	var names []string
	for _, o := range objs {
		if o.APIVersion != "networking.k8s.io/v1" || o.Kind != "NetworkPolicy" {
			t.Errorf("%s %s", o.APIVersion, o.Kind)
		}
		names = append(names, o.Namespace+"/"+o.Name)
	}
	want := "monitoring/kguard-allow-dns monitoring/kguard-default-deny shop/kguard-allow-api-to-db shop/kguard-allow-dns shop/kguard-allow-frontend-to-api shop/kguard-allow-to-api shop/kguard-allow-to-db shop/kguard-default-deny"
	if strings.Join(names, " ") != want {
		t.Errorf("policies:\n%s\nwant:\n%s", strings.Join(names, " "), want)
	}

	// The generated policies replace the fixture's: frontend -> api and
	// api -> db stay open, nothing else in the shop is.
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := inventory.DecodeFile(fixture, data)
	var kept []*inventory.Object
	for _, o := range base {
		if o.Kind != "NetworkPolicy" {
			kept = append(kept, o)
		}
	}
	x := netpol.Build(inventory.New(append(kept, objs...)), netpol.Options{}).Matrix("shop")
	var reach []string
	for r, row := range x.Rows {
		for c, col := range x.Cols {
			if x.Reachable(r, c) {
				reach = append(reach, row.Name+">"+col.Name)
			}
		}
	}
	if got := strings.Join(reach, " "); got != "shop/api>shop/db shop/frontend>shop/api" {
		t.Errorf("reachable with the generated policies: %s", got)
	}

	out, _, code = run(t, "generate", "-n", "monitoring", "-f", fixture)
	if code != 0 || strings.Count(out, "kind: NetworkPolicy") != 2 || strings.Contains(out, "namespace: shop") {
		t.Errorf("-n monitoring: exit %d\n%s", code, out)
	}
	if _, _, code := run(t, "generate", "-n", "nowhere", "-f", fixture); code != cmdutil.ExitUsage {
		t.Errorf("-n nowhere: exit %d", code)
	}
}

// TestCanQualifiesWithNamespace: a workload written without a namespace is
// in -n's, as kubectl would read it.
func TestCanQualifiesWithNamespace(t *testing.T) {
	short, _, code := run(t, "can", "frontend", "api", "-n", "shop", "-f", fixture)
	long, _, longCode := run(t, "can", "shop/frontend", "shop/api", "-f", fixture)
	if short != long || code != longCode {
		t.Errorf("-n shop frontend api: exit %d %q; shop/frontend shop/api: exit %d %q", code, short, longCode, long)
	}
	if !strings.Contains(short, "shop/frontend -> shop/api") {
		t.Errorf("answer does not name the qualified workloads: %q", short)
	}
}
