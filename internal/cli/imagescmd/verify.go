package imagescmd

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/images/sign"
)

// VerifyOptions are the arguments and flags of `kguard images verify`.
type VerifyOptions struct {
	Streams *cmdutil.Streams
	AccessFlags
	Refs       []string
	ConfigFile string
	Keys       []string
	Output     string
}

func newVerifyCmd(s *cmdutil.Streams, run func(context.Context, *VerifyOptions) error) *cobra.Command {
	o := &VerifyOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "verify REF...",
		Short: "Verify images' signatures and attestations against the signature policy",
		Long: `Check the Sigstore bundles attached to each image's digest (cosign's bundle
format, as OCI referrers) against the keys, identities and trust root of
images.signatures in .kguard.yaml, or against --key. No network is needed
beyond the registry.

Exit status: 0 when every image is verified, 1 when one is not, 2 when a
registry could not be asked.`,
		Example: `  kguard images verify --key cosign.pub registry.example.com/shop/web:2.1
  kguard images verify --config .kguard.yaml ghcr.io/acme/api@sha256:...`,
		Args: cmdutil.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Refs = args
			return run(cmd.Context(), o)
		},
	}
	o.AccessFlags.AddFlags(cmd.Flags())
	for _, n := range []string{"db", "ignore-unfixed", "cache-dir", "no-cache", "platform"} {
		cmd.Flags().MarkHidden(n)
	}
	cmd.Flags().StringVar(&o.ConfigFile, "config", "", "config file (default ./.kguard.yaml when present): images.signatures")
	cmd.Flags().StringSliceVar(&o.Keys, "key", nil, "PEM public key file(s) to accept instead of the config's policy")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

// RunVerify checks every image's signatures against the policy.
func RunVerify(ctx context.Context, o *VerifyOptions) error {
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q (want table or json)", o.Output)
	}
	cfg, err := LoadConfig(o.ConfigFile)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	pol := cfg.Images.Signatures
	if len(o.Keys) > 0 {
		pol = config.SignaturePolicy{Keys: o.Keys, Attestations: pol.Attestations}
	}
	if len(pol.Keys) == 0 && len(pol.Identities) == 0 {
		return cmdutil.UsageErrorf("no keys or identities: give --key or set images.signatures in the config")
	}
	dir := ""
	if o.ConfigFile != "" && len(o.Keys) == 0 {
		dir = filepath.Dir(o.ConfigFile)
	}
	v, err := sign.NewVerifier(pol, dir)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	ao, err := o.Access()
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	var results []*sign.Result
	failed, unverified := false, false
	for _, ref := range o.Refs {
		r, err := v.Verify(ctx, ref, ao)
		if err != nil {
			failed = true
			fmt.Fprintf(o.Streams.ErrOut, "error: %v\n", err)
			continue
		}
		results = append(results, r)
		unverified = unverified || !r.Verified
	}
	if o.Output == "json" {
		enc := json.NewEncoder(o.Streams.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			state := "VERIFIED"
			if !r.Verified {
				state = "NOT VERIFIED"
			}
			fmt.Fprintf(o.Streams.Out, "%s %s (%s): %s\n", state, r.Ref, r.Digest, r.Reason())
		}
	}
	switch {
	case failed:
		return cmdutil.Exit(cmdutil.ExitUsage)
	case unverified:
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}
