package admit

import (
	"context"
	_ "embed"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/extract"
)

//go:embed manifests.yaml.tmpl
var manifestsTemplate string

// ManifestOptions parameterise `kguard admit manifests`.
type ManifestOptions struct {
	Streams *cmdutil.Streams

	Namespace     string
	Image         string
	Replicas      int
	FailurePolicy string
	Timeout       int
}

func newManifestsCmd(s *cmdutil.Streams, run func(context.Context, *ManifestOptions) error) *cobra.Command {
	o := &ManifestOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the manifests that run the webhook in a cluster",
		Long: `Print everything needed to run 'kguard admit' in a cluster: Namespace,
ServiceAccount with read access to namespace labels only, Deployment (two
replicas, non-root, read-only root filesystem), PodDisruptionBudget,
Service, a cert-manager Issuer and Certificate for the serving TLS pair, and
the ValidatingWebhookConfiguration (sideEffects: None, a timeout, and a
namespaceSelector that leaves kube-system and kguard's own namespace out so
the webhook can never block its own recovery). Its rules send the built-in
kinds and the custom resources that run pods from a template kguard knows
(Argo Rollouts, OpenKruise, Knative, OpenShift DeploymentConfig, KEDA
ScaledJob) to the webhook. Requires cert-manager; the
CA bundle is injected by its cainjector.`,
		Example: `  kguard admit manifests | kubectl apply -f -
  kguard admit manifests --failure-policy Ignore --namespace security`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.Namespace, "namespace", "kguard-system", "namespace to run the webhook in")
	cmdutil.AddImageFlag(cmd.Flags(), &o.Image)
	cmd.Flags().IntVar(&o.Replicas, "replicas", 2, "webhook replicas")
	cmd.Flags().StringVar(&o.FailurePolicy, "failure-policy", "Fail", "what the API server does when the webhook is unreachable: Fail (safe) or Ignore (available)")
	cmd.Flags().IntVar(&o.Timeout, "timeout-seconds", 5, "webhook call timeout, 1-30")
	return cmd
}

// RunManifests checks the options and renders the manifests to standard
// output.
func RunManifests(_ context.Context, o *ManifestOptions) error {
	switch o.FailurePolicy {
	case "Fail", "Ignore":
	default:
		return cmdutil.UsageErrorf("--failure-policy must be Fail or Ignore")
	}
	if o.Timeout < 1 || o.Timeout > 30 {
		return cmdutil.UsageErrorf("--timeout-seconds must be between 1 and 30 (the API server's limit)")
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return cmdutil.UsageErrorf("--namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if err := cmdutil.ValidateImage(o.Image); err != nil {
		return err
	}
	return cmdutil.RenderManifests(o.Streams.Out, manifestsTemplate, manifestData{ManifestOptions: *o, CustomWorkloads: customWorkloadRules()})
}

// manifestData is what the template renders: the options, and what comes
// from kguard's own tables.
type manifestData struct {
	ManifestOptions
	// CustomWorkloads are webhook rules for the custom resources whose
	// pod templates kguard judges (extract.WellKnownTemplates), one per
	// API group, so that the webhook sees them.
	CustomWorkloads []webhookRule
}

type webhookRule struct {
	Group     string
	Resources []string
}

// customWorkloadRules groups the well-known template kinds' resources by
// API group, in table order.
func customWorkloadRules() []webhookRule {
	var out []webhookRule
	for _, k := range extract.WellKnownTemplates() {
		i := slices.IndexFunc(out, func(r webhookRule) bool { return r.Group == k.Group })
		if i < 0 {
			out = append(out, webhookRule{Group: k.Group})
			i = len(out) - 1
		}
		if !slices.Contains(out[i].Resources, k.Resource) {
			out[i].Resources = append(out[i].Resources, k.Resource)
		}
	}
	return out
}
