package scan

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/pflag"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/cli/imagescmd"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/imagesig"
	"github.com/kguard/kguard/internal/images/imagevuln"
	"github.com/kguard/kguard/internal/images/sign"
	"github.com/kguard/kguard/internal/images/vulnscan"
	"github.com/kguard/kguard/internal/inventory"
	imagerules "github.com/kguard/kguard/internal/rules/images"
	"github.com/kguard/kguard/internal/vulndb"
)

// ImageOptions are the flags of `kguard scan --images`.
type ImageOptions struct {
	// Enabled scans every distinct image the workloads run and reports
	// rule image-vulnerable on the workloads.
	Enabled bool
	imagescmd.AccessFlags
}

func (o *ImageOptions) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Enabled, "images", false, "also scan every distinct image the workloads run for known vulnerabilities (rule image-vulnerable; see kguard db)")
	fs := pflag.NewFlagSet("images", pflag.ContinueOnError)
	o.AccessFlags.AddFlags(fs)
	fs.VisitAll(func(fl *pflag.Flag) {
		fl.Usage = "with --images: " + fl.Usage
		f.AddFlag(fl)
	})
}

// scanImages scans the distinct images of inv's workloads once each and
// returns them as the provided image analysis. Images that could not be
// read are returned as errors (printed by the caller, exit 2); the others
// are still judged.
func (o *Options) scanImages(ctx context.Context, inv *inventory.Inventory, cfg *config.Config, restCfg *rest.Config) ([]analysis.Provided, []string, error) {
	if !o.Images.Enabled {
		return nil, nil, nil
	}
	so, err := o.Images.ScanOptions(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("--images: %w", err)
	}
	so.Now = o.Now
	db, err := o.Images.OpenDB(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("--images: %w", err)
	}
	defer db.Close()
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	if note := imagescmd.StaleNote(db, now); note != "" {
		fmt.Fprintln(o.Streams.ErrOut, "warning: "+note)
	}
	refs, secrets := workloadImages(inv)
	kc := &access.PullSecretKeychain{}
	for _, data := range pullSecretData(ctx, inv, secrets, restCfg) {
		// A malformed pull secret is skipped: the registry then answers
		// with its own error, which names the image.
		_ = kc.AddPullSecret(data)
	}
	if kc.Len() > 0 {
		so.Access.Keychain = authn.NewMultiKeychain(kc, authn.DefaultKeychain)
	}
	results := vulnscan.Scan(ctx, refs, vulndb.NewMatcher(db), so)
	out := &imagevuln.Results{Images: map[string]*imagevuln.Image{}}
	var errs []string
	for _, img := range results {
		out.Images[img.Ref] = img
		if img.Error != "" {
			errs = append(errs, img.Error)
		}
		errs = append(errs, img.Problems...)
	}
	provided := []analysis.Provided{analysis.Value(imagevuln.Analysis, out)}
	if pol := cfg.Images.Signatures; pol.Enabled() {
		sigs, sigErrs, err := o.verifySignatures(ctx, inv, pol, so.Access)
		if err != nil {
			return nil, nil, err
		}
		provided = append(provided, analysis.Value(imagesig.Analysis, sigs))
		errs = append(errs, sigErrs...)
	}
	return provided, errs, nil
}

// verifySignatures checks, once per distinct image, the images that the
// policy requires to be signed where the workloads run them.
func (o *Options) verifySignatures(ctx context.Context, inv *inventory.Inventory, pol config.SignaturePolicy, ao access.Options) (*imagesig.Results, []string, error) {
	dir := ""
	if o.ConfigFile != "" {
		dir = filepath.Dir(o.ConfigFile)
	}
	v, err := sign.NewVerifier(pol, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("--images: %w", err)
	}
	required := map[string]bool{}
	for _, obj := range inv.Objects() {
		w, ok := extract.PodSpec(obj)
		if !ok {
			continue
		}
		for _, c := range w.Containers() {
			if imagerules.SignatureRequired(pol.Require, obj.Namespace, c.Container.Image) {
				required[c.Container.Image] = true
			}
		}
	}
	res := &imagesig.Results{Require: pol.Require, Images: map[string]*imagesig.Verdict{}}
	var errs []string
	for _, ref := range sortedKeys(required) {
		r, err := v.Verify(ctx, ref, ao)
		if err != nil {
			res.Images[ref] = &imagesig.Verdict{Ref: ref, Error: err.Error()}
			errs = append(errs, err.Error())
			continue
		}
		res.Images[ref] = &imagesig.Verdict{Ref: ref, Digest: r.Digest, Verified: r.Verified, Signer: r.Signer, Reason: r.Reason()}
	}
	return res, errs, nil
}

// workloadImages lists the distinct images of every workload, sorted, and
// the pull secrets they name ("namespace/name"), their service accounts'
// included.
func workloadImages(inv *inventory.Inventory) ([]string, []string) {
	images := map[string]bool{}
	secrets := map[string]bool{}
	accounts := map[string]*corev1.ServiceAccount{}
	for _, o := range inv.ByKind("", "ServiceAccount") {
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok {
			accounts[ns(o)+"/"+o.Name] = sa
		}
	}
	for _, o := range inv.Objects() {
		w, ok := extract.PodSpec(o)
		if !ok {
			continue
		}
		for _, c := range w.Containers() {
			if c.Container.Image != "" {
				images[c.Container.Image] = true
			}
		}
		for _, s := range w.Spec.ImagePullSecrets {
			secrets[ns(o)+"/"+s.Name] = true
		}
		sa := w.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		if acc := accounts[ns(o)+"/"+sa]; acc != nil {
			for _, s := range acc.ImagePullSecrets {
				secrets[ns(o)+"/"+s.Name] = true
			}
		}
	}
	return sortedKeys(images), sortedKeys(secrets)
}

// pullSecretData returns the data of the named pull secrets: from the
// inventory when it holds their values (files, or a cluster read with
// --read-secret-values), else read from the cluster one by one (only
// those secrets, only their type's key).
func pullSecretData(ctx context.Context, inv *inventory.Inventory, names []string, restCfg *rest.Config) []map[string][]byte {
	var out []map[string][]byte
	have := map[string]bool{}
	for _, o := range inv.ByKind("", "Secret") {
		s, ok := o.Typed.(*corev1.Secret)
		if !ok || (s.Type != corev1.SecretTypeDockerConfigJson && s.Type != corev1.SecretTypeDockercfg) {
			continue
		}
		data := map[string][]byte{}
		for k, v := range s.Data {
			data[k] = v
		}
		for k, v := range s.StringData {
			data[k] = []byte(v)
		}
		if len(data) > 0 {
			out = append(out, data)
			have[ns(o)+"/"+o.Name] = true
		}
	}
	if restCfg == nil {
		return out
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return out
	}
	for _, n := range names {
		if have[n] {
			continue
		}
		namespace, name, _ := cutSlash(n)
		s, err := client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || (s.Type != corev1.SecretTypeDockerConfigJson && s.Type != corev1.SecretTypeDockercfg) {
			continue
		}
		out = append(out, s.Data)
	}
	return out
}

func cutSlash(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

func ns(o *inventory.Object) string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
