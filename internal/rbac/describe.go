package rbac

import (
	"strings"

	"github.com/kguard/kguard/internal/analysis"
	rbacv1 "k8s.io/api/rbac/v1"
)

// BuiltinMark follows the name of an object of the built-in policy in
// outputs, so that nobody looks for it in their files.
const BuiltinMark = "(built-in)"

// DescribeRule renders a policy rule on one line, as in
// "get,list secrets" or "* *.* (all resources)" or "get /metrics".
func DescribeRule(r rbacv1.PolicyRule) string {
	verbs := strings.Join(r.Verbs, ",")
	if len(r.NonResourceURLs) > 0 {
		return verbs + " " + strings.Join(r.NonResourceURLs, ",")
	}
	var res []string
	for _, g := range r.APIGroups {
		for _, x := range r.Resources {
			switch g {
			case "":
				res = append(res, x)
			default:
				res = append(res, x+"."+g)
			}
		}
	}
	s := verbs + " " + strings.Join(res, ",")
	if len(r.ResourceNames) > 0 {
		s += " named " + strings.Join(r.ResourceNames, ",")
	}
	return s
}

// ModelAnalysis gives rules the RBAC model of the scanned inventory,
// built once per scan.
var ModelAnalysis = &analysis.Analysis[*Model]{Name: "rbac.model", Build: Build}
