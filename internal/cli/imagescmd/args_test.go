package imagescmd

import (
	"context"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// accessDefaults are the image access flags with none given.
func accessDefaults() AccessFlags { return AccessFlags{Platform: "linux/amd64"} }

func TestScanArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ScanOptions) error) *cobra.Command { return newScanCmd(s, run) }
	defaults := func() *ScanOptions {
		return &ScanOptions{Streams: s, AccessFlags: accessDefaults(), Output: "table", FailOn: "high"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[ScanOptions]{
		{Name: "refs", Args: []string{"registry.example/shop/web:2.1", "oci-layout:build/web"},
			Edit: func(o *ScanOptions) { o.Refs = []string{"registry.example/shop/web:2.1", "oci-layout:build/web"} }},
		{Name: "report flags", Args: []string{"-o", "sarif", "--output-file", "r.sarif", "--fail-on", "none", "--config", "k.yaml", "--show-ignored", "img:1"},
			Edit: func(o *ScanOptions) {
				o.Refs, o.Output, o.OutputFile, o.FailOn, o.ConfigFile, o.ShowIgnored = []string{"img:1"}, "sarif", "r.sarif", "none", "k.yaml", true
			}},
		{Name: "access flags", Args: []string{"--platform", "linux/arm64", "--insecure-registry", "reg:5000", "--insecure-registry", "other:80",
			"--cache-dir", "c", "--no-cache", "--db", "d", "--ignore-unfixed", "img:1"},
			Edit: func(o *ScanOptions) {
				o.Refs = []string{"img:1"}
				o.AccessFlags = AccessFlags{Platform: "linux/arm64", InsecureRegistry: []string{"reg:5000", "other:80"}, CacheDir: "c", NoCache: true, DB: "d", IgnoreUnfixed: true}
			}},
		{Name: "no image", Args: nil, Err: "requires at least 1 arg(s), only received 0"},
	})
}

func TestSBOMArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *SBOMOptions) error) *cobra.Command { return newSBOMCmd(s, run) }
	defaults := func() *SBOMOptions {
		return &SBOMOptions{Streams: s, AccessFlags: accessDefaults(), Output: "cyclonedx"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[SBOMOptions]{
		{Name: "ref", Args: []string{"img:1"}, Edit: func(o *SBOMOptions) { o.Ref = "img:1" }},
		{Name: "spdx to a file", Args: []string{"docker-archive:a.tar", "-o", "spdx", "--output-file", "a.spdx.json", "--platform", "linux/arm64"},
			Edit: func(o *SBOMOptions) {
				o.Ref, o.Output, o.OutputFile, o.Platform = "docker-archive:a.tar", "spdx", "a.spdx.json", "linux/arm64"
			}},
		{Name: "two images", Args: []string{"a:1", "b:1"}, Err: "accepts 1 arg(s), received 2"},
	})
}

func TestVerifyArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *VerifyOptions) error) *cobra.Command { return newVerifyCmd(s, run) }
	defaults := func() *VerifyOptions {
		return &VerifyOptions{Streams: s, AccessFlags: accessDefaults(), Output: "table"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[VerifyOptions]{
		{Name: "keys", Args: []string{"--key", "a.pub,b.pub", "--key", "c.pub", "img:1", "img:2"},
			Edit: func(o *VerifyOptions) {
				o.Keys, o.Refs = []string{"a.pub", "b.pub", "c.pub"}, []string{"img:1", "img:2"}
			}},
		{Name: "config and json", Args: []string{"--config", ".kguard.yaml", "-o", "json", "--insecure-registry", "reg:5000", "img:1"},
			Edit: func(o *VerifyOptions) {
				o.ConfigFile, o.Output, o.InsecureRegistry, o.Refs = ".kguard.yaml", "json", []string{"reg:5000"}, []string{"img:1"}
			}},
		{Name: "no image", Args: []string{"--key", "a.pub"}, Err: "requires at least 1 arg(s), only received 0"},
	})
}
