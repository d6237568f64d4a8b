package imagetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// OldTextModule is a module version with published advisories
// (golang.org/x/text before 0.3.7: GO-2021-0113, CVE-2021-38561; before
// 0.3.8: GO-2022-1059, CVE-2022-32149), which GoBinary builds against.
const OldTextModule = "golang.org/x/text@v0.3.5"

// GoBinary builds a small static program that calls
// golang.org/x/text/language.Parse, against module (a "path@version"), and
// returns the executable's bytes. It needs the go command and the module
// proxy or a module cache that holds the module.
func GoBinary(t testing.TB, module string) []byte {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the test binary")
	}
	path, version, _ := strings.Cut(module, "@")
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.test/oldtext\n\ngo 1.22\n\nrequire "+path+" "+version+"\n")
	write("main.go", `package main

import (
	"fmt"
	"os"

	"golang.org/x/text/language"
)

func main() {
	tag, err := language.Parse(os.Args[len(os.Args)-1])
	fmt.Println(tag, err)
}
`)
	run := func(args ...string) {
		cmd := exec.Command(gobin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("mod", "tidy")
	run("build", "-trimpath", "-o", "app", ".")
	data, err := os.ReadFile(filepath.Join(dir, "app"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
