// Package extract finds the pod spec inside any workload object (Pod,
// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
// ReplicationController, and their deprecated API versions), written once so
// that no rule repeats the per-kind logic. It also lists every container of
// a pod spec, init and ephemeral ones included, with the field path that
// points at it, and the routes of an Ingress of any API version.
package extract
