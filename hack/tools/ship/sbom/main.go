// Command sbom writes a CycloneDX SBOM (JSON, spec 1.6) of the Go modules
// compiled into a binary, from the build information the Go toolchain
// records in it. hack/release.sh runs it for every release binary.
//
//	sbom --version v0.1.0 --time 2026-12-07T00:00:00Z -o kguard.cdx.json dist/kguard_linux_amd64
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sbom:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("sbom", flag.ContinueOnError)
	version := fs.String("version", "", "version of the main module (default: as recorded in the binary)")
	at := fs.String("time", "", "RFC 3339 timestamp of the BOM (required: the commit's time keeps it reproducible)")
	out := fs.String("o", "", "output file (default stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want exactly one binary, got %d arguments", fs.NArg())
	}
	t, err := time.Parse(time.RFC3339, *at)
	if err != nil {
		return fmt.Errorf("--time: %w", err)
	}
	bom, err := FromBinary(fs.Arg(0), Options{Version: *version, Time: t})
	if err != nil {
		return err
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := Write(w, bom); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if *out != "" {
		return w.Close()
	}
	return nil
}
