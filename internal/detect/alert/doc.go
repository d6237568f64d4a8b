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
// Records are ecs.Record, the layout scan findings share; package ecs
// lists every field.
package alert
