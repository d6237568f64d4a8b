package admit

import (
	_ "embed"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

//go:embed manifests.yaml.tmpl
var manifestsTemplate string

// ManifestOptions parameterise `kguard admit manifests`.
type ManifestOptions struct {
	Namespace     string
	Image         string
	Replicas      int
	FailurePolicy string
	Timeout       int
}

func newManifestsCmd(s *cmdutil.Streams) *cobra.Command {
	o := &ManifestOptions{}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the manifests that run the webhook in a cluster",
		Long: `Print everything needed to run 'kguard admit' in a cluster: Namespace,
ServiceAccount with read access to namespace labels only, Deployment (two
replicas, non-root, read-only root filesystem), PodDisruptionBudget,
Service, a cert-manager Issuer and Certificate for the serving TLS pair, and
the ValidatingWebhookConfiguration (sideEffects: None, a timeout, and a
namespaceSelector that leaves kube-system and kguard's own namespace out so
the webhook can never block its own recovery). Requires cert-manager; the
CA bundle is injected by its cainjector.`,
		Example: `  kguard admit manifests | kubectl apply -f -
  kguard admit manifests --failure-policy Ignore --namespace security`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			return WriteManifests(s, o)
		},
	}
	cmd.Flags().StringVar(&o.Namespace, "namespace", "kguard-system", "namespace to run the webhook in")
	cmdutil.AddImageFlag(cmd.Flags(), &o.Image)
	cmd.Flags().IntVar(&o.Replicas, "replicas", 2, "webhook replicas")
	cmd.Flags().StringVar(&o.FailurePolicy, "failure-policy", "Fail", "what the API server does when the webhook is unreachable: Fail (safe) or Ignore (available)")
	cmd.Flags().IntVar(&o.Timeout, "timeout-seconds", 5, "webhook call timeout, 1-30")
	return cmd
}

// WriteManifests renders the manifests to s.Out.
func WriteManifests(s *cmdutil.Streams, o *ManifestOptions) error {
	return cmdutil.RenderManifests(s.Out, manifestsTemplate, o)
}
