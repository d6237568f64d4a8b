package exposure

import "github.com/kguard/kguard/internal/rules"

// Rules returns the exposure family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		loadBalancerOpen(),
		nodePort(),
		externalIPs(),
		externalNameInternal(),
		hostNetworkPort(),
		ingressSensitivePath(),
		dashboardExposed(),
	}
}
