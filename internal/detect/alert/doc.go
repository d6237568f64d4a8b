// Package alert turns the matches of package detect (detect.Alert) into
// written alerts: one Record per alert, with ECS field names, handed to
// one or more sinks. It is shared by every event source, the audit log
// watcher (package watch) and the node sensor alike, so that an alert
// looks the same and is limited, counted and delivered the same way
// whatever produced it.
//
// An Emitter applies a rate limit per (rule, subject): at most
// RatePerMinute alerts in a minute of event time. The subject is the
// authenticated user for Kubernetes audit alerts, and for sensor alerts
// (process, file, network) the container ID, else "cgroup:<id>", else
// "host". Alerts over the limit are counted as suppressed, and the number
// is reported on the next alert of the same key (kguard.suppressed).
//
// Sinks receive every Record that passes the limit:
//
//   - JSONLines writes one JSON object a line to an io.Writer (a file,
//     standard output) for a log shipper to pick up.
//   - Webhook POSTs each alert to a URL, as the Record itself (format
//     "json") or as a Slack incoming-webhook message (format "slack"),
//     from a bounded queue drained by one goroutine, with retries.
//
// WebhookFlags declares the --alert-webhook* command-line flags once, so
// every command that emits alerts accepts the same ones.
//
// # Record fields
//
// Keys are flat (dotted) ECS names; empty values are left out.
//
//	@timestamp                  event time, RFC 3339
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
package alert
