package secrets

import (
	"fmt"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

func inArgs() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-in-args",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "Credential passed on a container's command line",
		Rationale: "A password or token in a container's command or args is in the manifest and the API server " +
			"like a literal env variable, and on top of that in the process list of the node: /proc/PID/cmdline " +
			"is readable by every process on the host and ends up in crash reports, audit and monitoring tools. " +
			"Reported: known credential formats in any argument, the value of a flag named like a credential " +
			"(--password=V, --token V, -Djavax.net.ssl.keyStorePassword=V), the password flags of mysql (-pV), " +
			"redis-cli (-a V), sshpass and curl -u user:password, and the same inside scripts passed to sh -c, " +
			"with severity by strength (placeholders low, known defaults high). It deliberately does not report " +
			"flags that only point at a credential (--password-file, --token-path), $(VAR) and $VAR references " +
			"expanded from the environment, flags named like credentials whose value cannot be one " +
			"(--token-ttl=1h, --secret-name=app), nor mysql -p without a value (it prompts).",
		Remediation: "Pass the credential through a file from a mounted Secret (most tools have a --password-file " +
			"or --token-file flag, or read an environment variable from secretKeyRef), then rotate the exposed " +
			"credential.",
		References: finding.References{
			CIS:   []string{"5.4.1"},
			MITRE: []string{"T1552.001", "T1552.007"},
			URLs:  secretURLs,
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			for _, e := range workloadEntries(w) {
				if e.Kind != ArgsEntry {
					continue
				}
				for _, m := range e.Detect() {
					p.ReportSeverity(w.Object, m.Severity, e.ArgField(m.Arg),
						fmt.Sprintf("container %q passes a credential on its command line: %s (%s)", e.Container, m.Kind, m.Note()))
				}
			}
		},
	}
}
