// Package ecs is the layout kguard writes for Elasticsearch and other log
// stores: Elastic Common Schema (ECS) field names, flat, one JSON object a
// line. Runtime alerts (package detect/alert) and scan findings (the
// "ecs" report format) are the same Record type, so one index template and
// one Kibana dashboard (deploy/elastic) serve both. Fields outside ECS are
// under kguard.* and, for Kubernetes metadata, the kubernetes.* names
// Elastic's Kubernetes integration uses.
//
// # Fields of runtime alerts
//
//	@timestamp                  event time, RFC 3339
//	ecs.version                 the ECS version (Version)
//	event.kind                  "alert"
//	event.module                "kguard"
//	event.dataset               "kubernetes.audit", or "kguard.sensor" for
//	                            process, file and network alerts
//	event.severity              info 1, low 21, medium 47, high 73, critical 99
//	event.action                audit: the request verb; sensor: "exec",
//	                            "open" or "connect"
//	event.id                    the audit ID
//	log.level                   the severity name
//	rule.id, rule.name          the rule ID
//	rule.description            the rule's description
//	message                     the rule's rendered output
//	tags                        the rule's tags
//	threat.framework            "MITRE ATT&CK" when there are techniques
//	threat.technique.id         MITRE technique IDs among the tags
//	user.name                   the authenticated user (audit)
//	user.effective.name         the impersonated user (audit)
//	user.id                     the process' uid, as a string (sensor)
//	source.ip                   the first source IP (audit)
//	user_agent.original         the client's user agent (audit)
//	url.original                the request URI (audit)
//	http.response.status_code   the response code (audit)
//	process.pid                 the process (sensor)
//	process.parent.pid          its parent
//	process.name                its comm
//	process.executable          its executable path
//	process.args                the executable (or comm) then the arguments
//	process.command_line        process.args joined with spaces
//	file.path                   the file opened (file alerts)
//	destination.ip              the address connected to (network alerts)
//	destination.port            its port
//	network.transport           "tcp" or "udp"
//	container.id                the container, when not on the host
//	container.image.name        its image
//	kubernetes.pod.name         its pod
//	kubernetes.pod.uid          the pod's UID
//	kubernetes.namespace        the object's (audit) or pod's (sensor)
//	                            namespace
//	orchestrator.type           "kubernetes" (audit)
//	orchestrator.resource.type  resource, or resource/subresource (audit)
//	orchestrator.resource.name  the object's name (audit)
//	kguard.cgroup_id            the process' cgroup ID (sensor)
//	kguard.mnt_ns               its mount namespace's inode number (sensor)
//	kguard.action               what the caller did about it, such as
//	                            "killed" or "kill_failed"
//	kguard.suppressed           alerts of this rule and subject suppressed
//	                            by the rate limit since the last one
//	kguard.count                a count the caller attaches, such as the
//	                            403 responses of a burst
//
// # Fields of scan findings
//
// A finding (event.dataset "kguard.findings") is a state, not an alert:
//
//	@timestamp                  the time of the report (every finding of
//	                            one run has the same)
//	ecs.version                 the ECS version
//	event.kind                  "state"
//	event.module                "kguard"
//	event.dataset               "kguard.findings"
//	event.category              ["configuration"]
//	event.type                  ["info"]
//	event.severity, log.level   as for alerts
//	rule.id, rule.name          the rule ID and its title
//	rule.description            the rule's rationale
//	rule.category               the rule's category ("pod-security", ...)
//	rule.reference              the rule's documentation
//	rule.ruleset                "kguard"
//	message                     the finding's message
//	tags                        the rule's category
//	threat.framework,
//	threat.technique.id         the rule's MITRE ATT&CK techniques
//	orchestrator.type           "kubernetes"
//	orchestrator.api_version    the object's apiVersion
//	orchestrator.resource.type  the object's kind
//	orchestrator.resource.name  its name
//	orchestrator.namespace,
//	kubernetes.namespace        its namespace, when it has one
//	orchestrator.cluster.name   the cluster it was read from
//	file.path                   the file it was read from
//	kguard.source.line          its line
//	kguard.source.origin        the Helm template or Kustomize origin
//	kguard.field                the field the finding is about
//	kguard.fingerprint          the finding's fingerprint (stable across runs)
//	kguard.remediation          the rule's remediation
//	kguard.suppression.by,
//	kguard.suppression.reason,
//	kguard.suppression.expires  for suppressed findings
//	kguard.baseline             "new" or "unchanged" with --baseline
//
// Suppressed findings are written too, with kguard.suppression.*, so that
// counts in a dashboard are complete; filter on kguard.suppression.by to
// leave them out. What could not be evaluated is a record with rule.id
// "kguard-not-evaluated", and an input that could not be read one with
// rule.id "kguard-input-error" (log.level "error", event.outcome
// "unknown"): a partial scan never looks clean in a dashboard either.
//
// # Fields of framework controls
//
// With --framework, every control is a record too (event.dataset
// "kguard.frameworks", event.kind "state"): rule.id the control ID,
// rule.name its title, rule.ruleset the framework's name, rule.version its
// version, event.outcome "success" (pass), "failure" (fail) or "unknown"
// (not evaluated, manual), kguard.control.status the status,
// kguard.control.section, kguard.control.reason, kguard.control.rules,
// kguard.control.findings, kguard.framework.score and
// kguard.framework.mapping.
package ecs
